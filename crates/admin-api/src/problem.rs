//! The one mapping from admin errors to RFC 9457 problem documents, and problem answers for
//! bodies, queries and paths that do not parse.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, error, web};
use keyward_admin::AdminError;
use keyward_http::{FieldError, Problem};

/// The body of every error answer, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemDocument {
    /// A URI naming the problem type.
    r#type: String,
    title: String,
    status: u16,
    detail: Option<String>,
    instance: Option<String>,
    /// Invalid fields of the request.
    errors: Option<Vec<FieldErrorDocument>>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDocument {
    field: String,
    message: String,
}

pub fn from_admin(err: AdminError) -> Problem {
    match err {
        AdminError::Denied(denied) => {
            if denied.is_engine_failure() {
                tracing::error!(error = %denied, source = ?std::error::Error::source(&denied), "authorization engine failed");
            }
            Problem::new(StatusCode::FORBIDDEN).with_detail("You may not do this in this tenant.")
        }
        AdminError::NotFound => Problem::not_found(),
        AdminError::Invalid(errors) => Problem::invalid_fields(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        ),
        AdminError::Conflict(what) => Problem::new(StatusCode::CONFLICT).with_detail(what),
        AdminError::Stale => Problem::new(StatusCode::PRECONDITION_FAILED)
            .with_detail("The resource changed since you read it: read it again (If-Match)."),
        AdminError::Store(why) => {
            tracing::error!(error = %why, "admin API: storage failed");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("Storage is unavailable; try again.")
        }
        AdminError::Internal(why) => {
            tracing::error!(error = %why, "admin API: internal failure");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(256 * 1024)
        .error_handler(|err, _req| {
            let problem = match &err {
                error::JsonPayloadError::ContentType => {
                    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                        .with_detail("Send application/json.")
                }
                error::JsonPayloadError::Overflow { .. }
                | error::JsonPayloadError::OverflowKnownLength { .. } => {
                    Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                }
                error::JsonPayloadError::Deserialize(e) if e.is_data() => {
                    Problem::invalid_fields(vec![FieldError {
                        field: "body".into(),
                        message: e.to_string(),
                    }])
                }
                other => Problem::new(StatusCode::BAD_REQUEST)
                    .with_detail(format!("The body is not valid JSON: {other}")),
            };
            error::InternalError::from_response(err, problem.to_response()).into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let problem = Problem::new(StatusCode::BAD_REQUEST)
            .with_detail("The query string is invalid.")
            .with_field_error("query", err.to_string());
        error::InternalError::from_response(err, problem.to_response()).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let response = Problem::not_found().to_response();
        error::InternalError::from_response(err, response).into()
    })
}

/// A problem as a response.
pub fn respond(err: AdminError) -> HttpResponse {
    from_admin(err).to_response()
}
