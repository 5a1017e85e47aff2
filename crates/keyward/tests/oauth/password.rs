//! The password grant (RFC 6749 §4.3): off unless both the tenant and the client allow it,
//! one refusal for every bad credential, throttled per user.

use crate::app::TestApp;
use crate::server::assert_error;

#[tokio::test]
async fn password_grant_is_off_unless_the_tenant_and_the_client_allow_it() {
    let server = TestApp::dev().await;
    // The tenant allows it, this client does not.
    let svc = server.demo_client("Demo service");
    let form = [
        ("grant_type", "password"),
        ("username", "demo"),
        ("password", "demo-password"),
    ];
    assert_error(
        server.post("demo", "token", Some(&svc), &form).await,
        400,
        "unauthorized_client",
    )
    .await;
    // The client allows it, this tenant does not (password grant is off by default).
    server.tenant("acme").await;
    let legacy = server.client("acme", &["--grant-type", "password"]).await;
    assert_error(
        server.post("acme", "token", Some(&legacy), &form).await,
        400,
        "unauthorized_client",
    )
    .await;
}

#[tokio::test]
async fn bad_credentials_get_one_refusal_and_no_refresh_token_without_offline_access() {
    let server = TestApp::dev().await;
    let legacy = server.demo_client("Demo legacy");
    for (user, password) in [
        ("demo", "wrong password"),
        ("nobody", "demo-password"),
        ("demo@example.com", "nope"),
    ] {
        let res = server
            .post(
                "demo",
                "token",
                Some(&legacy),
                &[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                ],
            )
            .await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{user}"
        );
        assert_eq!(
            body["error_description"], "invalid username or password",
            "no hint whether {user} exists"
        );
    }
    let online = server
        .token(
            "demo",
            &legacy,
            &[
                ("grant_type", "password"),
                ("username", "demo@example.com"),
                ("password", "demo-password"),
                ("scope", "openid"),
            ],
        )
        .await;
    assert!(online.get("refresh_token").is_none());
}

#[tokio::test]
async fn repeated_failures_throttle_the_user_even_with_the_right_password() {
    let server = TestApp::dev().await;
    let legacy = server.demo_client("Demo legacy");
    for _ in 0..10 {
        let res = server
            .post(
                "demo",
                "token",
                Some(&legacy),
                &[
                    ("grant_type", "password"),
                    ("username", "demo"),
                    ("password", "guess"),
                ],
            )
            .await;
        assert_error(res, 400, "invalid_grant").await;
    }
    let res = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[
                ("grant_type", "password"),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("too many"),
        "{body}"
    );
}
