//! The opt-in `roles` / `permissions` claims against a real server: a client that opted in
//! (admin API `role_claims` / `permission_claims`) gets its user's application roles and
//! permissions in access and ID tokens, on the password and refresh grants; one that did not
//! gets neither, nor does a client_credentials token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::admin_api::{Admin, dev_admin};
use crate::app::TestApp;
use crate::authz_check::grant_editor;
use crate::server::Creds;

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn demo_client(root: &Admin<'_>, opt_in: bool) -> Creds {
    let created = root
        .ok(
            Method::POST,
            "/tenants/demo/clients",
            Some(json!({
                "name": "app",
                "grant_types": ["password", "refresh_token", "client_credentials"],
                "scopes": ["openid", "offline_access"],
                "role_claims": opt_in,
                "permission_claims": opt_in,
            })),
        )
        .await;
    assert_eq!(created["role_claims"], opt_in, "{created}");
    assert_eq!(created["permission_claims"], opt_in);
    Creds {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    }
}

async fn carol(root: &Admin<'_>) -> String {
    let user = root
        .ok(
            Method::POST,
            "/tenants/demo/users",
            Some(json!({ "username": "carol", "password": "carol-long-password" })),
        )
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    grant_editor(root, "demo", &id).await;
    id
}

async fn password_tokens(server: &TestApp, creds: &Creds) -> Value {
    server
        .token(
            "demo",
            creds,
            &[
                ("grant_type", "password"),
                ("username", "carol"),
                ("password", "carol-long-password"),
                ("scope", "openid offline_access"),
            ],
        )
        .await
}

#[tokio::test]
async fn a_client_that_opted_in_gets_roles_and_permissions_claims() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let user = carol(&root).await;
    let app = demo_client(&root, true).await;

    let tokens = password_tokens(&server, &app).await;
    for jwt in [&tokens["access_token"], &tokens["id_token"]] {
        let claims = payload(jwt.as_str().unwrap());
        assert_eq!(claims["sub"], user.as_str());
        assert_eq!(claims["roles"], json!(["editor"]), "{claims}");
        assert_eq!(claims["permissions"], json!(["document:edit"]));
    }

    let refreshed = server
        .token(
            "demo",
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    let claims = payload(refreshed["access_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["editor"]));

    let own = server
        .token("demo", &app, &[("grant_type", "client_credentials")])
        .await;
    let claims = payload(own["access_token"].as_str().unwrap());
    assert!(claims.get("roles").is_none(), "no user, no roles: {claims}");
}

#[tokio::test]
async fn a_client_that_did_not_opt_in_gets_no_authorization_claims() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    carol(&root).await;
    let app = demo_client(&root, false).await;
    let tokens = password_tokens(&server, &app).await;
    for jwt in [&tokens["access_token"], &tokens["id_token"]] {
        let claims = payload(jwt.as_str().unwrap());
        assert!(claims.get("roles").is_none(), "{claims}");
        assert!(claims.get("permissions").is_none());
    }

    // Opting in later through the admin API takes effect on the next token.
    let path = format!("/tenants/demo/clients/{}", app.id);
    let changed = root
        .ok(Method::PATCH, &path, Some(json!({ "role_claims": true })))
        .await;
    assert_eq!(changed["role_claims"], true, "{changed}");
    assert_eq!(changed["permission_claims"], false);
    let tokens = password_tokens(&server, &app).await;
    let claims = payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["editor"]), "{claims}");
    assert!(claims.get("permissions").is_none());
}
