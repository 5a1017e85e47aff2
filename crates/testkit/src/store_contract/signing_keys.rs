//! The `SigningKeyStore` contract: every field kept, kids unique within a tenant only, oldest
//! first, updates that move only the lifecycle, `NotFound` for absent keys, and nothing
//! visible or changeable across tenants.

use chrono::{DateTime, Duration, Utc};
use keyward_core::{Clock, StoreError, TenantId, TenantStore};
use keyward_oauth::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};

use super::tenants::seed_tenant;
use crate::FixedClock;

/// A `next` key with `kid`, created at `created_at`.
pub fn signing_key(tenant: TenantId, kid: &str, created_at: DateTime<Utc>) -> SigningKey {
    SigningKey {
        tenant_id: tenant,
        kid: kid.to_owned(),
        alg: SigningAlg::Es256,
        status: KeyStatus::Next,
        private_sealed: vec![0, 1, 2, 254, 255, 0],
        public_jwk: format!(r#"{{"kty":"EC","crv":"P-256","kid":"{kid}","x":"AA","y":"BB"}}"#),
        created_at,
        activated_at: None,
        retired_at: None,
        publish_until: None,
    }
}

fn kids(keys: &[SigningKey]) -> Vec<&str> {
    keys.iter().map(|k| k.kid.as_str()).collect()
}

pub async fn signing_key_round_trips_every_field<S: TenantStore + SigningKeyStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let now = FixedClock::new().now();
    let bare = signing_key(tenant.id, "k-bare", now);
    let full = SigningKey {
        alg: SigningAlg::EdDsa,
        status: KeyStatus::Retired,
        private_sealed: (0..=255).collect(),
        activated_at: Some(now + Duration::microseconds(1)),
        retired_at: Some(now + Duration::days(30)),
        publish_until: Some(now + Duration::days(31) + Duration::microseconds(999_999)),
        ..signing_key(tenant.id, "k-full", now + Duration::seconds(1))
    };
    let rsa = SigningKey {
        alg: SigningAlg::Rs256,
        status: KeyStatus::Active,
        ..signing_key(tenant.id, "k-rsa", now + Duration::seconds(2))
    };
    for k in [&bare, &full, &rsa] {
        s.insert(k).await.unwrap();
    }
    assert_eq!(
        SigningKeyStore::list(s, tenant.id).await.unwrap(),
        vec![bare, full, rsa]
    );
}

pub async fn signing_kid_is_unique_within_a_tenant_only<S: TenantStore + SigningKeyStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let now = FixedClock::new().now();
    s.insert(&signing_key(a.id, "k1", now)).await.unwrap();
    assert!(matches!(
        s.insert(&signing_key(a.id, "k1", now)).await,
        Err(StoreError::Conflict(_))
    ));
    s.insert(&signing_key(b.id, "k1", now)).await.unwrap();
    assert_eq!(SigningKeyStore::list(s, a.id).await.unwrap().len(), 1);
}

pub async fn signing_keys_list_oldest_first<S: TenantStore + SigningKeyStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let now = FixedClock::new().now();
    s.insert(&signing_key(tenant.id, "c", now + Duration::hours(2)))
        .await
        .unwrap();
    s.insert(&signing_key(tenant.id, "a", now + Duration::hours(1)))
        .await
        .unwrap();
    s.insert(&signing_key(tenant.id, "b", now)).await.unwrap();
    assert_eq!(
        kids(&SigningKeyStore::list(s, tenant.id).await.unwrap()),
        ["b", "a", "c"]
    );
}

pub async fn signing_key_update_moves_status_and_timestamps_only<S>(s: &S)
where
    S: TenantStore + SigningKeyStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let now = FixedClock::new().now();
    let key = signing_key(tenant.id, "k1", now);
    s.insert(&key).await.unwrap();

    let active = SigningKey {
        status: KeyStatus::Active,
        activated_at: Some(now + Duration::hours(1)),
        ..key.clone()
    };
    SigningKeyStore::update(s, &active).await.unwrap();
    assert_eq!(
        SigningKeyStore::list(s, tenant.id).await.unwrap(),
        vec![active.clone()]
    );

    let retired = SigningKey {
        status: KeyStatus::Retired,
        retired_at: Some(now + Duration::days(1)),
        publish_until: Some(now + Duration::days(2)),
        // Key material is immutable: an update must not touch it.
        private_sealed: vec![9, 9, 9],
        public_jwk: "{}".to_owned(),
        ..active.clone()
    };
    SigningKeyStore::update(s, &retired).await.unwrap();
    let stored = SigningKeyStore::list(s, tenant.id).await.unwrap();
    let expected = SigningKey {
        private_sealed: key.private_sealed.clone(),
        public_jwk: key.public_jwk.clone(),
        ..retired
    };
    assert_eq!(stored, vec![expected]);
}

pub async fn signing_key_update_and_delete_answer_not_found_when_absent<S>(s: &S)
where
    S: TenantStore + SigningKeyStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let key = signing_key(tenant.id, "k1", FixedClock::new().now());
    assert!(matches!(
        SigningKeyStore::update(s, &key).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        SigningKeyStore::delete(s, tenant.id, "k1").await,
        Err(StoreError::NotFound)
    ));
    s.insert(&key).await.unwrap();
    SigningKeyStore::delete(s, tenant.id, "k1").await.unwrap();
    assert_eq!(SigningKeyStore::list(s, tenant.id).await.unwrap(), vec![]);
    assert!(matches!(
        SigningKeyStore::delete(s, tenant.id, "k1").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn signing_keys_are_isolated_between_tenants<S: TenantStore + SigningKeyStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let key = signing_key(a.id, "k1", FixedClock::new().now());
    s.insert(&key).await.unwrap();

    assert_eq!(
        SigningKeyStore::list(s, b.id).await.unwrap(),
        vec![],
        "listed through B"
    );
    let through_b = SigningKey {
        tenant_id: b.id,
        status: KeyStatus::Retired,
        ..key.clone()
    };
    assert!(matches!(
        SigningKeyStore::update(s, &through_b).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        SigningKeyStore::delete(s, b.id, "k1").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        SigningKeyStore::list(s, a.id).await.unwrap(),
        vec![key],
        "A's key unchanged"
    );
}
