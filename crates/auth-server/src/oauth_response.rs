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
        Ok(bytes) => no_store(StatusCode::OK).content_type("application/json").body(bytes),
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
        let realm = tenant.filter(|t| TenantSlug::parse(t).is_ok()).unwrap_or("keyward");
        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
            builder.insert_header((header::WWW_AUTHENTICATE, value));
        }
    }
    builder.content_type("application/json").body(err.to_json().to_string())
}
