//! An admin change and its audit event are one: when the audit event cannot be written, the
//! change does not happen either (it is written in the same transaction), through the admin
//! API and the command line alike. The audit log is made to refuse every insert with a
//! database trigger, on every backend.

use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;

use crate::admin_tokens::api;
use crate::app::{Options, TestApp};

/// Makes every insert into `audit_events` fail, as a full disk or a broken table would.
async fn break_the_audit_log(app: &TestApp) {
    let db = app.platform.store.connection();
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;"
        }
        _ => {
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$; \
             CREATE TRIGGER audit_down BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION audit_down();"
        }
    };
    db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn an_admin_change_whose_audit_event_cannot_be_written_does_not_happen_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let backend = app.backend;
        let root = app.admin_token().await;
        let (status, _, alice) = api(
            &app,
            Method::POST,
            "/tenants/demo/users",
            &root,
            Some(json!({ "username": "alice" })),
        )
        .await;
        assert_eq!(status, 201, "{backend}: {alice}");
        let alice = alice["id"].as_str().unwrap().to_owned();
        let (status, _, client) = api(
            &app,
            Method::POST,
            "/tenants/demo/clients",
            &root,
            Some(json!({ "name": "before", "grant_types": ["client_credentials"], "scopes": ["openid"] })),
        )
        .await;
        assert_eq!(status, 201, "{backend}: {client}");
        let client = client["client_id"].as_str().unwrap().to_owned();

        break_the_audit_log(&app).await;

        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/demo/users",
            &root,
            Some(json!({ "username": "bob" })),
        )
        .await;
        assert!(status >= 400, "{backend}: {status} {body}");
        let (_, _, users) = api(
            &app,
            Method::GET,
            "/tenants/demo/users?limit=200",
            &root,
            None,
        )
        .await;
        let names: Vec<&str> = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|u| u["username"].as_str())
            .collect();
        assert!(
            !names.contains(&"bob"),
            "{backend}: a user was created without its audit event"
        );

        let path = format!("/tenants/demo/clients/{client}");
        let (status, _, body) = api(
            &app,
            Method::PATCH,
            &path,
            &root,
            Some(json!({ "name": "after" })),
        )
        .await;
        assert!(status >= 400, "{backend}: {status} {body}");
        let (_, _, stored) = api(&app, Method::GET, &path, &root, None).await;
        assert_eq!(
            stored["name"], "before",
            "{backend}: a client changed without its audit event"
        );

        let path = format!("/tenants/demo/users/{alice}");
        let (status, _, body) = api(&app, Method::DELETE, &path, &root, None).await;
        assert!(status >= 400, "{backend}: {status} {body}");
        let (status, _, _) = api(&app, Method::GET, &path, &root, None).await;
        assert_eq!(
            status, 200,
            "{backend}: a user was deleted without its audit event"
        );

        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants",
            &root,
            Some(json!({ "slug": "ghost", "display_name": "Ghost" })),
        )
        .await;
        assert!(status >= 400, "{backend}: {status} {body}");
        let (status, _, _) = api(&app, Method::GET, "/tenants/ghost", &root, None).await;
        assert_eq!(
            status, 404,
            "{backend}: a tenant was created without its audit event"
        );

        // The command line writes its changes the same way.
        let operator = app.operator().await;
        let created = operator.create_tenant("ghost-cli", None).await;
        assert!(created.is_err(), "{backend}: the CLI reported success");
        let (status, _, _) = api(&app, Method::GET, "/tenants/ghost-cli", &root, None).await;
        assert_eq!(
            status, 404,
            "{backend}: the CLI created a tenant without its audit event"
        );
        app.cleanup().await;
    }
}
