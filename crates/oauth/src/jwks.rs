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
