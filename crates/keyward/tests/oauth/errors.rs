//! RFC 6749 §5.2 errors at the token endpoint, and requests no framework should answer with a
//! 500: wrong content type, oversized or malformed body, unknown tenant.

use crate::app::TestApp;
use crate::server::{Creds, assert_error};

#[tokio::test]
async fn every_token_endpoint_error_is_rfc6749_json() {
    let server = TestApp::dev().await;
    let svc = server.demo_client("Demo service");
    let post = |form: &'static [(&'static str, &'static str)]| {
        server.post("demo", "token", Some(&svc), form)
    };

    assert_error(post(&[("scope", "api:read")]).await, 400, "invalid_request").await;
    assert_error(
        post(&[("grant_type", "urn:example:magic")]).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    assert_error(
        post(&[
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "demo-password"),
        ])
        .await,
        400,
        "unauthorized_client",
    )
    .await;
    assert_error(
        post(&[("grant_type", "client_credentials"), ("scope", "api:admin")]).await,
        400,
        "invalid_scope",
    )
    .await;
    let legacy = server.demo_client("Demo legacy");
    let refresh = server
        .post(
            "demo",
            "token",
            Some(&legacy),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "never-issued"),
            ],
        )
        .await;
    assert_error(refresh, 400, "invalid_grant").await;
    let wrong = Creds {
        id: svc.id.clone(),
        secret: "wrong".into(),
    };
    let headers = assert_error(
        server
            .post(
                "demo",
                "token",
                Some(&wrong),
                &[("grant_type", "client_credentials")],
            )
            .await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(headers["www-authenticate"], "Basic realm=\"demo\"");
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn successful_token_response_is_not_cacheable() {
    let server = TestApp::dev().await;
    let svc = server.demo_client("Demo service");
    let res = server
        .post(
            "demo",
            "token",
            Some(&svc),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
}

#[tokio::test]
async fn malformed_requests_get_invalid_request_never_a_500() {
    let server = TestApp::dev().await;
    let svc = server.demo_client("Demo service");
    let token_url = format!("{}/token", server.issuer("demo"));
    let send = |content_type: &'static str, body: Vec<u8>| {
        server
            .http
            .post(&token_url)
            .basic_auth(&svc.id, Some(&svc.secret))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";
    let duplicate = send(
        form,
        b"grant_type=client_credentials&grant_type=client_credentials".to_vec(),
    )
    .await
    .unwrap();
    assert_error(duplicate, 400, "invalid_request").await;
    let json = send(
        "application/json",
        br#"{"grant_type":"client_credentials"}"#.to_vec(),
    )
    .await
    .unwrap();
    assert_error(json, 400, "invalid_request").await;
    let malformed = send(form, b"grant_type=client%ZZcredentials".to_vec())
        .await
        .unwrap();
    assert_error(malformed, 400, "invalid_request").await;
    let not_utf8 = send(form, b"grant_type=%FF%FE".to_vec()).await.unwrap();
    assert_error(not_utf8, 400, "invalid_request").await;
    let oversized = send(form, vec![b'a'; 64 * 1024]).await.unwrap();
    assert_error(oversized, 413, "invalid_request").await;
    let no_type = server
        .http
        .post(&token_url)
        .basic_auth(&svc.id, Some(&svc.secret))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_error(no_type, 400, "invalid_request").await;
}

#[tokio::test]
async fn unknown_tenant_is_a_404_oauth_error() {
    let server = TestApp::dev().await;
    let svc = server.demo_client("Demo service");
    for endpoint in ["token", "introspect", "revoke"] {
        let res = server
            .post(
                "nope",
                endpoint,
                Some(&svc),
                &[("grant_type", "client_credentials"), ("token", "x")],
            )
            .await;
        assert_error(res, 404, "invalid_request").await;
    }
    let bad_slug = server
        .http
        .post(format!("{}/t/NOT%20A%20SLUG/token", server.base))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_error(bad_slug, 404, "invalid_request").await;
}

#[tokio::test]
async fn introspection_and_revocation_require_client_authentication() {
    let server = TestApp::dev().await;
    for endpoint in ["introspect", "revoke"] {
        let res = server
            .post("demo", endpoint, None, &[("token", "anything")])
            .await;
        assert_error(res, 401, "invalid_client").await;
    }
}
