//! Refresh-token rotation, reuse detection (RFC 9700 §4.14.2) and scope narrowing (RFC 6749 §6).

use serde_json::Value;

use crate::app::TestApp;
use crate::server::assert_error;

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

async fn login(server: &TestApp) -> Value {
    let legacy = server.demo_client("Demo legacy");
    server
        .token(
            "demo",
            &legacy,
            &[
                ("grant_type", "password"),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let server = TestApp::dev().await;
    let legacy = server.demo_client("Demo legacy");
    let first = login(&server).await;
    let rt1 = text(&first, "refresh_token");
    let second = server
        .token(
            "demo",
            &legacy,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
        )
        .await;
    let rt2 = text(&second, "refresh_token");
    let third = server
        .token(
            "demo",
            &legacy,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
        )
        .await;
    let rt3 = text(&third, "refresh_token");
    assert!(server.active("demo", &legacy, &rt3).await);
    assert!(
        server
            .active("demo", &legacy, &text(&third, "access_token"))
            .await
    );

    // An attacker replays the rotated-out first token.
    let replay = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
        )
        .await;
    assert_error(replay, 400, "invalid_grant").await;

    assert!(
        !server.active("demo", &legacy, &rt3).await,
        "the newest refresh token is revoked"
    );
    for response in [&first, &second, &third] {
        assert!(
            !server
                .active("demo", &legacy, &text(response, "access_token"))
                .await,
            "the family's access tokens are revoked"
        );
    }
    let legit = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt3)],
        )
        .await;
    assert_error(legit, 400, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_may_narrow_the_scope_but_never_widen_it() {
    let server = TestApp::dev().await;
    let legacy = server.demo_client("Demo legacy");
    let first = login(&server).await;
    assert_eq!(text(&first, "scope"), "email offline_access openid profile");
    let rt = text(&first, "refresh_token");
    let wider = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid api:admin"),
            ],
        )
        .await;
    assert_error(wider, 400, "invalid_scope").await;
    let narrow = server
        .token(
            "demo",
            &legacy,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_eq!(text(&narrow, "scope"), "openid");
    let back = server
        .token(
            "demo",
            &legacy,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &text(&narrow, "refresh_token")),
                ("scope", "email profile"),
            ],
        )
        .await;
    assert_eq!(
        text(&back, "scope"),
        "email profile",
        "the refresh token keeps the original grant's scope"
    );
}

#[tokio::test]
async fn a_refresh_token_is_useless_to_another_client() {
    let server = TestApp::dev().await;
    let first = login(&server).await;
    let rt = text(&first, "refresh_token");
    let other = server.demo_client("Demo web app");
    let res = server
        .post(
            "demo",
            "token",
            Some(&other),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_error(res, 400, "invalid_grant").await;
    assert!(
        !server.active("demo", &other, &rt).await,
        "only its own client sees it active"
    );
    assert!(
        server
            .active("demo", &server.demo_client("Demo legacy"), &rt)
            .await
    );
}
