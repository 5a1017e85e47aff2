//! RFC 8176: authentication method references, as OIDC Core §2's `amr` claim carries them.
//! A browser session records how its user signed in; the ID tokens of that session repeat it.

use serde::{Deserialize, Serialize};

/// How a user proved who they are. Second factors and federation add their values here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amr {
    /// RFC 8176 §2 `pwd`: a password.
    Pwd,
}

impl Amr {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn values_are_written_as_rfc_8176_names() {
        assert_eq!(serde_json::to_string(&[Amr::Pwd]).unwrap(), r#"["pwd"]"#);
        assert_eq!(
            serde_json::from_str::<Vec<Amr>>(r#"["pwd"]"#).unwrap(),
            [Amr::Pwd]
        );
        assert_eq!(Amr::Pwd.as_str(), "pwd");
    }
}
