//! What must survive the loss of ephemeral state: a revoked access token stays revoked across
//! a restart of an embedded node and a flush of Redis, and a revoked admin role ends on every
//! node even when the message announcing it never arrives.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::admin_tokens::{ADMIN_SCOPE, api, service_account};
use crate::app::{Options, TestApp};

/// How often the nodes of these tests compare their state with the database.
const RESYNC: &str = "1";

/// How long a change may take to reach a node that missed its message.
const WITHIN: Duration = Duration::from_secs(10);

async fn revoked_service_token(app: &TestApp) -> String {
    let service = app.demo_client("Demo service");
    let body = app
        .token("demo", &service, &[("grant_type", "client_credentials")])
        .await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(app.active("demo", &service, &token).await);
    let res = app
        .post("demo", "revoke", Some(&service), &[("token", &token)])
        .await;
    assert_eq!(res.status(), 200);
    assert!(!app.active("demo", &service, &token).await);
    token
}

#[tokio::test]
async fn a_revoked_access_token_stays_revoked_after_a_restart() {
    for app in
        TestApp::every_backend(Options::dev().var("KEYWARD_RESYNC_INTERVAL_SECS", RESYNC)).await
    {
        let token = revoked_service_token(&app).await;
        let backend = app.backend;
        let app = app.restart().await;
        let service = app.demo_client("Demo service");
        assert!(
            !app.active("demo", &service, &token).await,
            "{backend}: the revocation was lost with the restart"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_revoked_access_token_stays_revoked_after_redis_is_flushed() {
    let Some(app) =
        TestApp::postgres(Options::dev().var("KEYWARD_RESYNC_INTERVAL_SECS", RESYNC)).await
    else {
        eprintln!("skipped: KEYWARD_TEST_DATABASE_URL is not set");
        return;
    };
    if app.platform.config.redis_url.is_none() {
        eprintln!("skipped: KEYWARD_TEST_REDIS_URL is not set");
        app.cleanup().await;
        return;
    }
    let token = revoked_service_token(&app).await;
    assert!(app.flush_cache().await);
    let service = app.demo_client("Demo service");
    // The nodes notice the flush at their next resync; until then the revocation is missing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        crate::eventually(WITHIN, || async {
            !app.active("demo", &service, &token).await
        })
        .await,
        "the revocation was lost with the flush"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_revoked_role_ends_on_a_node_that_missed_the_message() {
    for app in
        TestApp::every_backend(Options::dev().var("KEYWARD_RESYNC_INTERVAL_SECS", RESYNC)).await
    {
        let root = app.admin_token().await;
        let account = service_account(&app, &root, "tenant-admin", "demo").await;
        let other = app.second_node().await;
        let token = other
            .token(
                "system",
                &account,
                &[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)],
            )
            .await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _, body) = api(&other, Method::GET, "/tenants/demo/users", &token, None).await;
        assert_eq!(status, 200, "{}: {body}", app.backend);

        let (_, _, system) = api(&app, Method::GET, "/tenants/system", &root, None).await;
        let subject = format!("client:{}/{}", system["id"].as_str().unwrap(), account.id);
        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/demo/role-assignments/revocation",
            &root,
            Some(json!({ "subject": subject, "role": "tenant-admin" })),
        )
        .await;
        assert!(status < 300, "{}: {status} {body}", app.backend);
        // Refused: 401 (the token's client holds no admin role any more) or 403.
        let refused = |status: u16| status == 401 || status == 403;
        let (status, _, _) = api(&app, Method::GET, "/tenants/demo/users", &token, None).await;
        assert!(
            refused(status),
            "{}: the node that revoked answered {status}",
            app.backend
        );

        let ended = crate::eventually(WITHIN, || async {
            refused(
                api(&other, Method::GET, "/tenants/demo/users", &token, None)
                    .await
                    .0,
            )
        })
        .await;
        assert!(
            ended,
            "{}: the other node still allows a revoked role 10 s later",
            app.backend
        );
        other.cleanup().await;
        app.cleanup().await;
    }
}

/// The node that answers an admin change serves the change from the next request on: it
/// drops its own cached tenant before answering, instead of waiting for its own message.
#[tokio::test]
async fn the_node_that_made_an_admin_change_serves_it_to_the_very_next_request() {
    for app in TestApp::every_backend(Options::dev()).await {
        let root = app.admin_token().await;
        let legacy = app.demo_client("Demo legacy");
        let grant = [
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "demo-password"),
        ];
        for round in 0..5 {
            for enabled in [false, true] {
                let (status, _, body) = api(
                    &app,
                    Method::PATCH,
                    "/tenants/demo",
                    &root,
                    Some(json!({ "settings": { "password_grant_enabled": enabled } })),
                )
                .await;
                assert_eq!(status, 200, "{}: {body}", app.backend);
                let res = app.post("demo", "token", Some(&legacy), &grant).await;
                assert_eq!(
                    res.status().is_success(),
                    enabled,
                    "{}: round {round}, password grant enabled={enabled} answered {}",
                    app.backend,
                    res.status()
                );
            }
        }
        app.cleanup().await;
    }
}
