#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use serde_json::{Value, json};

use super::*;
use crate::jose::{self, b64_decode, b64_encode};
use crate::key_rotation::memory_store::MemoryKeys;
use crate::key_rotation::{ensure_keys, rotate};

struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct Fixture {
    store: Arc<MemoryKeys>,
    master: MasterKey,
    clock: Arc<TestClock>,
    ring: KeyRing,
}

impl Fixture {
    fn new() -> Self {
        let store = Arc::new(MemoryKeys::default());
        let master = MasterKey::generate().unwrap();
        let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
        let ring = KeyRing::new(store.clone(), master.clone(), clock.clone());
        Self {
            store,
            master,
            clock,
            ring,
        }
    }

    async fn tenant(&self) -> TenantId {
        let tenant = TenantId::generate();
        ensure_keys(
            &*self.store,
            tenant,
            SigningAlg::Es256,
            &self.master,
            self.clock.now(),
        )
        .await
        .unwrap();
        tenant
    }
}

const ALL: [SigningAlg; 3] = SIGNING_ALGS;

fn claims() -> Value {
    json!({"iss": "https://id.test/t/acme", "sub": "u1"})
}

fn jwks_kids(keys: &TenantKeys) -> Vec<String> {
    let set: Value = serde_json::from_slice(keys.jwks_json()).unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn cache_hit_returns_the_same_keys_without_reading_the_store() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let first = f.ring.tenant_keys(tenant).await.unwrap();
    let calls = f.store.list_calls();
    let again = f.ring.tenant_keys(tenant).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(f.store.list_calls(), calls);
    assert_eq!(first.verifying_keys().len(), 6);
    assert_eq!(jwks_kids(&first).len(), 6);
    for alg in ALL {
        assert_eq!(first.signer(alg).map(Signer::alg), Some(alg));
    }
}

#[tokio::test]
async fn invalidate_makes_the_next_call_read_the_rotated_keys() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let before = f.ring.tenant_keys(tenant).await.unwrap();
    let report = rotate(
        &*f.store,
        tenant,
        SigningAlg::Es256,
        &f.master,
        f.clock.now(),
        Duration::minutes(10),
    )
    .await
    .unwrap();
    assert!(
        Arc::ptr_eq(&before, &f.ring.tenant_keys(tenant).await.unwrap()),
        "cached until invalidated"
    );
    f.ring.invalidate(tenant);
    let after = f.ring.tenant_keys(tenant).await.unwrap();
    assert!(!Arc::ptr_eq(&before, &after));
    assert_eq!(
        after.signer(SigningAlg::Es256).unwrap().kid(),
        report.active_kid
    );
    assert_eq!(
        after.verifying_keys().len(),
        9,
        "3 retired, 3 active, 3 next"
    );

    f.ring.invalidate_all();
    assert!(!Arc::ptr_eq(
        &after,
        &f.ring.tenant_keys(tenant).await.unwrap()
    ));
}

#[tokio::test]
async fn entry_is_read_again_after_max_age() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let first = f.ring.tenant_keys(tenant).await.unwrap();
    f.clock.advance(MAX_AGE - Duration::seconds(1));
    assert!(Arc::ptr_eq(
        &first,
        &f.ring.tenant_keys(tenant).await.unwrap()
    ));
    f.clock.advance(Duration::seconds(1));
    assert!(!Arc::ptr_eq(
        &first,
        &f.ring.tenant_keys(tenant).await.unwrap()
    ));
}

#[tokio::test]
async fn retired_key_leaves_the_jwks_when_its_window_ends_without_invalidation() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let report = rotate(
        &*f.store,
        tenant,
        SigningAlg::Es256,
        &f.master,
        f.clock.now(),
        Duration::seconds(10),
    )
    .await
    .unwrap();
    let (retired, _) = report.retired.unwrap();
    let keys = f.ring.tenant_keys(tenant).await.unwrap();
    assert!(jwks_kids(&keys).contains(&retired));
    assert_eq!(keys.refresh_at(), f.clock.now() + Duration::seconds(10));
    f.clock.advance(Duration::seconds(10));
    let keys = f.ring.tenant_keys(tenant).await.unwrap();
    assert!(!jwks_kids(&keys).contains(&retired));
    assert!(
        keys.verifying_keys()
            .iter()
            .all(|k| k.kid() != Some(&*retired))
    );
}

#[tokio::test]
async fn concurrent_misses_read_the_store_once() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let calls = f.store.list_calls();
    let loads = (0..8).map(|_| f.ring.tenant_keys(tenant));
    let all = futures::future::join_all(loads).await;
    assert_eq!(f.store.list_calls(), calls + 1);
    let first = all[0].as_ref().unwrap();
    assert!(all.iter().all(|k| Arc::ptr_eq(k.as_ref().unwrap(), first)));
}

#[tokio::test]
async fn a_token_verifies_with_its_tenants_keys_and_not_another_tenants() {
    let f = Fixture::new();
    let (a, b) = (f.tenant().await, f.tenant().await);
    let keys_a = f.ring.tenant_keys(a).await.unwrap();
    let keys_b = f.ring.tenant_keys(b).await.unwrap();
    for alg in ALL {
        let token = keys_a
            .signer(alg)
            .unwrap()
            .sign("at+jwt", &claims())
            .unwrap();
        let verified = jose::verify(&token, keys_a.verifying_keys(), &ALL).unwrap();
        assert_eq!(verified.claims, claims());
        assert_eq!(
            jose::verify(&token, keys_b.verifying_keys(), &ALL),
            Err(JoseError::UnknownKey),
            "{alg}"
        );
    }
}

/// Rewrites one part of a compact JWS, keeping the others.
fn with_part(token: &str, index: usize, value: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = b64_encode(value.to_string().as_bytes());
    parts.join(".")
}

#[tokio::test]
async fn alg_confusion_none_and_tampering_are_refused() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let keys = f.ring.tenant_keys(tenant).await.unwrap();
    let signer = keys.signer(SigningAlg::Es256).unwrap();
    let token = signer.sign("JWT", &claims()).unwrap();
    let kid = signer.kid();

    for alg in ["RS256", "EdDSA"] {
        let swapped = with_part(&token, 0, &json!({"alg": alg, "kid": kid, "typ": "JWT"}));
        assert_eq!(
            jose::verify(&swapped, keys.verifying_keys(), &ALL),
            Err(JoseError::UnknownKey),
            "{alg}"
        );
    }
    let none = with_part(&token, 0, &json!({"alg": "none", "kid": kid}));
    let none = format!("{}.", none.rsplit_once('.').unwrap().0);
    assert_eq!(
        jose::verify(&none, keys.verifying_keys(), &ALL),
        Err(JoseError::UnsupportedAlg)
    );

    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&b64_decode(payload, "p").unwrap()).unwrap();
    claims["sub"] = json!("admin");
    let tampered = with_part(&token, 1, &claims);
    assert_eq!(
        jose::verify(&tampered, keys.verifying_keys(), &ALL),
        Err(JoseError::BadSignature)
    );
}

#[tokio::test]
async fn a_key_sealed_for_another_row_is_reported_not_used() {
    let f = Fixture::new();
    let tenant = f.tenant().await;
    let mut keys = f.store.list(tenant).await.unwrap();
    let active = keys
        .iter_mut()
        .find(|k| k.status == KeyStatus::Active)
        .unwrap();
    let foreign = crate::key_rotation::generate_key(
        TenantId::generate(),
        active.alg,
        KeyStatus::Active,
        &f.master,
        f.clock.now(),
    )
    .unwrap();
    active.private_sealed = foreign.private_sealed;
    f.store.update(active).await.unwrap();
    assert!(matches!(
        f.ring.tenant_keys(tenant).await,
        Err(KeyRingError::Sealed { .. })
    ));
}
