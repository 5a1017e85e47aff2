//! The isolation matrix over HTTP: a tenant-admin of A gets 403 or 404 for every resource and
//! action of B; a tenant-viewer cannot write; a platform-admin can do everything.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin_api::{Admin, dev_admin, seed_tenant, service_account};
use crate::app::TestApp;

/// Every endpoint of one tenant: (method, path, body, is a write).
pub(crate) fn endpoints(
    slug: &str,
    client: &str,
    user: &str,
) -> Vec<(Method, String, Option<Value>, bool)> {
    let t = format!("/tenants/{slug}");
    vec![
        (Method::GET, t.clone(), None, false),
        (
            Method::PATCH,
            t.clone(),
            Some(json!({ "display_name": "changed" })),
            true,
        ),
        (Method::GET, format!("{t}/clients"), None, false),
        (
            Method::POST,
            format!("{t}/clients"),
            Some(json!({ "name": "intruder" })),
            true,
        ),
        (Method::GET, format!("{t}/clients/{client}"), None, false),
        (
            Method::PATCH,
            format!("{t}/clients/{client}"),
            Some(json!({ "first_party": true })),
            true,
        ),
        (
            Method::POST,
            format!("{t}/clients/{client}/secret"),
            None,
            true,
        ),
        (Method::GET, format!("{t}/users?search=al"), None, false),
        (
            Method::POST,
            format!("{t}/users"),
            Some(json!({ "username": "mallory" })),
            true,
        ),
        (Method::GET, format!("{t}/users/{user}"), None, false),
        (
            Method::PATCH,
            format!("{t}/users/{user}"),
            Some(json!({ "disabled": true })),
            true,
        ),
        (
            Method::PUT,
            format!("{t}/users/{user}/password"),
            Some(json!({ "password": "a-long-password" })),
            true,
        ),
        (Method::GET, format!("{t}/keys"), None, false),
        (Method::POST, format!("{t}/keys/rotation"), None, true),
        (Method::GET, format!("{t}/audit-events"), None, false),
        (Method::GET, format!("{t}/role-assignments"), None, false),
        (
            Method::POST,
            format!("{t}/role-assignments"),
            Some(json!({ "subject": format!("user:{user}"), "role": "tenant-admin" })),
            true,
        ),
        (Method::GET, format!("{t}/identity-providers"), None, false),
        (
            Method::GET,
            format!("{t}/users/{user}/consents"),
            None,
            false,
        ),
        (
            Method::GET,
            format!("{t}/users/{user}/sessions"),
            None,
            false,
        ),
        (
            Method::DELETE,
            format!("{t}/users/{user}/sessions"),
            None,
            true,
        ),
        (Method::GET, format!("{t}/app-roles"), None, false),
        (
            Method::POST,
            format!("{t}/app-roles/editor/permissions"),
            Some(json!({ "resource": "document", "action": "edit" })),
            true,
        ),
        (
            Method::POST,
            format!("{t}/users/{user}/app-roles"),
            Some(json!({ "role": "editor" })),
            true,
        ),
        (
            Method::GET,
            format!("{t}/users/{user}/app-roles"),
            None,
            false,
        ),
        (
            Method::DELETE,
            format!("{t}/users/{user}/app-roles/editor"),
            None,
            true,
        ),
        (Method::DELETE, format!("{t}/app-roles/editor"), None, true),
        (
            Method::GET,
            format!("{t}/identity-providers/upstream"),
            None,
            false,
        ),
        (
            Method::POST,
            format!("{t}/identity-providers"),
            Some(
                json!({ "alias": "second", "display_name": "Second", "issuer_url": "https://idp2.test", "client_id": "rp" }),
            ),
            true,
        ),
        (
            Method::PATCH,
            format!("{t}/identity-providers/upstream"),
            Some(json!({ "enabled": false })),
            true,
        ),
        (
            Method::DELETE,
            format!("{t}/identity-providers/upstream"),
            None,
            true,
        ),
        (Method::DELETE, format!("{t}/users/{user}"), None, true),
        (Method::DELETE, format!("{t}/clients/{client}"), None, true),
    ]
}

#[tokio::test]
async fn tenant_admin_of_a_gets_403_or_404_for_everything_of_b() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (a_client, a_user) = seed_tenant(&root, "iso-a").await;
    let (b_client, b_user) = seed_tenant(&root, "iso-b").await;
    let admin_a = Admin::login(
        &server,
        &service_account(&root, "tenant-admin", "iso-a").await,
    )
    .await;

    for (method, path, body, _) in endpoints("iso-b", &b_client, &b_user) {
        let (status, _, value) = admin_a.call(method.clone(), &path, body).await;
        assert!(
            status == 403 || status == 404,
            "{method} {path}: {status} {value}"
        );
    }
    // B's ids through A's URLs are simply not there.
    for path in [
        format!("/tenants/iso-a/clients/{b_client}"),
        format!("/tenants/iso-a/users/{b_user}"),
    ] {
        assert_eq!(
            admin_a.call(Method::GET, &path, None).await.0,
            404,
            "{path}"
        );
    }
    let (status, _, _) = admin_a
        .call(
            Method::POST,
            "/tenants",
            Some(json!({ "slug": "iso-c", "display_name": "C" })),
        )
        .await;
    assert_eq!(status, 403);
    let listed = admin_a.ok(Method::GET, "/tenants", None).await;
    let slugs: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["iso-a"]);
    // In its own tenant everything works.
    for (method, path, body, _) in endpoints("iso-a", &a_client, &a_user) {
        admin_a.ok(method, &path, body).await;
    }
}

#[tokio::test]
async fn tenant_viewer_cannot_write_and_platform_admin_can() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (client, user) = seed_tenant(&root, "viewed").await;
    let viewer = Admin::login(
        &server,
        &service_account(&root, "tenant-viewer", "viewed").await,
    )
    .await;
    for (method, path, body, write) in endpoints("viewed", &client, &user) {
        let (status, _, value) = viewer.call(method.clone(), &path, body).await;
        if write {
            assert_eq!(status, 403, "viewer: {method} {path}: {value}");
        } else {
            assert_eq!(status, 200, "viewer: {method} {path}: {value}");
        }
    }
    for (method, path, body, _) in endpoints("viewed", &client, &user) {
        root.ok(method, &path, body).await;
    }
}
