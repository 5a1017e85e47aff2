//! Grant types and token endpoint authentication methods, named as the RFCs name them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParseError;

/// RFC 6749 §4 / RFC 8628 §3.4: the grant types a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GrantType {
    AuthorizationCode,
    Implicit,
    ClientCredentials,
    Password,
    RefreshToken,
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        Self::AuthorizationCode,
        Self::Implicit,
        Self::ClientCredentials,
        Self::Password,
        Self::RefreshToken,
        Self::DeviceCode,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }
}

impl FromStr for GrantType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let found = Self::ALL.into_iter().find(|g| g.as_str() == s);
        // `device_code` is accepted as a short form on the CLI and admin API.
        let found = found.or((s == "device_code").then_some(Self::DeviceCode));
        found.ok_or_else(|| ParseError::new("grant_type", format!("unknown grant type {s:?}")))
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for GrantType {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<GrantType> for String {
    fn from(g: GrantType) -> Self {
        g.as_str().to_owned()
    }
}

/// OIDC Core §9 / RFC 7591 §2: how a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TokenEndpointAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl TokenEndpointAuthMethod {
    pub const ALL: [TokenEndpointAuthMethod; 4] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Whether the client holds a shared secret issued by Keyward.
    pub fn uses_secret(&self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

impl FromStr for TokenEndpointAuthMethod {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseError::new("auth_method", format!("unknown auth method {s:?}")))
    }
}

impl fmt::Display for TokenEndpointAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for TokenEndpointAuthMethod {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TokenEndpointAuthMethod> for String {
    fn from(m: TokenEndpointAuthMethod) -> Self {
        m.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types_round_trip_through_their_rfc_names() {
        for g in GrantType::ALL {
            assert_eq!(g.as_str().parse::<GrantType>().ok(), Some(g));
        }
        assert_eq!(
            "device_code".parse::<GrantType>().ok(),
            Some(GrantType::DeviceCode)
        );
        assert!("magic".parse::<GrantType>().is_err());
    }

    #[test]
    fn auth_methods_round_trip() {
        for m in TokenEndpointAuthMethod::ALL {
            assert_eq!(m.as_str().parse::<TokenEndpointAuthMethod>().ok(), Some(m));
        }
        assert!(
            "client_secret_jwt"
                .parse::<TokenEndpointAuthMethod>()
                .is_err()
        );
    }
}
