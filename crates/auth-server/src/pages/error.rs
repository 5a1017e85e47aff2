//! The hosted error page: for requests that cannot be sent back to a client (unknown client,
//! unregistered redirect URI, an expired sign-in), told in plain words.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use keyward_core::Tenant;

use super::headers;
use super::layout::{escape, render};

/// A readable error page with the tenant's branding (when the tenant is known).
pub fn error_page(
    tenant: Option<&Tenant>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> HttpResponse {
    let nonce = headers::nonce();
    let body = format!(
        r#"<h1>{}</h1>
<p role="alert">{}</p>"#,
        escape(title),
        escape(message)
    );
    headers::html(status, &nonce, &[], render(tenant, title, &body, &nonce))
}

/// The interaction is unknown, expired or of another tenant.
pub fn expired_interaction(tenant: Option<&Tenant>) -> HttpResponse {
    error_page(
        tenant,
        StatusCode::BAD_REQUEST,
        "Sign-in request expired",
        "This sign-in request has expired. Go back to the application and try again.",
    )
}

/// The form did not carry a valid CSRF token.
pub fn forbidden_form(tenant: Option<&Tenant>) -> HttpResponse {
    error_page(
        tenant,
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form could not be accepted. Reload the page and try again.",
    )
}

/// A form whose CSRF token is genuine but past its lifetime.
pub fn expired_form(tenant: Option<&Tenant>) -> HttpResponse {
    error_page(
        tenant,
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form was open too long and has expired. Reload the page and try again.",
    )
}

/// A backend failed; the cause is logged by the caller.
pub fn unavailable(tenant: Option<&Tenant>) -> HttpResponse {
    error_page(
        tenant,
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The service is temporarily unavailable. Please try again in a moment.",
    )
}
