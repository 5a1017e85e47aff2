//! GET/POST {issuer}/consent: OIDC Core §3.1.2.4 — the person sees, in plain words, what the
//! client asks for, and approves (remembered per user, client and scope set) or declines
//! (recorded in the interaction; `/authorize/resume` then answers `access_denied`).

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::{Scope, Tenant};
use keyward_oauth::Consent;
use keyward_oauth::interaction::Interaction;
use keyward_oauth::params::FormParams;
use leptos::prelude::*;

use super::{
    ErrorPage, FormFor, Page, PageForm, PageQuery, client_origins, csrf_field, csrf_input, headers,
    interaction,
};
use crate::AuthServer;
use crate::session_cookie::current_session;

/// A scope in words a person understands; unknown scopes are shown by name.
pub fn describe(scope: &str) -> String {
    match scope {
        "openid" => "Confirm your identity".to_owned(),
        "profile" => "Your name and profile details".to_owned(),
        "email" => "Your email address".to_owned(),
        "address" => "Your postal address".to_owned(),
        "phone" => "Your phone number".to_owned(),
        "offline_access" => "Stay signed in to this application (refresh tokens)".to_owned(),
        other => other.to_owned(),
    }
}

async fn pending(
    server: &AuthServer,
    tenant: &Tenant,
    params: &FormParams,
) -> Result<Interaction, ErrorPage> {
    let id = params.get("interaction").unwrap_or_default();
    match keyward_oauth::interaction::load(&*server.pages.cache, tenant.id, id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(ErrorPage::expired_interaction(Some(tenant))),
        Err(e) => {
            tracing::error!(error = %e, "reading an interaction failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
}

/// The scopes of a request, described, as list items.
pub(crate) fn scope_items(scopes: &Scope) -> impl IntoView + use<> {
    scopes
        .tokens()
        .map(|s| view! { <li>{describe(s)}</li> })
        .collect_view()
}

/// GET {issuer}/consent?interaction=…
pub async fn show(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    query: PageQuery,
) -> Result<HttpResponse, ErrorPage> {
    let tenant = &query.tenant.tenant;
    let pending = pending(&server, tenant, &query.params).await?;
    let now = server.pages.clock.now();
    let Some(session) = current_session(&req, &server.sessions, tenant, now).await else {
        return Ok(headers::see_other(&interaction::login_location(
            tenant,
            &pending.id,
        )));
    };
    let form_for = FormFor::SessionInteraction(&session.id, &pending.id);
    let (csrf, cookie) = csrf_field(&server.pages, &req, tenant, form_for)?;
    let origins = client_origins(&server, tenant, pending.client_id.as_str()).await;
    let body = consent_form(tenant, &pending, csrf);
    Ok(
        Page::new(Some(tenant), StatusCode::OK, "Allow access?", body)
            .form_action(origins)
            .cookies(cookie)
            .into(),
    )
}

/// The body of the consent page for the pending request.
pub(super) fn consent_form(
    tenant: &Tenant,
    pending: &Interaction,
    csrf: String,
) -> impl IntoView + use<> {
    view! {
        <h1>"Allow access?"</h1>
        <p><strong>{pending.client_name.clone()}</strong>" would like to:"</p>
        <ul class="scopes">{scope_items(&pending.scopes)}</ul>
        <form method="post" action=format!("/t/{}/consent", tenant.slug)>
            {csrf_input(csrf)}
            <input type="hidden" name="interaction" value=pending.id.clone()/>
            <div class="actions">
                <button class="primary" type="submit" name="decision" value="approve">"Allow"</button>
                <button class="secondary" type="submit" name="decision" value="deny">"Deny"</button>
            </div>
        </form>
    }
}

/// POST {issuer}/consent
pub async fn submit(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: PageForm,
) -> Result<HttpResponse, ErrorPage> {
    let tenant = &form.tenant.tenant;
    let pages = &server.pages;
    let pending = pending(&server, tenant, &form.params).await?;
    let now = pages.clock.now();
    let Some(session) = current_session(&req, &server.sessions, tenant, now).await else {
        return Ok(headers::see_other(&interaction::login_location(
            tenant,
            &pending.id,
        )));
    };
    // The decision is this session's about this request: so must the token be.
    form.check_csrf(
        pages,
        &req,
        FormFor::SessionInteraction(&session.id, &pending.id),
    )?;
    let outcome = match form.params.get("decision") {
        Some("approve") => {
            let consent = Consent {
                tenant_id: tenant.id,
                user_id: session.user_id,
                client_id: pending.client_id.clone(),
                scopes: pending.scopes.clone(),
                granted_at: now,
            };
            pages
                .consents
                .upsert(&consent)
                .await
                .map_err(|e| e.to_string())
        }
        Some("deny") => {
            match keyward_oauth::interaction::record_denial(&*pages.cache, &pending, now).await {
                Ok(true) => Ok(()),
                Ok(false) => return Err(ErrorPage::expired_interaction(Some(tenant))),
                Err(e) => Err(e.to_string()),
            }
        }
        _ => {
            return Err(ErrorPage::invalid_request(
                Some(tenant),
                "Choose Allow or Deny.",
            ));
        }
    };
    match outcome {
        Ok(()) => Ok(headers::see_other(&interaction::resume_location(
            tenant,
            &pending.id,
        ))),
        Err(why) => {
            tracing::error!(error = %why, "recording a consent decision failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_described_in_plain_words() {
        assert_eq!(describe("openid"), "Confirm your identity");
        assert_eq!(
            describe("offline_access"),
            "Stay signed in to this application (refresh tokens)"
        );
        assert_eq!(describe("api:read"), "api:read");
    }
}
