//! An error whose eventual response gets extra headers.
//!
//! A middleware that receives `Err` from the service it wraps cannot build the response itself
//! (the request is gone, and cloning it before routing would break routing). It wraps the error
//! instead; actix turns it into a response at the edge and the headers are added then.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{Error, HttpResponse, ResponseError};

/// `inner`'s response, passed through `decorate` before it is sent.
pub(crate) struct DecoratedError<F> {
    inner: Error,
    decorate: F,
}

impl<F> DecoratedError<F>
where
    F: Fn(&mut HeaderMap) + 'static,
{
    /// Wraps `inner` into an actix error whose response `decorate` completes.
    pub(crate) fn wrap(inner: Error, decorate: F) -> Error {
        Error::from(Self { inner, decorate })
    }
}

impl<F> fmt::Debug for DecoratedError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<F> fmt::Display for DecoratedError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl<F> ResponseError for DecoratedError<F>
where
    F: Fn(&mut HeaderMap),
{
    fn status_code(&self) -> StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.inner.error_response();
        (self.decorate)(res.headers_mut());
        res
    }
}
