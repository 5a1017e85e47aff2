//! RFC 6749 §4.1.2.1 / §4.2.2.1 and OIDC Core §3.1.2.6: the errors an authorization request
//! answers by redirecting back to the client, with codes from the one [`ErrorCode`].

use std::borrow::Cow;

use crate::error::{ErrorCode, OAuthError};

/// An authorization error: a code and a description safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
}

impl AuthorizeError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
}

impl From<OAuthError> for AuthorizeError {
    fn from(e: OAuthError) -> Self {
        // Only the codes RFC 6749 §4.1.2.1 lets an authorization response carry.
        let code = match e.code() {
            code @ (ErrorCode::InvalidScope
            | ErrorCode::UnauthorizedClient
            | ErrorCode::TemporarilyUnavailable
            | ErrorCode::InvalidRequest) => code,
            _ => ErrorCode::ServerError,
        };
        Self::new(code, e.description().to_owned())
    }
}
