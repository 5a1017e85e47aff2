//! The device authorization grant (RFC 8628) against a real server: the device starts a
//! request and polls; a cookie-keeping browser types the code, signs in, sees the client and
//! its scopes, and approves or denies.

use keyward_oauth::SigningAlg;
use keyward_oauth::jose::{parse_jwk_set, verify};
use serde_json::Value;

use crate::app::TestApp;
use crate::page_client::{Browser, Page};
use crate::pages::{PASSWORD, server_with, sign_in};
use crate::server::assert_error;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

/// A public TV client of `acme` with the device and refresh grants.
async fn tv(server: &TestApp) -> String {
    let created = server
        .register(&[
            "--tenant",
            "acme",
            "--name",
            "Living Room TV",
            "--public",
            "--grant-type",
            GRANT,
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--scope",
            "offline_access",
            "--json",
        ])
        .await;
    created["client_id"].as_str().unwrap().to_owned()
}

async fn start(server: &TestApp, client_id: &str, scope: &str) -> Value {
    let res = server
        .post(
            "acme",
            "device_authorization",
            None,
            &[("client_id", client_id), ("scope", scope)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn poll(server: &TestApp, client_id: &str, device_code: &str) -> reqwest::Response {
    server
        .post(
            "acme",
            "token",
            None,
            &[
                ("grant_type", GRANT),
                ("client_id", client_id),
                ("device_code", device_code),
            ],
        )
        .await
}

fn absolute(server: &TestApp, location: &str) -> String {
    format!("{}{location}", server.base)
}

async fn verified_claims(server: &TestApp, token: &str) -> Value {
    let jwks: Value = server
        .http
        .get(format!("{}/jwks", server.issuer("acme")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verify(token, &parse_jwk_set(&jwks).unwrap(), &ALGS)
        .unwrap()
        .claims
}

/// Submits the decision form of a confirmation page.
async fn decide(server: &TestApp, browser: &Browser, page: &Page, decision: &str) -> Page {
    let form = [
        ("csrf_token", page.hidden("csrf_token")),
        ("user_code", page.hidden("user_code")),
        ("decision", decision.to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser
        .post(&format!("{}/device/decision", server.issuer("acme")), &form)
        .await
}

#[tokio::test]
async fn device_flow_signs_in_on_the_page_and_the_device_gets_verifiable_tokens_once() {
    let (server, alice) = server_with("acme", "Acme").await;
    let client_id = tv(&server).await;
    let meta: Value = server
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            server.issuer("acme")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["device_authorization_endpoint"],
        format!("{}/device_authorization", server.issuer("acme"))
    );
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == GRANT)
    );

    let da = start(&server, &client_id, "openid profile offline_access").await;
    let user_code = da["user_code"].as_str().unwrap().to_owned();
    let device_code = da["device_code"].as_str().unwrap().to_owned();
    assert!(
        user_code.len() == 9 && user_code.as_bytes()[4] == b'-',
        "{user_code}"
    );
    assert_eq!(
        da["verification_uri"],
        format!("{}/device", server.issuer("acme"))
    );
    assert_eq!(
        da["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", server.issuer("acme"))
    );
    assert_eq!(
        (da["expires_in"].as_i64(), da["interval"].as_i64()),
        (Some(600), Some(5))
    );

    assert_error(
        poll(&server, &client_id, &device_code).await,
        400,
        "authorization_pending",
    )
    .await;
    assert_error(
        poll(&server, &client_id, &device_code).await,
        400,
        "slow_down",
    )
    .await;

    let browser = Browser::new();
    let entry = browser
        .get(&format!("{}/device", server.issuer("acme")))
        .await;
    assert_eq!(entry.status, 200);
    for needle in [
        r#"<label for="user_code">"#,
        r#"id="user_code""#,
        r#"name="user_code""#,
        r#"method="post""#,
    ] {
        assert!(entry.body.contains(needle), "{needle} in {}", entry.body);
    }
    assert!(!entry.body.contains("<script"), "works without JavaScript");
    assert_eq!(entry.header("cache-control"), "no-store");
    assert!(
        entry
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    // Typed in lower case, without the dash.
    let typed = user_code.replace('-', "").to_lowercase();
    let url = format!("{}/device", server.issuer("acme"));
    let no_csrf = browser.post(&url, &[("user_code", &typed)]).await;
    assert_eq!(no_csrf.status, 403);
    let submitted = browser
        .post(
            &url,
            &[
                ("csrf_token", &entry.hidden("csrf_token")),
                ("user_code", &typed),
            ],
        )
        .await;
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    let login = submitted.location();
    assert!(login.starts_with("/t/acme/login?return_to="), "{login}");

    let form = browser.get(&absolute(&server, &login)).await;
    let return_to = form.hidden("return_to");
    assert_eq!(return_to, format!("/t/acme/device?user_code={user_code}"));
    let signed_in = browser
        .post(
            &format!("{}/login", server.issuer("acme")),
            &[
                ("csrf_token", &form.hidden("csrf_token")),
                ("return_to", &return_to),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (signed_in.status, signed_in.location()),
        (303, return_to.clone())
    );

    let confirm = browser.get(&absolute(&server, &return_to)).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    for words in [
        "Living Room TV",
        "Confirm your identity",
        "Your name and profile details",
        "Stay signed in",
        &user_code,
        r#"value="approve""#,
        r#"value="deny""#,
    ] {
        assert!(confirm.body.contains(words), "{words} in {}", confirm.body);
    }
    let forged = browser
        .post(
            &format!("{}/device/decision", server.issuer("acme")),
            &[("user_code", &user_code), ("decision", "approve")],
        )
        .await;
    assert_eq!(forged.status, 403, "the decision needs the CSRF token");
    let done = decide(&server, &browser, &confirm, "approve").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("return to your device"), "{}", done.body);

    let res = poll(&server, &client_id, &device_code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: Value = res.json().await.unwrap();
    let access = verified_claims(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (access["sub"].as_str(), access["client_id"].as_str()),
        (Some(alice.as_str()), Some(client_id.as_str()))
    );
    assert_eq!(access["iss"], server.issuer("acme"));
    let id = verified_claims(
        &server,
        tokens["id_token"].as_str().expect("openid was granted"),
    )
    .await;
    assert_eq!(
        (id["aud"].as_str(), id["sub"].as_str()),
        (Some(client_id.as_str()), Some(alice.as_str()))
    );
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access with the refresh_token grant"
    );
    assert_error(
        poll(&server, &client_id, &device_code).await,
        400,
        "invalid_grant",
    )
    .await;
    // The code is spent: typing it again finds nothing.
    let again = browser
        .get(&format!(
            "{}/device?user_code={user_code}",
            server.issuer("acme")
        ))
        .await;
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn denying_a_device_is_access_denied_and_unknown_codes_get_a_readable_page() {
    let (server, _) = server_with("acme", "Acme").await;
    let client_id = tv(&server).await;
    let browser = Browser::new();
    assert_eq!(
        sign_in(&server, &browser, "acme", PASSWORD).await.status,
        200
    );

    let da = start(&server, &client_id, "openid").await;
    let complete = da["verification_uri_complete"].as_str().unwrap();
    let confirm = browser.get(complete).await;
    assert_eq!(
        confirm.status, 200,
        "signed in already: straight to the confirmation"
    );
    assert!(
        confirm.body.contains("Living Room TV") && !confirm.body.contains("Stay signed in"),
        "{}",
        confirm.body
    );
    let denied = decide(&server, &browser, &confirm, "deny").await;
    assert_eq!(denied.status, 200, "{}", denied.body);
    assert!(denied.body.contains("denied"), "{}", denied.body);
    assert_error(
        poll(&server, &client_id, da["device_code"].as_str().unwrap()).await,
        400,
        "access_denied",
    )
    .await;

    let entry = browser
        .get(&format!("{}/device", server.issuer("acme")))
        .await;
    for typed in ["BCDF-GHJK", "<script>alert(1)</script>", ""] {
        let page = browser
            .post(
                &format!("{}/device", server.issuer("acme")),
                &[
                    ("csrf_token", &entry.hidden("csrf_token")),
                    ("user_code", typed),
                ],
            )
            .await;
        assert_eq!(page.status, 400, "{typed}: {}", page.body);
        assert!(
            page.body.contains("not valid or has expired"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("<script>"), "escaped");
    }
}

#[tokio::test]
async fn device_authorization_authenticates_the_client_and_checks_its_grant_and_scope() {
    let (server, _) = server_with("acme", "Acme").await;
    let client_id = tv(&server).await;
    let wide = server
        .post(
            "acme",
            "device_authorization",
            None,
            &[("client_id", &client_id), ("scope", "openid email")],
        )
        .await;
    assert_error(wide, 400, "invalid_scope").await;
    let unknown = server
        .post(
            "acme",
            "device_authorization",
            None,
            &[("client_id", "nobody")],
        )
        .await;
    assert_error(unknown, 401, "invalid_client").await;
    let service = server
        .client("acme", &["--grant-type", "client_credentials"])
        .await;
    let refused = server
        .post("acme", "device_authorization", Some(&service), &[])
        .await;
    assert_error(refused, 400, "unauthorized_client").await;
    let other_tenant = server
        .post(
            "nowhere",
            "device_authorization",
            None,
            &[("client_id", &client_id)],
        )
        .await;
    assert_eq!(other_tenant.status(), 404);
}

#[tokio::test]
async fn serve_dev_prints_how_to_try_the_device_flow_with_the_demo_tv() {
    // What the binary prints: the one test here that needs `keyward serve` as a process.
    let server = crate::server::Server::dev().await;
    let log = server.log();
    assert!(log.contains("Try the device flow"), "{log}");
    let tv = server.demo_client("Demo TV");
    assert!(log.contains(&format!("curl -s -d client_id={} -d 'scope=openid profile offline_access' {}/device_authorization", tv.id, server.issuer("demo"))), "{log}");
    let res = server
        .post(
            "demo",
            "device_authorization",
            None,
            &[
                ("client_id", &tv.id),
                ("scope", "openid profile offline_access"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_per_address() {
    let (server, _) = server_with("acme", "Acme").await;
    let browser = Browser::new();
    let url = format!("{}/device", server.issuer("acme"));
    let entry = browser.get(&url).await;
    let csrf = entry.hidden("csrf_token");
    let mut statuses = Vec::new();
    for _ in 0..32 {
        statuses.push(
            browser
                .post(&url, &[("csrf_token", &csrf), ("user_code", "BCDF-GHJK")])
                .await
                .status,
        );
    }
    assert!(statuses[..30].iter().all(|s| *s == 400), "{statuses:?}");
    let throttled = browser.get(&format!("{url}?user_code=BCDF-GHJK")).await;
    assert_eq!(throttled.status, 429);
    assert!(
        throttled.body.contains("Too many attempts"),
        "{}",
        throttled.body
    );
}

/// Behind a trusted proxy the address is the one it forwards: one client's guesses do not
/// throttle the others who share the proxy, and a client cannot escape by inventing headers
/// when it talks to Keyward directly (the test above, where nothing is trusted).
#[tokio::test]
async fn behind_a_trusted_proxy_throttling_counts_the_forwarded_address() {
    let server = TestApp::dev_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1/32, ::1")]).await;
    let url = format!("{}/device?user_code=BCDF-GHJK", server.issuer("demo"));
    let lookup = |client: &'static str| {
        let request = server.http.get(&url).header("X-Forwarded-For", client);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(lookup("198.51.100.1").await);
    }
    assert!(statuses[..30].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
    assert_ne!(
        lookup("198.51.100.2").await,
        429,
        "another client is not throttled"
    );
    assert_eq!(lookup("198.51.100.1").await, 429);
}
