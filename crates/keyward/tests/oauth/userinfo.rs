//! OIDC Core §5.3 userinfo: by GET and POST, the token in the header or the form body; claims
//! by scope; RFC 6750 errors with WWW-Authenticate.

use crate::app::TestApp;
use serde_json::Value;

async fn password_token(server: &TestApp, scope: &str) -> String {
    let legacy = server.demo_client("Demo legacy");
    let body = server
        .token(
            "demo",
            &legacy,
            &[
                ("grant_type", "password"),
                ("username", "demo"),
                ("password", "demo-password"),
                ("scope", scope),
            ],
        )
        .await;
    if scope.contains("openid") {
        assert!(
            body["id_token"].is_string(),
            "the password grant returns an ID token for openid: {body}"
        );
    }
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn userinfo_answers_get_and_post_with_header_or_body() {
    let server = TestApp::dev().await;
    let token = password_token(&server, "openid email profile").await;
    let url = format!("{}/userinfo", server.issuer("demo"));
    let responses = [
        server
            .http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        server
            .http
            .post(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        server
            .http
            .post(&url)
            .form(&[("access_token", token.as_str())])
            .send()
            .await
            .unwrap(),
    ];
    for res in responses {
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let claims: Value = res.json().await.unwrap();
        assert!(claims["sub"].is_string());
        assert_eq!(claims["email"], "demo@example.com");
        assert_eq!(claims["email_verified"], false);
        assert_eq!(claims["preferred_username"], "demo");
    }
}

#[tokio::test]
async fn userinfo_releases_claims_by_scope() {
    let server = TestApp::dev().await;
    let url = format!("{}/userinfo", server.issuer("demo"));
    let token = password_token(&server, "openid").await;
    let claims: Value = server
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(claims["sub"].is_string());
    assert!(
        claims.get("email").is_none() && claims.get("preferred_username").is_none(),
        "{claims}"
    );
    let token = password_token(&server, "openid email").await;
    let claims: Value = server
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(claims["email"], "demo@example.com");
    assert!(claims.get("preferred_username").is_none());
}

#[tokio::test]
async fn userinfo_refuses_bad_tokens_with_a_bearer_challenge() {
    let server = TestApp::dev().await;
    let url = format!("{}/userinfo", server.issuer("demo"));
    let res = server
        .http
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );

    let res = server.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=")
    );

    let no_openid = password_token(&server, "email").await;
    let res = server
        .http
        .get(&url)
        .bearer_auth(&no_openid)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    let service = server.demo_client("Demo service");
    let body = server
        .token("demo", &service, &[("grant_type", "client_credentials")])
        .await;
    let res = server
        .http
        .get(&url)
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 401 | 403),
        "a client's own token has no user"
    );
}
