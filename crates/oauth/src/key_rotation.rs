//! Signing-key life cycle per tenant: a key is published as `next` one rotation before it
//! signs, becomes `active`, and once `retired` stays published until every token it signed
//! has expired. Relying parties that cache the JWKS therefore always know a key before they
//! see a token signed with it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{MasterKey, SecretError, StoreError, TenantId};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::json;

use crate::signing_key::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};

#[derive(Debug, thiserror::Error)]
pub enum KeyRotationError {
    #[error("generating a {0} key is not supported yet")]
    UnsupportedAlg(SigningAlg),
    #[error("key generation failed")]
    Generation,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The AEAD context that binds a sealed private key to its row.
pub fn sealing_context(tenant: TenantId, kid: &str) -> String {
    format!("signing_key:{tenant}:{kid}")
}

/// Creates a fresh key pair with its private half sealed under `master`.
pub fn generate_key(
    tenant: TenantId,
    alg: SigningAlg,
    status: KeyStatus,
    master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<SigningKey, KeyRotationError> {
    let rng = SystemRandom::new();
    let kid = try_random_token(12)?;
    let (pkcs8, jwk) = match alg {
        SigningAlg::Es256 => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyRotationError::Generation)?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| KeyRotationError::Generation)?;
            // Uncompressed SEC1 point: 0x04 || x (32) || y (32).
            let point = pair.public_key().as_ref();
            let (x, y) = point
                .get(1..33)
                .zip(point.get(33..65))
                .ok_or(KeyRotationError::Generation)?;
            let jwk = json!({
                "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": alg.as_str(),
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            });
            (pkcs8.as_ref().to_vec(), jwk)
        }
        SigningAlg::EdDsa => {
            let pkcs8 =
                Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyRotationError::Generation)?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| KeyRotationError::Generation)?;
            let jwk = json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": alg.as_str(),
                "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            });
            (pkcs8.as_ref().to_vec(), jwk)
        }
        SigningAlg::Rs256 => return Err(KeyRotationError::UnsupportedAlg(alg)),
    };
    let private_sealed = master.seal(&pkcs8, &sealing_context(tenant, &kid))?;
    Ok(SigningKey {
        tenant_id: tenant,
        kid,
        alg,
        status,
        private_sealed,
        public_jwk: jwk.to_string(),
        created_at: now,
        activated_at: (status == KeyStatus::Active).then_some(now),
        retired_at: None,
        publish_until: None,
    })
}

/// What a rotation did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The key that signs from now on.
    pub active_kid: String,
    /// The key published now that will sign after the next rotation.
    pub next_kid: String,
    /// The key that stopped signing, if any, and until when it stays published.
    pub retired: Option<(String, DateTime<Utc>)>,
    /// Retired keys removed because every token they signed has expired.
    pub removed: Vec<String>,
}

/// Gives a tenant its first keys (an active one and the next one) unless it has an active key.
pub async fn ensure_keys<S: SigningKeyStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    alg: SigningAlg,
    master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<Option<RotationReport>, KeyRotationError> {
    let keys = store.list(tenant).await?;
    if keys.iter().any(|k| k.status == KeyStatus::Active) {
        return Ok(None);
    }
    rotate(store, tenant, alg, master, now, Duration::zero())
        .await
        .map(Some)
}

/// Promotes the `next` key to `active`, retires the old active key (published for
/// `retire_for`, the longest lifetime of a token it may have signed), publishes a new `next`
/// key, and removes retired keys whose publication has ended.
pub async fn rotate<S: SigningKeyStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    alg: SigningAlg,
    master: &MasterKey,
    now: DateTime<Utc>,
    retire_for: Duration,
) -> Result<RotationReport, KeyRotationError> {
    let keys = store.list(tenant).await?;
    let mut removed = Vec::new();
    for key in keys.iter().filter(|k| k.status == KeyStatus::Retired) {
        if key.publish_until.is_some_and(|until| until <= now) {
            store.delete(tenant, &key.kid).await?;
            removed.push(key.kid.clone());
        }
    }

    let mut retired = None;
    for key in keys.iter().filter(|k| k.status == KeyStatus::Active) {
        let until = now + retire_for;
        let mut old = key.clone();
        old.status = KeyStatus::Retired;
        old.retired_at = Some(now);
        old.publish_until = Some(until);
        store.update(&old).await?;
        retired = Some((old.kid, until));
    }

    // A `next` key of another algorithm (the tenant changed its setting) is promoted all the
    // same: it has been published, and the new `next` follows the setting.
    let active_kid = match keys.iter().find(|k| k.status == KeyStatus::Next) {
        Some(next) => {
            let mut promoted = next.clone();
            promoted.status = KeyStatus::Active;
            promoted.activated_at = Some(now);
            store.update(&promoted).await?;
            promoted.kid
        }
        None => {
            let fresh = generate_key(tenant, alg, KeyStatus::Active, master, now)?;
            store.insert(&fresh).await?;
            fresh.kid
        }
    };
    let next = generate_key(tenant, alg, KeyStatus::Next, master, now)?;
    store.insert(&next).await?;
    Ok(RotationReport {
        active_kid,
        next_kid: next.kid,
        retired,
        removed,
    })
}

/// The keys a JWKS publishes at `now`: next, active, and retired ones still in their window.
pub fn published(keys: &[SigningKey], now: DateTime<Utc>) -> Vec<&SigningKey> {
    keys.iter()
        .filter(|k| match k.status {
            KeyStatus::Next | KeyStatus::Active => true,
            KeyStatus::Retired => k.publish_until.is_some_and(|until| until > now),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;

    /// The reference in-memory store for this port, enough to check the life cycle.
    #[derive(Default)]
    struct Keys(Mutex<Vec<SigningKey>>);

    #[async_trait]
    impl SigningKeyStore for Keys {
        async fn insert(&self, key: &SigningKey) -> Result<(), StoreError> {
            self.0
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?
                .push(key.clone());
            Ok(())
        }
        async fn list(&self, tenant: TenantId) -> Result<Vec<SigningKey>, StoreError> {
            let keys = self
                .0
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?;
            Ok(keys
                .iter()
                .filter(|k| k.tenant_id == tenant)
                .cloned()
                .collect())
        }
        async fn update(&self, key: &SigningKey) -> Result<(), StoreError> {
            let mut keys = self
                .0
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?;
            let slot = keys
                .iter_mut()
                .find(|k| k.tenant_id == key.tenant_id && k.kid == key.kid);
            *slot.ok_or(StoreError::NotFound)? = key.clone();
            Ok(())
        }
        async fn delete(&self, tenant: TenantId, kid: &str) -> Result<(), StoreError> {
            let mut keys = self
                .0
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?;
            let before = keys.len();
            keys.retain(|k| !(k.tenant_id == tenant && k.kid == kid));
            if keys.len() == before {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        }
    }

    fn status_of(keys: &[SigningKey], kid: &str) -> Option<KeyStatus> {
        keys.iter().find(|k| k.kid == kid).map(|k| k.status)
    }

    #[tokio::test]
    async fn rotation_promotes_the_published_next_key_and_keeps_the_old_one_published()
    -> Result<(), KeyRotationError> {
        let store = Keys::default();
        let master = MasterKey::generate()?;
        let tenant = TenantId::generate();
        let t0 = Utc::now();
        let first = ensure_keys(&store, tenant, SigningAlg::Es256, &master, t0).await?;
        let Some(first) = first else {
            return Err(KeyRotationError::Generation);
        };
        assert!(
            ensure_keys(&store, tenant, SigningAlg::Es256, &master, t0)
                .await?
                .is_none()
        );

        let t1 = t0 + Duration::hours(1);
        let second = rotate(
            &store,
            tenant,
            SigningAlg::Es256,
            &master,
            t1,
            Duration::minutes(10),
        )
        .await?;
        assert_eq!(
            second.active_kid, first.next_kid,
            "the published next key signs now"
        );
        assert_eq!(
            second.retired,
            Some((first.active_kid.clone(), t1 + Duration::minutes(10)))
        );

        let keys = store.list(tenant).await?;
        assert_eq!(
            status_of(&keys, &first.active_kid),
            Some(KeyStatus::Retired)
        );
        let published: Vec<_> = published(&keys, t1).iter().map(|k| k.kid.clone()).collect();
        assert!(
            published.contains(&first.active_kid),
            "retired key stays published"
        );
        assert!(published.contains(&second.next_kid));
        let later: Vec<_> = published_kids(&keys, t1 + Duration::minutes(11));
        assert!(
            !later.contains(&first.active_kid),
            "gone once its tokens have expired"
        );

        let t2 = t1 + Duration::hours(1);
        let third = rotate(
            &store,
            tenant,
            SigningAlg::EdDsa,
            &master,
            t2,
            Duration::minutes(10),
        )
        .await?;
        assert_eq!(third.removed, vec![first.active_kid]);
        Ok(())
    }

    fn published_kids(keys: &[SigningKey], now: DateTime<Utc>) -> Vec<String> {
        published(keys, now).iter().map(|k| k.kid.clone()).collect()
    }

    #[test]
    fn private_keys_are_sealed_to_their_row() -> Result<(), KeyRotationError> {
        let master = MasterKey::generate()?;
        let tenant = TenantId::generate();
        let key = generate_key(
            tenant,
            SigningAlg::Es256,
            KeyStatus::Active,
            &master,
            Utc::now(),
        )?;
        assert!(
            master
                .open(&key.private_sealed, &sealing_context(tenant, &key.kid))
                .is_ok()
        );
        let other = sealing_context(TenantId::generate(), &key.kid);
        assert!(master.open(&key.private_sealed, &other).is_err());
        let jwk: serde_json::Value =
            serde_json::from_str(&key.public_jwk).map_err(|_| KeyRotationError::Generation)?;
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["kid"], key.kid.as_str());
        assert!(jwk.get("d").is_none(), "no private part in the public JWK");
        Ok(())
    }
}
