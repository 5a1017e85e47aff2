//! The implicit flow (OIDC Core §3.2) with response_mode=form_post: an auto-submitting form that
//! carries an ID token with the nonce and the user's claims, and no code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::app::TestApp;
use crate::flow_driver::{Browser, Landing, form};

#[tokio::test]
async fn implicit_form_post_delivers_an_id_token_with_nonce_and_no_code() {
    let server = TestApp::dev().await;
    let implicit = server.demo_client("Demo implicit").id;
    let url = format!(
        "{}/authorize?response_type=id_token&response_mode=form_post&client_id={implicit}&scope=openid+email&state=st&nonce=n-123",
        server.issuer("demo")
    );
    let browser = Browser::new(&server);
    let Landing::Page { status, html, csp } = browser
        .drive(browser.get(&url).await, Some(("demo", "demo-password")))
        .await
    else {
        panic!("form_post is a page")
    };
    assert_eq!(status, 200);
    assert!(html.contains("<noscript>"), "works without JavaScript");
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("form-action http://127.0.0.1:3000"),
        "{csp}"
    );
    let (action, fields) = form(&html);
    assert_eq!(action, "http://127.0.0.1:3000/form_post");
    let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert!(field("code").is_none() && field("access_token").is_none());
    assert_eq!(field("state").as_deref(), Some("st"));
    assert_eq!(field("iss"), Some(server.issuer("demo")));
    let id_token = field("id_token").expect("an ID token");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], "n-123");
    assert_eq!(claims["aud"], implicit.as_str());
    assert_eq!(
        claims["email"], "demo@example.com",
        "no access token: the claims ride in the ID token"
    );
    assert!(claims["at_hash"].is_null());
}

#[tokio::test]
async fn implicit_id_token_token_goes_in_the_fragment_and_the_access_token_reaches_userinfo() {
    let server = TestApp::dev().await;
    let implicit = server.demo_client("Demo implicit").id;
    let url = format!(
        "{}/authorize?response_type=id_token+token&client_id={implicit}&scope=openid+email&state=st&nonce=n-9",
        server.issuer("demo")
    );
    let browser = Browser::new(&server);
    let location = browser
        .drive(browser.get(&url).await, Some(("demo", "demo-password")))
        .await
        .redirect();
    assert!(
        location.starts_with("http://127.0.0.1:3000/form_post#"),
        "the default mode is the fragment: {location}"
    );
    let params = crate::flow_driver::response_params(&location);
    assert_eq!(params.get("token_type").map(String::as_str), Some("Bearer"));
    assert!(!params.contains_key("code"));
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(params["id_token"].split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], "n-9");
    assert!(claims["at_hash"].is_string());
    assert!(
        claims.get("email").is_none(),
        "with an access token the claims come from userinfo"
    );
    let info: Value = server
        .http
        .get(format!("{}/userinfo", server.issuer("demo")))
        .bearer_auth(&params["access_token"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], "demo@example.com");
}
