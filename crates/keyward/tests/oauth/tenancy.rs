//! Tenant isolation: a client, a token and a key of tenant A mean nothing at tenant B.

use keyward_oauth::SigningAlg;
use keyward_oauth::jose::{parse_jwk_set, verify};
use serde_json::Value;

use crate::app::TestApp;
use crate::server::assert_error;

const ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

async fn jwks(server: &TestApp, tenant: &str) -> Value {
    server
        .http
        .get(format!("{}/jwks", server.issuer(tenant)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn tenants_do_not_accept_each_others_clients_tokens_or_keys() {
    let server = TestApp::plain().await;
    server.tenant("alpha").await;
    server.tenant("beta").await;
    let a = server.client("alpha", &["--scope", "api:read"]).await;
    let b = server.client("beta", &["--scope", "api:read"]).await;

    let at_beta = server
        .post(
            "beta",
            "token",
            Some(&a),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_error(at_beta, 401, "invalid_client").await;

    let token = server
        .token("alpha", &a, &[("grant_type", "client_credentials")])
        .await;
    let token = token["access_token"].as_str().unwrap();
    assert!(server.active("alpha", &a, token).await);
    assert!(
        !server.active("beta", &b, token).await,
        "alpha's token is inactive at beta"
    );
    let revoke = server
        .post("beta", "revoke", Some(&b), &[("token", token)])
        .await;
    assert_eq!(revoke.status(), 200, "an unknown token revokes quietly");
    assert!(
        server.active("alpha", &a, token).await,
        "and beta cannot revoke it"
    );

    let alpha_keys = parse_jwk_set(&jwks(&server, "alpha").await).unwrap();
    let beta_keys = parse_jwk_set(&jwks(&server, "beta").await).unwrap();
    let verified = verify(token, &alpha_keys, &ALGS).unwrap();
    assert_eq!(verified.typ.as_deref(), Some("at+jwt"));
    assert_eq!(verified.claims["iss"], server.issuer("alpha"));
    assert!(
        verify(token, &beta_keys, &ALGS).is_err(),
        "beta's JWKS does not verify alpha's tokens"
    );
}
