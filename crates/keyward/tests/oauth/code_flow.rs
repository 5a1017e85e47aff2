//! The authorization code flow with PKCE through the hosted pages, end to end: `openidconnect`
//! builds the request and redeems the code (verifying the ID token's signature, nonce and
//! at_hash), a cookie-keeping browser signs in and consents.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::app::TestApp;
use crate::flow_driver::{Browser, response_params};
use crate::server::assert_error;

pub const SPA_CB: &str = "http://127.0.0.1:3000/spa/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization URL for the demo SPA (public, first party) with PKCE.
pub fn spa_url(server: &TestApp, client_id: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={SPA_CB}&scope=openid+email+profile&state=st&nonce=nn&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        server.issuer("demo")
    )
}

/// Signs the browser in through the SPA's flow and returns the code.
pub async fn spa_code(server: &TestApp, browser: &Browser, client_id: &str, extra: &str) -> String {
    let landing = browser
        .drive(
            browser.get(&spa_url(server, client_id, extra)).await,
            Some(("demo", "demo-password")),
        )
        .await;
    let params = response_params(&landing.redirect());
    params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {params:?}"))
        .clone()
}

pub async fn redeem(
    server: &TestApp,
    client_id: &str,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> reqwest::Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect_uri),
    ];
    server.post("demo", "token", None, &form).await
}

#[tokio::test]
async fn code_flow_with_pkce_and_consent_works_with_openidconnect_end_to_end() {
    let server = TestApp::dev().await;
    let creds = server.demo_client("Demo web app");
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(server.issuer("demo")).unwrap(),
        &server.http,
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(creds.id.clone()),
        Some(ClientSecret::new(creds.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:3000/callback".into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = Browser::new(&server);
    let location = browser
        .drive(
            browser.get(url.as_str()).await,
            Some(("demo", "demo-password")),
        )
        .await
        .redirect();
    assert!(
        location.starts_with("http://127.0.0.1:3000/callback?"),
        "{location}"
    );
    let params = response_params(&location);
    assert_eq!(params.get("state"), Some(state.secret()));
    assert_eq!(params.get("iss"), Some(&server.issuer("demo")), "RFC 9207");

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&server.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("openid gives an ID token");
    let verifier = client.id_token_verifier().set_allowed_algs(vec![
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    ]);
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    let expected = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected);
    assert!(claims.auth_time().is_some());

    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&server.http)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("demo@example.com"));
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("demo"));

    // Consent is remembered: a second run needs neither the sign-in nor the consent page.
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .url();
    let again = browser
        .drive(browser.get(url.as_str()).await, None)
        .await
        .redirect();
    assert!(response_params(&again).contains_key("code"));
}

#[tokio::test]
async fn authorization_code_reuse_is_invalid_grant_and_revokes_the_first_tokens() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let browser = Browser::new(&server);
    let code = spa_code(&server, &browser, &spa, "").await;
    let res = redeem(&server, &spa, &code, VERIFIER, SPA_CB).await;
    assert_eq!(res.status(), 200);
    let first: Value = res.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    let userinfo = |token: String| {
        let http = server.http.clone();
        let url = format!("{}/userinfo", server.issuer("demo"));
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(userinfo(access.to_owned()).await, 200);
    assert_error(
        redeem(&server, &spa, &code, VERIFIER, SPA_CB).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        userinfo(access.to_owned()).await,
        401,
        "the first use's access token is revoked"
    );
}

#[tokio::test]
async fn code_exchange_checks_verifier_client_and_redirect_uri() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let browser = Browser::new(&server);
    let code = spa_code(&server, &browser, &spa, "").await;
    assert_error(
        redeem(&server, &spa, &code, &"x".repeat(43), SPA_CB).await,
        400,
        "invalid_grant",
    )
    .await;

    let code = spa_code(&server, &browser, &spa, "").await;
    assert_error(
        redeem(
            &server,
            &spa,
            &code,
            VERIFIER,
            "http://127.0.0.1:3000/other",
        )
        .await,
        400,
        "invalid_grant",
    )
    .await;

    let code = spa_code(&server, &browser, &spa, "").await;
    let other = server
        .client("demo", &["--public", "--redirect-uri", SPA_CB])
        .await;
    assert_error(
        redeem(&server, &other.id, &code, VERIFIER, SPA_CB).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn prompt_none_gives_a_code_when_signed_in_and_login_required_when_not() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let browser = Browser::new(&server);
    let res = browser.get(&spa_url(&server, &spa, "&prompt=none")).await;
    let params = response_params(&browser.drive(res, None).await.redirect());
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("login_required")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("st"));

    spa_code(&server, &browser, &spa, "").await;
    let res = browser.get(&spa_url(&server, &spa, "&prompt=none")).await;
    assert_eq!(res.status(), 302, "straight back to the client");
    let params = response_params(&browser.drive(res, None).await.redirect());
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn prompt_login_and_max_age_zero_force_a_new_sign_in() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let browser = Browser::new(&server);
    spa_code(&server, &browser, &spa, "").await;
    for extra in ["&prompt=login", "&max_age=0"] {
        let res = browser.get(&spa_url(&server, &spa, extra)).await;
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            to.starts_with("/t/demo/login?interaction="),
            "{extra}: {to}"
        );
        let landing = browser.drive(res, Some(("demo", "demo-password"))).await;
        assert!(
            response_params(&landing.redirect()).contains_key("code"),
            "{extra}"
        );
    }
    let code = spa_code(&server, &browser, &spa, "&max_age=3600").await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn authorize_accepts_post_and_ignores_unknown_parameters() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let browser = Browser::new(&server);
    spa_code(
        &server,
        &browser,
        &spa,
        "&unknown_param=1&display=page&ui_locales=en&acr_values=x&login_hint=demo",
    )
    .await;
    let form: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", spa.as_str()),
        ("redirect_uri", SPA_CB),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "posted"),
        ("whatever", "ignored"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let res = browser
        .post(&format!("{}/authorize", server.issuer("demo")), &form)
        .await;
    assert_eq!(res.status(), 303);
    let params = response_params(&browser.drive(res, None).await.redirect());
    assert_eq!(params.get("state").map(String::as_str), Some("posted"));
    assert!(params.contains_key("code"));
}

#[tokio::test]
async fn declining_consent_returns_access_denied_to_the_client() {
    let server = TestApp::dev().await;
    let web = server.demo_client("Demo web app").id;
    let url = format!(
        "{}/authorize?response_type=code&client_id={web}&scope=openid+email&state=declined",
        server.issuer("demo")
    );
    let browser = Browser::new(&server);
    let landing = browser
        .drive_deciding(
            browser.get(&url).await,
            Some(("demo", "demo-password")),
            "deny",
        )
        .await;
    let params = response_params(&landing.redirect());
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("declined"));
    // prompt=none without a remembered consent: consent_required.
    let res = browser.get(&format!("{url}&prompt=none")).await;
    let params = response_params(&browser.drive(res, None).await.redirect());
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("consent_required")
    );
}
