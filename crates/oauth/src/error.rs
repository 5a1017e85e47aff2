//! The one vocabulary of protocol error codes — RFC 6749 (token §5.2, authorization
//! §4.1.2.1 / §4.2.2.1), RFC 6750 §3.1 (bearer tokens), RFC 8628 §3.5 (device flow), RFC 8707
//! and OIDC Core §3.1.2.6 — and [`OAuthError`], the error a token, introspection or
//! revocation request gets: a code plus a description that is safe to show the client. The
//! cause of a failure goes to the log where it happens, never into this value.

use std::borrow::Cow;
use std::fmt;

/// Every protocol error code Keyward answers. No code is written as a bare string elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// RFC 6749 §5.2
    InvalidRequest,
    /// RFC 6749 §5.2
    InvalidClient,
    /// RFC 6749 §5.2
    InvalidGrant,
    /// RFC 6749 §5.2
    UnauthorizedClient,
    /// RFC 6749 §5.2
    UnsupportedGrantType,
    /// RFC 6749 §5.2
    InvalidScope,
    /// RFC 8707 §2: the `resource` names no resource this client's tokens may be for.
    InvalidTarget,
    /// RFC 6749 §4.1.2.1: an unexpected condition on the server.
    ServerError,
    /// RFC 6749 §4.1.2.1: a backend (database, cache) is unavailable; retrying may help.
    TemporarilyUnavailable,
    /// RFC 8628 §3.5: the user has not yet approved or denied the device request.
    AuthorizationPending,
    /// RFC 8628 §3.5: still pending, and the client polls too fast.
    SlowDown,
    /// RFC 8628 §3.5: the user denied the device request.
    AccessDenied,
    /// RFC 8628 §3.5: the device_code has expired.
    ExpiredToken,
    /// RFC 6749 §4.1.2.1: the authorization server does not support this response type.
    UnsupportedResponseType,
    /// OIDC Core §3.1.2.6: the user must interact (`prompt=none` could not be honoured).
    InteractionRequired,
    /// OIDC Core §3.1.2.6: the user must sign in (`prompt=none` without a session).
    LoginRequired,
    /// OIDC Core §3.1.2.6: the user must consent (`prompt=none` without a consent).
    ConsentRequired,
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6: the `registration` parameter is not supported.
    RegistrationNotSupported,
    /// RFC 6750 §3.1: the access token is expired, revoked, malformed or invalid.
    InvalidToken,
    /// RFC 6750 §3.1: the access token lacks a scope the resource needs.
    InsufficientScope,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    /// The status of a JSON error answer: RFC 6749 §5.2's 400, except 401 for a failed
    /// client authentication and RFC 6750 §3.1's 401 / 403 for bearer tokens; outages 5xx.
    /// (Authorization errors are redirected to the client and have no status of their own.)
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::InsufficientScope => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response. RFC 6749 §5.2
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
    status: u16,
    /// RFC 6749 §5.2: the client tried HTTP Basic, so the 401 carries `WWW-Authenticate: Basic`.
    basic_challenge: bool,
    /// RFC 9110 §10.2.3: seconds after which a refused request may be retried.
    retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            status: code.status(),
            basic_challenge: false,
            retry_after: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// An unexpected failure; the caller has logged the cause.
    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }

    /// A backend outage; the caller has logged the cause.
    pub fn temporarily_unavailable() -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable, try again",
        )
    }

    /// The path names no tenant: 404 with an `invalid_request` body, never a 500.
    pub fn unknown_tenant() -> Self {
        let mut e = Self::invalid_request("unknown tenant");
        e.status = 404;
        e
    }

    /// Marks a 401 as an answer to HTTP Basic credentials.
    pub fn with_basic_challenge(mut self, tried_basic: bool) -> Self {
        self.basic_challenge = tried_basic && self.code == ErrorCode::InvalidClient;
        self
    }

    /// Overrides the status (e.g. 413 for an oversized body), keeping the code.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Tells the client when to try again (`Retry-After`, in seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The `Retry-After` seconds, if the refusal is one to retry.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the response must carry `WWW-Authenticate: Basic realm="..."`.
    pub fn basic_challenge(&self) -> bool {
        self.basic_challenge
    }

    /// The JSON body. RFC 6749 §5.2
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_and_others_400() {
        assert_eq!(OAuthError::invalid_client("x").status(), 401);
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidGrant,
            ErrorCode::UnauthorizedClient,
            ErrorCode::UnsupportedGrantType,
            ErrorCode::InvalidScope,
        ] {
            assert_eq!(OAuthError::new(code, "x").status(), 400, "{code}");
        }
        assert_eq!(OAuthError::unknown_tenant().status(), 404);
        assert_eq!(
            OAuthError::unknown_tenant().code(),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn basic_challenge_applies_only_to_invalid_client() {
        assert!(
            OAuthError::invalid_client("x")
                .with_basic_challenge(true)
                .basic_challenge()
        );
        assert!(
            !OAuthError::invalid_grant("x")
                .with_basic_challenge(true)
                .basic_challenge()
        );
        assert!(
            !OAuthError::invalid_client("x")
                .with_basic_challenge(false)
                .basic_challenge()
        );
    }

    #[test]
    fn json_body_names_code_and_description() {
        let body = OAuthError::invalid_scope("too wide").to_json();
        assert_eq!(body["error"], "invalid_scope");
        assert_eq!(body["error_description"], "too wide");
    }
}
