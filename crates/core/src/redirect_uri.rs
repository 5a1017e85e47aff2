//! RFC 6749 §3.1.2: a redirection endpoint URI is absolute and has no fragment.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ParseError;

/// A registered redirect (or post-logout redirect) URI.
///
/// The original text is kept: RFC 9700 §4.1.3 asks for exact string matching, so a request's
/// `redirect_uri` is compared with [`RedirectUri::as_str`], never after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let url = Url::parse(s).map_err(|_| {
            ParseError::new("redirect_uri", format!("{s:?} is not an absolute URI"))
        })?;
        if url.fragment().is_some() {
            return Err(ParseError::new(
                "redirect_uri",
                "may not contain a fragment",
            ));
        }
        if url.cannot_be_a_base() && !s.contains(':') {
            return Err(ParseError::new("redirect_uri", "must be an absolute URI"));
        }
        if matches!(url.scheme(), "javascript" | "data" | "vbscript" | "file") {
            return Err(ParseError::new(
                "redirect_uri",
                "this scheme is not allowed",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// A URI a client may register now (RFC 9700 §2.1, RFC 8252 §7.3, §8.3): `https`, a
    /// private-use scheme of a native app, or plain `http` to a loopback host only
    /// (127.0.0.0/8, `[::1]`, `localhost`), where the traffic never leaves the device.
    /// Stored URIs are not re-checked when read, so clients registered before keep working
    /// until they are changed.
    pub fn parse_for_registration(s: &str) -> Result<Self, ParseError> {
        let uri = Self::parse(s)?;
        let Ok(url) = Url::parse(s) else {
            return Err(ParseError::new("redirect_uri", "must be an absolute URI"));
        };
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(ParseError::new(
                "redirect_uri",
                format!(
                    "{s:?}: plain http is only for loopback (127.0.0.1, [::1], localhost); use https"
                ),
            ));
        }
        Ok(uri)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 9700 §4.1.3: exact string comparison with what the client sent.
    pub fn matches_exactly(&self, presented: &str) -> bool {
        self.0 == presented
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(r: RedirectUri) -> Self {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_must_be_absolute_without_fragment() {
        assert!(RedirectUri::parse("https://rp.test/cb").is_ok());
        assert!(RedirectUri::parse("com.example.app:/cb").is_ok());
        assert!(RedirectUri::parse("/cb").is_err());
        assert!(RedirectUri::parse("https://rp.test/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn redirect_uri_matches_only_the_exact_string() {
        let Ok(uri) = RedirectUri::parse("https://rp.test/cb") else {
            return;
        };
        assert!(uri.matches_exactly("https://rp.test/cb"));
        assert!(!uri.matches_exactly("https://rp.test/cb/"));
        assert!(!uri.matches_exactly("https://RP.test/cb"));
    }
}
