//! GET/POST {issuer}/consent: OIDC Core §3.1.2.4 — the person sees, in plain words, what the
//! client asks for, and approves (remembered per user, client and scope set) or declines
//! (recorded in the interaction; `/authorize/resume` then answers `access_denied`).

use actix_web::http::StatusCode;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::Tenant;
use keyward_oauth::Consent;
use keyward_oauth::interaction::Interaction;
use keyward_oauth::params::FormParams;

use super::layout::{escape, render};
use super::{
    FormFor, check_csrf, client_origins, csrf_field, error, headers, interaction, with_cookies,
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
) -> Result<Interaction, HttpResponse> {
    let id = params.get("interaction").unwrap_or_default();
    match interaction::load(&*server.pages.cache, tenant, id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(error::expired_interaction(Some(tenant))),
        Err(e) => {
            tracing::error!(error = %e, "reading an interaction failed");
            Err(error::unavailable(Some(tenant)))
        }
    }
}

/// GET {issuer}/consent?interaction=…
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
    let found = match super::query(&req, Some(tenant)) {
        Ok(params) => pending(&server, tenant, &params).await,
        Err(res) => Err(res),
    };
    let pending = match found {
        Ok(i) => i,
        Err(res) => return res,
    };
    let now = server.pages.clock.now();
    let Some(session) = current_session(&req, &server.sessions, tenant, now).await else {
        return headers::see_other(&interaction::login_location(tenant, &pending.id));
    };
    let form_for = FormFor::SessionInteraction(&session.id, &pending.id);
    let (csrf, cookie) = match csrf_field(&server.pages, &req, tenant, form_for) {
        Ok(field) => field,
        Err(res) => return res,
    };
    let items: String = pending
        .scopes
        .tokens()
        .map(|s| format!("<li>{}</li>\n", escape(&describe(s))))
        .collect();
    let client = escape(&pending.client_name);
    let body = format!(
        r#"<h1>Allow access?</h1>
<p><strong>{client}</strong> would like to:</p>
<ul class="scopes">
{items}</ul>
<form method="post" action="/t/{slug}/consent">
{csrf}
<input type="hidden" name="interaction" value="{id}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>"#,
        slug = escape(tenant.slug.as_str()),
        id = escape(&pending.id),
    );
    let origins = client_origins(&server, tenant, pending.client_id.as_str()).await;
    let nonce = headers::nonce();
    let res = headers::html(
        StatusCode::OK,
        &nonce,
        &origins,
        render(Some(tenant), "Allow access?", &body, &nonce),
    );
    with_cookies(res, cookie)
}

/// POST {issuer}/consent
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
    let pages = &server.pages;
    let params = match super::form(&req, payload, tenant).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let pending = match pending(&server, tenant, &params).await {
        Ok(i) => i,
        Err(res) => return res,
    };
    let now = pages.clock.now();
    let Some(session) = current_session(&req, &server.sessions, tenant, now).await else {
        return headers::see_other(&interaction::login_location(tenant, &pending.id));
    };
    // The decision is this session's about this request: so must the token be.
    let form_for = FormFor::SessionInteraction(&session.id, &pending.id);
    if let Err(res) = check_csrf(pages, &req, &params, tenant, form_for) {
        return res;
    }
    let outcome = match params.get("decision") {
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
        Some("deny") => match interaction::record_denial(&*pages.cache, &pending, now).await {
            Ok(true) => Ok(()),
            Ok(false) => return error::expired_interaction(Some(tenant)),
            Err(e) => Err(e.to_string()),
        },
        _ => {
            return error::error_page(
                Some(tenant),
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Choose Allow or Deny.",
            );
        }
    };
    match outcome {
        Ok(()) => headers::see_other(&interaction::resume_location(tenant, &pending.id)),
        Err(why) => {
            tracing::error!(error = %why, "recording a consent decision failed");
            error::unavailable(Some(tenant))
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
