//! The in-process cache of each tenant's decrypted signing keys, so that minting and checking
//! a token never touches the database.
//!
//! An entry lives at most [`MAX_AGE`], and never past the moment the first of its retired keys
//! leaves the JWKS, so a retired key stops being served on time even if no node hears the
//! rotation. A rotation announces itself through the cache's pub/sub; the subscriber calls
//! [`KeyRing::invalidate`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use keyward_core::{Clock, MasterKey, SecretError, StoreError, TenantId};

use crate::jose::{JoseError, Signer, VerifyingKey};
use crate::jwks::jwks_document;
use crate::key_rotation::{SIGNING_ALGS, published, sealing_context};
use crate::signing_key::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};

/// The longest a cached entry is used before the keys are read again.
pub const MAX_AGE: Duration = Duration::seconds(60);

/// How soon a tenant missing a signing key is read again (its keys may be being created).
const INCOMPLETE_MAX_AGE: Duration = Duration::seconds(5);

/// Why a tenant's keys could not be loaded. The messages are for logs.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key {kid} does not open with the master key: {source}")]
    Sealed { kid: String, source: SecretError },
    #[error("signing key {kid} is unusable: {source}")]
    Key { kid: String, source: JoseError },
}

/// One tenant's keys as of one load: the active signer per algorithm, every published public
/// key, and the JWK Set already serialised.
#[derive(Debug)]
pub struct TenantKeys {
    signers: Vec<Signer>,
    verifying: Vec<VerifyingKey>,
    jwks: Bytes,
    refresh_at: DateTime<Utc>,
}

impl TenantKeys {
    /// The active key of `alg`, if the tenant has one.
    pub fn signer(&self, alg: SigningAlg) -> Option<&Signer> {
        self.signers.iter().find(|s| s.alg() == alg)
    }

    /// Every published key (next, active, and retired ones still in their window).
    pub fn verifying_keys(&self) -> &[VerifyingKey] {
        &self.verifying
    }

    /// RFC 7517 §5: the JWK Set served at `{issuer}/jwks`, as JSON bytes.
    pub fn jwks_json(&self) -> &Bytes {
        &self.jwks
    }

    /// When this entry is read again at the latest.
    pub fn refresh_at(&self) -> DateTime<Utc> {
        self.refresh_at
    }

    /// Builds the entry from the tenant's stored keys, opening the active private keys.
    fn load(
        keys: &[SigningKey],
        master: &MasterKey,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyRingError> {
        let shown = published(keys, now);
        let mut verifying = Vec::with_capacity(shown.len());
        for key in &shown {
            let jwk = serde_json::from_str(&key.public_jwk)
                .map_err(|e| StoreError::Corrupt(format!("public JWK of key {}: {e}", key.kid)))?;
            verifying.push(
                VerifyingKey::from_jwk(&jwk).map_err(|source| KeyRingError::Key {
                    kid: key.kid.clone(),
                    source,
                })?,
            );
        }
        let jwks = serde_json::to_vec(&jwks_document(keys, now)?)
            .map_err(|e| StoreError::Corrupt(format!("JWK Set: {e}")))?;

        let mut signers = Vec::with_capacity(SIGNING_ALGS.len());
        for alg in SIGNING_ALGS {
            // Should two keys of one alg be active (a rotation cut short), the newer signs.
            let active = keys
                .iter()
                .filter(|k| k.alg == alg && k.status == KeyStatus::Active)
                .max_by_key(|k| k.activated_at);
            if let Some(key) = active {
                signers.push(open(key, master)?);
            }
        }

        let max_age = if signers.len() == SIGNING_ALGS.len() {
            MAX_AGE
        } else {
            INCOMPLETE_MAX_AGE
        };
        let refresh_at = shown
            .iter()
            .filter(|k| k.status == KeyStatus::Retired)
            .filter_map(|k| k.publish_until)
            .fold(now + max_age, DateTime::min);
        Ok(Self {
            signers,
            verifying,
            jwks: Bytes::from(jwks),
            refresh_at,
        })
    }
}

fn open(key: &SigningKey, master: &MasterKey) -> Result<Signer, KeyRingError> {
    let pkcs8 = master
        .open(
            &key.private_sealed,
            &sealing_context(key.tenant_id, &key.kid),
        )
        .map_err(|source| KeyRingError::Sealed {
            kid: key.kid.clone(),
            source,
        })?;
    Signer::from_pkcs8(key.alg, key.kid.clone(), &pkcs8).map_err(|source| KeyRingError::Key {
        kid: key.kid.clone(),
        source,
    })
}

/// Tenants' keys, loaded on first use and kept for at most [`MAX_AGE`].
pub struct KeyRing {
    store: Arc<dyn SigningKeyStore>,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    entries: RwLock<HashMap<TenantId, Arc<TenantKeys>>>,
    /// One load at a time per tenant: concurrent misses wait for the first and share its result.
    loading: Mutex<HashMap<TenantId, Arc<futures::lock::Mutex<()>>>>,
    /// Bumped by every invalidation, so a load that raced one is not cached.
    epoch: AtomicU64,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

impl KeyRing {
    pub fn new(store: Arc<dyn SigningKeyStore>, master: MasterKey, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            master,
            clock,
            entries: RwLock::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    /// The tenant's keys: cached, or loaded (private keys opened with the context
    /// [`sealing_context`]) on a miss or once the entry's refresh time has passed.
    pub async fn tenant_keys(&self, tenant: TenantId) -> Result<Arc<TenantKeys>, KeyRingError> {
        if let Some(hit) = self.cached(tenant) {
            return Ok(hit);
        }
        let gate = {
            let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(loading.entry(tenant).or_default())
        };
        let _turn = gate.lock().await;
        // Whoever held the gate before us may have loaded the keys already.
        if let Some(hit) = self.cached(tenant) {
            return Ok(hit);
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let stored = self.store.list(tenant).await?;
        let keys = Arc::new(TenantKeys::load(&stored, &self.master, self.clock.now())?);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if self.epoch.load(Ordering::SeqCst) == epoch {
            entries.insert(tenant, Arc::clone(&keys));
        }
        Ok(keys)
    }

    /// Drops the tenant's entry: the next call reads its keys again.
    pub fn invalidate(&self, tenant: TenantId) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(&tenant);
    }

    /// Drops every entry (e.g. after the invalidation channel reconnected and may have missed
    /// messages).
    pub fn invalidate_all(&self) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    fn cached(&self, tenant: TenantId) -> Option<Arc<TenantKeys>> {
        let now = self.clock.now();
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&tenant)
            .filter(|keys| now < keys.refresh_at)
            .map(Arc::clone)
    }
}

#[cfg(test)]
mod tests;
