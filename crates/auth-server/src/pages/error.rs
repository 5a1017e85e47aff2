//! The hosted error page: for requests that cannot be sent back to a client (unknown client,
//! unregistered redirect URI, an expired sign-in), told in plain words. It is a value: a
//! handler or an extractor returns `Err(ErrorPage)` and actix renders it (`ResponseError`).

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use keyward_core::Tenant;
use leptos::prelude::*;

use super::page::Page;

/// A readable error page with the tenant's branding (when the tenant is known).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    tenant: Option<Tenant>,
    status: StatusCode,
    title: &'static str,
    message: Cow<'static, str>,
}

impl ErrorPage {
    pub fn new(
        tenant: Option<&Tenant>,
        status: StatusCode,
        title: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            tenant: tenant.cloned(),
            status,
            title,
            message: message.into(),
        }
    }

    /// A 400 "Invalid request" saying `why`.
    pub fn invalid_request(tenant: Option<&Tenant>, why: impl Into<Cow<'static, str>>) -> Self {
        Self::new(tenant, StatusCode::BAD_REQUEST, "Invalid request", why)
    }

    /// No tenant of that name.
    pub fn unknown_tenant() -> Self {
        Self::new(
            None,
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no sign-in page at this address.",
        )
    }

    /// The interaction is unknown, expired or of another tenant.
    pub fn expired_interaction(tenant: Option<&Tenant>) -> Self {
        Self::new(
            tenant,
            StatusCode::BAD_REQUEST,
            "Sign-in request expired",
            "This sign-in request has expired. Go back to the application and try again.",
        )
    }

    /// The form did not carry a valid CSRF token.
    pub fn forbidden_form(tenant: Option<&Tenant>) -> Self {
        Self::new(
            tenant,
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form could not be accepted. Reload the page and try again.",
        )
    }

    /// A form whose CSRF token is genuine but past its lifetime.
    pub fn expired_form(tenant: Option<&Tenant>) -> Self {
        Self::new(
            tenant,
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form was open too long and has expired. Reload the page and try again.",
        )
    }

    /// A backend failed; the cause is logged by the caller.
    pub fn unavailable(tenant: Option<&Tenant>) -> Self {
        Self::new(
            tenant,
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "The service is temporarily unavailable. Please try again in a moment.",
        )
    }

    /// The page to send.
    pub fn page(&self) -> Page {
        let title = self.title;
        let message = self.message.to_string();
        Page::new(
            self.tenant.as_ref(),
            self.status,
            title,
            view! {
                <h1>{title}</h1>
                <p role="alert">{message}</p>
            },
        )
    }
}

impl fmt::Display for ErrorPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.message)
    }
}

impl ResponseError for ErrorPage {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.page().into_response()
    }
}

impl From<ErrorPage> for HttpResponse {
    fn from(page: ErrorPage) -> Self {
        page.error_response()
    }
}
