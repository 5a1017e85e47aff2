//! RFC 6750: bearer tokens at protected resources — where the token is found (§2.1 header,
//! §2.2 form body), why a request fails (§3.1) and the `WWW-Authenticate` challenge (§3).
//! Userinfo and the admin API both answer with these.

use crate::error::ErrorCode;
use crate::params::FormParams;

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

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Missing | Self::Unavailable => None,
            Self::InvalidRequest(_) => Some(ErrorCode::InvalidRequest),
            Self::InvalidToken(_) => Some(ErrorCode::InvalidToken),
            Self::InsufficientScope => Some(ErrorCode::InsufficientScope),
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
        let scope = matches!(self, Self::InsufficientScope).then_some("openid");
        challenge(realm, self.code().map(|c| (c, self.description())), scope)
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

/// RFC 6750 §3: `Bearer realm="…"`, with `error` and `error_description` when the request
/// carried a token, and `scope` when one is missing. Quotes and backslashes are dropped from
/// the values, so the header cannot be broken out of.
pub fn challenge(realm: &str, error: Option<(ErrorCode, &str)>, scope: Option<&str>) -> String {
    let clean = |v: &str| v.replace(['"', '\\'], "");
    let mut value = format!("Bearer realm=\"{}\"", clean(realm));
    if let Some((code, description)) = error {
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            clean(description)
        ));
    }
    if let Some(scope) = scope {
        value.push_str(&format!(", scope=\"{}\"", clean(scope)));
    }
    value
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
        assert_eq!(
            BearerError::InsufficientScope.challenge("r"),
            "Bearer realm=\"r\", error=\"insufficient_scope\", \
             error_description=\"the access token lacks the openid scope\", scope=\"openid\""
        );
        assert_eq!(
            challenge("a\"b", Some((ErrorCode::InvalidToken, "x")), None),
            "Bearer realm=\"ab\", error=\"invalid_token\", error_description=\"x\"",
            "no header injection"
        );
    }
}
