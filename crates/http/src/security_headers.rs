//! Security headers that every Keyward response carries unless the handler chose its own.
//!
//! `Referrer-Policy` defaults to `same-origin`, not `no-referrer`: the server-rendered console
//! posts forms to server functions, which answer with a redirect to the `Referer`; without a
//! same-origin referrer those forms would break.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, HeaderMap, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;

use crate::decorated_error::DecoratedError;

/// The default `Content-Security-Policy`: forbid framing, leave the rest to the page.
pub const DEFAULT_CSP: &str = "frame-ancestors 'none'";

/// The default `Referrer-Policy`.
pub const DEFAULT_REFERRER_POLICY: &str = "same-origin";

/// Adds the security headers the response does not set itself:
/// `X-Content-Type-Options: nosniff` (always), `Referrer-Policy: same-origin`,
/// `X-Frame-Options: DENY` and `Content-Security-Policy: frame-ancestors 'none'`.
pub fn apply(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let defaults = [
        (REFERRER_POLICY, DEFAULT_REFERRER_POLICY),
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

/// Middleware (mount with `actix_web::middleware::from_fn(security_headers)`): applies
/// [`apply`] to every response, including the ones built from errors.
pub async fn security_headers<B>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error>
where
    B: MessageBody + 'static,
{
    match next.call(req).await {
        Ok(mut res) => {
            apply(res.headers_mut());
            Ok(res)
        }
        Err(err) => Err(DecoratedError::wrap(err, apply)),
    }
}
