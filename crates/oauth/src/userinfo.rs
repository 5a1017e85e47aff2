//! OIDC Core §5.3: the userinfo endpoint. The access token (RFC 6750 §2.1 header or §2.2 form
//! body) must verify against the tenant's keys, be unexpired and unrevoked, and carry `openid`;
//! the answer is the user's `sub` (public or pairwise, as the client's ID tokens have it) and the
//! claims the token's scope releases (§5.4). Errors follow RFC 6750 §3.

use std::sync::Arc;

use keyward_core::{Scope, UserId};
use serde_json::{Map, Value};

use crate::access_token::{self, revoked_set};
use crate::claims::{UserClaims, released};
use crate::directory::TenantEntry;
use crate::params::FormParams;
use crate::subject::subject_for;
use crate::token_service::{TokenService, unavailable};

/// RFC 6750 §3.1: why a protected-resource request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// No token at all: 401 with a bare challenge (§3.1: no error code).
    Missing,
    /// RFC 6750 §3.1 `invalid_request` (400).
    InvalidRequest(&'static str),
    /// RFC 6750 §3.1 `invalid_token` (401).
    InvalidToken(&'static str),
    /// RFC 6750 §3.1 `insufficient_scope` (403).
    InsufficientScope,
    /// A backend failed (503); the cause is logged.
    Unavailable,
}

impl BearerError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Missing | Self::InvalidToken(_) => 401,
            Self::InvalidRequest(_) => 400,
            Self::InsufficientScope => 403,
            Self::Unavailable => 503,
        }
    }

    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Missing | Self::Unavailable => None,
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            Self::Missing => "an access token is required",
            Self::InvalidRequest(d) | Self::InvalidToken(d) => d,
            Self::InsufficientScope => "the access token lacks the openid scope",
            Self::Unavailable => "the service is temporarily unavailable",
        }
    }

    /// RFC 6750 §3: the `WWW-Authenticate` value (realm is the tenant's issuer).
    pub fn challenge(&self, realm: &str) -> String {
        let realm = realm.replace(['"', '\\'], "");
        match self.code() {
            None => format!("Bearer realm=\"{realm}\""),
            Some(code) => {
                let mut value = format!(
                    "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{}\"",
                    self.description()
                );
                if matches!(self, Self::InsufficientScope) {
                    value.push_str(", scope=\"openid\"");
                }
                value
            }
        }
    }
}

/// RFC 6750 §2.1–§2.2: the token from `Authorization: Bearer` or the form body's
/// `access_token`; using both, or a repeated parameter, is `invalid_request`.
pub fn bearer_token(
    authorization: Option<&str>,
    form_body: Option<&[u8]>,
) -> Result<String, BearerError> {
    let from_header = match authorization {
        Some(value) => {
            let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(BearerError::InvalidRequest(
                    "the Authorization scheme must be Bearer",
                ));
            }
            let token = token.trim();
            if token.is_empty() {
                return Err(BearerError::InvalidRequest(
                    "the Bearer credentials are empty",
                ));
            }
            Some(token.to_owned())
        }
        None => None,
    };
    let from_body = match form_body {
        Some(body) => FormParams::parse(body)
            .map_err(|_| BearerError::InvalidRequest("the request body is malformed"))?
            .get("access_token")
            .map(str::to_owned),
        None => None,
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(BearerError::InvalidRequest(
            "the access token was sent more than once",
        )),
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(BearerError::Missing),
    }
}

/// The userinfo endpoint of every tenant.
pub struct UserInfoEndpoint {
    tokens: Arc<TokenService>,
    users: Arc<dyn UserClaims>,
}

impl std::fmt::Debug for UserInfoEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfoEndpoint").finish_non_exhaustive()
    }
}

impl UserInfoEndpoint {
    pub fn new(tokens: Arc<TokenService>, users: Arc<dyn UserClaims>) -> Self {
        Self { tokens, users }
    }

    /// OIDC Core §5.3.2: the claims about the token's user.
    pub async fn userinfo(&self, tenant: &TenantEntry, token: &str) -> Result<Value, BearerError> {
        let invalid =
            || BearerError::InvalidToken("the access token is invalid, expired or revoked");
        let keys = self
            .tokens
            .tenant_keys(tenant.tenant.id)
            .await
            .map_err(|_| BearerError::Unavailable)?;
        let now = self.tokens.clock.now();
        let verified = access_token::verify(token, tenant, &keys, now).ok_or_else(invalid)?;
        let revoked = self
            .tokens
            .cache
            .is_revoked(&revoked_set(tenant.tenant.id), &verified.jti)
            .await
            .map_err(|e| {
                unavailable("checking the revoked set", e);
                BearerError::Unavailable
            })?;
        if revoked {
            return Err(invalid());
        }
        let scope = verified
            .claims
            .get("scope")
            .and_then(Value::as_str)
            .and_then(|s| Scope::parse(s).ok())
            .unwrap_or_default();
        if !scope.contains("openid") {
            return Err(BearerError::InsufficientScope);
        }
        // A client_credentials token's subject is a client, not a user.
        let user: UserId = verified
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(invalid)?;
        let client = self
            .tokens
            .directory
            .client(tenant.tenant.id, &verified.client_id)
            .await
            .map_err(|e| {
                unavailable("looking up the client", e);
                BearerError::Unavailable
            })?
            .ok_or_else(invalid)?;
        let claims = self
            .users
            .claims(tenant.tenant.id, user)
            .await
            .map_err(|e| {
                unavailable("reading the user's claims", e);
                BearerError::Unavailable
            })?
            .ok_or_else(invalid)?;
        let mut answer = Map::new();
        answer.insert(
            "sub".to_owned(),
            Value::String(subject_for(tenant.tenant.id, &client, &user.to_string())),
        );
        answer.extend(released(&claims, &scope));
        Ok(Value::Object(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_comes_from_header_or_body_but_not_both() {
        assert_eq!(bearer_token(Some("Bearer abc"), None), Ok("abc".to_owned()));
        assert_eq!(
            bearer_token(Some("bearer abc"), Some(b"x=1")),
            Ok("abc".to_owned())
        );
        assert_eq!(
            bearer_token(None, Some(b"access_token=abc")),
            Ok("abc".to_owned())
        );
        assert!(matches!(
            bearer_token(Some("Bearer a"), Some(b"access_token=b")),
            Err(BearerError::InvalidRequest(_))
        ));
        assert!(matches!(
            bearer_token(Some("Basic a"), None),
            Err(BearerError::InvalidRequest(_))
        ));
        assert_eq!(bearer_token(None, None), Err(BearerError::Missing));
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        assert_eq!(
            BearerError::Missing.challenge("https://id.test/t/a"),
            "Bearer realm=\"https://id.test/t/a\""
        );
        let bad = BearerError::InvalidToken("x").challenge("r");
        assert!(bad.contains("error=\"invalid_token\""));
        assert_eq!(BearerError::InvalidToken("x").status(), 401);
        assert_eq!(BearerError::InsufficientScope.status(), 403);
    }
}
