//! The admin API against the in-process server: admin authentication with system-tenant
//! tokens, rate limits, problem+json field errors, ETag/If-Match, cursors, the audit log and
//! the OpenAPI document; the helpers the other admin test modules share.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::server::Creds;

pub(crate) const API: &str = "/admin/api/v1";

/// A caller of the admin API holding a bearer token.
pub(crate) struct Admin<'s> {
    pub(crate) base: &'s str,
    pub(crate) http: &'s reqwest::Client,
    pub(crate) token: String,
}

impl<'s> Admin<'s> {
    pub(crate) async fn login(server: &'s TestApp, creds: &Creds) -> Self {
        Self::login_at(&server.base, &server.http, creds).await
    }

    /// [`Admin::login`] at the server listening at `base`, whichever way it was started.
    pub(crate) async fn login_at(base: &'s str, http: &'s reqwest::Client, creds: &Creds) -> Self {
        let res = http
            .post(format!("{base}/t/system/token"))
            .basic_auth(&creds.id, Some(&creds.secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "keyward:admin"),
            ])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        Self {
            base,
            http,
            token: body["access_token"].as_str().unwrap().to_owned(),
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        call_at(
            self.base,
            self.http,
            method,
            path,
            Some(&self.token),
            body,
            None,
        )
        .await
    }

    pub(crate) async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, _, value) = self.call(method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }
}

pub(crate) async fn call(
    server: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    call_at(
        &server.base,
        &server.http,
        method,
        path,
        token,
        body,
        if_match,
    )
    .await
}

async fn call_at(
    base: &str,
    http: &reqwest::Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = http.request(method, format!("{base}{API}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    let res = request.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if !status.is_success() && status != StatusCode::NOT_MODIFIED {
        let ct = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert_eq!(ct, "application/problem+json", "{status} {value}");
        assert_eq!(value["status"], status.as_u16(), "{value}");
    }
    (status, headers, value)
}

/// The platform-admin service account `--dev` seeded.
pub(crate) fn dev_admin(server: &TestApp) -> Creds {
    server.admin_client()
}

/// Makes tenant `slug` with one client and one user; returns (client_id, user_id).
pub(crate) async fn seed_tenant(root: &Admin<'_>, slug: &str) -> (String, String) {
    root.ok(
        Method::POST,
        "/tenants",
        Some(json!({ "slug": slug, "display_name": slug })),
    )
    .await;
    let client = root
        .ok(
            Method::POST,
            &format!("/tenants/{slug}/clients"),
            Some(json!({ "name": "svc" })),
        )
        .await;
    let user = root
        .ok(
            Method::POST,
            &format!("/tenants/{slug}/users"),
            Some(json!({ "username": "alice" })),
        )
        .await;
    root.ok(
        Method::POST,
        &format!("/tenants/{slug}/identity-providers"),
        Some(json!({ "alias": "upstream", "display_name": "Upstream", "issuer_url": "https://idp.test",
            "client_id": "rp", "client_secret": "upstream-secret" })),
    )
    .await;
    (
        client["client_id"].as_str().unwrap().to_owned(),
        user["id"].as_str().unwrap().to_owned(),
    )
}

/// A system-tenant service account made through the API, holding `role` in `tenant`.
pub(crate) async fn service_account(root: &Admin<'_>, role: &str, tenant: &str) -> Creds {
    let system = root.ok(Method::GET, "/tenants/system", None).await;
    let created = root
        .ok(Method::POST, "/tenants/system/clients", Some(json!({ "name": format!("{role} of {tenant}"), "grant_types": ["client_credentials"], "scopes": ["keyward:admin"] })))
        .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let subject = format!("client:{}/{id}", system["id"].as_str().unwrap());
    root.ok(
        Method::POST,
        &format!("/tenants/{tenant}/role-assignments"),
        Some(json!({ "subject": subject, "role": role })),
    )
    .await;
    Creds {
        id,
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn admin_api_refuses_missing_bad_and_foreign_tokens() {
    let server = TestApp::dev().await;
    for token in [None, Some("not-a-token"), Some("a.b.c")] {
        let (status, headers, _) = call(&server, Method::GET, "/tenants", token, None, None).await;
        assert_eq!(status, 401);
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    // A perfectly good token of another tenant is no admin credential.
    let demo = server.demo_client("Demo service");
    let body = server
        .token("demo", &demo, &[("grant_type", "client_credentials")])
        .await;
    let (status, _, _) = call(
        &server,
        Method::GET,
        "/tenants",
        body["access_token"].as_str(),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    // A revoked system token stops working.
    let root_creds = dev_admin(&server);
    let root = Admin::login(&server, &root_creds).await;
    root.ok(Method::GET, "/tenants", None).await;
    let res = server
        .post(
            "system",
            "revoke",
            Some(&root_creds),
            &[("token", &root.token)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(root.call(Method::GET, "/tenants", None).await.0, 401);
}

#[tokio::test]
async fn cli_service_account_and_cli_admin_user_administer_the_platform() {
    // The CLI and the server as the README runs them: separate processes.
    let server = crate::server::Server::plain().await;
    let created = server
        .env
        .json(&["admin", "service-account", "--name", "ci", "--json"]);
    assert_eq!(created["role"], "platform-admin");
    let creds = Creds {
        id: created["client_id"].as_str().unwrap().into(),
        secret: created["client_secret"].as_str().unwrap().into(),
    };
    let user = server.env.json_with_stdin(
        &[
            "admin",
            "create",
            "--username",
            "root",
            "--password-stdin",
            "--json",
        ],
        "a-long-password\n",
    );
    assert!(user["subject"].as_str().unwrap().starts_with("user:"));
    // The running node sees the CLI's changes within `resync_interval_secs` without a restart
    // (its resync compares `policy_version`; cli_visibility.rs tests that). The restart checks
    // the changes also hold for a freshly started node.
    let server = server.restart().await;
    let root = Admin::login_at(&server.base, &server.http, &creds).await;
    let tenants = root.ok(Method::GET, "/tenants", None).await;
    assert!(
        tenants["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "system"),
        "{tenants}"
    );
    root.ok(
        Method::POST,
        "/tenants",
        Some(json!({ "slug": "made-by-ci", "display_name": "CI" })),
    )
    .await;

    // The admin user signs in with the password grant of a system-tenant client.
    root.ok(
        Method::PATCH,
        "/tenants/system",
        Some(json!({ "settings": { "password_grant_enabled": true } })),
    )
    .await;
    let cli = root
        .ok(
            Method::POST,
            "/tenants/system/clients",
            Some(json!({ "name": "admin cli", "grant_types": ["password"], "scopes": ["keyward:admin"] })),
        )
        .await;
    let cli = Creds {
        id: cli["client_id"].as_str().unwrap().into(),
        secret: cli["client_secret"].as_str().unwrap().into(),
    };
    // The node answering the admin API dropped its cached tenant and client before answering
    // (read your writes); the retries only leave a margin.
    let form = [
        ("grant_type", "password"),
        ("username", "root"),
        ("password", "a-long-password"),
        ("scope", "keyward:admin"),
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let body: Value = loop {
        let res = server.post("system", "token", Some(&cli), &form).await;
        if res.status() == 200 {
            break res.json().await.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            res.text().await.unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let person = Admin {
        base: &server.base,
        http: &server.http,
        token: body["access_token"].as_str().unwrap().into(),
    };
    person.ok(Method::GET, "/tenants/made-by-ci", None).await;
    let events = person
        .ok(Method::GET, "/tenants/made-by-ci/audit-events", None)
        .await;
    let actors: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.iter().all(|a| a.starts_with("client:")),
        "{actors:?}"
    );
}

#[tokio::test]
async fn each_principal_is_rate_limited_with_retry_after() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let other = Admin::login(
        &server,
        &service_account(&root, "tenant-viewer", "demo").await,
    )
    .await;
    let requests = (0..620).map(|_| {
        server
            .http
            .get(format!("{}{API}/tenants/system", server.base))
            .bearer_auth(&root.token)
            .send()
    });
    let answers = futures::future::join_all(requests).await;
    let limited: Vec<_> = answers
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.status() == 429)
        .collect();
    assert!(
        !limited.is_empty(),
        "600 requests a minute were not enforced"
    );
    assert!(
        limited[0].headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    // Another principal is not held back by the first one's budget.
    other.ok(Method::GET, "/tenants/demo", None).await;
}

#[tokio::test]
async fn writes_answer_field_errors_honour_if_match_page_and_are_audited() {
    let server = TestApp::dev().await;
    let root = Admin::login(&server, &dev_admin(&server)).await;
    let (client, _) = seed_tenant(&root, "behaviour").await;

    // Field errors, every one of them.
    let (status, _, problem) = root
        .call(
            Method::POST,
            "/tenants/behaviour/clients",
            Some(json!({ "name": "", "redirect_uris": ["relative"], "jwks_uri": "ftp://x" })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "redirect_uri", "jwks_uri"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let (status, _, _) = root
        .call(
            Method::POST,
            "/tenants",
            Some(json!({ "slug": "Bad Slug", "display_name": "" })),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _, _) = root
        .call(
            Method::POST,
            "/tenants",
            Some(json!({ "slug": "behaviour", "display_name": "again" })),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _, _) = root
        .call(Method::POST, "/tenants", Some(json!({ "nonsense": 1 })))
        .await;
    assert_eq!(status, 422);

    // ETag and If-Match.
    let path = format!("/tenants/behaviour/clients/{client}");
    let (_, headers, _) = root.call(Method::GET, &path, None).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, _) = call(
        &server,
        Method::PATCH,
        &path,
        Some(&root.token),
        Some(json!({ "name": "renamed" })),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, problem) = call(
        &server,
        Method::PATCH,
        &path,
        Some(&root.token),
        Some(json!({ "name": "lost update" })),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 412, "{problem}");
    let (status, _, _) = call(
        &server,
        Method::DELETE,
        &path,
        Some(&root.token),
        None,
        Some(&etag),
    )
    .await;
    assert_eq!(status, 412);

    // Cursors.
    for i in 0..3 {
        root.ok(
            Method::POST,
            "/tenants/behaviour/users",
            Some(json!({ "username": format!("user{i}") })),
        )
        .await;
    }
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let query = next
            .as_ref()
            .map(|n| format!("&after={n}"))
            .unwrap_or_default();
        let page = root
            .ok(
                Method::GET,
                &format!("/tenants/behaviour/users?limit=2{query}"),
                None,
            )
            .await;
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(n) => next = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["alice", "user0", "user1", "user2"]);

    // The audit log: every mutation, with before/after, never a secret.
    root.ok(
        Method::POST,
        &format!("/tenants/behaviour/clients/{client}/secret"),
        None,
    )
    .await;
    let events = root
        .ok(
            Method::GET,
            "/tenants/behaviour/audit-events?limit=500",
            None,
        )
        .await;
    let events = events["items"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "tenant.create",
        "client.create",
        "client.update",
        "client.rotate_secret",
        "user.create",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
    let update = events
        .iter()
        .find(|e| e["action"] == "client.update")
        .unwrap();
    assert_eq!(update["before"]["name"], "svc");
    assert_eq!(update["after"]["name"], "renamed");
    assert!(update["request_id"].is_string());
    let text = Value::Array(events.clone()).to_string();
    for secret in [
        "secret_hash",
        "\"client_secret\":",
        "password_hash",
        "hmac-sha256$",
        "$argon2",
        "upstream-secret",
    ] {
        assert!(!text.contains(secret), "the audit log shows {secret}");
    }
    let filtered = root
        .ok(
            Method::GET,
            "/tenants/behaviour/audit-events?action=client.update",
            None,
        )
        .await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let server = TestApp::dev().await;
    let doc: Value = server
        .http
        .get(format!("{}/admin/api/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"]["/admin/api/v1/tenants/{tenant}/clients/{client_id}"].is_object());
    let page = server
        .http
        .get(format!("{}/admin/api/docs/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
}
