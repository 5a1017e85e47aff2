//! RFC 7517 §5: the JWK Set a tenant publishes at `{issuer}/jwks`.

use chrono::{DateTime, Utc};
use keyward_core::StoreError;
use serde_json::{Value, json};

use crate::key_rotation::published;
use crate::signing_key::SigningKey;

/// The JWK Set of the keys published at `now` (next, active, and retired ones still in their
/// window). A stored JWK that is not JSON is reported, not skipped silently.
pub fn jwks_document(keys: &[SigningKey], now: DateTime<Utc>) -> Result<Value, StoreError> {
    let mut jwks = Vec::new();
    for key in published(keys, now) {
        let jwk: Value = serde_json::from_str(&key.public_jwk)
            .map_err(|e| StoreError::Corrupt(format!("public JWK of key {}: {e}", key.kid)))?;
        jwks.push(jwk);
    }
    Ok(json!({ "keys": jwks }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use keyward_core::{MasterKey, TenantId};

    use super::*;
    use crate::jose::{SigningAlg, parse_jwk_set};
    use crate::key_rotation::ensure_keys;
    use crate::key_rotation::memory_store::MemoryKeys;
    use crate::signing_key::SigningKeyStore;

    #[tokio::test]
    async fn jwks_of_a_fresh_tenant_lists_active_and_next_for_every_alg() {
        let store = MemoryKeys::default();
        let master = MasterKey::generate().unwrap();
        let tenant = TenantId::generate();
        let now = Utc::now();
        ensure_keys(&store, tenant, SigningAlg::Es256, &master, now)
            .await
            .unwrap();
        let document = jwks_document(&store.list(tenant).await.unwrap(), now).unwrap();
        let keys = document["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 6, "active + next for ES256, RS256 and EdDSA");
        for alg in ["ES256", "RS256", "EdDSA"] {
            assert_eq!(keys.iter().filter(|k| k["alg"] == alg).count(), 2, "{alg}");
        }
        assert!(
            keys.iter()
                .all(|k| k["use"] == "sig" && k.get("d").is_none())
        );
        assert_eq!(
            parse_jwk_set(&document).unwrap().len(),
            6,
            "every key is usable"
        );
    }
}
