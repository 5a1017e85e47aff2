//! The browser-session cookie: `keyward_session`, scoped to one tenant's path
//! (`Path=/t/{slug}/`), HttpOnly, SameSite=Lax, and Secure when the public URL is https.
//! The session itself lives in keyward-identity's [`Sessions`]; the cookie carries its secret,
//! which nothing on the server stores (the session is kept under a one-way hash of it).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};
use keyward_core::Tenant;
use keyward_identity::{BrowserSession, Sessions, SignedIn};

pub const SESSION_COOKIE: &str = "keyward_session";

/// `/t/{slug}/`: the browser sends the cookie to this tenant's pages and endpoints only.
pub fn tenant_path(tenant: &Tenant) -> String {
    format!("/t/{}/", tenant.slug)
}

/// The live session of this browser at `tenant`, if any (its idle lifetime is pushed out).
/// A cache outage counts as "no session" (logged): the person is asked to sign in again.
pub async fn current_session(
    req: &HttpRequest,
    sessions: &Sessions,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Option<BrowserSession> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    match sessions.get(tenant.id, cookie.value(), now).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, tenant = %tenant.slug, "reading the browser session failed");
            None
        }
    }
}

/// The cookie that carries the secret of a session just signed in (a browser-session cookie:
/// no Max-Age).
pub fn session_cookie(tenant: &Tenant, signed_in: &SignedIn, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, signed_in.secret.clone())
        .path(tenant_path(tenant))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A cookie that makes the browser forget the session cookie.
pub fn clear_session_cookie(tenant: &Tenant, secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie_named(tenant, secure);
    cookie.make_removal();
    cookie
}

fn session_cookie_named(tenant: &Tenant, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, "")
        .path(tenant_path(tenant))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Arc;

    use actix_web::test::TestRequest;
    use keyward_core::{DisplayName, TenantSlug, UserId};

    use super::*;

    fn tenant(slug: &str) -> Tenant {
        Tenant::new(
            TenantSlug::parse(slug).unwrap(),
            DisplayName::parse(slug).unwrap(),
            Utc::now(),
        )
    }

    #[test]
    fn session_cookie_is_http_only_lax_and_tenant_scoped() {
        let acme = tenant("acme");
        let session = SignedIn {
            session: BrowserSession {
                id: "h".repeat(43),
                sid: "s".repeat(22),
                tenant_id: acme.id,
                user_id: UserId::generate(),
                auth_time: Utc::now(),
                amr: vec![],
                acr: None,
                created_at: Utc::now(),
                last_seen: Utc::now(),
            },
            secret: "x".repeat(43),
        };
        let text = session_cookie(&acme, &session, true).to_string();
        let value = format!("keyward_session={}", "x".repeat(43));
        for part in [
            value.as_str(),
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/t/acme/",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert!(
            !session_cookie(&acme, &session, false)
                .to_string()
                .contains("Secure")
        );
        let cleared = clear_session_cookie(&acme, false).to_string();
        assert!(
            cleared.contains("Max-Age=0") && cleared.contains("Path=/t/acme/"),
            "{cleared}"
        );
    }

    #[actix_web::test]
    async fn cookie_of_one_tenant_is_no_session_at_another() {
        let sessions = Sessions::new(Arc::new(keyward_cache::MemoryStore::new()));
        let (acme, other) = (tenant("acme"), tenant("other"));
        let s = sessions
            .create(
                acme.id,
                UserId::generate(),
                vec![keyward_core::Amr::Pwd],
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        let req = TestRequest::default()
            .cookie(Cookie::new(SESSION_COOKIE, s.secret.clone()))
            .to_http_request();
        assert!(
            current_session(&req, &sessions, &acme, Utc::now())
                .await
                .is_some()
        );
        assert!(
            current_session(&req, &sessions, &other, Utc::now())
                .await
                .is_none()
        );
        let bare = TestRequest::default().to_http_request();
        assert!(
            current_session(&bare, &sessions, &acme, Utc::now())
                .await
                .is_none()
        );
    }
}
