//! Disabled and deleted users end to end, on every backend: disabling or deleting a user ends
//! their browser sessions and revokes their refresh-token families (and the access tokens
//! issued with them); a user who is disabled or gone gets nothing at any grant, and a session
//! of theirs counts as no session — even when the change did not go through the admin API.

use keyward_core::TenantSlug;
use keyward_identity::UserStore;
use reqwest::Method;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};

use crate::admin_tokens::{
    ADMIN_SCOPE, PASSWORD, api, jwt_claims, password_grant, system_platform_admin,
};
use crate::app::{Options, TestApp};
use crate::code_flow::{CHALLENGE, SPA_CB, VERIFIER};
use crate::page_client::Browser;

/// Signs `username` in at the demo tenant's login page; answers the session cookie.
async fn sign_in(app: &TestApp, username: &str) -> String {
    let browser = Browser::new();
    let url = format!("{}/login", app.issuer("demo"));
    let form = browser.get(&url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.hidden("csrf_token");
    let done = browser
        .post(
            &url,
            &[
                ("csrf_token", &csrf),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    browser.cookie("keyward_session").expect("a session cookie")
}

/// A `prompt=none` request of the demo SPA with `cookie`: the code, or the error.
async fn silent_code(app: &TestApp, spa: &str, cookie: &str) -> Result<String, String> {
    let url = format!(
        "{}/authorize?response_type=code&client_id={spa}&redirect_uri={SPA_CB}&scope=openid+offline_access&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256&prompt=none",
        app.issuer("demo")
    );
    let res = app
        .http
        .get(url)
        .header(COOKIE, format!("keyward_session={cookie}"))
        .send()
        .await
        .unwrap();
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let url = url::Url::parse(&to).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    match (param("code"), param("error")) {
        (Some(code), _) => Ok(code),
        (None, Some(error)) => Err(error),
        _ => panic!("neither code nor error: {to}"),
    }
}

/// Exchanges a code of the demo SPA: status and body.
async fn exchange(app: &TestApp, spa: &str, code: &str) -> (u16, Value) {
    let res = app
        .post(
            "demo",
            "token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", SPA_CB),
                ("client_id", spa),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A refresh grant of the demo SPA: status and body.
async fn refresh(app: &TestApp, spa: &str, token: &str) -> (u16, Value) {
    let res = app
        .post(
            "demo",
            "token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
                ("client_id", spa),
            ],
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// Whether the access token's jti is in its tenant's revoked set.
async fn revoked(app: &TestApp, tenant: &str, access_token: &str) -> bool {
    let tenant = app.platform.tenant(tenant).await.unwrap();
    let jti = jwt_claims(access_token)["jti"].as_str().unwrap().to_owned();
    app.platform
        .cache
        .is_revoked(&keyward_oauth::access_token::revoked_set(tenant.id), &jti)
        .await
        .unwrap()
}

/// How the user loses access.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// `PATCH …/users/{id}` with `disabled: true`.
    Disable,
    /// `DELETE …/users/{id}`.
    Delete,
}

#[tokio::test]
async fn disabling_or_deleting_a_user_ends_sessions_codes_and_refresh_tokens_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let spa = app.demo_client("Demo SPA").id;
        let root = app.admin_token().await;
        for ending in [Ending::Disable, Ending::Delete] {
            let username = format!("{ending:?}").to_lowercase();
            let user = app.user("demo", &username, PASSWORD).await;
            let cookie = sign_in(&app, &username).await;
            let code = silent_code(&app, &spa, &cookie).await.unwrap();
            let (status, tokens) = exchange(&app, &spa, &code).await;
            assert_eq!(status, 200, "{}: {tokens}", app.backend);
            let access = tokens["access_token"].as_str().unwrap().to_owned();
            let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
            // A code issued before, redeemed after.
            let pending = silent_code(&app, &spa, &cookie).await.unwrap();

            let (status, _, body) = match ending {
                Ending::Disable => {
                    api(
                        &app,
                        Method::PATCH,
                        &format!("/tenants/demo/users/{user}"),
                        &root,
                        Some(json!({ "disabled": true })),
                    )
                    .await
                }
                Ending::Delete => {
                    api(
                        &app,
                        Method::DELETE,
                        &format!("/tenants/demo/users/{user}"),
                        &root,
                        None,
                    )
                    .await
                }
            };
            assert!(status < 300, "{}: {ending:?}: {status} {body}", app.backend);

            let what = format!("{}: after {ending:?}", app.backend);
            // Revoked by the change itself, before anyone presents the refresh token.
            assert!(
                revoked(&app, "demo", &access).await,
                "{what}: the access token issued with the refresh token is revoked"
            );
            assert_eq!(
                silent_code(&app, &spa, &cookie).await,
                Err("login_required".to_owned()),
                "{what}: prompt=none with the old session"
            );
            let (status, body) = exchange(&app, &spa, &pending).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_grant")),
                "{what}: code exchange: {body}"
            );
            let (status, body) = refresh(&app, &spa, &refresh_token).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_grant")),
                "{what}: refresh: {body}"
            );
            if let Ending::Disable = ending {
                let (status, _, body) = api(
                    &app,
                    Method::GET,
                    &format!("/tenants/demo/users/{user}/sessions"),
                    &root,
                    None,
                )
                .await;
                assert_eq!(status, 200, "{what}: {body}");
                assert_eq!(body["items"], json!([]), "{what}: sessions listed");
            }
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_user_disabled_in_storage_gets_nothing_from_a_live_session_or_old_grants_on_every_backend()
 {
    for app in TestApp::every_backend(Options::dev()).await {
        let spa = app.demo_client("Demo SPA").id;
        let legacy = app.demo_client("Demo legacy");
        let id = app.user("demo", "stored", PASSWORD).await;
        let cookie = sign_in(&app, "stored").await;
        let code = silent_code(&app, &spa, &cookie).await.unwrap();
        let (status, tokens) = exchange(&app, &spa, &code).await;
        assert_eq!(status, 200, "{}: {tokens}", app.backend);
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        let pending = silent_code(&app, &spa, &cookie).await.unwrap();
        let password = app
            .token(
                "demo",
                &legacy,
                &[
                    ("grant_type", "password"),
                    ("username", "stored"),
                    ("password", PASSWORD),
                    ("scope", "openid offline_access"),
                ],
            )
            .await;
        let legacy_refresh = password["refresh_token"].as_str().unwrap().to_owned();

        // Disabled behind the use-cases' back: no session ended, no family revoked.
        let tenant = app.platform.tenant("demo").await.unwrap();
        let mut user = UserStore::get(&app.platform.store, tenant.id, id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        user.disabled = true;
        UserStore::update(&app.platform.store, &user).await.unwrap();

        let what = app.backend;
        assert_eq!(
            silent_code(&app, &spa, &cookie).await,
            Err("login_required".to_owned()),
            "{what}: prompt=none with the disabled user's session"
        );
        let (status, body) = exchange(&app, &spa, &pending).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{what}: code exchange: {body}"
        );
        let (status, body) = refresh(&app, &spa, &refresh_token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{what}: refresh: {body}"
        );
        let res = app
            .post(
                "demo",
                "token",
                Some(&legacy),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &legacy_refresh),
                ],
            )
            .await;
        assert_eq!(res.status(), 400, "{what}: password-grant refresh");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_disabled_platform_admin_loses_the_admin_api_and_its_refresh_tokens_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let root = app.admin_token().await;
        let user = system_platform_admin(&app, &root, "operator").await;
        // The operator's own first-party client of the system tenant, registered (by a
        // platform admin) for the admin scope.
        let (status, _, console) = api(
            &app,
            Method::POST,
            "/tenants/system/clients",
            &root,
            Some(
                json!({ "name": "operator console", "grant_types": ["password", "refresh_token"],
                "scopes": [ADMIN_SCOPE, "offline_access"], "first_party": true }),
            ),
        )
        .await;
        assert_eq!(status, 201, "{}: {console}", app.backend);
        let console = crate::server::Creds {
            id: console["client_id"].as_str().unwrap().to_owned(),
            secret: console["client_secret"].as_str().unwrap().to_owned(),
        };
        let scope = format!("{ADMIN_SCOPE} offline_access");
        let (status, tokens) = password_grant(&app, &console, "operator", &scope).await;
        assert_eq!(status, 200, "{}: {tokens}", app.backend);
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(
            api(&app, Method::GET, "/tenants", &access, None).await.0,
            200,
            "{}",
            app.backend
        );
        // Refreshed once, so that the live access token is one a refresh issued.
        let res = app
            .post(
                "system",
                "token",
                Some(&console),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        let tokens: Value = res.json().await.unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

        let (status, _, body) = api(
            &app,
            Method::PATCH,
            &format!("/tenants/system/users/{user}"),
            &root,
            Some(json!({ "disabled": true })),
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", app.backend);
        assert_eq!(
            api(&app, Method::GET, "/tenants", &access, None).await.0,
            401,
            "{}: the disabled admin's access token",
            app.backend
        );
        let res = app
            .post(
                "system",
                "token",
                Some(&console),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                ],
            )
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{}: the disabled admin's refresh token: {body}",
            app.backend
        );
        // The admin principal checks the user itself, not only the revoked set: a token
        // minted for a disabled user (here re-enabled, a token taken, disabled in storage
        // alone) is refused too.
        let (status, _, _) = api(
            &app,
            Method::PATCH,
            &format!("/tenants/system/users/{user}"),
            &root,
            Some(json!({ "disabled": false })),
        )
        .await;
        assert_eq!(status, 200, "{}", app.backend);
        let (status, tokens) = password_grant(&app, &console, "operator", ADMIN_SCOPE).await;
        assert_eq!(status, 200, "{}: {tokens}", app.backend);
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let system = app.platform.tenant(TenantSlug::SYSTEM).await.unwrap();
        let mut stored = UserStore::get(&app.platform.store, system.id, user.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        stored.disabled = true;
        UserStore::update(&app.platform.store, &stored)
            .await
            .unwrap();
        assert_eq!(
            api(&app, Method::GET, "/tenants", &access, None).await.0,
            401,
            "{}: a token of a user disabled in storage",
            app.backend
        );
        app.cleanup().await;
    }
}
