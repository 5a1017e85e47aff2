#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use keyward_core::Clock;
use keyward_core::GrantType::ClientCredentials;
use keyward_core::TokenEndpointAuthMethod::{
    self, ClientSecretBasic, ClientSecretPost, PrivateKeyJwt,
};
use serde_json::{Value, json};

use super::JWT_BEARER;
use crate::error::{ErrorCode, OAuthError};
use crate::jose::Signer;
use crate::jose::keygen::generate_pkcs8;
use crate::signing_key::SigningAlg;
use crate::token_service::fixture::{Fixture, basic, request};

async fn token(f: &Fixture, auth: Option<&str>, body: &str) -> Result<(), OAuthError> {
    f.service.token(request("acme", auth, body)).await.map(drop)
}

#[tokio::test]
async fn client_secret_basic_accepts_the_right_secret_and_challenges_a_wrong_one() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    token(
        &f,
        Some(&basic(c.client_id.as_str(), &secret)),
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    let wrong = token(
        &f,
        Some(&basic(c.client_id.as_str(), "guess")),
        "grant_type=client_credentials",
    )
    .await
    .unwrap_err();
    assert_eq!(
        (wrong.code(), wrong.status()),
        (ErrorCode::InvalidClient, 401)
    );
    assert!(
        wrong.basic_challenge(),
        "RFC 6749 §5.2: WWW-Authenticate when Basic was tried"
    );
    let unknown = token(
        &f,
        Some(&basic("nobody", &secret)),
        "grant_type=client_credentials",
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::InvalidClient);
    let garbage = token(&f, Some("Basic !!!"), "grant_type=client_credentials")
        .await
        .unwrap_err();
    assert!(garbage.basic_challenge());
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_inside_the_header() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (mut c, _) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    c.client_id = keyward_core::ClientId::parse("svc:1+x").unwrap();
    let secret = "s3cr%t:with/odd+chars";
    c.secret_hash = Some(f.secrets.hash(secret));
    f.clients.0.lock().unwrap()[0] = c;
    let header = basic("svc%3A1%2Bx", "s3cr%25t%3Awith%2Fodd%2Bchars");
    token(&f, Some(&header), "grant_type=client_credentials")
        .await
        .unwrap();
}

#[tokio::test]
async fn only_the_registered_method_is_accepted() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let post = format!(
        "grant_type=client_credentials&client_id={}&client_secret={secret}",
        c.client_id
    );
    let refused = token(&f, None, &post).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidClient);
    assert!(!refused.basic_challenge());

    let (p, psecret) = f
        .client(&t, ClientSecretPost, &[ClientCredentials], "")
        .await;
    let post = format!(
        "grant_type=client_credentials&client_id={}&client_secret={psecret}",
        p.client_id
    );
    token(&f, None, &post).await.unwrap();
    let as_basic = token(
        &f,
        Some(&basic(p.client_id.as_str(), &psecret)),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(as_basic.unwrap_err().code(), ErrorCode::InvalidClient);
}

#[tokio::test]
async fn two_authentication_methods_in_one_request_are_refused() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, secret) = f
        .client(&t, ClientSecretBasic, &[ClientCredentials], "")
        .await;
    let body = format!("grant_type=client_credentials&client_secret={secret}");
    let both = token(&f, Some(&basic(c.client_id.as_str(), &secret)), &body)
        .await
        .unwrap_err();
    assert_eq!(both.code(), ErrorCode::InvalidRequest);
    let none = token(&f, None, "grant_type=client_credentials")
        .await
        .unwrap_err();
    assert_eq!(none.code(), ErrorCode::InvalidClient);
}

#[tokio::test]
async fn public_client_authenticates_with_its_id_only() {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (c, _) = f
        .client(
            &t,
            TokenEndpointAuthMethod::None,
            &[keyward_core::GrantType::RefreshToken],
            "",
        )
        .await;
    let body = format!(
        "grant_type=refresh_token&refresh_token=unknown&client_id={}",
        c.client_id
    );
    let err = token(&f, None, &body).await.unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::InvalidGrant,
        "authenticated, then the grant fails"
    );
}

struct JwtClient {
    f: Fixture,
    id: String,
    signer: Signer,
}

async fn jwt_client(inline: bool) -> JwtClient {
    let f = Fixture::new();
    let t = f.tenant("acme", false).await;
    let (mut c, _) = f.client(&t, PrivateKeyJwt, &[ClientCredentials], "").await;
    let signer = Signer::from_pkcs8(
        SigningAlg::Es256,
        "k1".into(),
        &generate_pkcs8(SigningAlg::Es256).unwrap(),
    )
    .unwrap();
    let set = json!({ "keys": [signer.public_jwk()] });
    if inline {
        c.settings.jwks = Some(set);
    } else {
        c.settings.jwks_uri = Some("https://rp.test/jwks".into());
        f.fetcher
            .0
            .lock()
            .unwrap()
            .insert("https://rp.test/jwks".into(), Arc::new(set));
    }
    f.clients.0.lock().unwrap()[0] = c.clone();
    JwtClient {
        id: c.client_id.to_string(),
        f,
        signer,
    }
}

impl JwtClient {
    fn claims(&self) -> Value {
        let now = self.f.clock.now().timestamp();
        json!({
            "iss": self.id, "sub": self.id, "aud": "https://id.test/t/acme/token",
            "exp": now + 60, "iat": now, "jti": keyward_core::secret::random_token(16),
        })
    }

    async fn present(&self, claims: &Value, with_client_id: bool) -> Result<(), OAuthError> {
        let assertion = self.signer.sign("JWT", claims).unwrap();
        let mut body = format!(
            "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
            urlencode(JWT_BEARER)
        );
        if with_client_id {
            body.push_str(&format!("&client_id={}", self.id));
        }
        token(&self.f, None, &body).await
    }
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A")
}

#[tokio::test]
async fn private_key_jwt_accepts_a_fresh_assertion_once() {
    let j = jwt_client(true).await;
    let claims = j.claims();
    j.present(&claims, false).await.unwrap();
    let replay = j.present(&claims, true).await.unwrap_err();
    assert_eq!(replay.code(), ErrorCode::InvalidClient, "jti is single-use");
    let mut issuer_aud = j.claims();
    issuer_aud["aud"] = json!(["https://id.test/t/acme"]);
    j.present(&issuer_aud, true).await.unwrap();
}

#[tokio::test]
async fn private_key_jwt_uses_the_clients_jwks_uri() {
    let j = jwt_client(false).await;
    j.present(&j.claims(), true).await.unwrap();
}

#[tokio::test]
async fn private_key_jwt_refuses_bad_claims() {
    let j = jwt_client(true).await;
    let now = j.f.clock.now().timestamp();
    let cases: [(&str, Value); 11] = [
        ("aud", json!("https://other.test/token")),
        // An assertion made for another server too, or naming an endpoint that is not the
        // token endpoint, is not one for this server's token endpoint (RFC 7523 §3).
        (
            "aud",
            json!(["https://id.test/t/acme", "https://other.test"]),
        ),
        (
            "aud",
            json!(["https://id.test/t/acme", "https://id.test/t/acme/token"]),
        ),
        ("aud", json!("https://id.test/t/acme/introspect")),
        ("aud", json!("https://id.test/t/acme/revoke")),
        ("iss", json!("someone-else")),
        ("exp", json!(now - 1)),
        ("exp", json!(now + 3600)),
        ("exp", Value::Null),
        ("jti", Value::Null),
        ("nbf", json!(now + 600)),
    ];
    for (claim, value) in cases {
        let mut claims = j.claims();
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(claim);
        } else {
            claims[claim] = value.clone();
        }
        let err = j.present(&claims, true).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidClient, "{claim} = {value}");
    }
}

#[tokio::test]
async fn private_key_jwt_refuses_a_key_the_client_did_not_register() {
    let j = jwt_client(true).await;
    let stranger = Signer::from_pkcs8(
        SigningAlg::Es256,
        "k1".into(),
        &generate_pkcs8(SigningAlg::Es256).unwrap(),
    )
    .unwrap();
    let assertion = stranger.sign("JWT", &j.claims()).unwrap();
    let body = format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
        urlencode(JWT_BEARER)
    );
    assert_eq!(
        token(&j.f, None, &body).await.unwrap_err().code(),
        ErrorCode::InvalidClient
    );
    let wrong_type = format!(
        "grant_type=client_credentials&client_assertion_type=urn%3Ax&client_assertion={assertion}"
    );
    assert_eq!(
        token(&j.f, None, &wrong_type).await.unwrap_err().code(),
        ErrorCode::InvalidClient
    );
}
