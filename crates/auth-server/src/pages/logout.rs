//! {issuer}/logout: OpenID Connect RP-Initiated Logout 1.0. keyward-oauth's `end_session`
//! checks the request: `id_token_hint` (verified with the tenant's keys; an expired one is
//! fine, another tenant's is not), `client_id`, `post_logout_redirect_uri` (only one
//! registered for that client, exact match) and `state` (echoed). With a hint that matches the browser's session the session ends at once;
//! otherwise the person confirms on a CSRF-protected page. Ending a session also tells the
//! clients that registered a back-channel logout URI.

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::{ClientId, Tenant, UserId};
use keyward_oauth::directory::TenantEntry;
use keyward_oauth::end_session::{self, LogoutRefusal, LogoutRequest};
use keyward_oauth::params::FormParams;
use leptos::prelude::*;

use super::{
    ErrorPage, FormFor, Page, PageForm, PageQuery, csrf_field, csrf_input, headers, hidden_input,
    with_cookies,
};
use crate::AuthServer;
use crate::session_cookie::{clear_session_cookie, current_session};

fn invalid(tenant: &Tenant, why: &'static str) -> ErrorPage {
    ErrorPage::new(
        Some(tenant),
        StatusCode::BAD_REQUEST,
        "Sign-out request not valid",
        why,
    )
}

/// The request checked by keyward-oauth's `end_session`, or its error page.
async fn validate(
    server: &AuthServer,
    entry: &TenantEntry,
    params: &FormParams,
) -> Result<LogoutRequest, ErrorPage> {
    end_session::validate(server.tokens.directory(), &server.keys, entry, params)
        .await
        .map_err(|refusal| match refusal {
            LogoutRefusal::Invalid(why) => invalid(&entry.tenant, why),
            LogoutRefusal::Unavailable => ErrorPage::unavailable(Some(&entry.tenant)),
        })
}

/// Where the browser goes after signing out: the registered URI with `state`, or a page.
fn done(server: &AuthServer, tenant: &Tenant, request: &LogoutRequest) -> HttpResponse {
    let res = match request.return_url() {
        Some(Ok(url)) => headers::see_other(url.as_str()),
        Some(Err(_)) => invalid(tenant, "The address to return to is not valid.").into(),
        None => {
            let body = view! {
                <h1>"Signed out"</h1>
                <p>"You have been signed out. You can close this window."</p>
            };
            Page::new(Some(tenant), StatusCode::OK, "Signed out", body).into()
        }
    };
    with_cookies(
        res,
        [clear_session_cookie(tenant, server.pages.secure_cookies)],
    )
}

/// A logout request whose browser sent no session (signed out already, or a cross-site POST
/// that SameSite=Lax keeps the cookie from). A hint naming a live session of its user (`sub`
/// and `sid` of an ID token issued here) ends that session, with back-channel logout, and the
/// request completes as usual. Otherwise nothing was ended and the page says so, with a link
/// to the registered return address rather than a redirect that would claim success.
async fn without_session(
    server: &AuthServer,
    entry: &TenantEntry,
    request: &LogoutRequest,
) -> Result<HttpResponse, ErrorPage> {
    let tenant = &entry.tenant;
    let now = server.pages.clock.now();
    let named = request.hint.as_ref().and_then(|h| {
        let user = h.sub.as_deref()?.parse::<UserId>().ok()?;
        Some((user, h.sid.clone()?))
    });
    if let Some((user, sid)) = named {
        match server
            .sessions
            .end_for_user(tenant.id, user, &sid, now)
            .await
        {
            Ok(Some(ended)) => {
                tracing::info!(tenant = %tenant.slug, user = %user, "signed out by id_token_hint");
                let also = request.client.as_ref().map(|c| &c.client_id);
                server
                    .pages
                    .backchannel
                    .notify(server.tokens.directory(), entry, &ended, also, now)
                    .await;
                return Ok(done(server, tenant, request));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "ending a browser session failed");
                return Err(ErrorPage::unavailable(Some(tenant)));
            }
        }
    }
    Ok(nobody_signed_out(server, tenant, request))
}

/// The page for a logout that ended nothing.
fn nobody_signed_out(
    server: &AuthServer,
    tenant: &Tenant,
    request: &LogoutRequest,
) -> HttpResponse {
    Page::new(
        Some(tenant),
        StatusCode::OK,
        "Nobody was signed out",
        nobody_signed_out_body(tenant, request),
    )
    .cookies([clear_session_cookie(tenant, server.pages.secure_cookies)])
    .into()
}

/// The body of the page for a logout that ended nothing, with a link back if there is one.
pub(super) fn nobody_signed_out_body(
    tenant: &Tenant,
    request: &LogoutRequest,
) -> impl IntoView + use<> {
    let back = request.return_url().and_then(Result::ok).map(|url| {
        let to = request
            .client
            .as_ref()
            .map(|c| c.name.as_str().to_owned())
            .unwrap_or_else(|| "the application".to_owned());
        view! { <p><a href=url.to_string()>{format!("Continue to {to}")}</a></p> }
    });
    let sentence = format!(
        "This browser is not signed in to {}, so there was no session to end. If you are \
         signed in in another window, sign out there.",
        tenant.display_name.as_str()
    );
    view! {
        <h1>"Nobody was signed out"</h1>
        <p>{sentence}</p>
        {back}
    }
}

/// Ends the browser's session at `tenant` (if any) and tells the back-channel clients.
async fn end_session(
    server: &AuthServer,
    req: &HttpRequest,
    entry: &TenantEntry,
    also: Option<&ClientId>,
) -> Result<(), ErrorPage> {
    let tenant = &entry.tenant;
    let now = server.pages.clock.now();
    let Some(session) = current_session(req, &server.sessions, tenant, now).await else {
        return Ok(());
    };
    match server.sessions.end(tenant.id, &session.id).await {
        Ok(Some(ended)) => {
            tracing::info!(tenant = %tenant.slug, user = %ended.session.user_id, "signed out");
            server
                .pages
                .backchannel
                .notify(server.tokens.directory(), entry, &ended, also, now)
                .await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "ending a browser session failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
}

async fn handle(
    server: &AuthServer,
    req: &HttpRequest,
    entry: &TenantEntry,
    params: &FormParams,
) -> Result<HttpResponse, ErrorPage> {
    let tenant = &entry.tenant;
    let request = validate(server, entry, params).await?;
    let now = server.pages.clock.now();
    let session = current_session(req, &server.sessions, tenant, now).await;
    let Some(session) = session else {
        return without_session(server, entry, &request).await;
    };
    let hint_matches = request.hint.as_ref().is_some_and(|h| match &h.sid {
        Some(sid) => *sid == session.sid(),
        None => h.sub.as_deref() == Some(session.user_id.to_string().as_str()),
    });
    if hint_matches {
        let also = request.client.as_ref().map(|c| &c.client_id);
        end_session(server, req, entry, also).await?;
        return Ok(done(server, tenant, &request));
    }
    Ok(confirmation(server, req, tenant, &request, &session.id)?.into())
}

/// The page asking the person to confirm; its form is bound to the session it ends.
fn confirmation(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    request: &LogoutRequest,
    session_id: &str,
) -> Result<Page, ErrorPage> {
    let form_for = FormFor::Session(session_id);
    let (csrf, cookie) = csrf_field(&server.pages, req, tenant, form_for)?;
    let origins: Vec<String> = request
        .redirect
        .iter()
        .filter_map(|u| headers::origin(u))
        .collect();
    let body = confirmation_form(tenant, request, csrf);
    Ok(Page::new(Some(tenant), StatusCode::OK, "Sign out?", body)
        .form_action(origins)
        .cookies(cookie))
}

/// The body of the confirmation page, carrying the request's parameters.
pub(super) fn confirmation_form(
    tenant: &Tenant,
    request: &LogoutRequest,
    csrf: String,
) -> impl IntoView + use<> {
    let client_id = request
        .client
        .as_ref()
        .map(|c| c.client_id.as_str().to_owned());
    let from = request.client.as_ref().map(|c| {
        let name = c.name.as_str().to_owned();
        view! { <p><strong>{name}</strong>" asks you to sign out."</p> }
    });
    let question = format!(
        "Do you want to sign out of {}?",
        tenant.display_name.as_str()
    );
    view! {
        <h1>"Sign out?"</h1>
        {from}
        <p>{question}</p>
        <form method="post" action=format!("/t/{}/logout/confirm", tenant.slug)>
            {csrf_input(csrf)}
            {hidden_input("client_id", client_id)}
            {hidden_input("post_logout_redirect_uri", request.redirect.clone())}
            {hidden_input("state", request.state.clone())}
            <button class="primary" type="submit">"Sign out"</button>
        </form>
    }
}

/// GET {issuer}/logout (RP-Initiated Logout §2)
pub async fn show(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    query: PageQuery,
) -> Result<HttpResponse, ErrorPage> {
    handle(&server, &req, &query.tenant, &query.params).await
}

/// POST {issuer}/logout (RP-Initiated Logout §2: the same parameters, form-encoded)
pub async fn submit(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: PageForm,
) -> Result<HttpResponse, ErrorPage> {
    handle(&server, &req, &form.tenant, &form.params).await
}

/// POST {issuer}/logout/confirm: the person confirmed on the page.
pub async fn confirm(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: PageForm,
) -> Result<HttpResponse, ErrorPage> {
    let entry = &form.tenant;
    let tenant = &entry.tenant;
    // Signed out already: nothing to end, answered as a GET without a session is.
    let now = server.pages.clock.now();
    if let Some(session) = current_session(&req, &server.sessions, tenant, now).await {
        form.check_csrf(&server.pages, &req, FormFor::Session(&session.id))?;
    }
    let request = validate(&server, entry, &form.params).await?;
    let also = request.client.as_ref().map(|c| &c.client_id);
    end_session(&server, &req, entry, also).await?;
    Ok(done(&server, tenant, &request))
}
