//! The hosted sign-in and consent pages against a real server, with a cookie-keeping client:
//! labels, CSRF, branding and escaping, generic failures and throttling, the session cookie,
//! tenant isolation of sessions, expired interactions and security headers.

use crate::app::{Options, TestApp};
use crate::page_client::{Browser, Page};

pub const PASSWORD: &str = "correct horse 1";

/// A plain server with tenant `slug` (display name `name`) and user `alice`; returns her id.
/// Relying parties on loopback are reachable (the back-channel logout tests run them).
pub async fn server_with(slug: &str, name: &str) -> (TestApp, String) {
    let server = TestApp::embedded(Options::default().loopback_relying_parties()).await;
    let user = tenant_with_alice(&server, slug, name).await;
    (server, user)
}

pub async fn tenant_with_alice(server: &TestApp, slug: &str, name: &str) -> String {
    server.tenant_named(slug, name).await;
    server
        .user_with_email(slug, "alice", Some("alice@example.test"), PASSWORD)
        .await
}

/// Signs `alice` in at `slug` (no interaction) and returns the response.
pub async fn sign_in(server: &TestApp, browser: &Browser, slug: &str, password: &str) -> Page {
    let url = format!("{}/login", server.issuer(slug));
    let form = browser.get(&url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.hidden("csrf_token");
    browser
        .post(
            &url,
            &[
                ("csrf_token", &csrf),
                ("username", "alice"),
                ("password", password),
            ],
        )
        .await
}

#[tokio::test]
async fn login_page_is_labelled_branded_csrf_protected_and_uncacheable() {
    let (server, _) = server_with("acme", "Acme Corp").await;
    let browser = Browser::new();
    let page = browser
        .get(&format!("{}/login", server.issuer("acme")))
        .await;
    assert_eq!(page.status, 200);
    for needle in [
        r#"<label for="username">"#,
        r#"id="username""#,
        r#"<label for="password">"#,
        r#"id="password""#,
        "Acme Corp",
        r#"method="post""#,
    ] {
        assert!(page.body.contains(needle), "{needle} in {}", page.body);
    }
    assert!(!page.hidden("csrf_token").is_empty());
    assert!(!page.body.contains("<script"), "works without JavaScript");
    let csrf_cookie = page.set_cookie("keyward_csrf").unwrap();
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("Path=/t/acme/"),
        "{csrf_cookie}"
    );
    let csp = page.header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "style-src 'nonce-",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn tenant_name_with_markup_is_escaped_on_the_login_page() {
    let (server, _) = server_with("evil", "<script>alert(1)</script>").await;
    let page = Browser::new()
        .get(&format!("{}/login", server.issuer("evil")))
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn login_without_a_valid_csrf_token_is_refused_with_a_readable_403() {
    let (server, _) = server_with("acme", "Acme").await;
    let url = format!("{}/login", server.issuer("acme"));
    let browser = Browser::new();
    let form = browser.get(&url).await;
    let no_token = browser
        .post(&url, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        no_token.body.contains("Reload the page"),
        "{}",
        no_token.body
    );
    let other_browser = Browser::new();
    let stolen = other_browser
        .post(
            &url,
            &[
                ("csrf_token", &form.hidden("csrf_token")),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(stolen.status, 403, "a token without its cookie");
    assert!(stolen.set_cookie("keyward_session").is_none());
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_generic_message() {
    let (server, _) = server_with("acme", "Acme").await;
    let browser = Browser::new();
    let url = format!("{}/login", server.issuer("acme"));
    let wrong = sign_in(&server, &browser, "acme", "not the password").await;
    let csrf = browser.get(&url).await.hidden("csrf_token");
    let unknown = browser
        .post(
            &url,
            &[
                ("csrf_token", &csrf),
                ("username", "nobody<b>"),
                ("password", PASSWORD),
            ],
        )
        .await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, 401);
        assert!(
            page.body.contains("Incorrect username or password."),
            "{}",
            page.body
        );
        assert!(page.set_cookie("keyward_session").is_none());
    }
    assert!(
        unknown.body.contains(r#"value="nobody&lt;b&gt;""#),
        "the username is kept, escaped"
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_a_generic_message() {
    let (server, _) = server_with("throttle", "Throttle").await;
    let browser = Browser::new();
    for _ in 0..10 {
        assert_eq!(
            sign_in(&server, &browser, "throttle", "wrong password")
                .await
                .status,
            401
        );
    }
    let throttled = sign_in(&server, &browser, "throttle", PASSWORD).await;
    assert_eq!(throttled.status, 429, "even the right password waits");
    assert!(
        throttled.body.contains("Too many attempts"),
        "{}",
        throttled.body
    );
    assert!(throttled.set_cookie("keyward_session").is_none());
}

#[tokio::test]
async fn successful_login_sets_an_http_only_lax_session_cookie_scoped_to_the_tenant() {
    let (server, _) = server_with("acme", "Acme").await;
    let browser = Browser::new();
    let page = sign_in(&server, &browser, "acme", PASSWORD).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("signed in"));
    let cookie = page.set_cookie("keyward_session").unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/t/acme/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http public URL");
    assert_eq!(
        browser.cookie("keyward_session").unwrap().len(),
        43,
        "256-bit id"
    );
}

#[tokio::test]
async fn login_returns_only_to_relative_paths_of_the_same_tenant() {
    let (server, _) = server_with("acme", "Acme").await;
    let url = format!("{}/login", server.issuer("acme"));
    let browser = Browser::new();
    let form = browser
        .get(&format!("{url}?return_to=/t/acme/device"))
        .await;
    assert_eq!(form.hidden("return_to"), "/t/acme/device");
    let done = browser
        .post(
            &url,
            &[
                ("csrf_token", &form.hidden("csrf_token")),
                ("return_to", "/t/acme/device"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location().as_str()),
        (303, "/t/acme/device")
    );
    for bad in ["https://evil.test/", "//evil.test/x", "/t/other/device"] {
        let page = browser
            .get(&format!("{url}?return_to={}", urlencode(bad)))
            .await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.location().is_empty());
    }
}

#[tokio::test]
async fn session_cookie_of_one_tenant_is_not_a_session_at_another() {
    let (server, _) = server_with("acme", "Acme").await;
    tenant_with_alice(&server, "beta", "Beta").await;
    let browser = Browser::new();
    assert_eq!(
        sign_in(&server, &browser, "acme", PASSWORD).await.status,
        200
    );
    let at_acme = browser
        .get(&format!("{}/logout", server.issuer("acme")))
        .await;
    assert!(
        at_acme.body.contains("Sign out?"),
        "a session at acme: {}",
        at_acme.body
    );
    // A browser would not even send the cookie to /t/beta/; send it anyway.
    let elsewhere = Browser::new();
    elsewhere.set(
        "keyward_session",
        &browser.cookie("keyward_session").unwrap(),
    );
    let at_beta = elsewhere
        .get(&format!("{}/logout", server.issuer("beta")))
        .await;
    assert!(
        at_beta.body.contains("Nobody was signed out"),
        "no session at beta: {}",
        at_beta.body
    );
    let again = browser
        .get(&format!("{}/logout", server.issuer("acme")))
        .await;
    assert!(
        again.body.contains("Sign out?"),
        "the acme session is untouched"
    );
}

#[tokio::test]
async fn unknown_interaction_shows_a_readable_400_page() {
    let (server, _) = server_with("acme", "Acme").await;
    let browser = Browser::new();
    for page in ["login", "consent"] {
        let res = browser
            .get(&format!(
                "{}/{page}?interaction=doesnotexist",
                server.issuer("acme")
            ))
            .await;
        assert_eq!(res.status, 400, "{page}");
        assert!(
            res.body.contains("This sign-in request has expired"),
            "{}",
            res.body
        );
        assert!(res.header("content-type").starts_with("text/html"));
    }
    let csrf = browser
        .get(&format!("{}/login", server.issuer("acme")))
        .await
        .hidden("csrf_token");
    let res = browser
        .post(
            &format!("{}/consent", server.issuer("acme")),
            &[
                ("csrf_token", &csrf),
                ("interaction", "gone"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(res.status, 400);
    let unknown_tenant = browser
        .get(&format!("{}/login", server.issuer("nope")))
        .await;
    assert_eq!(unknown_tenant.status, 404);
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
