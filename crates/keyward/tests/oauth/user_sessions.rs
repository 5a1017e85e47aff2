//! A user's browser sessions through the admin API against a real server: a sign-in on the
//! hosted login page is listed (by its public `sid`, never its cookie value); ending it makes
//! the next `prompt=none` request answer `login_required` and tells the session's clients by
//! back-channel logout; another tenant's admin can neither see nor end it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::admin_api::{Admin, dev_admin, seed_tenant, service_account};
use crate::app::{Options, TestApp};
use crate::code_flow::{CHALLENGE, SPA_CB, spa_code, spa_url};
use crate::flow_driver::{Browser, response_params};

async fn demo_user(root: &Admin<'_>) -> String {
    let found = root
        .ok(Method::GET, "/tenants/demo/users?search=demo", None)
        .await;
    found["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn signed_in(server: &TestApp, spa: &str) -> Browser {
    let browser = Browser::new(server);
    spa_code(server, &browser, spa, "").await;
    browser
}

async fn silent_error(server: &TestApp, browser: &Browser, spa: &str) -> Option<String> {
    let res = browser.get(&spa_url(server, spa, "&prompt=none")).await;
    let params = response_params(&browser.drive(res, None).await.redirect());
    params.get("error").cloned()
}

#[tokio::test]
async fn a_revoked_session_must_sign_in_again() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let spa = server.demo_client("Demo SPA").id;
    let user = demo_user(&root).await;
    let browser = signed_in(&server, &spa).await;
    assert_eq!(silent_error(&server, &browser, &spa).await, None);

    let path = format!("/tenants/demo/users/{user}/sessions");
    let listed = root.ok(Method::GET, &path, None).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    let sid = items[0]["sid"].as_str().unwrap().to_owned();
    assert!(items[0]["amr"].as_array().is_some());
    assert!(
        items[0].get("id").is_none(),
        "the cookie value stays secret"
    );

    let (status, _, _) = root
        .call(Method::DELETE, &format!("{path}/{sid}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        silent_error(&server, &browser, &spa).await.as_deref(),
        Some("login_required")
    );
    let listed = root.ok(Method::GET, &path, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    let (again, _, _) = root
        .call(Method::DELETE, &format!("{path}/{sid}"), None)
        .await;
    assert_eq!(again, 404, "already ended");

    let audit = root
        .ok(
            Method::GET,
            "/tenants/demo/audit-events?action=user.revoke_sessions",
            None,
        )
        .await;
    let event = &audit["items"][0];
    assert_eq!(event["target"], format!("session:{user}/{sid}"), "{audit}");
}

#[tokio::test]
async fn revoking_all_sessions_signs_every_browser_out() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let spa = server.demo_client("Demo SPA").id;
    let user = demo_user(&root).await;
    let laptop = signed_in(&server, &spa).await;
    let phone = signed_in(&server, &spa).await;
    let path = format!("/tenants/demo/users/{user}/sessions");
    let listed = root.ok(Method::GET, &path, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");

    let (status, _, _) = root.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    for browser in [&laptop, &phone] {
        assert_eq!(
            silent_error(&server, browser, &spa).await.as_deref(),
            Some("login_required")
        );
    }
    let listed = root.ok(Method::GET, &path, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_tenant_admin_of_b_can_neither_list_nor_revoke_sessions_of_a() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let spa = server.demo_client("Demo SPA").id;
    let user = demo_user(&root).await;
    let browser = signed_in(&server, &spa).await;
    let path = format!("/tenants/demo/users/{user}/sessions");
    let sid = root.ok(Method::GET, &path, None).await["items"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();

    seed_tenant(&root, "iso-b").await;
    let admin_b = Admin::login(
        &server,
        &service_account(&root, "tenant-admin", "iso-b").await,
    )
    .await;
    for (method, path) in [
        (Method::GET, path.clone()),
        (Method::DELETE, format!("{path}/{sid}")),
        (Method::DELETE, path.clone()),
        // A's user and session through B's URLs are simply not there.
        (Method::GET, format!("/tenants/iso-b/users/{user}/sessions")),
        (
            Method::DELETE,
            format!("/tenants/iso-b/users/{user}/sessions/{sid}"),
        ),
    ] {
        let (status, _, value) = admin_b.call(method.clone(), &path, None).await;
        assert!(
            status == 403 || status == 404,
            "{method} {path}: {status} {value}"
        );
    }
    let viewer = Admin::login(
        &server,
        &service_account(&root, "tenant-viewer", "demo").await,
    )
    .await;
    assert_eq!(
        viewer.ok(Method::GET, &path, None).await["items"][0]["sid"],
        sid.as_str()
    );
    let (status, _, _) = viewer
        .call(Method::DELETE, &format!("{path}/{sid}"), None)
        .await;
    assert_eq!(status, 403, "a viewer cannot end sessions");

    assert_eq!(
        silent_error(&server, &browser, &spa).await,
        None,
        "still signed in"
    );
}

#[tokio::test]
async fn revoking_a_session_tells_its_clients_by_backchannel_logout() {
    let server = TestApp::embedded(Options::dev().loopback_relying_parties()).await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let user = demo_user(&root).await;
    let (uri, mut received) = crate::logout::backchannel_receiver().await;
    let rp = root
        .ok(
            Method::POST,
            "/tenants/demo/clients",
            Some(json!({
                "name": "RP", "public": true, "first_party": true,
                "redirect_uris": [SPA_CB], "grant_types": ["authorization_code"],
                "scopes": ["openid"], "backchannel_logout_uri": uri,
            })),
        )
        .await;
    let rp = rp["client_id"].as_str().unwrap();
    let browser = Browser::new(&server);
    let url = format!(
        "{}/authorize?response_type=code&client_id={rp}&redirect_uri={SPA_CB}&scope=openid&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256",
        server.issuer("demo")
    );
    let landing = browser
        .drive(browser.get(&url).await, Some(("demo", "demo-password")))
        .await;
    assert!(response_params(&landing.redirect()).contains_key("code"));

    let path = format!("/tenants/demo/users/{user}/sessions");
    let sid = root.ok(Method::GET, &path, None).await["items"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = root.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token")
        .unwrap();
    let part = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(claims["aud"], rp);
    assert_eq!(claims["sub"], user.as_str());
}
