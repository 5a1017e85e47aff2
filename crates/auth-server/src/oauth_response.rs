//! The one mapping from the protocol engine's results to HTTP: RFC 6749 §5.1 / §5.2 JSON
//! bodies, `Cache-Control: no-store`, and the Basic challenge of a failed client authentication.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};
use keyward_core::TenantSlug;
use keyward_oauth::OAuthError;
use serde::Serialize;

/// RFC 6749 §5.1: token responses (and, here, every answer carrying token data) are not cached.
fn no_store(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// 200 with a JSON body that must not be cached. RFC 6749 §5.1
pub fn json<T: Serialize>(body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => no_store(StatusCode::OK)
            .content_type("application/json")
            .body(bytes),
        Err(e) => error(&internal(e), None),
    }
}

fn internal(e: serde_json::Error) -> OAuthError {
    tracing::error!(error = %e, "serialising a response failed");
    OAuthError::server_error()
}

/// RFC 6749 §5.2: the JSON error, 401 + `WWW-Authenticate: Basic realm="{tenant}"` when the
/// client tried HTTP Basic. `tenant` names the realm.
pub fn error(err: &OAuthError, tenant: Option<&str>) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut builder = no_store(status);
    if err.basic_challenge() {
        let realm = tenant
            .filter(|t| TenantSlug::parse(t).is_ok())
            .unwrap_or("keyward");
        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
            builder.insert_header((header::WWW_AUTHENTICATE, value));
        }
    }
    if let Some(seconds) = err.retry_after() {
        builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    builder
        .content_type("application/json")
        .body(err.to_json().to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn failed_basic_authentication_is_401_with_a_challenge_naming_the_tenant() {
        let err = OAuthError::invalid_client("no").with_basic_challenge(true);
        let res = error(&err, Some("acme"));
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Basic realm=\"acme\""
        );
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        let odd = error(&err, Some("a\"b"));
        assert_eq!(
            odd.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Basic realm=\"keyward\"",
            "no header injection"
        );
    }

    #[test]
    fn other_errors_carry_no_challenge_and_keep_their_status() {
        let res = error(&OAuthError::invalid_grant("no"), Some("acme"));
        assert_eq!(res.status(), 400);
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(error(&OAuthError::unknown_tenant(), None).status(), 404);
    }

    #[test]
    fn a_refusal_to_retry_carries_retry_after() {
        let busy = OAuthError::temporarily_unavailable().with_retry_after(1);
        let res = error(&busy, Some("acme"));
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let other = error(&OAuthError::temporarily_unavailable(), Some("acme"));
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn success_is_json_and_not_cacheable() {
        let res = json(&serde_json::json!({ "access_token": "x" }));
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get(header::PRAGMA).unwrap(), "no-cache");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
}
