//! RFC 9457 problem details (`application/problem+json`), the error body of the admin API and
//! of every route that matches nothing.

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use serde::{Deserialize, Serialize};

/// The media type of a problem document. RFC 9457 §3
pub const CONTENT_TYPE: &str = "application/problem+json";

/// One invalid input field of a request, named as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, as a JSON pointer or form name (`redirect_uris/0`, `email`).
    pub field: String,
    /// What is wrong with it, safe to show to the client.
    pub message: String,
}

/// A problem details document. RFC 9457 §3.1
///
/// Carries only what is safe for the client: the cause of a failure goes to the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the problem type; `about:blank` when the status says it all. RFC 9457 §3.1.1
    pub r#type: String,
    /// A short summary of the problem type. RFC 9457 §3.1.4
    pub title: String,
    /// The HTTP status code. RFC 9457 §3.1.2
    pub status: u16,
    /// An explanation of this occurrence. RFC 9457 §3.1.4
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI reference for this occurrence (usually the request path). RFC 9457 §3.1.5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Invalid fields of the request (an extension member). RFC 9457 §3.2
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// An `about:blank` problem whose title is the status's reason phrase.
    pub fn new(status: StatusCode) -> Self {
        Self {
            r#type: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    /// 404 Not Found.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND)
    }

    /// 405 Method Not Allowed.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED)
    }

    /// 422 Unprocessable Content with the given field errors.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY)
            .with_detail("The request has invalid fields.")
            .with_errors(errors)
    }

    /// Sets the problem type URI and its title.
    pub fn with_type(mut self, r#type: impl Into<String>, title: impl Into<String>) -> Self {
        self.r#type = r#type.into();
        self.title = title.into();
        self
    }

    /// Sets the explanation of this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the URI reference of this occurrence.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds one invalid field.
    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// Adds several invalid fields.
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = FieldError>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// The status as an HTTP status code; an out-of-range `status` answers 500.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The problem as an `application/problem+json` response.
    pub fn to_response(&self) -> HttpResponse {
        match serde_json::to_vec(self) {
            Ok(body) => HttpResponse::build(self.status_code())
                .content_type(CONTENT_TYPE)
                .body(body),
            Err(err) => {
                tracing::error!(error = %err, "serializing a problem document failed");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}

impl Responder for Problem {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.to_response()
    }
}

/// Default service for routes that match nothing: a 404 problem naming the path
/// (`App::default_service(web::to(not_found))`).
pub async fn not_found(req: HttpRequest) -> Problem {
    Problem::not_found().with_instance(req.path())
}

/// Default service of a resource whose routes reject the method: a 405 problem naming the path
/// (`web::resource(..).default_service(web::to(method_not_allowed))`). The `Allow` header is the
/// resource's to add, since only it knows its routes; see [`method_not_allowed_allowing`].
pub async fn method_not_allowed(req: HttpRequest) -> Problem {
    Problem::method_not_allowed().with_instance(req.path())
}

/// A 405 problem response naming the path and listing the allowed methods in `Allow`
/// (RFC 9110 §15.5.6 requires the header).
pub fn method_not_allowed_allowing(req: &HttpRequest, allowed: &[&str]) -> HttpResponse {
    let mut res = Problem::method_not_allowed()
        .with_instance(req.path())
        .to_response();
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut().insert(ALLOW, value);
    }
    res
}
