//! RFC 6749 §4.1.2.1 / §4.2.2.1 and OIDC Core §3.1.2.6: the errors an authorization request
//! answers by redirecting back to the client. They differ from the token endpoint's (§5.2).

use std::borrow::Cow;

use crate::error::{ErrorCode, OAuthError};

/// RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorizeErrorCode {
    /// RFC 6749 §4.1.2.1
    InvalidRequest,
    /// RFC 6749 §4.1.2.1
    UnauthorizedClient,
    /// RFC 6749 §4.1.2.1
    AccessDenied,
    /// RFC 6749 §4.1.2.1
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1
    InvalidScope,
    /// RFC 6749 §4.1.2.1
    ServerError,
    /// RFC 6749 §4.1.2.1
    TemporarilyUnavailable,
    /// OIDC Core §3.1.2.6
    InteractionRequired,
    /// OIDC Core §3.1.2.6
    LoginRequired,
    /// OIDC Core §3.1.2.6
    ConsentRequired,
    /// OIDC Core §3.1.2.6
    RequestNotSupported,
    /// OIDC Core §3.1.2.6
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6
    RegistrationNotSupported,
}

impl AuthorizeErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
        }
    }
}

/// An authorization error: a code and a description safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    pub code: AuthorizeErrorCode,
    pub description: Cow<'static, str>,
}

impl AuthorizeError {
    pub fn new(code: AuthorizeErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(AuthorizeErrorCode::InvalidRequest, description)
    }
}

impl From<OAuthError> for AuthorizeError {
    fn from(e: OAuthError) -> Self {
        let code = match e.code() {
            ErrorCode::InvalidScope => AuthorizeErrorCode::InvalidScope,
            ErrorCode::UnauthorizedClient => AuthorizeErrorCode::UnauthorizedClient,
            ErrorCode::TemporarilyUnavailable => AuthorizeErrorCode::TemporarilyUnavailable,
            ErrorCode::InvalidRequest => AuthorizeErrorCode::InvalidRequest,
            _ => AuthorizeErrorCode::ServerError,
        };
        Self::new(code, e.description().to_owned())
    }
}
