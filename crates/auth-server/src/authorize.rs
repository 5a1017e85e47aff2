//! GET and POST {issuer}/authorize (RFC 6749 §3.1, OIDC Core §3.1.2.1) and GET
//! {issuer}/authorize/resume (where the login and consent pages send the browser back): read
//! the browser session, call keyward-oauth's authorization endpoint, render its outcome — a
//! redirect (query or fragment), an auto-submitting form (form_post), the login or consent page,
//! or the error page.

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::Tenant;
use keyward_http::oauth::{authorization_response_location, redirect};
use keyward_oauth::authorize::request::ResponseMode;
use keyward_oauth::authorize::{AuthenticatedSubject, AuthorizeOutcome};
use keyward_oauth::directory::TenantEntry;

use leptos::prelude::*;

use crate::AuthServer;
use crate::pages::layout::to_html;
use crate::pages::{ErrorPage, PageQuery, PageTenant, headers, interaction};
use crate::session_cookie::current_session;

/// RFC 6749 §3.1: GET, parameters in the query string.
pub async fn get(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: PageTenant,
) -> Result<HttpResponse, ErrorPage> {
    let subject = subject(&server, &req, &tenant.tenant).await;
    let outcome = server
        .authorize
        .authorize(
            &tenant,
            req.query_string().as_bytes(),
            subject.as_ref(),
            keyward_http::client_ip::client_ip(&req),
        )
        .await;
    render(&server, &tenant, subject.as_ref(), outcome, false).await
}

/// OIDC Core §3.1.2.1: POST, parameters in a form body.
pub async fn post(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: PageTenant,
    payload: Payload,
) -> Result<HttpResponse, ErrorPage> {
    let body = crate::form::read(&req, payload).await.map_err(|e| {
        ErrorPage::invalid_request(Some(&tenant.tenant), e.description().to_owned())
    })?;
    let subject = subject(&server, &req, &tenant.tenant).await;
    let outcome = server
        .authorize
        .authorize(
            &tenant,
            &body,
            subject.as_ref(),
            keyward_http::client_ip::client_ip(&req),
        )
        .await;
    render(&server, &tenant, subject.as_ref(), outcome, true).await
}

/// Continues an authorization request once the login or consent page is done.
pub async fn resume(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    query: PageQuery,
) -> Result<HttpResponse, ErrorPage> {
    let PageQuery { tenant, params } = query;
    let Some(id) = params
        .get("interaction")
        .filter(|id| keyward_oauth::interaction::valid_id(id))
    else {
        return Err(ErrorPage::expired_interaction(Some(&tenant.tenant)));
    };
    let subject = subject(&server, &req, &tenant.tenant).await;
    let outcome = server.authorize.resume(&tenant, id, subject.as_ref()).await;
    render(&server, &tenant, subject.as_ref(), outcome, false).await
}

/// The person signed in at this tenant in this browser, as keyward-oauth needs them.
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

async fn render(
    server: &AuthServer,
    tenant: &TenantEntry,
    subject: Option<&AuthenticatedSubject>,
    outcome: AuthorizeOutcome,
    after_post: bool,
) -> Result<HttpResponse, ErrorPage> {
    let slug = tenant.tenant.slug.as_str();
    match outcome {
        AuthorizeOutcome::RedirectToClient {
            uri,
            mode,
            params,
            issued_to,
        } => {
            if let (Some(client_id), Some(subject)) = (issued_to, subject) {
                // Back-channel logout tells the clients that got tokens in this session.
                if let Err(e) = server
                    .sessions
                    .note_client(tenant.tenant.id, &subject.session_id, &client_id)
                    .await
                {
                    tracing::warn!(error = %e, "recording the session's client failed");
                }
            }
            match mode {
                ResponseMode::FormPost => Ok(form_post(&uri, &params)),
                ResponseMode::Query | ResponseMode::Fragment => {
                    match authorization_response_location(&uri, mode, &params) {
                        Some(to) => Ok(redirect(&to, after_post)),
                        None => Err(ErrorPage::invalid_request(
                            Some(&tenant.tenant),
                            "The redirect URI is not usable.",
                        )),
                    }
                }
            }
        }
        AuthorizeOutcome::ShowError {
            status,
            error: code,
            description,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            tracing::debug!(error = %code, "authorization request shown an error page");
            Err(ErrorPage::new(
                Some(&tenant.tenant),
                status,
                "This request cannot be completed",
                description,
            ))
        }
        AuthorizeOutcome::NeedLogin(i) => Ok(redirect(
            &interaction::login_location(&tenant.tenant, &i.id),
            after_post,
        )),
        AuthorizeOutcome::NeedConsent(i) => Ok(redirect(
            &format!("/t/{slug}/consent?interaction={}", i.id),
            after_post,
        )),
    }
}

/// OAuth 2.0 Form Post Response Mode §2: an auto-submitting form (with a button for browsers
/// without JavaScript). The CSP allows exactly this page's one inline script, by nonce, and
/// the form to post only to the client's origin.
fn form_post(uri: &str, params: &[(String, String)]) -> HttpResponse {
    let nonce = headers::nonce();
    let inputs = params
        .iter()
        .map(|(n, v)| view! { <input type="hidden" name=n.clone() value=v.clone()/> })
        .collect_view();
    let document = to_html(view! {
        <!DOCTYPE html>
        <html lang="en">
            <head><meta charset="utf-8"/><title>"Continue"</title></head>
            <body>
                <form method="post" action=uri.to_owned()>
                    {inputs}
                    <noscript>
                        <p>"JavaScript is off: continue to the application."</p>
                        <button type="submit">"Continue"</button>
                    </noscript>
                </form>
                <script nonce=nonce.clone()>"document.forms[0].submit();"</script>
            </body>
        </html>
    });
    let form_action = headers::origin(uri).unwrap_or_else(|| "'none'".to_owned());
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type("text/html; charset=utf-8")
        .body(document)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::body::MessageBody;

    use super::*;

    #[test]
    fn form_post_escapes_values_and_allows_only_its_own_script() {
        let res = form_post(
            "https://rp.test/cb",
            &[("state".into(), "\"><script>".into())],
        );
        let csp = res
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'nonce-") && csp.contains("form-action https://rp.test"));
        let body = match res.into_body().try_into_bytes() {
            Ok(b) => String::from_utf8(b.to_vec()).unwrap(),
            Err(_) => String::new(),
        };
        assert!(body.contains("&quot;&gt;&lt;script&gt;") && body.contains("<noscript>"));
    }
}
