//! CSRF protection for server-rendered forms: a signed double-submit token bound to a
//! pre-session cookie.
//!
//! The browser holds a random `keyward_csrf` cookie (HttpOnly, SameSite=Lax). Every form
//! carries `csrf_token` = HMAC-SHA256(key, cookie value), the key derived from the master
//! key (`MasterKey::derive("csrf-v1")`). A POST is accepted only if its token is the MAC of
//! the cookie it came with (compared in constant time): another site can make the browser
//! send the cookie, but cannot read it nor compute its MAC, and cannot plant a cookie that
//! matches a token of its choosing without the key.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyward_core::secret::{constant_time_eq, try_random_token};
use keyward_core::{MasterKey, SecretError};
use ring::hmac;

/// The pre-session cookie the tokens are bound to.
pub const CSRF_COOKIE: &str = "keyward_csrf";
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// Cookie values are 32 random bytes in base64url (43 characters).
fn plausible(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Issues and checks CSRF tokens.
#[derive(Clone)]
pub struct Csrf {
    key: hmac::Key,
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Csrf").finish_non_exhaustive()
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
        }
    }

    /// With the key `master.derive("csrf-v1")`.
    pub fn from_master(master: &MasterKey) -> Result<Self, SecretError> {
        Ok(Self::new(master.derive("csrf-v1")?))
    }

    fn mac(&self, cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, cookie.as_bytes()).as_ref())
    }

    /// The token for a form served to this browser. Without a (well-formed) cookie, a new one
    /// is made, to be set on the response, with `Path=path` (e.g. `/t/{slug}/`).
    pub fn token(
        &self,
        req: &HttpRequest,
        path: &str,
        secure: bool,
    ) -> Result<CsrfToken, SecretError> {
        if let Some(existing) = req.cookie(CSRF_COOKIE).filter(|c| plausible(c.value())) {
            return Ok(CsrfToken {
                token: self.mac(existing.value()),
                cookie: None,
            });
        }
        let value = try_random_token(32)?;
        let token = self.mac(&value);
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

    /// Whether `submitted` is the token of the cookie this request carries.
    pub fn verify(&self, req: &HttpRequest, submitted: Option<&str>) -> bool {
        let (Some(cookie), Some(submitted)) = (req.cookie(CSRF_COOKIE), submitted) else {
            return false;
        };
        plausible(cookie.value())
            && constant_time_eq(self.mac(cookie.value()).as_bytes(), submitted.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use actix_web::test::TestRequest;

    use super::*;

    fn csrf() -> Csrf {
        Csrf::from_master(&MasterKey::generate().unwrap()).unwrap()
    }

    #[test]
    fn token_issued_with_a_cookie_verifies_with_that_cookie_only() {
        let csrf = csrf();
        let first = csrf
            .token(&TestRequest::default().to_http_request(), "/t/acme/", true)
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
        assert!(csrf.verify(&with_cookie, Some(&first.token)));
        let again = csrf.token(&with_cookie, "/t/acme/", true).unwrap();
        assert!(again.cookie.is_none(), "an existing cookie is kept");
        assert_eq!(again.token, first.token);

        let other = csrf
            .token(&TestRequest::default().to_http_request(), "/t/acme/", true)
            .unwrap();
        assert!(
            !csrf.verify(&with_cookie, Some(&other.token)),
            "another browser's token"
        );
        assert!(!csrf.verify(&with_cookie, None), "no token");
        assert!(
            !csrf.verify(
                &TestRequest::default().to_http_request(),
                Some(&first.token)
            ),
            "no cookie"
        );
    }

    #[test]
    fn tokens_of_another_key_are_refused() {
        let (a, b) = (csrf(), csrf());
        let issued = a
            .token(&TestRequest::default().to_http_request(), "/", false)
            .unwrap();
        let req = TestRequest::default()
            .cookie(issued.cookie.unwrap())
            .to_http_request();
        assert!(!b.verify(&req, Some(&issued.token)));
    }

    #[test]
    fn malformed_cookies_get_replaced() {
        let csrf = csrf();
        let req = TestRequest::default()
            .cookie(Cookie::new(CSRF_COOKIE, "short"))
            .to_http_request();
        assert!(csrf.token(&req, "/", false).unwrap().cookie.is_some());
        assert!(!csrf.verify(&req, Some(&csrf.mac("short"))));
    }
}
