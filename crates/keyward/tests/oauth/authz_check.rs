//! POST {issuer}/authz/check, the AuthZEN-shaped decision API, against a real server: roles
//! and permissions granted through the admin API decide; the caller authenticates as a client.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin_api::{Admin, dev_admin, seed_tenant};
use crate::app::TestApp;
use crate::server::{Creds, assert_error};

/// A confidential client of `tenant`, made through the admin API.
async fn api_client(root: &Admin<'_>, tenant: &str) -> Creds {
    let created = root
        .ok(
            Method::POST,
            &format!("/tenants/{tenant}/clients"),
            Some(json!({ "name": "resource server", "grant_types": ["client_credentials"] })),
        )
        .await;
    Creds {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    }
}

/// Role `editor` in `tenant`, allowed to `edit` every `document`, assigned to `user`.
pub(crate) async fn grant_editor(root: &Admin<'_>, tenant: &str, user: &str) {
    root.ok(
        Method::POST,
        &format!("/tenants/{tenant}/app-roles/editor/permissions"),
        Some(json!({ "resource": "document", "action": "edit" })),
    )
    .await;
    root.ok(
        Method::POST,
        &format!("/tenants/{tenant}/users/{user}/app-roles"),
        Some(json!({ "role": "editor" })),
    )
    .await;
}

async fn check(
    server: &TestApp,
    tenant: &str,
    creds: Option<&Creds>,
    body: &str,
) -> reqwest::Response {
    let mut request = server
        .http
        .post(format!("{}/authz/check", server.issuer(tenant)))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(c) = creds {
        request = request.basic_auth(&c.id, Some(&c.secret));
    }
    request.send().await.unwrap()
}

async fn decide(server: &TestApp, tenant: &str, creds: &Creds, body: Value) -> Value {
    let res = check(server, tenant, Some(creds), &body.to_string()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

fn question(user: &str, action: &str, resource_id: &str) -> Value {
    json!({
        "subject": { "type": "user", "id": user },
        "action": { "name": action },
        "resource": { "type": "document", "id": resource_id },
        "context": { "time": "now" },
    })
}

#[tokio::test]
async fn authz_check_answers_from_the_tenants_app_roles() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (_, alice) = seed_tenant(&root, "acme").await;
    grant_editor(&root, "acme", &alice).await;
    let rs = api_client(&root, "acme").await;

    let allowed = decide(&server, "acme", &rs, question(&alice, "edit", "42")).await;
    assert_eq!(allowed, json!({ "decision": true }));
    let denied = decide(&server, "acme", &rs, question(&alice, "delete", "42")).await;
    assert_eq!(denied["decision"], false);

    let batch = decide(
        &server,
        "acme",
        &rs,
        json!({
            "subject": { "type": "user", "id": alice },
            "resource": { "type": "document", "id": "7" },
            "evaluations": [
                { "action": { "name": "edit" } },
                { "action": { "name": "publish" } },
                { "action": { "name": "edit" }, "subject": { "type": "user", "id": "not-a-user" } },
            ],
        }),
    )
    .await;
    let decisions: Vec<bool> = batch["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_bool().unwrap())
        .collect();
    assert_eq!(decisions, [true, false, false]);
}

#[tokio::test]
async fn authz_check_denies_a_subject_of_another_tenant() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (_, alice_a) = seed_tenant(&root, "tenant-a").await;
    seed_tenant(&root, "tenant-b").await;
    grant_editor(&root, "tenant-a", &alice_a).await;
    // Same role and permission defined in B, but A's user holds nothing there.
    root.ok(
        Method::POST,
        "/tenants/tenant-b/app-roles/editor/permissions",
        Some(json!({ "resource": "document", "action": "edit" })),
    )
    .await;
    let rs_b = api_client(&root, "tenant-b").await;
    let answer = decide(&server, "tenant-b", &rs_b, question(&alice_a, "edit", "1")).await;
    assert_eq!(answer["decision"], false);

    // A client of A cannot ask B.
    let rs_a = api_client(&root, "tenant-a").await;
    let body = question(&alice_a, "edit", "1").to_string();
    assert_error(
        check(&server, "tenant-b", Some(&rs_a), &body).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn authz_check_refuses_unauthenticated_callers_and_bad_json() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (_, alice) = seed_tenant(&root, "acme").await;
    let rs = api_client(&root, "acme").await;
    let body = question(&alice, "edit", "1").to_string();

    assert_error(
        check(&server, "acme", None, &body).await,
        401,
        "invalid_client",
    )
    .await;
    let wrong = Creds {
        id: rs.id.clone(),
        secret: "wrong".to_owned(),
    };
    assert_error(
        check(&server, "acme", Some(&wrong), &body).await,
        401,
        "invalid_client",
    )
    .await;

    for bad in ["{", "[1]", r#"{"action":{"name":"edit"}}"#] {
        assert_error(
            check(&server, "acme", Some(&rs), bad).await,
            400,
            "invalid_request",
        )
        .await;
    }
}
