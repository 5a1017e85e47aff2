//! The consent page inside a real authorization request: /authorize → login → resume →
//! consent → resume → the client's redirect URI.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::app::TestApp;
use crate::page_client::{Browser, Page};
use crate::pages::{PASSWORD, server_with, urlencode};

const REDIRECT: &str = "https://rp.test/cb";

fn absolute(server: &TestApp, location: &str) -> String {
    if location.starts_with('/') {
        format!("{}{location}", server.base)
    } else {
        location.to_owned()
    }
}

/// Starts an authorization request for `client` and signs in on the login page it leads to;
/// returns the answer of `/authorize/resume` after the login.
async fn authorize_and_sign_in(
    server: &TestApp,
    browser: &Browser,
    client: &str,
    scope: &str,
) -> Page {
    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789";
    let challenge = URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    let url = format!(
        "{}/authorize?response_type=code&client_id={client}&redirect_uri={}&scope={}&state=st-1&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("acme"),
        urlencode(REDIRECT),
        urlencode(scope),
    );
    let start = browser.get(&url).await;
    let login = start.location();
    assert!(
        login.contains("/t/acme/login?interaction="),
        "{} {}",
        start.status,
        start.body
    );
    let form = browser.get(&absolute(server, &login)).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("Photo App"),
        "the client's name: {}",
        form.body
    );
    let interaction = form.hidden("interaction");
    let signed_in = browser
        .post(
            &format!("{}/login", server.issuer("acme")),
            &[
                ("csrf_token", &form.hidden("csrf_token")),
                ("interaction", &interaction),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(
        signed_in.location(),
        format!("/t/acme/authorize/resume?interaction={interaction}")
    );
    browser.get(&absolute(server, &signed_in.location())).await
}

async fn photo_app(server: &TestApp) -> String {
    let created = server
        .register(&[
            "--tenant",
            "acme",
            "--name",
            "Photo App",
            "--redirect-uri",
            REDIRECT,
            "--grant-type",
            "authorization_code",
            "--json",
        ])
        .await;
    created["client_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn consent_page_lists_scopes_in_plain_words_and_denial_returns_access_denied() {
    let (server, _) = server_with("acme", "Acme").await;
    let client = photo_app(&server).await;
    let browser = Browser::new();
    let resumed =
        authorize_and_sign_in(&server, &browser, &client, "openid profile offline_access").await;
    let consent_url = resumed.location();
    assert!(
        consent_url.contains("/t/acme/consent?interaction="),
        "{} {}",
        resumed.status,
        resumed.body
    );
    let page = browser.get(&absolute(&server, &consent_url)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for words in [
        "Confirm your identity",
        "Your name and profile details",
        "Stay signed in to this application (refresh tokens)",
        "Photo App",
    ] {
        assert!(page.body.contains(words), "{words} in {}", page.body);
    }
    assert!(
        page.header("content-security-policy")
            .contains("https://rp.test"),
        "the redirect after the form may go to the client"
    );
    let no_csrf = browser
        .post(
            &format!("{}/consent", server.issuer("acme")),
            &[
                ("interaction", &page.hidden("interaction")),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(no_csrf.status, 403);
    let denied = browser
        .post(
            &format!("{}/consent", server.issuer("acme")),
            &[
                ("csrf_token", &page.hidden("csrf_token")),
                ("interaction", &page.hidden("interaction")),
                ("decision", "deny"),
            ],
        )
        .await;
    assert_eq!(denied.status, 303);
    let back = browser.get(&absolute(&server, &denied.location())).await;
    let location = back.location();
    assert!(
        location.starts_with(REDIRECT)
            && location.contains("error=access_denied")
            && location.contains("state=st-1"),
        "{location}"
    );
}

#[tokio::test]
async fn approved_consent_is_remembered_and_the_session_signs_in_without_a_form() {
    let (server, _) = server_with("acme", "Acme").await;
    let client = photo_app(&server).await;
    let browser = Browser::new();
    let resumed = authorize_and_sign_in(&server, &browser, &client, "openid email").await;
    let page = browser.get(&absolute(&server, &resumed.location())).await;
    assert!(page.body.contains("Your email address"));
    let approved = browser
        .post(
            &format!("{}/consent", server.issuer("acme")),
            &[
                ("csrf_token", &page.hidden("csrf_token")),
                ("interaction", &page.hidden("interaction")),
                ("decision", "approve"),
            ],
        )
        .await;
    let back = browser.get(&absolute(&server, &approved.location())).await;
    assert!(
        back.location().starts_with(REDIRECT) && back.location().contains("code="),
        "{}",
        back.location()
    );

    let verifier = "another-verifier-of-enough-length-for-pkce-0123456789";
    let challenge = URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    let again = browser
        .get(&format!(
            "{}/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20email&state=st-2&code_challenge={challenge}&code_challenge_method=S256",
            server.issuer("acme"),
            urlencode(REDIRECT),
        ))
        .await;
    assert!(
        again.location().starts_with(REDIRECT) && again.location().contains("code="),
        "SSO + remembered consent: {}",
        again.location()
    );
}
