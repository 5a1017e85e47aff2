//! Tenants: the unit of isolation. Each has its own issuer, keys, users, clients and settings.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::id::{TenantId, TenantSlug};
use crate::page::{Page, PageRequest};
use crate::signing_alg::SigningAlg;
use crate::text::DisplayName;

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub display_name: DisplayName,
    pub settings: TenantSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Tenant {
    pub fn new(slug: TenantSlug, display_name: DisplayName, now: DateTime<Utc>) -> Self {
        Self {
            id: TenantId::generate(),
            slug,
            display_name,
            settings: TenantSettings::default(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Per-tenant policy. Stored as one JSON document, so adding a setting needs no migration;
/// unknown fields in stored documents are ignored and missing ones take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettings {
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    /// RFC 6749 §4.3 is off unless a tenant turns it on (and the client is allowed it too).
    pub password_grant_enabled: bool,
    /// Require PKCE for every client, not only public ones.
    pub pkce_required: bool,
    /// The algorithm the tenant's tokens are signed with (every algorithm has keys).
    pub signing_alg: SigningAlg,
    pub password_min_length: u32,
    /// Accept plain-http redirect URIs to any host, not only loopback (RFC 8252 §7.3): for a
    /// development tenant whose apps run on plain-http hosts. Off by default.
    pub allow_http_redirect_uris: bool,
    pub branding: Branding,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            id_token_ttl_secs: 600,
            password_grant_enabled: false,
            pkce_required: false,
            signing_alg: SigningAlg::Es256,
            password_min_length: 8,
            allow_http_redirect_uris: false,
            branding: Branding::default(),
        }
    }
}

/// How the tenant's hosted pages look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub background_color: Option<String>,
}

/// Durable tenants. Tenants are the one kind of row not owned by a tenant.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Fails with `Conflict` when the slug is taken.
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError>;
    async fn by_id(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;
    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError>;
    /// Sorted by slug; the cursor is the last slug seen.
    async fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;
    /// Replaces display name and settings; `NotFound` if the tenant is gone.
    async fn update(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Deletes the tenant and everything it owns.
    async fn delete(&self, id: TenantId) -> Result<(), StoreError>;
}
