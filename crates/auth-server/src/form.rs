//! Reading an `application/x-www-form-urlencoded` request body (RFC 6749 §3.2), bounded in
//! size. Every refusal is an OAuth `invalid_request`, never a framework error page.

use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use actix_web::HttpRequest;
use keyward_oauth::OAuthError;

/// Far more than any token, introspection or revocation request needs.
pub const MAX_BODY: usize = 16 * 1024;

fn too_large() -> OAuthError {
    OAuthError::invalid_request("the request body is too large").with_status(413)
}

/// The body, if the request is form-urlencoded and at most [`MAX_BODY`] bytes.
pub async fn read(req: &HttpRequest, payload: Payload) -> Result<Bytes, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "reading a request body failed");
            Err(OAuthError::invalid_request("the request body could not be read"))
        }
        Err(_) => Err(too_large()),
    }
}
