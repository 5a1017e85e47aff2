//! The hosted pages of a tenant: sign-in, consent, device verification, logout and the error
//! page, rendered on the server with the tenant's branding. Each page is a thin handler in its
//! own module; what they share — resolving the tenant, reading forms, CSRF, the pending
//! interaction — lives here.
//!
//! Helpers return `Result<_, HttpResponse>`: the error is the finished page to answer with,
//! built once on a cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod consent;
pub mod device;
pub mod error;
pub mod headers;
pub mod interaction;
pub mod layout;
pub mod login;
pub mod logout;

use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::Payload;
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::{Clock, EphemeralStore, Tenant};
use keyward_http::csrf::{CSRF_FIELD, Csrf, CsrfRefusal, CsrfScope};
use keyward_identity::PasswordLogin;
use keyward_oauth::ConsentStore;
use keyward_oauth::directory::TenantEntry;
use keyward_oauth::params::FormParams;

use crate::AuthServer;
use crate::backchannel_logout::BackchannelLogout;
use crate::session_cookie::tenant_path;
use layout::escape;

/// What the hosted pages need besides the token service and the sessions.
pub struct Pages {
    pub login: Arc<PasswordLogin>,
    pub consents: Arc<dyn ConsentStore>,
    /// Where interactions live (written by `/authorize`).
    pub cache: Arc<dyn EphemeralStore>,
    pub csrf: Csrf,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub backchannel: Arc<BackchannelLogout>,
    pub clock: Arc<dyn Clock>,
}

/// The tenant named in the path, or the page to answer with.
pub(crate) async fn tenant(
    server: &AuthServer,
    slug: &str,
) -> Result<Arc<TenantEntry>, HttpResponse> {
    match server.tokens.directory().tenant(slug).await {
        Ok(Some(entry)) => Ok(entry),
        Ok(None) => Err(error::error_page(
            None,
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no sign-in page at this address.",
        )),
        Err(e) => {
            tracing::error!(error = %e, "looking up a tenant failed");
            Err(error::unavailable(None))
        }
    }
}

/// The query parameters of a GET; malformed ones make a readable 400.
pub(crate) fn query(
    req: &HttpRequest,
    tenant: Option<&Tenant>,
) -> Result<FormParams, HttpResponse> {
    FormParams::parse(req.query_string().as_bytes())
        .map_err(|e| bad_request(tenant, e.description()))
}

/// A form body (bounded, urlencoded); anything else makes a readable 400.
pub(crate) async fn form(
    req: &HttpRequest,
    payload: Payload,
    tenant: &Tenant,
) -> Result<FormParams, HttpResponse> {
    let body = crate::form::read(req, payload)
        .await
        .map_err(|e| bad_request(Some(tenant), e.description()))?;
    FormParams::parse(&body).map_err(|e| bad_request(Some(tenant), e.description()))
}

fn bad_request(tenant: Option<&Tenant>, why: &str) -> HttpResponse {
    error::error_page(tenant, StatusCode::BAD_REQUEST, "Invalid request", why)
}

/// What a hosted form acts on. Its CSRF token is bound to it (and to the tenant), so a token
/// served for one sign-in request or session is refused for any other.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FormFor<'a> {
    /// Nobody in particular: a sign-in without a pending request, the device-code form.
    Anyone,
    /// The pending sign-in request (interaction) with this id.
    Interaction(&'a str),
    /// The signed-in session with this stored id.
    Session(&'a str),
    /// A pending request, decided by the signed-in session (consent).
    SessionInteraction(&'a str, &'a str),
}

impl FormFor<'_> {
    fn binding(&self) -> String {
        match self {
            Self::Anyone => String::new(),
            Self::Interaction(id) => format!("interaction:{id}"),
            Self::Session(id) => format!("session:{id}"),
            Self::SessionInteraction(session, interaction) => {
                format!("session:{session}|interaction:{interaction}")
            }
        }
    }
}

/// The hidden CSRF field of a form served to this browser, and the cookie to set with it.
pub(crate) fn csrf_field(
    pages: &Pages,
    req: &HttpRequest,
    tenant: &Tenant,
    form_for: FormFor<'_>,
) -> Result<(String, Option<Cookie<'static>>), HttpResponse> {
    let binding = form_for.binding();
    let scope = CsrfScope {
        tenant: tenant.id,
        binding: &binding,
    };
    match pages.csrf.token(
        req,
        &tenant_path(tenant),
        pages.secure_cookies,
        &scope,
        pages.clock.now(),
    ) {
        Ok(issued) => Ok((
            format!(
                r#"<input type="hidden" name="{CSRF_FIELD}" value="{}">"#,
                escape(&issued.token)
            ),
            issued.cookie,
        )),
        Err(e) => {
            tracing::error!(error = %e, "issuing a CSRF token failed");
            Err(error::unavailable(Some(tenant)))
        }
    }
}

/// Refuses a form without a live CSRF token of this browser, tenant and `form_for` (403 page).
pub(crate) fn check_csrf(
    pages: &Pages,
    req: &HttpRequest,
    form: &FormParams,
    tenant: &Tenant,
    form_for: FormFor<'_>,
) -> Result<(), HttpResponse> {
    let binding = form_for.binding();
    let scope = CsrfScope {
        tenant: tenant.id,
        binding: &binding,
    };
    match pages
        .csrf
        .verify(req, form.get(CSRF_FIELD), &scope, pages.clock.now())
    {
        Ok(()) => Ok(()),
        Err(CsrfRefusal::Expired) => Err(error::expired_form(Some(tenant))),
        Err(CsrfRefusal::Mismatch) => Err(error::forbidden_form(Some(tenant))),
    }
}

/// Adds `cookies` to `res`.
pub(crate) fn with_cookies(
    mut res: HttpResponse,
    cookies: impl IntoIterator<Item = Cookie<'static>>,
) -> HttpResponse {
    for cookie in cookies {
        if let Err(e) = res.add_cookie(&cookie) {
            tracing::error!(error = %e, "setting a cookie failed");
        }
    }
    res
}

/// Origins of `client`'s redirect URIs: the CSP must let a form's redirect chain reach them.
pub(crate) async fn client_origins(
    server: &AuthServer,
    tenant: &Tenant,
    client_id: &str,
) -> Vec<String> {
    match server.tokens.directory().client(tenant.id, client_id).await {
        Ok(Some(client)) => client
            .redirect_uris
            .iter()
            .chain(client.post_logout_redirect_uris.iter())
            .filter_map(|u| headers::origin(u.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}
