//! The token endpoint's audit events reach the audit log of the token's tenant, written in
//! batches off the request path: issues (with the request's X-Request-Id), a refresh-token
//! replay that revoked its family, and revocations.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::admin_api::{Admin, dev_admin};
use crate::app::TestApp;

/// The demo tenant's events of `action`, waiting (up to 10 s) until there are `at_least`.
async fn events(admin: &Admin<'_>, action: &str, at_least: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = admin
            .ok(
                Method::GET,
                &format!("/tenants/demo/audit-events?action={action}&limit=100"),
                None,
            )
            .await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= at_least || Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn issues_replays_and_revocations_are_audited_in_the_tokens_tenant() {
    let server = TestApp::dev().await;
    let admin = Admin::login(&server, &dev_admin(&server)).await;
    let legacy = server.demo_client("Demo legacy");

    let res = server
        .http
        .post(format!("{}/token", server.issuer("demo")))
        .basic_auth(&legacy.id, Some(&legacy.secret))
        .header("X-Request-Id", "audit-e2e-1")
        .form(&[
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "demo-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let first: Value = res.json().await.unwrap();
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = server
        .token(
            "demo",
            &legacy,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
        )
        .await;
    let replay = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
        )
        .await;
    assert_eq!(replay.status(), 400);
    let access = second["access_token"].as_str().unwrap();
    let revoked = server
        .post("demo", "revoke", Some(&legacy), &[("token", access)])
        .await;
    assert_eq!(revoked.status(), 200);

    let issued = events(&admin, "token.issue", 2).await;
    let grants: Vec<&str> = issued
        .iter()
        .map(|e| e["after"]["grant_type"].as_str().unwrap())
        .collect();
    // Newest first.
    assert_eq!(grants, ["refresh_token", "password"], "{issued:?}");
    let password = &issued[1];
    assert_eq!(password["actor"], format!("client:{}", legacy.id));
    assert!(password["target"].as_str().unwrap().starts_with("user:"));
    assert_eq!(password["request_id"], "audit-e2e-1");
    assert!(
        !password.to_string().contains(&rt1),
        "no token is ever recorded"
    );

    let reuse = events(&admin, "token.refresh_reuse", 1).await;
    assert_eq!(reuse.len(), 1, "{reuse:?}");
    assert!(
        reuse[0]["target"]
            .as_str()
            .unwrap()
            .starts_with("refresh_family:")
    );
    let revokes = events(&admin, "token.revoke", 1).await;
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    assert!(
        revokes[0]["target"]
            .as_str()
            .unwrap()
            .starts_with("access_token:")
    );
}
