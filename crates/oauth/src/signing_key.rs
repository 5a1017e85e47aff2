//! Per-tenant signing keys with their rotation states; the private part is sealed at rest.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{ParseError, StoreError, TenantId};

pub use keyward_core::SigningAlg;

/// Where a key is in its life: published before it signs, retired keys stay published
/// until every token they signed has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// Published in the JWKS, not yet signing.
    Next,
    /// Signing new tokens.
    Active,
    /// No longer signing; published until `publish_until`.
    Retired,
}

impl KeyStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

impl FromStr for KeyStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "next" => Ok(Self::Next),
            "active" => Ok(Self::Active),
            "retired" => Ok(Self::Retired),
            _ => Err(ParseError::new(
                "status",
                format!("unknown key status {s:?}"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub tenant_id: TenantId,
    pub kid: String,
    pub alg: SigningAlg,
    pub status: KeyStatus,
    /// The private key, sealed with the master key (context `signing_key:{tenant}:{kid}`).
    pub private_sealed: Vec<u8>,
    /// The public JWK as JSON text.
    pub public_jwk: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    /// A retired key leaves the JWKS after this instant.
    pub publish_until: Option<DateTime<Utc>>,
}

/// Durable signing keys.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// `Conflict` if the kid exists in this tenant.
    async fn insert(&self, key: &SigningKey) -> Result<(), StoreError>;
    /// Every key of the tenant, oldest first.
    async fn list(&self, tenant: TenantId) -> Result<Vec<SigningKey>, StoreError>;
    /// Updates status and timestamps; `NotFound` if absent in `key.tenant_id`.
    async fn update(&self, key: &SigningKey) -> Result<(), StoreError>;
    /// `NotFound` if absent in this tenant.
    async fn delete(&self, tenant: TenantId, kid: &str) -> Result<(), StoreError>;
}
