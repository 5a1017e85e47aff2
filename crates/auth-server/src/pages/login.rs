//! GET/POST {issuer}/login: the sign-in page. Username or e-mail and password, checked by
//! keyward-identity's throttled, timing-equalised password login; one generic message for
//! every failure. On success a browser session is created (amr `pwd`) and the browser goes on
//! to `/authorize/resume` (the interaction) or to `return_to` (a same-tenant relative path).

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::Tenant;
use keyward_identity::{Completed, LoginRefusal, SignInError, Step};
use keyward_oauth::interaction::Interaction;
use keyward_oauth::params::FormParams;
use leptos::prelude::*;

use super::{
    CsrfForm, ErrorPage, ForNamedInteraction, FormFor, Page, PageQuery, Pages, client_origins,
    csrf_field, csrf_input, headers, hidden_input, interaction, with_cookies,
};
use crate::AuthServer;
use crate::session_cookie::{current_session, session_cookie};

pub const GENERIC_FAILURE: &str = "Incorrect username or password.";
pub const THROTTLED: &str = "Too many attempts. Please wait a few minutes and try again.";
pub const BUSY: &str = "Too many sign-ins are in progress right now. Please try again in a moment.";
/// When a browser refused for a full password-hashing queue may try again (`Retry-After`).
const BUSY_RETRY_AFTER: &str = "1";

/// Where the browser goes after signing in.
enum Next {
    Interaction(Box<Interaction>),
    ReturnTo(String),
    Nowhere,
}

/// `return_to` must be a relative path inside this tenant: never an absolute URL, a
/// scheme-relative `//host` or anything a browser could read as another origin.
pub fn safe_return_to(tenant: &Tenant, raw: &str) -> Option<String> {
    let prefix = format!("/t/{}/", tenant.slug);
    let ok = raw.len() <= 2048
        && raw.starts_with(&prefix)
        && !raw.contains("//")
        && !raw.contains("/..")
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b'<' | b'>'));
    ok.then(|| raw.to_owned())
}

/// Resolves `interaction` / `return_to` of a request; an unknown interaction is an error page.
async fn next(pages: &Pages, tenant: &Tenant, params: &FormParams) -> Result<Next, ErrorPage> {
    if let Some(id) = params.get("interaction") {
        return match keyward_oauth::interaction::load(&*pages.cache, tenant.id, id).await {
            Ok(Some(found)) => Ok(Next::Interaction(Box::new(found))),
            Ok(None) => Err(ErrorPage::expired_interaction(Some(tenant))),
            Err(e) => {
                tracing::error!(error = %e, "reading an interaction failed");
                Err(ErrorPage::unavailable(Some(tenant)))
            }
        };
    }
    match params.get("return_to") {
        Some(raw) => safe_return_to(tenant, raw)
            .map(Next::ReturnTo)
            .ok_or_else(|| {
                ErrorPage::invalid_request(Some(tenant), "The return address is not allowed.")
            }),
        None => Ok(Next::Nowhere),
    }
}

struct Form<'a> {
    username: &'a str,
    message: Option<&'static str>,
    status: StatusCode,
}

async fn render_form(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    next: &Next,
    form: Form<'_>,
) -> Result<Page, ErrorPage> {
    let form_for = match next {
        Next::Interaction(i) => FormFor::Interaction(&i.id),
        Next::ReturnTo(_) | Next::Nowhere => FormFor::Anyone,
    };
    let (csrf, cookie) = csrf_field(&server.pages, req, tenant, form_for)?;
    let (continuing, carried, origins) = match next {
        Next::Interaction(i) => (
            Some(i.client_name.clone()),
            Some(("interaction", i.id.clone())),
            client_origins(server, tenant, i.client_id.as_str()).await,
        ),
        Next::ReturnTo(to) => (None, Some(("return_to", to.clone())), Vec::new()),
        Next::Nowhere => (None, None, Vec::new()),
    };
    let body = sign_in_form(
        tenant,
        continuing,
        carried,
        form.message,
        form.username.to_owned(),
        csrf,
    );
    Ok(Page::new(Some(tenant), form.status, "Sign in", body)
        .form_action(origins)
        .cookies(cookie))
}

/// The body of the sign-in page: continuing to `client` (if any), carrying `carried`.
pub(super) fn sign_in_form(
    tenant: &Tenant,
    client: Option<String>,
    carried: Option<(&'static str, String)>,
    message: Option<&'static str>,
    username: String,
    csrf: String,
) -> impl IntoView + use<> {
    let continuing =
        client.map(|client| view! { <p>"to continue to " <strong>{client}</strong></p> });
    let message = message.map(|m| view! { <p class="error" role="alert">{m}</p> });
    let carried = carried.map(|(name, value)| hidden_input(name, Some(value)));
    let action = format!("/t/{}/login", tenant.slug);
    view! {
        <h1>"Sign in"</h1>
        {continuing}
        {message}
        <form method="post" action=action>
            {csrf_input(csrf)}
            {carried}
            <label for="username">"Username or email"</label>
            <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value=username/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required/>
            <button class="primary" type="submit">"Sign in"</button>
        </form>
    }
}

/// GET {issuer}/login
pub async fn show(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    query: PageQuery,
) -> Result<Page, ErrorPage> {
    let tenant = &query.tenant.tenant;
    let next = next(&server.pages, tenant, &query.params).await?;
    let hint = match &next {
        Next::Interaction(i) => i.login_hint.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let form = Form {
        username: &hint,
        message: None,
        status: StatusCode::OK,
    };
    render_form(&server, &req, tenant, &next, form).await
}

/// POST {issuer}/login
pub async fn submit(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    form: CsrfForm<ForNamedInteraction>,
) -> Result<HttpResponse, ErrorPage> {
    let tenant = &form.tenant.tenant;
    let params = &form.params;
    let pages = &server.pages;
    let next = next(pages, tenant, params).await?;
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let remote_ip = keyward_http::client_ip::client_ip(&req);
    let refused = |message, status| Form {
        username,
        message: Some(message),
        status,
    };
    let now = pages.clock.now();
    // A new sign-in replaces whatever session this browser had here.
    let previous = current_session(&req, &server.sessions, tenant, now).await;
    let step = pages
        .sign_in
        .with_password(
            tenant.id,
            username,
            password,
            remote_ip,
            previous.as_ref(),
            now,
        )
        .await;
    let Completed { user, signed_in } = match step {
        Ok(Step::Complete(done)) => done,
        Err(SignInError::Refused(LoginRefusal::InvalidCredentials)) => {
            let again = refused(GENERIC_FAILURE, StatusCode::UNAUTHORIZED);
            return Ok(render_form(&server, &req, tenant, &next, again)
                .await?
                .into());
        }
        Err(SignInError::Refused(LoginRefusal::Throttled)) => {
            let again = refused(THROTTLED, StatusCode::TOO_MANY_REQUESTS);
            return Ok(render_form(&server, &req, tenant, &next, again)
                .await?
                .into());
        }
        Err(SignInError::Refused(LoginRefusal::Busy)) => {
            tracing::warn!(tenant = %tenant.slug, "password-hashing queue full: sign-in refused");
            let again = refused(BUSY, StatusCode::SERVICE_UNAVAILABLE);
            let page = render_form(&server, &req, tenant, &next, again).await?;
            return Ok(page
                .header(RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER))
                .into());
        }
        Err(SignInError::Refused(LoginRefusal::Unavailable(why))) => {
            tracing::error!(error = %why, "password login unavailable");
            return Err(ErrorPage::unavailable(Some(tenant)));
        }
        Err(SignInError::Session(e)) => {
            tracing::error!(error = %e, "creating a browser session failed");
            return Err(ErrorPage::unavailable(Some(tenant)));
        }
    };
    tracing::info!(tenant = %tenant.slug, user = %user.id, "signed in");
    let cookie = session_cookie(tenant, &signed_in, pages.secure_cookies);
    let res = match &next {
        Next::Interaction(i) => headers::see_other(&interaction::resume_location(tenant, &i.id)),
        Next::ReturnTo(to) => headers::see_other(to),
        Next::Nowhere => {
            let username = user.username.as_str().to_owned();
            let body = view! {
                <h1>"Signed in"</h1>
                <p>"You are signed in as " <strong>{username}</strong> "."</p>
            };
            Page::new(Some(tenant), StatusCode::OK, "Signed in", body).into()
        }
    };
    Ok(with_cookies(res, [cookie]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Utc;
    use keyward_core::{DisplayName, TenantSlug};

    use super::*;

    #[test]
    fn return_to_accepts_only_relative_paths_of_the_tenant() {
        let t = Tenant::new(
            TenantSlug::parse("acme").unwrap(),
            DisplayName::parse("Acme").unwrap(),
            Utc::now(),
        );
        assert_eq!(
            safe_return_to(&t, "/t/acme/device?user_code=ABCD-EFGH").as_deref(),
            Some("/t/acme/device?user_code=ABCD-EFGH")
        );
        for bad in [
            "https://evil.test/",
            "//evil.test/t/acme/",
            "/t/other/device",
            "/t/acme//evil.test",
            "/t/acme/\\evil.test",
            "/t/acme/../other/device",
            "/t/acme/x y",
            "javascript:alert(1)",
            "/t/acme",
        ] {
            assert_eq!(safe_return_to(&t, bad), None, "{bad}");
        }
    }
}
