//! Request ids: one id per request, taken from a trusted-looking `X-Request-Id` or generated,
//! carried in the request extensions, echoed on every response and recorded on a tracing span.
//!
//! The incoming header is accepted only when it is a short token, so a caller cannot inject
//! log lines or oversized values through it.

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use futures::future::{Ready, ready};
use tracing::Instrument;
use uuid::Uuid;

use crate::decorated_error::DecoratedError;
use crate::metrics::UNMATCHED;

/// The header that carries the request id, in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming request id that is accepted as is.
pub const MAX_LEN: usize = 128;

/// The id of one request: a short token of `[A-Za-z0-9._-]`.
///
/// Handlers take it as an extractor (`id: RequestId`); it is always present once the
/// [`request_id`] middleware is mounted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// Accepts `value` when it is 1..=128 characters of `[A-Za-z0-9._-]`.
    pub fn parse(value: &str) -> Option<Self> {
        let sane = !value.is_empty()
            && value.len() <= MAX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        sane.then(|| Self(value.to_owned()))
    }

    /// A fresh, time-ordered id (UUIDv7), so ids sort like the log lines that carry them.
    pub fn generate() -> Self {
        Self(Uuid::now_v7().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id taken from the request headers when sane, a generated one otherwise.
    fn from_headers(req: &ServiceRequest) -> Self {
        req.headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(Self::parse)
            .unwrap_or_else(Self::generate)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    /// Reads the id the middleware stored. Without the middleware (a wiring mistake) a fresh
    /// id is generated and stored, so every extraction within one request still agrees.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(id) = req.extensions().get::<RequestId>() {
            return ready(Ok(id.clone()));
        }
        let id = Self::generate();
        req.extensions_mut().insert(id.clone());
        ready(Ok(id))
    }
}

/// Middleware (mount with `actix_web::middleware::from_fn(request_id)`, outermost): assigns the
/// request id, runs the request inside an INFO span carrying method, path and id, logs status,
/// matched route and latency when the response is ready, and sets `X-Request-Id` on every
/// response, error responses and 404s included.
pub async fn request_id<B>(req: ServiceRequest, next: Next<B>) -> Result<ServiceResponse<B>, Error>
where
    B: MessageBody + 'static,
{
    let id = RequestId::from_headers(&req);
    req.extensions_mut().insert(id.clone());

    // The path is logged without its query string: queries may carry codes and tokens.
    let span = tracing::info_span!(
        "http_request",
        method = %req.method(),
        path = %req.path(),
        request_id = %id,
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;

    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, route) = match &result {
        Ok(res) => (res.status(), res.request().match_pattern()),
        Err(err) => (err.as_response_error().status_code(), None),
    };
    let status = status.as_u16();
    let route = route.unwrap_or_else(|| UNMATCHED.to_owned());
    span.record("route", route.as_str());
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    span.in_scope(|| tracing::info!(status, route, latency_ms, "request completed"));

    let value = HeaderValue::from_str(id.as_str()).ok();
    let set_header = move |headers: &mut HeaderMap| {
        if let Some(value) = &value {
            headers.insert(REQUEST_ID_HEADER, value.clone());
        }
    };
    match result {
        Ok(mut res) => {
            set_header(res.headers_mut());
            Ok(res)
        }
        Err(err) => Err(DecoratedError::wrap(err, set_header)),
    }
}
