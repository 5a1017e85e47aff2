//! CSRF protection for server-rendered forms: a signed double-submit token bound to a
//! pre-session cookie, to the tenant, to what the form acts on, and to an expiry.
//!
//! The browser holds a random `keyward_csrf` cookie (HttpOnly, SameSite=Lax). Every form
//! carries `csrf_token` = `{expiry}.{mac}`, where `mac` is HMAC-SHA256 under a key derived from
//! the master key (`MasterKey::derive("csrf-v2")`) over the cookie value, the tenant, the
//! form's *binding* (the interaction it continues and/or the session it acts for, named by the
//! page) and the expiry (Unix seconds). A POST is accepted only if its token was made for the
//! cookie it came with, at this tenant, for the same binding, and has not expired (compared in
//! constant time): another site can make the browser send the cookie, but can neither read it
//! nor compute a MAC without the key; and a token leaked from one sign-in request, session or
//! tenant is useless for any other, and for anything after its lifetime.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use keyward_core::secret::{constant_time_eq, try_random_token};
use keyward_core::{MasterKey, SecretError, TenantId};
use ring::hmac;

/// The pre-session cookie the tokens are bound to.
pub const CSRF_COOKIE: &str = "keyward_csrf";
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";
/// How long a form's token is accepted unless told otherwise: the lifetime of a sign-in
/// interaction, since a form older than that has nothing left to continue.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Cookie values are 32 random bytes in base64url (43 characters).
fn plausible(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a form's token is bound to besides the browser's cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfScope<'a> {
    pub tenant: TenantId,
    /// What the form acts on, as the page names it (`""` for a form of nobody in particular,
    /// e.g. `interaction:{id}`, `session:{stored id}`). Issuing and checking must name it alike.
    pub binding: &'a str,
}

/// Why a submitted token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfRefusal {
    /// No token, no cookie, or a token not made for this cookie, tenant and binding.
    #[error("the CSRF token does not match")]
    Mismatch,
    /// A genuine token, past its lifetime.
    #[error("the CSRF token has expired")]
    Expired,
}

/// Issues and checks CSRF tokens.
#[derive(Clone)]
pub struct Csrf {
    key: hmac::Key,
    lifetime: Duration,
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Csrf")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// A form's token, and the cookie to set when the browser did not have one yet.
#[derive(Debug)]
pub struct CsrfToken {
    pub token: String,
    pub cookie: Option<Cookie<'static>>,
}

impl Csrf {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            lifetime: DEFAULT_LIFETIME,
        }
    }

    /// With the key `master.derive("csrf-v2")`.
    pub fn from_master(master: &MasterKey) -> Result<Self, SecretError> {
        Ok(Self::new(master.derive("csrf-v2")?))
    }

    /// Tokens are accepted for `lifetime` after they are issued.
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    fn mac(&self, cookie: &str, scope: &CsrfScope<'_>, expires: i64) -> String {
        let mut context = hmac::Context::with_key(&self.key);
        // Length-prefixed fields: no two different inputs share one byte string.
        for field in [
            cookie.as_bytes(),
            scope.tenant.to_string().as_bytes(),
            scope.binding.as_bytes(),
            expires.to_string().as_bytes(),
        ] {
            context.update(&(field.len() as u64).to_be_bytes());
            context.update(field);
        }
        URL_SAFE_NO_PAD.encode(context.sign().as_ref())
    }

    fn token_for(&self, cookie: &str, scope: &CsrfScope<'_>, now: DateTime<Utc>) -> String {
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let expires = now.timestamp().saturating_add(lifetime);
        format!("{expires}.{}", self.mac(cookie, scope, expires))
    }

    /// The token for a form served to this browser at `now`. Without a (well-formed) cookie, a
    /// new one is made, to be set on the response, with `Path=path` (e.g. `/t/{slug}/`).
    pub fn token(
        &self,
        req: &HttpRequest,
        path: &str,
        secure: bool,
        scope: &CsrfScope<'_>,
        now: DateTime<Utc>,
    ) -> Result<CsrfToken, SecretError> {
        if let Some(existing) = req.cookie(CSRF_COOKIE).filter(|c| plausible(c.value())) {
            return Ok(CsrfToken {
                token: self.token_for(existing.value(), scope, now),
                cookie: None,
            });
        }
        let value = try_random_token(32)?;
        let token = self.token_for(&value, scope, now);
        let cookie = Cookie::build(CSRF_COOKIE, value)
            .path(path.to_owned())
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .finish();
        Ok(CsrfToken {
            token,
            cookie: Some(cookie),
        })
    }

    /// Whether `submitted` is a live token of the cookie this request carries, for `scope`.
    pub fn verify(
        &self,
        req: &HttpRequest,
        submitted: Option<&str>,
        scope: &CsrfScope<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), CsrfRefusal> {
        let (Some(cookie), Some(submitted)) = (req.cookie(CSRF_COOKIE), submitted) else {
            return Err(CsrfRefusal::Mismatch);
        };
        if !plausible(cookie.value()) {
            return Err(CsrfRefusal::Mismatch);
        }
        let Some(expires) = submitted
            .split_once('.')
            .and_then(|(expires, _)| expires.parse::<i64>().ok())
        else {
            return Err(CsrfRefusal::Mismatch);
        };
        let expected = format!("{expires}.{}", self.mac(cookie.value(), scope, expires));
        if !constant_time_eq(expected.as_bytes(), submitted.as_bytes()) {
            return Err(CsrfRefusal::Mismatch);
        }
        if now.timestamp() >= expires {
            return Err(CsrfRefusal::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use actix_web::test::TestRequest;
    use chrono::TimeDelta;

    use super::*;

    fn csrf() -> Csrf {
        Csrf::from_master(&MasterKey::generate().unwrap()).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn scope(tenant: TenantId, binding: &str) -> CsrfScope<'_> {
        CsrfScope { tenant, binding }
    }

    /// A request carrying the cookie a first token came with, and that token.
    fn issued(csrf: &Csrf, scope: &CsrfScope<'_>) -> (actix_web::HttpRequest, String) {
        let first = csrf
            .token(
                &TestRequest::default().to_http_request(),
                "/t/acme/",
                true,
                scope,
                now(),
            )
            .unwrap();
        let req = TestRequest::default()
            .cookie(first.cookie.unwrap())
            .to_http_request();
        (req, first.token)
    }

    #[test]
    fn token_issued_with_a_cookie_verifies_with_that_cookie_only() {
        let csrf = csrf();
        let acme = scope(TenantId::generate(), "interaction:i1");
        let first = csrf
            .token(
                &TestRequest::default().to_http_request(),
                "/t/acme/",
                true,
                &acme,
                now(),
            )
            .unwrap();
        let cookie = first.cookie.clone().unwrap();
        let text = cookie.to_string();
        assert!(
            text.contains("HttpOnly")
                && text.contains("SameSite=Lax")
                && text.contains("Path=/t/acme/")
                && text.contains("Secure")
        );
        let with_cookie = TestRequest::default()
            .cookie(cookie.clone())
            .to_http_request();
        assert_eq!(
            csrf.verify(&with_cookie, Some(&first.token), &acme, now()),
            Ok(())
        );
        let again = csrf
            .token(&with_cookie, "/t/acme/", true, &acme, now())
            .unwrap();
        assert!(again.cookie.is_none(), "an existing cookie is kept");
        assert_eq!(
            csrf.verify(&with_cookie, Some(&again.token), &acme, now()),
            Ok(())
        );

        let other = csrf
            .token(
                &TestRequest::default().to_http_request(),
                "/t/acme/",
                true,
                &acme,
                now(),
            )
            .unwrap();
        assert_eq!(
            csrf.verify(&with_cookie, Some(&other.token), &acme, now()),
            Err(CsrfRefusal::Mismatch),
            "another browser's token"
        );
        assert_eq!(
            csrf.verify(&with_cookie, None, &acme, now()),
            Err(CsrfRefusal::Mismatch),
            "no token"
        );
        assert_eq!(
            csrf.verify(
                &TestRequest::default().to_http_request(),
                Some(&first.token),
                &acme,
                now()
            ),
            Err(CsrfRefusal::Mismatch),
            "no cookie"
        );
    }

    #[test]
    fn a_token_of_another_tenant_is_refused() {
        let csrf = csrf();
        let acme = scope(TenantId::generate(), "");
        let (req, token) = issued(&csrf, &acme);
        let other = scope(TenantId::generate(), "");
        assert_eq!(
            csrf.verify(&req, Some(&token), &other, now()),
            Err(CsrfRefusal::Mismatch)
        );
        assert_eq!(csrf.verify(&req, Some(&token), &acme, now()), Ok(()));
    }

    #[test]
    fn a_token_of_another_interaction_or_session_is_refused() {
        let csrf = csrf();
        let tenant = TenantId::generate();
        let (req, token) = issued(&csrf, &scope(tenant, "interaction:i1"));
        for other in ["interaction:i2", "", "session:s1", "interaction:i1 "] {
            assert_eq!(
                csrf.verify(&req, Some(&token), &scope(tenant, other), now()),
                Err(CsrfRefusal::Mismatch),
                "{other:?}"
            );
        }
        let (req, token) = issued(&csrf, &scope(tenant, "session:s1"));
        assert_eq!(
            csrf.verify(&req, Some(&token), &scope(tenant, "session:s2"), now()),
            Err(CsrfRefusal::Mismatch)
        );
    }

    #[test]
    fn a_token_expires_after_its_lifetime_and_its_expiry_cannot_be_moved() {
        let csrf = csrf().with_lifetime(Duration::from_secs(600));
        let acme = scope(TenantId::generate(), "session:s1");
        let (req, token) = issued(&csrf, &acme);
        let just_before = now() + TimeDelta::seconds(599);
        assert_eq!(csrf.verify(&req, Some(&token), &acme, just_before), Ok(()));
        let after = now() + TimeDelta::seconds(600);
        assert_eq!(
            csrf.verify(&req, Some(&token), &acme, after),
            Err(CsrfRefusal::Expired)
        );
        let (_, mac) = token.split_once('.').unwrap();
        let pushed = format!("{}.{mac}", after.timestamp() + 600);
        assert_eq!(
            csrf.verify(&req, Some(&pushed), &acme, after),
            Err(CsrfRefusal::Mismatch),
            "the expiry is under the MAC"
        );
    }

    #[test]
    fn tokens_of_another_key_are_refused() {
        let (a, b) = (csrf(), csrf());
        let acme = scope(TenantId::generate(), "");
        let (req, token) = issued(&a, &acme);
        assert_eq!(
            b.verify(&req, Some(&token), &acme, now()),
            Err(CsrfRefusal::Mismatch)
        );
    }

    #[test]
    fn malformed_cookies_get_replaced_and_malformed_tokens_refused() {
        let csrf = csrf();
        let acme = scope(TenantId::generate(), "");
        let req = TestRequest::default()
            .cookie(Cookie::new(CSRF_COOKIE, "short"))
            .to_http_request();
        assert!(
            csrf.token(&req, "/", false, &acme, now())
                .unwrap()
                .cookie
                .is_some()
        );
        let forged = csrf.token_for("short", &acme, now());
        assert_eq!(
            csrf.verify(&req, Some(&forged), &acme, now()),
            Err(CsrfRefusal::Mismatch)
        );
        let (req, _) = issued(&csrf, &acme);
        for bad in [
            "",
            ".",
            "x.y",
            "1.",
            "99999999999999999999999.abc",
            "no-dot",
        ] {
            assert_eq!(
                csrf.verify(&req, Some(bad), &acme, now()),
                Err(CsrfRefusal::Mismatch),
                "{bad:?}"
            );
        }
    }
}
