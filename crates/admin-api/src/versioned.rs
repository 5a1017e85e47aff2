//! ETag on reads of one resource and If-Match on writes (RFC 9110 §8.8.3, §13.1.1).

use actix_web::http::header::{ETAG, IF_MATCH};
use actix_web::{HttpRequest, HttpResponse};
use keyward_admin::Version;
use serde::Serialize;

/// 200 with the resource and its ETag.
pub fn ok<T: Serialize>(body: &T, version: &Version) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((ETAG, format!("\"{}\"", version.as_str())))
        .json(body)
}

/// 201 with the resource and its ETag.
pub fn created<T: Serialize>(body: &T, version: &Version) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((ETAG, format!("\"{}\"", version.as_str())))
        .json(body)
}

/// The request's If-Match value, if any.
pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
