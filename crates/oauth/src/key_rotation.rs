//! Signing-key life cycle per tenant: a key is published as `next` one rotation before it
//! signs, becomes `active`, and once `retired` stays published until every token it signed
//! has expired. Relying parties that cache the JWKS therefore always know a key before they
//! see a token signed with it.

use chrono::{DateTime, Duration, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{MasterKey, SecretError, StoreError, TenantId};

use crate::jose::keygen::generate_pkcs8;
use crate::jose::{JoseError, Signer};
use crate::signing_key::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};

#[cfg(test)]
pub(crate) mod memory_store;

/// Every algorithm a tenant keeps an active and a next key for. OIDC Core §15.1 requires RS256
/// to be available, and a client picks its own `id_token_signed_response_alg` (OIDC
/// Registration §2), so a tenant's default algorithm is not the only one that signs.
pub const SIGNING_ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

#[derive(Debug, thiserror::Error)]
pub enum KeyRotationError {
    #[error("key generation failed")]
    Generation,
    #[error("key generation failed: {0}")]
    Jose(#[from] JoseError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The AEAD context that binds a sealed private key to its row.
pub fn sealing_context(tenant: TenantId, kid: &str) -> String {
    format!("signing_key:{tenant}:{kid}")
}

/// [`generate_key`] on the blocking pool: an RSA prime search takes tenths of a second, which
/// must not hold an async worker (and every request it serves). Every key the life cycle below
/// makes goes through here.
pub async fn generate_key_off_worker(
    tenant: TenantId,
    alg: SigningAlg,
    status: KeyStatus,
    master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<SigningKey, KeyRotationError> {
    let master = master.clone();
    tokio::task::spawn_blocking(move || generate_key(tenant, alg, status, &master, now))
        .await
        .map_err(|_| KeyRotationError::Generation)?
}

/// Creates a fresh key pair with its private half (PKCS#8 DER) sealed under `master`.
/// An RS256 key takes a prime search (see [`crate::jose::keygen`]).
pub fn generate_key(
    tenant: TenantId,
    alg: SigningAlg,
    status: KeyStatus,
    master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<SigningKey, KeyRotationError> {
    let kid = try_random_token(12)?;
    let pkcs8 = generate_pkcs8(alg)?;
    // Loading the key back proves ring will sign with it, and yields its public JWK.
    let jwk = Signer::from_pkcs8(alg, kid.clone(), &pkcs8)?.public_jwk();
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

/// What a rotation did to one algorithm's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgRotation {
    pub alg: SigningAlg,
    /// The key of this algorithm that signs from now on.
    pub active_kid: String,
    /// The key published now that will sign after the next rotation.
    pub next_kid: String,
    /// The key that stopped signing, if any, and until when it stays published.
    pub retired: Option<(String, DateTime<Utc>)>,
}

/// What a rotation did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The tenant's default algorithm, which the three fields below describe.
    pub default_alg: SigningAlg,
    /// The default algorithm's key that signs from now on.
    pub active_kid: String,
    /// The default algorithm's key published now that will sign after the next rotation.
    pub next_kid: String,
    /// The default algorithm's key that stopped signing, if any, and until when it stays
    /// published.
    pub retired: Option<(String, DateTime<Utc>)>,
    /// Every algorithm whose keys changed, in [`SIGNING_ALGS`] order.
    pub algs: Vec<AlgRotation>,
    /// Retired keys removed because every token they signed has expired.
    pub removed: Vec<String>,
}

/// Gives a tenant an active and a next key for every algorithm in [`SIGNING_ALGS`], filling
/// in only what is missing (a tenant created before an algorithm was added gets its keys).
/// `None` when nothing was missing. `default_alg` names the algorithm the report's top-level
/// fields describe.
pub async fn ensure_keys<S: SigningKeyStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    default_alg: SigningAlg,
    master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<Option<RotationReport>, KeyRotationError> {
    let keys = store.list(tenant).await?;
    let mut changed = Vec::new();
    let mut default = None;
    for alg in SIGNING_ALGS {
        let active = find(&keys, alg, KeyStatus::Active);
        let next = find(&keys, alg, KeyStatus::Next);
        let state = match (active, next) {
            (Some(active), Some(next)) => AlgRotation {
                alg,
                active_kid: active.kid.clone(),
                next_kid: next.kid.clone(),
                retired: None,
            },
            (Some(active), None) => {
                let next =
                    generate_key_off_worker(tenant, alg, KeyStatus::Next, master, now).await?;
                store.insert(&next).await?;
                let state = AlgRotation {
                    alg,
                    active_kid: active.kid.clone(),
                    next_kid: next.kid,
                    retired: None,
                };
                changed.push(state.clone());
                state
            }
            (None, _) => {
                let state =
                    rotate_alg(store, tenant, alg, &keys, master, now, Duration::zero()).await?;
                changed.push(state.clone());
                state
            }
        };
        if alg == default_alg {
            default = Some(state);
        }
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let default = default.ok_or(KeyRotationError::Generation)?;
    Ok(Some(RotationReport {
        default_alg,
        active_kid: default.active_kid,
        next_kid: default.next_kid,
        retired: default.retired,
        algs: changed,
        removed: Vec::new(),
    }))
}

/// For every algorithm in [`SIGNING_ALGS`]: promotes the `next` key to `active`, retires the
/// old active key (published for `retire_for`, the longest lifetime of a token it may have
/// signed) and publishes a new `next` key. Then removes retired keys whose publication has
/// ended. `default_alg` names the algorithm the report's top-level fields describe.
pub async fn rotate<S: SigningKeyStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    default_alg: SigningAlg,
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
    let mut algs = Vec::with_capacity(SIGNING_ALGS.len());
    for alg in SIGNING_ALGS {
        algs.push(rotate_alg(store, tenant, alg, &keys, master, now, retire_for).await?);
    }
    let default = algs
        .iter()
        .find(|a| a.alg == default_alg)
        .cloned()
        .ok_or(KeyRotationError::Generation)?;
    Ok(RotationReport {
        default_alg,
        active_kid: default.active_kid,
        next_kid: default.next_kid,
        retired: default.retired,
        algs,
        removed,
    })
}

/// One algorithm's rotation over `keys`, the tenant's keys as listed before it.
async fn rotate_alg<S: SigningKeyStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    alg: SigningAlg,
    keys: &[SigningKey],
    master: &MasterKey,
    now: DateTime<Utc>,
    retire_for: Duration,
) -> Result<AlgRotation, KeyRotationError> {
    let mut retired = None;
    for key in keys
        .iter()
        .filter(|k| k.alg == alg && k.status == KeyStatus::Active)
    {
        let until = now + retire_for;
        let mut old = key.clone();
        old.status = KeyStatus::Retired;
        old.retired_at = Some(now);
        old.publish_until = Some(until);
        store.update(&old).await?;
        retired = Some((old.kid, until));
    }
    let active_kid = match find(keys, alg, KeyStatus::Next) {
        Some(next) => {
            let mut promoted = next.clone();
            promoted.status = KeyStatus::Active;
            promoted.activated_at = Some(now);
            store.update(&promoted).await?;
            promoted.kid
        }
        // Only for a tenant that never had a key of this algorithm: nobody can hold a token
        // signed by it yet, so it need not have been published first.
        None => {
            let fresh =
                generate_key_off_worker(tenant, alg, KeyStatus::Active, master, now).await?;
            store.insert(&fresh).await?;
            fresh.kid
        }
    };
    let next = generate_key_off_worker(tenant, alg, KeyStatus::Next, master, now).await?;
    store.insert(&next).await?;
    Ok(AlgRotation {
        alg,
        active_kid,
        next_kid: next.kid,
        retired,
    })
}

fn find(keys: &[SigningKey], alg: SigningAlg, status: KeyStatus) -> Option<&SigningKey> {
    keys.iter().find(|k| k.alg == alg && k.status == status)
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
mod tests;
