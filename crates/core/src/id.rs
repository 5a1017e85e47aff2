//! Identifiers. Each is parsed once at the edge and carried typed from then on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| ParseError::new($field, "must be a UUID"))
            }
        }
    };
}

uuid_id!(
    /// The internal id of a tenant; every tenant-owned row carries it.
    TenantId,
    "tenant_id"
);
uuid_id!(
    /// The internal id of an end user, unique across tenants.
    UserId,
    "user_id"
);

/// The URL-safe name of a tenant: its issuer is `{public_url}/t/{slug}`.
///
/// 1–63 characters of `a-z`, `0-9` and `-`, starting with a letter or digit and not ending in `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);

impl TenantSlug {
    /// The slug of the platform's own tenant, which holds the administrators.
    pub const SYSTEM: &'static str = "system";

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let valid_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if s.is_empty() || s.len() > 63 {
            return Err(ParseError::new("slug", "must be 1 to 63 characters long"));
        }
        if !valid_chars {
            return Err(ParseError::new(
                "slug",
                "may contain only lowercase letters, digits and '-'",
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(ParseError::new("slug", "may not start or end with '-'"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantSlug {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TenantSlug> for String {
    fn from(s: TenantSlug) -> Self {
        s.0
    }
}

/// RFC 6749 §2.2: the client identifier, unique within its tenant.
///
/// Printable ASCII (VSCHAR, %x20-7E without space here), 1–255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() || s.len() > 255 {
            return Err(ParseError::new(
                "client_id",
                "must be 1 to 255 characters long",
            ));
        }
        if !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ParseError::new(
                "client_id",
                "must be printable ASCII without spaces",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// A fresh random client id (128 bits, URL-safe). It never starts with `-` or `_`, so it
    /// can be passed to command-line tools as a plain argument without reading as an option.
    pub fn generate() -> Self {
        loop {
            let id = crate::secret::random_token(16);
            if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return Self(id);
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClientId {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ClientId> for String {
    fn from(c: ClientId) -> Self {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_lowercase_digits_and_dashes() {
        assert!(TenantSlug::parse("acme-2").is_ok());
        assert!(TenantSlug::parse("Acme").is_err());
        assert!(TenantSlug::parse("-acme").is_err());
        assert!(TenantSlug::parse("acme-").is_err());
        assert!(TenantSlug::parse("").is_err());
        assert!(TenantSlug::parse(&"a".repeat(64)).is_err());
        assert!(TenantSlug::parse("a/b").is_err());
    }

    #[test]
    fn client_id_refuses_spaces_and_control_characters() {
        assert!(ClientId::parse("abc DEF").is_err());
        assert!(ClientId::parse("abc\n").is_err());
        assert!(ClientId::parse("svc-1").is_ok());
        for _ in 0..200 {
            let id = ClientId::generate();
            assert_eq!(id.as_str().len(), 22);
            assert!(
                id.as_str().starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{id}"
            );
        }
    }

    #[test]
    fn tenant_id_round_trips_through_text() {
        let id = TenantId::generate();
        assert_eq!(id.to_string().parse::<TenantId>().ok(), Some(id));
        assert!("nope".parse::<TenantId>().is_err());
    }
}
