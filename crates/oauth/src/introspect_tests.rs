#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Duration;
use keyward_core::GrantType::{ClientCredentials, Password, RefreshToken};
use keyward_core::TokenEndpointAuthMethod::ClientSecretBasic;
use serde_json::Value;

use crate::error::ErrorCode;
use crate::token_service::fixture::{Fixture, basic, request};

async fn introspect(f: &Fixture, tenant: &str, auth: &str, token: &str) -> Value {
    f.service
        .introspect(request(tenant, Some(auth), &format!("token={token}")))
        .await
        .unwrap()
}

#[tokio::test]
async fn active_access_token_answers_its_claims() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "api:read")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let at = f
        .client_credentials("acme", &auth)
        .await
        .unwrap()
        .access_token;
    let (rs, rs_secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let answer = introspect(&f, "acme", &basic(rs.client_id.as_str(), &rs_secret), &at).await;
    assert_eq!(
        answer["active"], true,
        "any client of the tenant may introspect access tokens"
    );
    for member in [
        "scope",
        "client_id",
        "sub",
        "exp",
        "iat",
        "iss",
        "aud",
        "jti",
        "token_type",
    ] {
        assert!(answer.get(member).is_some(), "{member} in {answer}");
    }
    assert_eq!(answer["scope"], "api:read");
    assert_eq!(answer["token_type"], "Bearer");
}

#[tokio::test]
async fn expired_malformed_unknown_and_other_tenant_tokens_are_inactive() {
    let f = Fixture::new();
    let a = f.tenant("a", false).await;
    let b = f.tenant("b", false).await;
    let (ca, sa) = f
        .client(&a, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let (cb, sb) = f
        .client(&b, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let auth_a = basic(ca.client_id.as_str(), &sa);
    let auth_b = basic(cb.client_id.as_str(), &sb);
    let at = f
        .service
        .token(request("a", Some(&auth_a), "grant_type=client_credentials"))
        .await
        .unwrap()
        .access_token;
    assert_eq!(
        introspect(&f, "b", &auth_b, &at).await,
        serde_json::json!({ "active": false })
    );
    for junk in ["x.y.z", "garbage", "eyJhbGciOiJub25lIn0.e30."] {
        assert_eq!(
            introspect(&f, "a", &auth_a, junk).await["active"],
            false,
            "{junk}"
        );
    }
    f.clock.advance(Duration::seconds(601));
    assert_eq!(
        introspect(&f, "a", &auth_a, &at).await["active"],
        false,
        "expired"
    );
}

#[tokio::test]
async fn introspection_requires_client_authentication_and_a_token() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let err = f
        .service
        .introspect(request("acme", None, "token=abc"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
    let auth = basic(c.client_id.as_str(), &secret);
    let err = f
        .service
        .introspect(request("acme", Some(&auth), ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn a_public_client_may_not_introspect() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "api:read")
        .await;
    let at = f
        .client_credentials("acme", &basic(c.client_id.as_str(), &secret))
        .await
        .unwrap()
        .access_token;
    let (public, _) = f
        .client(&t, keyward_core::TokenEndpointAuthMethod::None, &[], "")
        .await;
    // A public client holds no credential: anyone can send its client_id.
    let err = f
        .service
        .introspect(request(
            "acme",
            None,
            &format!("client_id={}&token={at}", public.client_id.as_str()),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
}

#[tokio::test]
async fn refresh_token_is_active_only_for_its_own_client_and_until_rotated() {
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
    let rt = f
        .service
        .token(request(
            "on",
            Some(&auth),
            "grant_type=password&username=ada&password=correct+horse",
        ))
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    let mine = introspect(&f, "on", &auth, &rt).await;
    assert_eq!(mine["active"], true);
    assert_eq!(mine["sub"], crate::token_service::fixture::ADA);
    assert_eq!(mine["client_id"], c.client_id.as_str());
    let (other, other_secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let theirs = introspect(
        &f,
        "on",
        &basic(other.client_id.as_str(), &other_secret),
        &rt,
    )
    .await;
    assert_eq!(theirs["active"], false);
    f.service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={rt}"),
        ))
        .await
        .unwrap();
    assert_eq!(
        introspect(&f, "on", &auth, &rt).await["active"],
        false,
        "rotated out"
    );
}
