//! Client authentication at the token endpoint: private_key_jwt (RFC 7523) with a key made
//! here with ring, registered inline or at a jwks_uri; only the registered method is accepted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyward_core::{ClientId, TenantSlug, TenantStore};
use keyward_oauth::ClientStore;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::app::{Options, TestApp};
use crate::server::{Creds, assert_error};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) struct RpKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl RpKey {
    pub(crate) fn generate() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self { pair, rng }
    }

    pub(crate) fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "kid": "rp-1", "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "ES256", "kid": "rp-1", "typ": "JWT" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.pair.sign(&self.rng, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

pub(crate) fn claims(client_id: &str, aud: &str, jti: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 120, "jti": jti })
}

/// Registers a private_key_jwt client with the CLI, then sets its keys through the store (the
/// CLI has no flag for them yet); the server has not seen the client, so nothing is cached.
async fn private_key_jwt_client(
    server: &TestApp,
    settings: impl FnOnce(&mut keyward_oauth::ClientSettings),
) -> String {
    server.tenant("acme").await;
    let creds = server
        .client(
            "acme",
            &["--auth-method", "private_key_jwt", "--scope", "api:read"],
        )
        .await;
    let store = server.store();
    let tenant = TenantStore::by_slug(&store, &TenantSlug::parse("acme").unwrap())
        .await
        .unwrap()
        .unwrap();
    let id = ClientId::parse(&creds.id).unwrap();
    let mut client = ClientStore::get(&store, tenant.id, &id)
        .await
        .unwrap()
        .unwrap();
    settings(&mut client.settings);
    ClientStore::update(&store, &client).await.unwrap();
    creds.id
}

async fn present(server: &TestApp, assertion: &str) -> reqwest::Response {
    server
        .post(
            "acme",
            "token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ],
        )
        .await
}

#[tokio::test]
async fn private_key_jwt_client_gets_a_token_once_per_assertion() {
    let server = TestApp::plain().await;
    let key = RpKey::generate();
    let jwk = key.jwk();
    let id = private_key_jwt_client(&server, |s| s.jwks = Some(json!({ "keys": [jwk] }))).await;
    let token_endpoint = format!("{}/token", server.issuer("acme"));

    let assertion = key.sign(&claims(&id, &token_endpoint, "jti-1"));
    let res = present(&server, &assertion).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "api:read");

    assert_error(present(&server, &assertion).await, 401, "invalid_client").await;
    let issuer_aud = key.sign(&claims(&id, &server.issuer("acme"), "jti-2"));
    assert_eq!(
        present(&server, &issuer_aud).await.status(),
        200,
        "the issuer is an accepted audience"
    );
    let foreign_aud = key.sign(&claims(&id, "https://elsewhere.test/token", "jti-3"));
    assert_error(present(&server, &foreign_aud).await, 401, "invalid_client").await;
    let mut expired = claims(&id, &token_endpoint, "jti-4");
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 10);
    assert_error(
        present(&server, &key.sign(&expired)).await,
        401,
        "invalid_client",
    )
    .await;
    let stranger = RpKey::generate().sign(&claims(&id, &token_endpoint, "jti-5"));
    assert_error(present(&server, &stranger).await, 401, "invalid_client").await;
}

/// Serves `body` as JSON to every connection, on a loopback port.
async fn serve_json(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{}/jwks", addr.port())
}

#[tokio::test]
async fn private_key_jwt_keys_are_fetched_from_the_clients_jwks_uri() {
    let server = TestApp::embedded(Options::default().loopback_relying_parties()).await;
    let key = RpKey::generate();
    let uri = serve_json(json!({ "keys": [key.jwk()] }).to_string()).await;
    let id = private_key_jwt_client(&server, |s| s.jwks_uri = Some(uri)).await;
    let assertion = key.sign(&claims(
        &id,
        &format!("{}/token", server.issuer("acme")),
        "jti-1",
    ));
    assert_eq!(present(&server, &assertion).await.status(), 200);
}

#[tokio::test]
async fn client_secret_post_is_refused_for_a_client_registered_for_basic() {
    let server = TestApp::dev().await;
    let svc: Creds = server.demo_client("Demo service");
    let res = server
        .post(
            "demo",
            "token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &svc.id),
                ("client_secret", &svc.secret),
            ],
        )
        .await;
    let headers = assert_error(res, 401, "invalid_client").await;
    assert!(
        headers.get("www-authenticate").is_none(),
        "Basic was not tried"
    );
    let both = server
        .post(
            "demo",
            "token",
            Some(&svc),
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &svc.secret),
            ],
        )
        .await;
    assert_error(both, 400, "invalid_request").await;
}
