//! GET/POST {issuer}/device and POST {issuer}/device/decision: the verification page of the
//! device authorization grant (RFC 8628 §3.3). The person types the code their device shows
//! (or arrives with it from `verification_uri_complete`), signs in if needed, sees which
//! client asks for what — with the code to compare against the device's (§5.4) — and approves
//! or denies. Code look-ups are throttled per address (§5.1: user codes are guessable in
//! principle, so guessing must be slow).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::{CounterKey, CounterKind, Tenant};
use keyward_oauth::authorize::AuthenticatedSubject;
use keyward_oauth::device_authorization::{DecisionOutcome, DeviceRequest};
use keyward_oauth::directory::TenantEntry;
use leptos::prelude::*;

use super::consent::scope_items;
use super::{
    CsrfForm, ErrorPage, ForAnyone, FormFor, Page, PageForm, PageQuery, csrf_field, csrf_input,
    headers,
};
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

/// The form to type a code into, with `message` above it. It only looks a code up (the
/// decision is a form of its own, bound to the session), so its token is nobody's in
/// particular.
fn entry_form(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    prefill: &str,
    message: Option<&'static str>,
    status: StatusCode,
) -> Result<Page, ErrorPage> {
    let (csrf, cookie) = csrf_field(&server.pages, req, tenant, FormFor::Anyone)?;
    let message = message.map(|m| view! { <p class="error" role="alert">{m}</p> });
    let prefill = prefill.to_owned();
    let body = view! {
        <h1>"Connect a device"</h1>
        <p>"Enter the code shown on your device."</p>
        {message}
        <form method="post" action=format!("/t/{}/device", tenant.slug)>
            {csrf_input(csrf)}
            <label for="user_code">"Code from your device"</label>
            <input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required placeholder="XXXX-XXXX" value=prefill/>
            <button class="primary" type="submit">"Continue"</button>
        </form>
    };
    Ok(Page::new(Some(tenant), status, "Connect a device", body).cookies(cookie))
}

/// What the device asks for, with Approve and Deny, for the signed-in session `subject`.
fn confirmation(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    request: &DeviceRequest,
    subject: &AuthenticatedSubject,
) -> Result<Page, ErrorPage> {
    let form_for = FormFor::Session(&subject.session_id);
    let (csrf, cookie) = csrf_field(&server.pages, req, tenant, form_for)?;
    let body = confirmation_form(tenant, request, csrf);
    Ok(Page::new(Some(tenant), StatusCode::OK, "Connect this device?", body).cookies(cookie))
}

/// The body of the confirmation page: who asks for what, and the code to compare.
pub(super) fn confirmation_form(
    tenant: &Tenant,
    request: &DeviceRequest,
    csrf: String,
) -> impl IntoView + use<> {
    let code = request.display_user_code();
    view! {
        <h1>"Connect this device?"</h1>
        <p><strong>{request.client_name.clone()}</strong>" would like to:"</p>
        <ul class="scopes">{scope_items(&request.scope)}</ul>
        <p>"Only continue if your device shows this code:"</p>
        <p><strong>{code.clone()}</strong></p>
        <form method="post" action=format!("/t/{}/device/decision", tenant.slug)>
            {csrf_input(csrf)}
            <input type="hidden" name="user_code" value=code/>
            <div class="actions">
                <button class="primary" type="submit" name="decision" value="approve">"Approve"</button>
                <button class="secondary" type="submit" name="decision" value="deny">"Deny"</button>
            </div>
        </form>
    }
}

/// Counts one use of a user code from this address; `false` once there were too many.
async fn throttle(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
) -> Result<bool, ErrorPage> {
    let ip = keyward_http::client_ip::client_ip(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    match server
        .pages
        .cache
        .incr(
            &CounterKey::new(CounterKind::DeviceLookups, tenant.id, ip),
            LOOKUP_WINDOW,
        )
        .await
    {
        Ok(n) => Ok(n <= LOOKUP_LIMIT),
        Err(e) => {
            tracing::error!(error = %e, "counting device code look-ups failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
}

/// The entry form saying the look-ups from this address are throttled.
fn throttled(server: &AuthServer, req: &HttpRequest, tenant: &Tenant) -> Result<Page, ErrorPage> {
    entry_form(
        server,
        req,
        tenant,
        "",
        Some(THROTTLED),
        StatusCode::TOO_MANY_REQUESTS,
    )
}

/// What a typed code found.
enum Lookup {
    Found(Box<DeviceRequest>),
    Unknown,
    Throttled,
}

/// The live request with `user_code`, counting the attempt against this address.
async fn lookup(
    server: &AuthServer,
    req: &HttpRequest,
    entry: &TenantEntry,
    user_code: &str,
) -> Result<Lookup, ErrorPage> {
    let tenant = &entry.tenant;
    if !throttle(server, req, tenant).await? {
        return Ok(Lookup::Throttled);
    }
    match server.tokens.device_request(entry, user_code).await {
        Ok(Some(found)) => Ok(Lookup::Found(Box::new(found))),
        Ok(None) => Ok(Lookup::Unknown),
        Err(e) => {
            tracing::error!(error = %e, "looking up a device request failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
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
    query: PageQuery,
) -> Result<Page, ErrorPage> {
    let entry = &query.tenant;
    let tenant = &entry.tenant;
    let Some(typed) = query.params.get("user_code") else {
        return entry_form(&server, &req, tenant, "", None, StatusCode::OK);
    };
    let request = match lookup(&server, &req, entry, typed).await? {
        Lookup::Found(r) => r,
        Lookup::Unknown => {
            let status = StatusCode::BAD_REQUEST;
            return entry_form(&server, &req, tenant, typed, Some(UNKNOWN_CODE), status);
        }
        Lookup::Throttled => return throttled(&server, &req, tenant),
    };
    let Some(subject) = subject(&server, &req, tenant).await else {
        let code = request.display_user_code();
        return entry_form(&server, &req, tenant, &code, None, StatusCode::OK);
    };
    confirmation(&server, &req, tenant, &request, &subject)
}

/// POST {issuer}/device: the typed code; signed out → sign in first.
pub async fn submit(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: CsrfForm<ForAnyone>,
) -> Result<HttpResponse, ErrorPage> {
    let entry = &form.tenant;
    let tenant = &entry.tenant;
    let typed = form.params.get("user_code").unwrap_or_default();
    let request = match lookup(&server, &req, entry, typed).await? {
        Lookup::Found(r) => r,
        Lookup::Unknown => {
            let status = StatusCode::BAD_REQUEST;
            return Ok(
                entry_form(&server, &req, tenant, typed, Some(UNKNOWN_CODE), status)?.into(),
            );
        }
        Lookup::Throttled => return Ok(throttled(&server, &req, tenant)?.into()),
    };
    let code = request.display_user_code();
    let Some(subject) = subject(&server, &req, tenant).await else {
        return Ok(headers::see_other(&login_location(tenant, &code)));
    };
    Ok(confirmation(&server, &req, tenant, &request, &subject)?.into())
}

/// POST {issuer}/device/decision: Approve or Deny, by the signed-in person.
pub async fn decide(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: PageForm,
) -> Result<HttpResponse, ErrorPage> {
    let entry = &form.tenant;
    let tenant = &entry.tenant;
    let typed = form.params.get("user_code").unwrap_or_default();
    let Some(subject) = subject(&server, &req, tenant).await else {
        let code = keyward_oauth::device_authorization::normalize_user_code(typed)
            .map(|c| keyward_oauth::device_authorization::display_user_code(&c))
            .unwrap_or_default();
        return Ok(headers::see_other(&login_location(tenant, &code)));
    };
    // The decision is this session's: so must the token be.
    form.check_csrf(&server.pages, &req, FormFor::Session(&subject.session_id))?;
    if !throttle(&server, &req, tenant).await? {
        return Ok(throttled(&server, &req, tenant)?.into());
    }
    let (decided, approved) = match form.params.get("decision") {
        Some("approve") => (
            server.tokens.approve_device(entry, typed, &subject).await,
            true,
        ),
        Some("deny") => (server.tokens.deny_device(entry, typed).await, false),
        _ => {
            return Err(ErrorPage::invalid_request(
                Some(tenant),
                "Choose Approve or Deny.",
            ));
        }
    };
    let page = match decided {
        Ok(DecisionOutcome::Recorded(request)) => {
            tracing::info!(tenant = %tenant.slug, user = %subject.user_id, client_id = %request.client_id, approved, "device request answered");
            answered(tenant, &request.client_name, approved)
        }
        Ok(DecisionOutcome::Unknown) => entry_form(
            &server,
            &req,
            tenant,
            "",
            Some(UNKNOWN_CODE),
            StatusCode::BAD_REQUEST,
        )?,
        Err(e) => {
            tracing::error!(error = %e, "recording a device decision failed");
            return Err(ErrorPage::unavailable(Some(tenant)));
        }
    };
    Ok(page.into())
}

/// The page after the person approved or denied `client`'s request.
pub(super) fn answered(tenant: &Tenant, client: &str, approved: bool) -> Page {
    let client = client.to_owned();
    if approved {
        let body = view! {
            <h1>"Device connected"</h1>
            <p><strong>{client}</strong>" is now connected. You may return to your device."</p>
        };
        Page::new(Some(tenant), StatusCode::OK, "Device connected", body)
    } else {
        let body = view! {
            <h1>"Request denied"</h1>
            <p><strong>{client}</strong>" was not connected. You may close this window."</p>
        };
        Page::new(Some(tenant), StatusCode::OK, "Request denied", body)
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
