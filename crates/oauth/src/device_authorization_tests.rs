#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use keyward_core::GrantType::{ClientCredentials, DeviceCode, RefreshToken};
use keyward_core::TokenEndpointAuthMethod::{ClientSecretBasic, None as Public};
use keyward_core::{Clock, Tenant, UserId};
use serde_json::Value;

use super::*;
use crate::client::Client;
use crate::error::ErrorCode;
use crate::token::TokenResponse;
use crate::token_service::fixture::{Fixture, basic, request};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

struct Tv {
    f: Fixture,
    tenant: Tenant,
    client: Client,
}

async fn tv(scope: &str) -> Tv {
    let f = Fixture::new();
    let tenant = f.tenant("acme", false).await;
    let (client, _) = f
        .client(&tenant, Public, &[DeviceCode, RefreshToken], scope)
        .await;
    Tv { f, tenant, client }
}

impl Tv {
    async fn start(&self, extra: &str) -> Result<DeviceAuthorizationResponse, OAuthError> {
        let body = format!("client_id={}{extra}", self.client.client_id);
        self.f
            .service
            .device_authorization(request("acme", None, &body))
            .await
    }

    async fn poll_as(
        &self,
        client: &Client,
        device_code: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let body = format!(
            "grant_type={GRANT}&client_id={}&device_code={device_code}",
            client.client_id
        );
        self.f.service.token(request("acme", None, &body)).await
    }

    async fn poll(&self, device_code: &str) -> Result<TokenResponse, OAuthError> {
        self.poll_as(&self.client, device_code).await
    }

    async fn entry(&self) -> Arc<TenantEntry> {
        self.f
            .service
            .tenant(self.tenant.slug.as_str())
            .await
            .unwrap()
    }

    fn subject(&self) -> AuthenticatedSubject {
        AuthenticatedSubject {
            user_id: UserId::generate(),
            session_id: "s".repeat(43),
            sid: "sid-1".into(),
            auth_time: self.f.clock.now(),
            amr: vec![keyward_core::Amr::Pwd],
            acr: None,
        }
    }
}

fn code(result: Result<TokenResponse, OAuthError>) -> ErrorCode {
    result.map(|_| ()).unwrap_err().code()
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn user_codes_are_eight_unambiguous_characters() {
    for _ in 0..200 {
        let code = generate_user_code().unwrap();
        assert_eq!(code.len(), USER_CODE_LEN);
        assert!(
            code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)),
            "{code}"
        );
        assert!(
            !code.bytes().any(|b| b"AEIOU0123456789".contains(&b)),
            "{code}"
        );
    }
    assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
}

#[test]
fn user_code_input_is_normalised_for_case_dashes_and_spaces() {
    for typed in [
        "BCDF-GHJK",
        "bcdf-ghjk",
        " bcdf ghjk ",
        "BCDFGHJK",
        "bc-df-gh-jk",
    ] {
        assert_eq!(
            normalize_user_code(typed).as_deref(),
            Some("BCDFGHJK"),
            "{typed:?}"
        );
    }
    for bad in [
        "",
        "BCDF-GHJ",
        "BCDF-GHJKL",
        "ABCD-EFGH",
        "BCDF-GHJ1",
        "BCDF_GHJK",
        "ВCDF-GHJK",
    ] {
        assert_eq!(normalize_user_code(bad), None, "{bad:?}");
    }
}

#[tokio::test]
async fn device_authorization_answers_codes_uris_lifetime_and_interval() {
    let tv = tv("openid profile offline_access").await;
    let res = tv.start("&scope=openid+profile").await.unwrap();
    assert_eq!(res.device_code.len(), 43, "256 bits, base64url");
    assert!(
        normalize_user_code(&res.user_code).is_some() && res.user_code.as_bytes()[4] == b'-',
        "{}",
        res.user_code
    );
    assert_eq!(res.verification_uri, "https://id.test/t/acme/device");
    assert_eq!(
        res.verification_uri_complete,
        format!("https://id.test/t/acme/device?user_code={}", res.user_code)
    );
    assert_eq!((res.expires_in, res.interval), (600, 5));
    let entry = tv.entry().await;
    let pending =
        tv.f.service
            .device_request(&entry, &res.user_code.to_lowercase())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(pending.scope.to_string(), "openid profile");
    assert_eq!(pending.client_name, "test client");
    assert_eq!(pending.display_user_code(), res.user_code);
    assert!(
        tv.f.service
            .device_request(&entry, "BCDF-GHJK")
            .await
            .unwrap()
            .is_none()
            || res.user_code == "BCDF-GHJK"
    );
}

#[tokio::test]
async fn device_authorization_refuses_clients_without_the_grant_and_wider_scopes() {
    let tv = tv("openid").await;
    assert_eq!(
        tv.start("&scope=openid+email").await.unwrap_err().code(),
        ErrorCode::InvalidScope
    );
    let (other, secret) =
        tv.f.client(
            &tv.tenant,
            ClientSecretBasic,
            &[ClientCredentials],
            "openid",
        )
        .await;
    let auth = basic(other.client_id.as_str(), &secret);
    let refused =
        tv.f.service
            .device_authorization(request("acme", Some(&auth), "scope=openid"))
            .await
            .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::UnauthorizedClient);
    let wrong_secret = basic(other.client_id.as_str(), "nope");
    let refused =
        tv.f.service
            .device_authorization(request("acme", Some(&wrong_secret), ""))
            .await
            .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidClient);
}

#[tokio::test]
async fn polling_is_pending_then_slow_down_then_tokens_once() {
    let tv = tv("openid profile offline_access").await;
    let res = tv.start("").await.unwrap();
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::AuthorizationPending
    );
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::SlowDown,
        "polled again at once"
    );
    // The interval is now 10 s: 6 s later is still too fast, and makes it 15 s.
    tv.f.clock.advance(Duration::seconds(6));
    assert_eq!(code(tv.poll(&res.device_code).await), ErrorCode::SlowDown);
    tv.f.clock.advance(Duration::seconds(14));
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::SlowDown,
        "14 s < 15 s"
    );
    tv.f.clock.advance(Duration::seconds(21));
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::AuthorizationPending
    );

    let entry = tv.entry().await;
    let subject = tv.subject();
    let outcome =
        tv.f.service
            .approve_device(&entry, &res.user_code, &subject)
            .await
            .unwrap();
    assert!(matches!(outcome, DecisionOutcome::Recorded(_)));
    assert_eq!(
        tv.f.service
            .deny_device(&entry, &res.user_code)
            .await
            .unwrap(),
        DecisionOutcome::Unknown,
        "decided once"
    );
    assert!(
        tv.f.service
            .device_request(&entry, &res.user_code)
            .await
            .unwrap()
            .is_none(),
        "the user code is spent"
    );

    let tokens = tv.poll(&res.device_code).await.unwrap();
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access and the refresh_token grant"
    );
    let access = claims(&tokens.access_token);
    assert_eq!(access["sub"], subject.user_id.to_string());
    assert_eq!(access["client_id"], tv.client.client_id.as_str());
    let id = claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(id["aud"], tv.client.client_id.as_str());
    assert_eq!(id["auth_time"], subject.auth_time.timestamp());
    assert!(id.get("at_hash").is_some());
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::InvalidGrant,
        "redeemed once"
    );
}

#[tokio::test]
async fn no_id_token_without_openid_and_no_refresh_token_without_offline_access() {
    let tv = tv("openid profile offline_access").await;
    let res = tv.start("&scope=profile").await.unwrap();
    let entry = tv.entry().await;
    tv.f.service
        .approve_device(&entry, &res.user_code, &tv.subject())
        .await
        .unwrap();
    let tokens = tv.poll(&res.device_code).await.unwrap();
    assert!(tokens.id_token.is_none() && tokens.refresh_token.is_none());
    assert_eq!(tokens.scope.as_deref(), Some("profile"));
}

#[tokio::test]
async fn denied_requests_answer_access_denied() {
    let tv = tv("openid").await;
    let res = tv.start("").await.unwrap();
    let entry = tv.entry().await;
    assert!(matches!(
        tv.f.service
            .deny_device(&entry, &res.user_code)
            .await
            .unwrap(),
        DecisionOutcome::Recorded(_)
    ));
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::AccessDenied
    );
    let subject = tv.subject();
    assert_eq!(
        tv.f.service
            .approve_device(&entry, &res.user_code, &subject)
            .await
            .unwrap(),
        DecisionOutcome::Unknown
    );
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::AccessDenied
    );
}

#[tokio::test]
async fn expired_requests_answer_expired_token_and_cannot_be_approved() {
    let tv = tv("openid").await;
    let res = tv.start("").await.unwrap();
    tv.f.clock
        .advance(Duration::seconds(DEVICE_CODE_LIFETIME_SECS));
    assert_eq!(
        code(tv.poll(&res.device_code).await),
        ErrorCode::ExpiredToken
    );
    let entry = tv.entry().await;
    assert!(
        tv.f.service
            .device_request(&entry, &res.user_code)
            .await
            .unwrap()
            .is_none()
    );
    let subject = tv.subject();
    assert_eq!(
        tv.f.service
            .approve_device(&entry, &res.user_code, &subject)
            .await
            .unwrap(),
        DecisionOutcome::Unknown
    );
}

#[tokio::test]
async fn another_client_cannot_poll_a_device_code_and_unknown_codes_are_invalid_grant() {
    let tv = tv("openid").await;
    let res = tv.start("").await.unwrap();
    let (other, _) =
        tv.f.client(&tv.tenant, Public, &[DeviceCode], "openid")
            .await;
    let entry = tv.entry().await;
    tv.f.service
        .approve_device(&entry, &res.user_code, &tv.subject())
        .await
        .unwrap();
    assert_eq!(
        code(tv.poll_as(&other, &res.device_code).await),
        ErrorCode::InvalidGrant
    );
    assert_eq!(
        code(tv.poll(&"x".repeat(43)).await),
        ErrorCode::InvalidGrant
    );
    assert!(
        tv.poll(&res.device_code).await.is_ok(),
        "the rightful client still redeems it"
    );
}

#[tokio::test]
async fn a_device_code_of_one_tenant_is_unknown_at_another() {
    let tv = tv("openid").await;
    let res = tv.start("").await.unwrap();
    let beta = tv.f.tenant("beta", false).await;
    let (beta_tv, _) = tv.f.client(&beta, Public, &[DeviceCode], "openid").await;
    let body = format!(
        "grant_type={GRANT}&client_id={}&device_code={}",
        beta_tv.client_id, res.device_code
    );
    assert_eq!(
        code(tv.f.service.token(request("beta", None, &body)).await),
        ErrorCode::InvalidGrant
    );
    let beta_entry = tv.f.service.tenant("beta").await.unwrap();
    assert!(
        tv.f.service
            .device_request(&beta_entry, &res.user_code)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_device_grant_refresh_token_refreshes_for_the_same_user() {
    let tv = tv("openid offline_access").await;
    let res = tv.start("").await.unwrap();
    let entry = tv.entry().await;
    let subject = tv.subject();
    tv.f.service
        .approve_device(&entry, &res.user_code, &subject)
        .await
        .unwrap();
    let tokens = tv.poll(&res.device_code).await.unwrap();
    let body = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        tv.client.client_id,
        tokens.refresh_token.unwrap()
    );
    let refreshed =
        tv.f.service
            .token(request("acme", None, &body))
            .await
            .unwrap();
    assert_eq!(
        claims(&refreshed.access_token)["sub"],
        subject.user_id.to_string()
    );
}

#[test]
fn discovery_of_the_browser_flows_advertises_the_device_flow() {
    use crate::discovery::{Features, metadata};
    let doc = metadata("https://id.test/t/acme", &Features::browser_flows());
    assert_eq!(
        doc["device_authorization_endpoint"],
        "https://id.test/t/acme/device_authorization"
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == GRANT)
    );
}
