//! Admin API tokens end to end, on every backend: the admin API takes only access tokens minted
//! for it — audience `{public_url}/admin/api` and scope `keyward:admin` — which only clients of
//! the system tenant registered for that scope may get, and only when they ask for it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::app::{Options, TestApp};
use crate::server::Creds;

pub(crate) const ADMIN_SCOPE: &str = "keyward:admin";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// One admin API call: status, headers, JSON body (Null when empty).
pub(crate) async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, HeaderMap, Value) {
    let mut request = app
        .http
        .request(method, format!("{}/admin/api/v1{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, value)
}

/// The claims of a JWT, unverified (the test only reads what the server put there).
pub(crate) fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Turns the system tenant's password grant on and makes `username` a platform admin of the
/// system tenant; answers the user's id.
pub(crate) async fn system_platform_admin(app: &TestApp, root: &str, username: &str) -> String {
    let (status, _, body) = api(
        app,
        Method::PATCH,
        "/tenants/system",
        root,
        Some(json!({ "settings": { "password_grant_enabled": true } })),
    )
    .await;
    assert_eq!(status, 200, "{}: {body}", app.backend);
    let user = app.user("system", username, PASSWORD).await;
    let (status, _, body) = api(
        app,
        Method::POST,
        "/tenants/system/role-assignments",
        root,
        Some(json!({ "subject": format!("user:{user}"), "role": "platform-admin" })),
    )
    .await;
    assert!(status < 300, "{}: {status} {body}", app.backend);
    user
}

/// A password grant at the system tenant; answers status and body.
pub(crate) async fn password_grant(
    app: &TestApp,
    client: &Creds,
    username: &str,
    scope: &str,
) -> (u16, Value) {
    let res = app
        .post(
            "system",
            "token",
            Some(client),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", PASSWORD),
                ("scope", scope),
            ],
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A client_credentials client of the system tenant registered for the admin scope (made
/// through the API by `root`), holding `role` in `tenant`.
pub(crate) async fn service_account(app: &TestApp, root: &str, role: &str, tenant: &str) -> Creds {
    let (_, _, system) = api(app, Method::GET, "/tenants/system", root, None).await;
    let (status, _, created) = api(
        app,
        Method::POST,
        "/tenants/system/clients",
        root,
        Some(json!({ "name": format!("{role} of {tenant}"), "grant_types": ["client_credentials"], "scopes": [ADMIN_SCOPE] })),
    )
    .await;
    assert_eq!(status, 201, "{}: {created}", app.backend);
    let id = created["client_id"].as_str().unwrap().to_owned();
    let subject = format!("client:{}/{id}", system["id"].as_str().unwrap());
    let (status, _, body) = api(
        app,
        Method::POST,
        &format!("/tenants/{tenant}/role-assignments"),
        root,
        Some(json!({ "subject": subject, "role": role })),
    )
    .await;
    assert!(status < 300, "{}: {status} {body}", app.backend);
    Creds {
        id,
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    }
}

fn assert_invalid_token(
    app: &TestApp,
    what: &str,
    (status, headers, body): (u16, HeaderMap, Value),
) {
    assert_eq!(status, 401, "{}: {what}: {body}", app.backend);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "{}: {what}: {challenge}",
        app.backend
    );
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "application/problem+json",
        "{}: {what}",
        app.backend
    );
    assert_eq!(body["status"], 401, "{}: {what}: {body}", app.backend);
}

#[tokio::test]
async fn admin_api_refuses_system_tokens_not_minted_for_it_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let root = app.admin_token().await;
        system_platform_admin(&app, &root, "root").await;

        // A third-party client of the system tenant, registered for openid and profile only,
        // gets a token of the platform admin: it is no admin credential.
        let third_party = app
            .client(
                "system",
                &[
                    "--grant-type",
                    "password",
                    "--scope",
                    "openid",
                    "--scope",
                    "profile",
                ],
            )
            .await;
        let (status, body) = password_grant(&app, &third_party, "root", "openid profile").await;
        assert_eq!(status, 200, "{}: {body}", app.backend);
        let token = body["access_token"].as_str().unwrap();
        assert_invalid_token(
            &app,
            "a third party's token of the platform admin",
            api(&app, Method::GET, "/tenants/demo/users", token, None).await,
        );

        // Asking for the admin scope does not help a client that is not registered for it.
        let (status, body) = password_grant(&app, &third_party, "root", ADMIN_SCOPE).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{}: {body}",
            app.backend
        );

        // A client_credentials client of the system tenant holding an admin role, but not
        // registered for the admin scope, is no service account of the admin API either.
        let (_, _, system) = api(&app, Method::GET, "/tenants/system", &root, None).await;
        let machine = app
            .client("system", &["--grant-type", "client_credentials"])
            .await;
        let subject = format!("client:{}/{}", system["id"].as_str().unwrap(), machine.id);
        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/demo/role-assignments",
            &root,
            Some(json!({ "subject": subject, "role": "tenant-admin" })),
        )
        .await;
        assert!(status < 300, "{}: {status} {body}", app.backend);
        let body = app
            .token("system", &machine, &[("grant_type", "client_credentials")])
            .await;
        assert_invalid_token(
            &app,
            "a client_credentials token without the admin scope",
            api(
                &app,
                Method::GET,
                "/tenants/demo/users",
                body["access_token"].as_str().unwrap(),
                None,
            )
            .await,
        );
        let res = app
            .post(
                "system",
                "token",
                Some(&machine),
                &[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)],
            )
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_scope", "{}: {body}", app.backend);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn admin_tokens_carry_the_admin_audience_and_scope_only_when_asked_for() {
    for app in TestApp::every_backend(Options::dev()).await {
        let admin = app.admin_client();
        // Without asking, the seeded admin service account gets no admin token.
        let plain = app
            .token("system", &admin, &[("grant_type", "client_credentials")])
            .await;
        let plain_scope = plain["scope"].as_str().unwrap_or_default();
        assert!(
            !plain_scope.split(' ').any(|s| s == ADMIN_SCOPE),
            "{}: {plain}",
            app.backend
        );
        assert_eq!(
            api(
                &app,
                Method::GET,
                "/tenants",
                plain["access_token"].as_str().unwrap(),
                None
            )
            .await
            .0,
            401,
            "{}",
            app.backend
        );
        // Asked for, it is an admin token: audience the admin API, scope keyward:admin.
        let body = app
            .token(
                "system",
                &admin,
                &[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)],
            )
            .await;
        assert_eq!(body["scope"], ADMIN_SCOPE, "{}: {body}", app.backend);
        let token = body["access_token"].as_str().unwrap();
        let claims = jwt_claims(token);
        assert_eq!(
            claims["aud"],
            json!(format!("{}/admin/api", app.base)),
            "{}: {claims}",
            app.backend
        );
        assert_eq!(
            api(&app, Method::GET, "/tenants", token, None).await.0,
            200,
            "{}",
            app.backend
        );
        // RFC 8707: naming the admin API as the resource gets the same token.
        let res = app
            .post(
                "system",
                "token",
                Some(&admin),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", &format!("{}/admin/api", app.base)),
                ],
            )
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{}: {body}", app.backend);
        assert_eq!(body["scope"], ADMIN_SCOPE, "{}: {body}", app.backend);
        // Any other resource is invalid_target.
        let res = app
            .post(
                "system",
                "token",
                Some(&admin),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", "https://elsewhere.test/api"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_target", "{}: {body}", app.backend);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_system_clients_registered_by_a_platform_admin_may_hold_the_admin_scope() {
    for app in TestApp::every_backend(Options::dev()).await {
        let root = app.admin_token().await;
        // Another tenant's client can never hold it.
        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/demo/clients",
            &root,
            Some(json!({ "name": "sneaky", "scopes": [ADMIN_SCOPE] })),
        )
        .await;
        assert_eq!(status, 422, "{}: {body}", app.backend);
        assert!(
            app.try_client("demo", &["--scope", ADMIN_SCOPE])
                .await
                .is_err(),
            "{}",
            app.backend
        );
        // A tenant-admin of the system tenant (not a platform admin) may not hand it out.
        let system_admin = service_account(&app, &root, "tenant-admin", "system").await;
        let token = app
            .token(
                "system",
                &system_admin,
                &[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)],
            )
            .await;
        let token = token["access_token"].as_str().unwrap();
        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/system/clients",
            token,
            Some(json!({ "name": "escalation", "grant_types": ["client_credentials"], "scopes": [ADMIN_SCOPE] })),
        )
        .await;
        assert_eq!(status, 403, "{}: {body}", app.backend);
        let (status, _, created) = api(
            &app,
            Method::POST,
            "/tenants/system/clients",
            token,
            Some(json!({ "name": "plain", "grant_types": ["client_credentials"] })),
        )
        .await;
        assert_eq!(status, 201, "{}: {created}", app.backend);
        let id = created["client_id"].as_str().unwrap();
        let (status, _, body) = api(
            &app,
            Method::PATCH,
            &format!("/tenants/system/clients/{id}"),
            token,
            Some(json!({ "scopes": [ADMIN_SCOPE] })),
        )
        .await;
        assert_eq!(status, 403, "{}: {body}", app.backend);
        // A platform admin may.
        let (status, _, body) = api(
            &app,
            Method::PATCH,
            &format!("/tenants/system/clients/{id}"),
            &root,
            Some(json!({ "scopes": [ADMIN_SCOPE] })),
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", app.backend);
        app.cleanup().await;
    }
}
