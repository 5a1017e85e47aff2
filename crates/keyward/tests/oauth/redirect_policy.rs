//! Plain-http redirect URIs: refused for anything but loopback (RFC 8252 §7.3), unless the
//! tenant's `allow_http_redirect_uris` setting says otherwise (a development tenant whose apps
//! run on plain-http hosts of an internal network). The setting is per tenant: other tenants
//! keep the rule.

use reqwest::Method;
use serde_json::json;

use crate::admin_tokens::api;
use crate::app::TestApp;

#[tokio::test]
async fn a_tenant_setting_allows_plain_http_redirect_uris_for_that_tenant_only() {
    let app = TestApp::dev().await;
    let root = app.admin_token().await;
    app.tenant("strict").await;
    let client = json!({
        "name": "intranet app", "public": true,
        "redirect_uris": ["http://app.internal:8000/callback"],
        "grant_types": ["authorization_code"], "scopes": ["openid"],
    });
    let (status, _, body) = api(
        &app,
        Method::POST,
        "/tenants/demo/clients",
        &root,
        Some(client.clone()),
    )
    .await;
    assert_eq!(status, 422, "refused by default: {body}");

    let (status, _, body) = api(
        &app,
        Method::PATCH,
        "/tenants/demo",
        &root,
        Some(json!({ "settings": { "allow_http_redirect_uris": true } })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["settings"]["allow_http_redirect_uris"], true, "{body}");
    let (status, _, body) = api(
        &app,
        Method::POST,
        "/tenants/demo/clients",
        &root,
        Some(client.clone()),
    )
    .await;
    assert_eq!(status, 201, "allowed by the tenant: {body}");
    let id = body["client_id"].as_str().unwrap().to_owned();

    // The registered http URI is matched exactly at /authorize, like any other.
    let authorize = |uri: &str| {
        format!(
            "{}/authorize?response_type=code&client_id={id}&redirect_uri={uri}&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            app.issuer("demo")
        )
    };
    let res = app
        .http
        .get(authorize("http://app.internal:8000/callback"))
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    if let Some(location) = res.headers().get("location") {
        assert!(
            !location
                .to_str()
                .unwrap()
                .starts_with("http://app.internal:8000/other")
        );
    }
    let res = app
        .http
        .get(authorize("http://app.internal:8000/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "an unregistered URI is still refused");

    let (status, _, body) = api(
        &app,
        Method::POST,
        "/tenants/strict/clients",
        &root,
        Some(client),
    )
    .await;
    assert_eq!(status, 422, "another tenant keeps the rule: {body}");
    app.cleanup().await;
}
