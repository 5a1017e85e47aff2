//! A role granted through the admin API on one node takes effect on another node sharing the
//! same PostgreSQL and Redis within a second (skipped without KEYWARD_TEST_DATABASE_URL and
//! KEYWARD_TEST_REDIS_URL).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::admin_api::API;
use crate::app::{Options, TestApp};

#[tokio::test]
async fn a_role_granted_on_one_node_takes_effect_on_another_within_a_second() {
    if std::env::var("KEYWARD_TEST_REDIS_URL").is_err() {
        eprintln!("skipped: KEYWARD_TEST_REDIS_URL is not set");
        return;
    }
    let Some(one) = TestApp::postgres(Options::dev()).await else {
        eprintln!("skipped: KEYWARD_TEST_DATABASE_URL is not set");
        return;
    };
    let admin = one.admin_client();
    one.tenant("shared").await;
    let two = one.peer().await;
    let http = reqwest::Client::new();
    let token = |base: String, id: String, secret: String| {
        let http = http.clone();
        async move {
            let body: Value = http
                .post(format!("{base}/t/system/token"))
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", "keyward:admin"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let root_token = token(one.base.clone(), admin.id.clone(), admin.secret.clone()).await;
    let api = |base: &str, path: &str| format!("{base}{API}{path}");
    let system: Value = http
        .get(api(&one.base, "/tenants/system"))
        .bearer_auth(&root_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot: Value = http
        .post(api(&one.base, "/tenants/system/clients"))
        .bearer_auth(&root_token)
        .json(&json!({ "name": "bot", "grant_types": ["client_credentials"], "scopes": ["keyward:admin"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot_token = token(
        two.base.clone(),
        bot["client_id"].as_str().unwrap().into(),
        bot["client_secret"].as_str().unwrap().into(),
    )
    .await;
    let on_two = || {
        http.get(api(&two.base, "/tenants/shared"))
            .bearer_auth(&bot_token)
            .send()
    };
    assert_eq!(on_two().await.unwrap().status(), 403);
    let subject = format!(
        "client:{}/{}",
        system["id"].as_str().unwrap(),
        bot["client_id"].as_str().unwrap()
    );
    let granted = http
        .post(api(&one.base, "/tenants/shared/role-assignments"))
        .bearer_auth(&root_token)
        .json(&json!({ "subject": subject, "role": "tenant-viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if on_two().await.unwrap().status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the grant did not reach the second node within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(two);
    one.cleanup().await;
}
