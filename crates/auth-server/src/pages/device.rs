//! GET/POST {issuer}/device and POST {issuer}/device/decision: the verification page of the
//! device authorization grant (RFC 8628 §3.3). The person types the code their device shows
//! (or arrives with it from `verification_uri_complete`), signs in if needed, sees which
//! client asks for what — with the code to compare against the device's (§5.4) — and approves
//! or denies. Code look-ups are throttled per address (§5.1: user codes are guessable in
//! principle, so guessing must be slow).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::Tenant;
use keyward_oauth::authorize::AuthenticatedSubject;
use keyward_oauth::device_authorization::{DecisionOutcome, DeviceRequest};
use keyward_oauth::directory::TenantEntry;

use super::consent::describe;
use super::layout::{escape, render};
use super::{FormFor, check_csrf, csrf_field, error, headers, with_cookies};
use crate::AuthServer;
use crate::session_cookie::current_session;

pub const UNKNOWN_CODE: &str =
    "That code is not valid or has expired. Check the code on your device and try again.";
pub const THROTTLED: &str = "Too many attempts. Please wait a few minutes and try again.";
/// Code look-ups allowed per address and tenant in [`LOOKUP_WINDOW`].
const LOOKUP_LIMIT: u64 = 30;
const LOOKUP_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where a signed-out person goes: the sign-in page, then back here with the code.
fn login_location(tenant: &Tenant, user_code: &str) -> String {
    let back = format!("/t/{}/device?user_code={user_code}", tenant.slug);
    let encoded: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    format!("/t/{}/login?return_to={encoded}", tenant.slug)
}

fn page(tenant: &Tenant, status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let nonce = headers::nonce();
    headers::html(
        status,
        &nonce,
        &[],
        render(Some(tenant), title, body, &nonce),
    )
}

/// The form to type a code into, with `message` above it. It only looks a code up (the
/// decision is a form of its own, bound to the session), so its token is nobody's in
/// particular.
fn entry_form(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    prefill: &str,
    message: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (csrf, cookie) = match csrf_field(&server.pages, req, tenant, FormFor::Anyone) {
        Ok(field) => field,
        Err(res) => return res,
    };
    let message = message
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
{message}
<form method="post" action="/t/{slug}/device">
{csrf}
<label for="user_code">Code from your device</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required placeholder="XXXX-XXXX" value="{prefill}">
<button class="primary" type="submit">Continue</button>
</form>"#,
        slug = escape(tenant.slug.as_str()),
        prefill = escape(prefill),
    );
    with_cookies(page(tenant, status, "Connect a device", &body), cookie)
}

/// What the device asks for, with Approve and Deny, for the signed-in session `subject`.
fn confirmation(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    request: &DeviceRequest,
    subject: &AuthenticatedSubject,
) -> HttpResponse {
    let form_for = FormFor::Session(&subject.session_id);
    let (csrf, cookie) = match csrf_field(&server.pages, req, tenant, form_for) {
        Ok(field) => field,
        Err(res) => return res,
    };
    let items: String = request
        .scope
        .tokens()
        .map(|s| format!("<li>{}</li>\n", escape(&describe(s))))
        .collect();
    let body = format!(
        r#"<h1>Connect this device?</h1>
<p><strong>{client}</strong> would like to:</p>
<ul class="scopes">
{items}</ul>
<p>Only continue if your device shows this code:</p>
<p><strong>{code}</strong></p>
<form method="post" action="/t/{slug}/device/decision">
{csrf}
<input type="hidden" name="user_code" value="{code}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>"#,
        client = escape(&request.client_name),
        code = escape(&request.display_user_code()),
        slug = escape(tenant.slug.as_str()),
    );
    with_cookies(
        page(tenant, StatusCode::OK, "Connect this device?", &body),
        cookie,
    )
}

/// Counts one use of a user code from this address; too many is the throttled page.
async fn throttle(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
) -> Result<(), HttpResponse> {
    let ip = keyward_http::client_ip::client_ip(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    match server
        .pages
        .cache
        .incr(&format!("device_lookups:{}:{ip}", tenant.id), LOOKUP_WINDOW)
        .await
    {
        Ok(n) if n > LOOKUP_LIMIT => Err(entry_form(
            server,
            req,
            tenant,
            "",
            Some(THROTTLED),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "counting device code look-ups failed");
            Err(error::unavailable(Some(tenant)))
        }
    }
}

/// The live request with `user_code`, counting the attempt against this address.
async fn lookup(
    server: &AuthServer,
    req: &HttpRequest,
    entry: &TenantEntry,
    user_code: &str,
) -> Result<Option<DeviceRequest>, HttpResponse> {
    let tenant = &entry.tenant;
    throttle(server, req, tenant).await?;
    server
        .tokens
        .device_request(entry, user_code)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "looking up a device request failed");
            error::unavailable(Some(tenant))
        })
}

async fn subject(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
) -> Option<AuthenticatedSubject> {
    let session = current_session(req, &server.sessions, tenant, server.pages.clock.now()).await?;
    Some(AuthenticatedSubject {
        sid: session.sid(),
        user_id: session.user_id,
        session_id: session.id,
        auth_time: session.auth_time,
        amr: session.amr,
        acr: session.acr,
    })
}

/// GET {issuer}/device[?user_code=…]
pub async fn show(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let entry = match super::tenant(&server, &slug).await {
        Ok(e) => e,
        Err(res) => return res,
    };
    let tenant = &entry.tenant;
    let params = match super::query(&req, Some(tenant)) {
        Ok(p) => p,
        Err(res) => return res,
    };
    let Some(typed) = params.get("user_code") else {
        return entry_form(&server, &req, tenant, "", None, StatusCode::OK);
    };
    let request = match lookup(&server, &req, &entry, typed).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return entry_form(
                &server,
                &req,
                tenant,
                typed,
                Some(UNKNOWN_CODE),
                StatusCode::BAD_REQUEST,
            );
        }
        Err(res) => return res,
    };
    let Some(subject) = subject(&server, &req, tenant).await else {
        return entry_form(
            &server,
            &req,
            tenant,
            &request.display_user_code(),
            None,
            StatusCode::OK,
        );
    };
    confirmation(&server, &req, tenant, &request, &subject)
}

/// POST {issuer}/device: the typed code; signed out → sign in first.
pub async fn submit(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let entry = match super::tenant(&server, &slug).await {
        Ok(e) => e,
        Err(res) => return res,
    };
    let tenant = &entry.tenant;
    let params = match super::form(&req, payload, tenant).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if let Err(res) = check_csrf(&server.pages, &req, &params, tenant, FormFor::Anyone) {
        return res;
    }
    let typed = params.get("user_code").unwrap_or_default();
    let request = match lookup(&server, &req, &entry, typed).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return entry_form(
                &server,
                &req,
                tenant,
                typed,
                Some(UNKNOWN_CODE),
                StatusCode::BAD_REQUEST,
            );
        }
        Err(res) => return res,
    };
    let code = request.display_user_code();
    let Some(subject) = subject(&server, &req, tenant).await else {
        return headers::see_other(&login_location(tenant, &code));
    };
    confirmation(&server, &req, tenant, &request, &subject)
}

/// POST {issuer}/device/decision: Approve or Deny, by the signed-in person.
pub async fn decide(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let entry = match super::tenant(&server, &slug).await {
        Ok(e) => e,
        Err(res) => return res,
    };
    let tenant = &entry.tenant;
    let params = match super::form(&req, payload, tenant).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let typed = params.get("user_code").unwrap_or_default();
    let Some(subject) = subject(&server, &req, tenant).await else {
        let code = keyward_oauth::device_authorization::normalize_user_code(typed)
            .map(|c| keyward_oauth::device_authorization::display_user_code(&c))
            .unwrap_or_default();
        return headers::see_other(&login_location(tenant, &code));
    };
    // The decision is this session's: so must the token be.
    let form_for = FormFor::Session(&subject.session_id);
    if let Err(res) = check_csrf(&server.pages, &req, &params, tenant, form_for) {
        return res;
    }
    if let Err(res) = throttle(&server, &req, tenant).await {
        return res;
    }
    let (decided, approved) = match params.get("decision") {
        Some("approve") => (
            server.tokens.approve_device(&entry, typed, &subject).await,
            true,
        ),
        Some("deny") => (server.tokens.deny_device(&entry, typed).await, false),
        _ => {
            return error::error_page(
                Some(tenant),
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Choose Approve or Deny.",
            );
        }
    };
    match decided {
        Ok(DecisionOutcome::Recorded(request)) => {
            let client = escape(&request.client_name);
            tracing::info!(tenant = %tenant.slug, user = %subject.user_id, client_id = %request.client_id, approved, "device request answered");
            let (title, body) = if approved {
                (
                    "Device connected",
                    format!(
                        "<h1>Device connected</h1>\n<p><strong>{client}</strong> is now connected. You may return to your device.</p>"
                    ),
                )
            } else {
                (
                    "Request denied",
                    format!(
                        "<h1>Request denied</h1>\n<p><strong>{client}</strong> was not connected. You may close this window.</p>"
                    ),
                )
            };
            page(tenant, StatusCode::OK, title, &body)
        }
        Ok(DecisionOutcome::Unknown) => entry_form(
            &server,
            &req,
            tenant,
            "",
            Some(UNKNOWN_CODE),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => {
            tracing::error!(error = %e, "recording a device decision failed");
            error::unavailable(Some(tenant))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Utc;
    use keyward_core::{DisplayName, TenantSlug};

    use super::*;
    use crate::pages::login::safe_return_to;

    #[test]
    fn login_location_returns_to_the_device_page_with_the_code() {
        let t = Tenant::new(
            TenantSlug::parse("acme").unwrap(),
            DisplayName::parse("Acme").unwrap(),
            Utc::now(),
        );
        let location = login_location(&t, "BCDF-GHJK");
        assert_eq!(
            location,
            "/t/acme/login?return_to=%2Ft%2Facme%2Fdevice%3Fuser_code%3DBCDF-GHJK"
        );
        let back = location.split_once("return_to=").unwrap().1;
        let decoded: String = url::form_urlencoded::parse(format!("x={back}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(
            safe_return_to(&t, &decoded).as_deref(),
            Some("/t/acme/device?user_code=BCDF-GHJK")
        );
    }
}
