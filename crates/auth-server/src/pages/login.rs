//! GET/POST {issuer}/login: the sign-in page. Username or e-mail and password, checked by
//! keyward-identity's throttled, timing-equalised password login; one generic message for
//! every failure. On success a browser session is created (amr `pwd`) and the browser goes on
//! to `/authorize/resume` (the interaction) or to `return_to` (a same-tenant relative path).

use actix_web::http::StatusCode;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_core::Tenant;
use keyward_identity::LoginRefusal;
use keyward_oauth::interaction::Interaction;
use keyward_oauth::params::FormParams;

use super::layout::{escape, render};
use super::{
    FormFor, Pages, check_csrf, client_origins, csrf_field, error, headers, interaction,
    with_cookies,
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
async fn next(pages: &Pages, tenant: &Tenant, params: &FormParams) -> Result<Next, HttpResponse> {
    if let Some(id) = params.get("interaction") {
        return match interaction::load(&*pages.cache, tenant, id).await {
            Ok(Some(found)) => Ok(Next::Interaction(Box::new(found))),
            Ok(None) => Err(error::expired_interaction(Some(tenant))),
            Err(e) => {
                tracing::error!(error = %e, "reading an interaction failed");
                Err(error::unavailable(Some(tenant)))
            }
        };
    }
    match params.get("return_to") {
        Some(raw) => safe_return_to(tenant, raw)
            .map(Next::ReturnTo)
            .ok_or_else(|| {
                error::error_page(
                    Some(tenant),
                    StatusCode::BAD_REQUEST,
                    "Invalid request",
                    "The return address is not allowed.",
                )
            }),
        None => Ok(Next::Nowhere),
    }
}

struct Form<'a> {
    username: &'a str,
    message: Option<&'a str>,
    status: StatusCode,
}

async fn render_form(
    server: &AuthServer,
    req: &HttpRequest,
    tenant: &Tenant,
    next: &Next,
    form: Form<'_>,
) -> HttpResponse {
    let pages = &server.pages;
    let form_for = match next {
        Next::Interaction(i) => FormFor::Interaction(&i.id),
        Next::ReturnTo(_) | Next::Nowhere => FormFor::Anyone,
    };
    let (csrf, cookie) = match csrf_field(pages, req, tenant, form_for) {
        Ok(field) => field,
        Err(res) => return res,
    };
    let (continuing, carried, origins) = match next {
        Next::Interaction(i) => (
            format!(
                "<p>to continue to <strong>{}</strong></p>",
                escape(&i.client_name)
            ),
            format!(
                r#"<input type="hidden" name="interaction" value="{}">"#,
                escape(&i.id)
            ),
            client_origins(server, tenant, i.client_id.as_str()).await,
        ),
        Next::ReturnTo(to) => (
            String::new(),
            format!(
                r#"<input type="hidden" name="return_to" value="{}">"#,
                escape(to)
            ),
            Vec::new(),
        ),
        Next::Nowhere => (String::new(), String::new(), Vec::new()),
    };
    let message = form
        .message
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Sign in</h1>
{continuing}
{message}
<form method="post" action="/t/{slug}/login">
{csrf}
{carried}
<label for="username">Username or email</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Sign in</button>
</form>"#,
        slug = escape(tenant.slug.as_str()),
        username = escape(form.username),
    );
    let nonce = headers::nonce();
    let res = headers::html(
        form.status,
        &nonce,
        &origins,
        render(Some(tenant), "Sign in", &body, &nonce),
    );
    with_cookies(res, cookie)
}

/// GET {issuer}/login
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
    let next = match next(&server.pages, tenant, &params).await {
        Ok(n) => n,
        Err(res) => return res,
    };
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
    // The form continues the interaction it names, if any: its token must be that one's.
    let form_for = match params.get("interaction") {
        Some(id) => FormFor::Interaction(id),
        None => FormFor::Anyone,
    };
    if let Err(res) = check_csrf(pages, &req, &params, tenant, form_for) {
        return res;
    }
    let next = match next(pages, tenant, &params).await {
        Ok(n) => n,
        Err(res) => return res,
    };
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let remote_ip = keyward_http::client_ip::client_ip(&req);
    let refused = |message, status| Form {
        username,
        message: Some(message),
        status,
    };
    let user = match pages
        .login
        .verify(tenant.id, username, password, remote_ip)
        .await
    {
        Ok(user) => user,
        Err(LoginRefusal::InvalidCredentials) => {
            return render_form(
                &server,
                &req,
                tenant,
                &next,
                refused(GENERIC_FAILURE, StatusCode::UNAUTHORIZED),
            )
            .await;
        }
        Err(LoginRefusal::Throttled) => {
            return render_form(
                &server,
                &req,
                tenant,
                &next,
                refused(THROTTLED, StatusCode::TOO_MANY_REQUESTS),
            )
            .await;
        }
        Err(LoginRefusal::Busy) => {
            tracing::warn!(tenant = %tenant.slug, "password-hashing queue full: sign-in refused");
            let mut res = render_form(
                &server,
                &req,
                tenant,
                &next,
                refused(BUSY, StatusCode::SERVICE_UNAVAILABLE),
            )
            .await;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static(BUSY_RETRY_AFTER),
            );
            return res;
        }
        Err(LoginRefusal::Unavailable(why)) => {
            tracing::error!(error = %why, "password login unavailable");
            return error::unavailable(Some(tenant));
        }
    };
    let now = pages.clock.now();
    // A new sign-in replaces whatever session this browser had here (no session fixation).
    if let Some(old) = current_session(&req, &server.sessions, tenant, now).await
        && let Err(e) = server.sessions.end(tenant.id, &old.id).await
    {
        tracing::warn!(error = %e, "ending the previous session failed");
    }
    let signed_in = match server
        .sessions
        .create(tenant.id, user.id, vec![keyward_core::Amr::Pwd], None, now)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "creating a browser session failed");
            return error::unavailable(Some(tenant));
        }
    };
    tracing::info!(tenant = %tenant.slug, user = %user.id, "signed in");
    let cookie = session_cookie(tenant, &signed_in, pages.secure_cookies);
    let res = match &next {
        Next::Interaction(i) => headers::see_other(&interaction::resume_location(tenant, &i.id)),
        Next::ReturnTo(to) => headers::see_other(to),
        Next::Nowhere => {
            let nonce = headers::nonce();
            let body = format!(
                "<h1>Signed in</h1>\n<p>You are signed in as <strong>{}</strong>.</p>",
                escape(user.username.as_str())
            );
            headers::html(
                StatusCode::OK,
                &nonce,
                &[],
                render(Some(tenant), "Signed in", &body, &nonce),
            )
        }
    };
    with_cookies(res, [cookie])
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
