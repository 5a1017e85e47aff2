//! Requests Keyward makes on a client's behalf (its `jwks_uri`, its `backchannel_logout_uri`)
//! go through one guarded HTTP client: https only, never to a loopback, private or link-local
//! address unless `KEYWARD_OUTBOUND_ALLOW_PRIVATE` says so, and a failed fetch is remembered
//! instead of repeated for every anonymous request that names the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use keyward_core::{ClientId, TenantSlug, TenantStore};
use keyward_oauth::ClientStore;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin_tokens::api;
use crate::app::{Options, TestApp};
use crate::client_authentication::{JWT_BEARER, RpKey, claims};

/// A loopback listener that counts the connections it gets and answers each with `status`.
async fn counting_listener(status: u16) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 {status} Nope\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

/// A private_key_jwt client of tenant `acme` whose keys are at `jwks_uri`, written through
/// the store as a tenant admin's earlier registration would have left it.
async fn client_with_jwks_uri(app: &TestApp, jwks_uri: String) -> String {
    app.tenant("acme").await;
    let creds = app
        .client(
            "acme",
            &[
                "--auth-method",
                "private_key_jwt",
                "--grant-type",
                "client_credentials",
            ],
        )
        .await;
    let store = &app.platform.store;
    let tenant = TenantStore::by_slug(store, &TenantSlug::parse("acme").unwrap())
        .await
        .unwrap()
        .unwrap();
    let id = ClientId::parse(&creds.id).unwrap();
    let mut client = ClientStore::get(store, tenant.id, &id)
        .await
        .unwrap()
        .unwrap();
    client.settings.jwks_uri = Some(jwks_uri);
    ClientStore::update(store, &client).await.unwrap();
    creds.id
}

async fn present_assertion(app: &TestApp, key: &RpKey, client_id: &str, jti: &str) -> u16 {
    let aud = format!("{}/token", app.issuer("acme"));
    let assertion = key.sign(&claims(client_id, &aud, jti));
    app.post(
        "acme",
        "token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn a_jwks_uri_that_resolves_to_loopback_is_never_fetched() {
    let app = TestApp::embedded(Options::default()).await;
    let (port, seen) = counting_listener(200).await;
    // `localhost` is a name, not an address: only the resolved address shows where it goes.
    let id = client_with_jwks_uri(&app, format!("https://localhost:{port}/jwks")).await;
    let status = present_assertion(&app, &RpKey::generate(), &id, "jti-1").await;
    assert_eq!(status, 401);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the token endpoint connected to a loopback port on a client's say-so"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_failed_jwks_fetch_is_remembered_not_repeated_per_request() {
    // Private addresses allowed (as in development), so only the negative cache is tested.
    let app =
        TestApp::embedded(Options::default().var("KEYWARD_OUTBOUND_ALLOW_PRIVATE", "true")).await;
    let (port, seen) = counting_listener(500).await;
    let id = client_with_jwks_uri(&app, format!("http://127.0.0.1:{port}/jwks")).await;
    let key = RpKey::generate();
    for n in 0..20 {
        let status = present_assertion(&app, &key, &id, &format!("jti-{n}")).await;
        assert_eq!(status, 401);
    }
    let fetches = seen.load(Ordering::SeqCst);
    assert_eq!(
        fetches, 1,
        "20 anonymous token requests made {fetches} fetches of a failing jwks_uri"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn registration_refuses_outbound_uris_to_plain_http_or_private_addresses() {
    let app = TestApp::dev().await;
    let token = app.admin_token().await;
    let client = |field: &str, uri: &str| {
        let mut body = json!({
            "name": "RP", "public": false, "grant_types": ["client_credentials"],
            "scopes": ["openid"],
        });
        body[field] = Value::from(uri);
        body
    };
    for (field, uri) in [
        ("jwks_uri", "https://127.0.0.1/jwks"),
        ("jwks_uri", "https://10.1.2.3/jwks"),
        ("jwks_uri", "https://[::1]:8443/jwks"),
        ("jwks_uri", "https://169.254.169.254/latest/meta-data"),
        ("jwks_uri", "https://localhost/jwks"),
        ("jwks_uri", "http://localhost:9000/jwks"),
        ("backchannel_logout_uri", "http://rp.example/logout"),
        ("backchannel_logout_uri", "https://192.168.0.10/logout"),
        ("backchannel_logout_uri", "https://[fd00::1]/logout"),
    ] {
        let (status, _, body) = api(
            &app,
            Method::POST,
            "/tenants/demo/clients",
            &token,
            Some(client(field, uri)),
        )
        .await;
        assert_eq!(status, 422, "{field} = {uri} was accepted: {body}");
        let named = body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["field"] == field));
        assert!(named, "{field} = {uri}: {body}");
    }
    let (status, _, body) = api(
        &app,
        Method::POST,
        "/tenants/demo/clients",
        &token,
        Some(client("jwks_uri", "https://rp.example/jwks")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.cleanup().await;
}

#[tokio::test]
async fn with_private_addresses_allowed_a_loopback_http_uri_is_accepted() {
    let app = TestApp::embedded(Options::dev().var("KEYWARD_OUTBOUND_ALLOW_PRIVATE", "true")).await;
    let token = app.admin_token().await;
    let (status, _, body) = api(
        &app,
        Method::POST,
        "/tenants/demo/clients",
        &token,
        Some(json!({
            "name": "RP", "public": false, "grant_types": ["client_credentials"],
            "scopes": ["openid"], "backchannel_logout_uri": "http://127.0.0.1:9/logout",
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.cleanup().await;
}
