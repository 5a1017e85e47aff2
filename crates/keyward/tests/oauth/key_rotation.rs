//! Key rotation: tokens signed before `keyward keys rotate` still verify with the JWKS, and new
//! tokens carry the new kid. The running server would learn of the rotation without a restart
//! (the in-process rotation announces it on the shared cache, and the resync sees
//! `directory_version` move); the test restarts it so the keys are read from the database.

use crate::app::TestApp;
use keyward_oauth::SigningAlg;
use keyward_oauth::jose::{parse_jwk_set, verify};
use serde_json::Value;

const ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

async fn access_token(server: &TestApp, creds: &crate::server::Creds) -> String {
    let res = server
        .token("acme", creds, &[("grant_type", "client_credentials")])
        .await;
    res["access_token"].as_str().unwrap().to_owned()
}

async fn jwks(server: &TestApp) -> Value {
    server
        .http
        .get(format!("{}/jwks", server.issuer("acme")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn old_tokens_verify_after_rotation_and_new_tokens_carry_the_new_kid() {
    let server = TestApp::plain().await;
    server.tenant("acme").await;
    let creds = server.client("acme", &[]).await;
    let old = access_token(&server, &creds).await;
    let old_kid = verify(&old, &parse_jwk_set(&jwks(&server).await).unwrap(), &ALGS)
        .unwrap()
        .kid
        .unwrap();

    let report = server.rotate_keys("acme").await;
    assert_ne!(report["active_kid"], old_kid.as_str());
    let server = server.restart().await;

    let keys = parse_jwk_set(&jwks(&server).await).unwrap();
    let still =
        verify(&old, &keys, &ALGS).expect("a retired key stays published while its tokens live");
    assert_eq!(still.kid.as_deref(), Some(old_kid.as_str()));
    assert!(
        server.active("acme", &creds, &old).await,
        "and the old token is still active"
    );

    let new = access_token(&server, &creds).await;
    let verified = verify(&new, &keys, &ALGS).unwrap();
    assert_eq!(
        verified.kid.as_deref(),
        report["active_kid"].as_str(),
        "new tokens are signed by the promoted key"
    );
}
