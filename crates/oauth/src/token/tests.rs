#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use keyward_core::Clock;
use keyward_core::GrantType::{ClientCredentials, Password, RefreshToken};
use keyward_core::TokenEndpointAuthMethod::ClientSecretBasic;
use serde_json::Value;

use crate::error::ErrorCode;
use crate::token_service::fixture::{Fixture, basic, request};

fn part(jwt: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn code_of(f: &Fixture, tenant: &str, auth: Option<&str>, body: &str) -> ErrorCode {
    f.service
        .token(request(tenant, auth, body))
        .await
        .unwrap_err()
        .code()
}

#[tokio::test]
async fn client_credentials_issues_an_rfc9068_access_token_without_refresh_token() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(
            &t,
            ClientSecretBasic,
            &[ClientCredentials],
            "api:read api:write",
        )
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let now = f.clock.now().timestamp();
    let res = f.client_credentials("acme", &auth).await.unwrap();
    assert_eq!(res.token_type, "Bearer");
    assert!(res.refresh_token.is_none(), "RFC 6749 §4.4.3");
    assert_eq!(
        res.scope.as_deref(),
        Some("api:read api:write"),
        "omitted scope is the client's whole scope"
    );
    assert_eq!(res.expires_in, 600);
    let header = part(&res.access_token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let claims = part(&res.access_token, 1);
    assert_eq!(claims["iss"], "https://id.test/t/acme");
    assert_eq!(claims["sub"], c.client_id.as_str());
    assert_eq!(claims["client_id"], c.client_id.as_str());
    assert_eq!(
        claims["aud"], "https://id.test/t/acme",
        "no registered audience: the issuer"
    );
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 600);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 22));
}

#[tokio::test]
async fn access_token_carries_registered_audiences_and_client_lifetime() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (mut c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    c.settings.audiences = vec!["https://api.test".into()];
    c.settings.access_token_ttl_secs = Some(60);
    f.clients.0.lock().unwrap()[0] = c.clone();
    let auth = basic(c.client_id.as_str(), &secret);
    let res = f.client_credentials("acme", &auth).await.unwrap();
    assert_eq!(res.expires_in, 60);
    assert_eq!(
        part(&res.access_token, 1)["aud"],
        serde_json::json!(["https://api.test"])
    );
    assert!(res.scope.is_none(), "an empty scope is omitted");
}

#[tokio::test]
async fn requested_scope_may_narrow_but_never_widen_the_clients_scope() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(
            &t,
            ClientSecretBasic,
            &[ClientCredentials],
            "api:read api:write",
        )
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let res = f
        .service
        .token(request(
            "acme",
            Some(&auth),
            "grant_type=client_credentials&scope=api:read",
        ))
        .await
        .unwrap();
    assert_eq!(part(&res.access_token, 1)["scope"], "api:read");
    let wide = code_of(
        &f,
        "acme",
        Some(&auth),
        "grant_type=client_credentials&scope=api:read+admin",
    )
    .await;
    assert_eq!(wide, ErrorCode::InvalidScope);
    let malformed = code_of(
        &f,
        "acme",
        Some(&auth),
        "grant_type=client_credentials&scope=%22",
    )
    .await;
    assert_eq!(malformed, ErrorCode::InvalidScope);
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc6749_section_5_2() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let auth = Some(auth.as_str());
    assert_eq!(
        code_of(&f, "acme", auth, "scope=x").await,
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(&f, "acme", auth, "grant_type=magic").await,
        ErrorCode::UnsupportedGrantType
    );
    assert_eq!(
        code_of(&f, "acme", auth, "grant_type=device_code").await,
        ErrorCode::UnsupportedGrantType
    );
    assert_eq!(
        code_of(
            &f,
            "acme",
            auth,
            "grant_type=password&username=a&password=b"
        )
        .await,
        ErrorCode::UnauthorizedClient
    );
    assert_eq!(
        code_of(
            &f,
            "acme",
            auth,
            "grant_type=client_credentials&grant_type=client_credentials"
        )
        .await,
        ErrorCode::InvalidRequest
    );
    let unknown = f
        .service
        .token(request("nope", auth, "grant_type=client_credentials"))
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.status(), unknown.code()),
        (404, ErrorCode::InvalidRequest)
    );
}

#[tokio::test]
async fn password_grant_needs_the_tenant_and_the_client_to_allow_it() {
    let f = Fixture::new();
    let off = f.tenant("off", false).await;
    let (c, secret) = f
        .client(&off, ClientSecretBasic, &[Password], "openid")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let body = "grant_type=password&username=ada&password=correct+horse";
    assert_eq!(
        code_of(&f, "off", Some(&auth), body).await,
        ErrorCode::UnauthorizedClient
    );

    let on = f.tenant("on", true).await;
    let (c, secret) = f
        .client(&on, ClientSecretBasic, &[ClientCredentials], "openid")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    assert_eq!(
        code_of(&f, "on", Some(&auth), body).await,
        ErrorCode::UnauthorizedClient
    );
}

#[tokio::test]
async fn password_grant_answers_invalid_grant_for_bad_credentials_and_throttling() {
    let f = Fixture::new();
    let t = f.tenant("on", true).await;
    let (c, secret) = f.client(&t, ClientSecretBasic, &[Password], "openid").await;
    let auth = basic(c.client_id.as_str(), &secret);
    let wrong = f
        .service
        .token(request(
            "on",
            Some(&auth),
            "grant_type=password&username=ada&password=nope",
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::InvalidGrant);
    let throttled = f
        .service
        .token(request(
            "on",
            Some(&auth),
            "grant_type=password&username=throttled&password=x",
        ))
        .await
        .unwrap_err();
    assert_eq!(throttled.code(), ErrorCode::InvalidGrant);
    assert_eq!(
        code_of(&f, "on", Some(&auth), "grant_type=password&username=ada").await,
        ErrorCode::InvalidRequest
    );
}

#[tokio::test]
async fn password_grant_gives_a_refresh_token_only_for_offline_access() {
    let f = Fixture::new();
    let t = f.tenant("on", true).await;
    let (c, secret) = f
        .client(
            &t,
            ClientSecretBasic,
            &[Password, RefreshToken],
            "openid offline_access",
        )
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let online = f
        .service
        .token(request(
            "on",
            Some(&auth),
            "grant_type=password&username=ada&password=correct+horse&scope=openid",
        ))
        .await
        .unwrap();
    assert!(online.refresh_token.is_none());
    assert_eq!(
        part(&online.access_token, 1)["sub"],
        crate::token_service::fixture::ADA
    );
    let offline = f
        .service
        .token(request(
            "on",
            Some(&auth),
            "grant_type=password&username=ada&password=correct+horse",
        ))
        .await
        .unwrap();
    let refresh = offline.refresh_token.unwrap();
    assert_eq!(refresh.len(), 43, "256 random bits");
}

async fn password_tokens(f: &Fixture) -> (String, String) {
    let (auth, res) = f.password_grant("openid profile offline_access").await;
    (auth, res.refresh_token.unwrap())
}

#[tokio::test]
async fn refresh_rotates_and_keeps_the_subject() {
    let f = Fixture::new();
    let (auth, first) = password_tokens(&f).await;
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    let res = f
        .service
        .token(request("on", Some(&auth), &body))
        .await
        .unwrap();
    let second = res.refresh_token.unwrap();
    assert_ne!(second, first);
    assert_eq!(
        part(&res.access_token, 1)["sub"],
        crate::token_service::fixture::ADA
    );
    assert_eq!(res.scope.as_deref(), Some("offline_access openid profile"));
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_family_and_its_access_tokens() {
    let f = Fixture::new();
    let (auth, first) = password_tokens(&f).await;
    let res = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={first}"),
        ))
        .await
        .unwrap();
    let second = res.refresh_token.unwrap();
    let jti = part(&res.access_token, 1)["jti"]
        .as_str()
        .unwrap()
        .to_owned();

    let replay = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={first}"),
        ))
        .await;
    assert_eq!(replay.unwrap_err().code(), ErrorCode::InvalidGrant);
    let newest = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={second}"),
        ))
        .await;
    assert_eq!(
        newest.unwrap_err().code(),
        ErrorCode::InvalidGrant,
        "the whole family is revoked"
    );
    let tenant = f.tenants.0.lock().unwrap()[0].id;
    let revoked = f
        .cache
        .is_revoked_for_tests(&crate::access_token::revoked_set(tenant), &jti);
    assert!(revoked, "access tokens of the family are revoked");
}

#[tokio::test]
async fn refresh_may_narrow_scope_but_not_widen_it() {
    let f = Fixture::new();
    let (auth, first) = password_tokens(&f).await;
    let wide = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={first}&scope=openid+email"),
        ))
        .await;
    assert_eq!(wide.unwrap_err().code(), ErrorCode::InvalidScope);
    let narrow = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={first}&scope=openid"),
        ))
        .await
        .unwrap();
    assert_eq!(narrow.scope.as_deref(), Some("openid"));
    let next = narrow.refresh_token.unwrap();
    let again = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={next}&scope=profile"),
        ))
        .await
        .unwrap();
    assert_eq!(
        again.scope.as_deref(),
        Some("profile"),
        "the refresh token keeps the family's scope"
    );
}

#[tokio::test]
async fn refresh_token_is_bound_to_its_client_and_expires() {
    let f = Fixture::new();
    let (auth, first) = password_tokens(&f).await;
    let t = f.tenants.0.lock().unwrap()[0].clone();
    let (other, secret) = f
        .client(&t, ClientSecretBasic, &[RefreshToken], "openid")
        .await;
    let other_auth = basic(other.client_id.as_str(), &secret);
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    assert_eq!(
        code_of(&f, "on", Some(&other_auth), &body).await,
        ErrorCode::InvalidGrant
    );
    assert_eq!(
        code_of(
            &f,
            "on",
            Some(&auth),
            "grant_type=refresh_token&refresh_token=unknown"
        )
        .await,
        ErrorCode::InvalidGrant
    );
    f.clock.advance(Duration::days(31));
    assert_eq!(
        code_of(&f, "on", Some(&auth), &body).await,
        ErrorCode::InvalidGrant
    );
}
