#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keyward_core::GrantType::ClientCredentials;
use keyward_core::TokenEndpointAuthMethod::ClientSecretBasic;

use crate::error::ErrorCode;
use crate::token_service::fixture::{Fixture, basic, request};

async fn active(f: &Fixture, tenant: &str, auth: &str, token: &str) -> bool {
    let answer = f
        .service
        .introspect(request(tenant, Some(auth), &format!("token={token}")))
        .await
        .unwrap();
    answer["active"] == true
}

#[tokio::test]
async fn revoked_access_token_becomes_inactive() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    let at = f
        .client_credentials("acme", &auth)
        .await
        .unwrap()
        .access_token;
    assert!(active(&f, "acme", &auth, &at).await);
    f.service
        .revoke(request("acme", Some(&auth), &format!("token={at}")))
        .await
        .unwrap();
    assert!(!active(&f, "acme", &auth, &at).await);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let f = Fixture::new();
    let (auth, first) = f.password_grant("openid offline_access").await;
    let rt = first.refresh_token.clone().unwrap();
    f.service
        .revoke(request(
            "on",
            Some(&auth),
            &format!("token={rt}&token_type_hint=refresh_token"),
        ))
        .await
        .unwrap();
    assert!(!active(&f, "on", &auth, &rt).await);
    assert!(
        !active(&f, "on", &auth, &first.access_token).await,
        "access tokens of the family go too"
    );
    let refresh = f
        .service
        .token(request(
            "on",
            Some(&auth),
            &format!("grant_type=refresh_token&refresh_token={rt}"),
        ))
        .await;
    assert_eq!(refresh.unwrap_err().code(), ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn unknown_tokens_revoke_successfully_and_other_clients_tokens_are_refused() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let auth = basic(c.client_id.as_str(), &secret);
    f.service
        .revoke(request("acme", Some(&auth), "token=never-issued"))
        .await
        .unwrap();
    f.service
        .revoke(request("acme", Some(&auth), "token=a.b.c"))
        .await
        .unwrap();
    let at = f
        .client_credentials("acme", &auth)
        .await
        .unwrap()
        .access_token;
    let (other, other_secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let other_auth = basic(other.client_id.as_str(), &other_secret);
    let err = f
        .service
        .revoke(request("acme", Some(&other_auth), &format!("token={at}")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnauthorizedClient);
    assert!(active(&f, "acme", &auth, &at).await);
    let err = f
        .service
        .revoke(request("acme", None, &format!("token={at}")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
}
