//! Upstream identity providers and the links between their subjects and local users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{DisplayName, StoreError, TenantId, TenantSlug, UserId};
use uuid::Uuid;

/// What protocol an upstream provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// OpenID Connect: discovery, an ID token.
    Oidc,
    /// Plain OAuth 2.0: configured endpoints, the user from userinfo.
    OAuth2,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oidc => "oidc",
            Self::OAuth2 => "oauth2",
        }
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = keyward_core::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "oidc" => Ok(Self::Oidc),
            "oauth2" => Ok(Self::OAuth2),
            _ => Err(keyward_core::ParseError::new(
                "kind",
                "must be oidc or oauth2",
            )),
        }
    }
}

/// An upstream provider configured for a tenant. `alias` names it in URLs
/// (`/federation/{alias}/start`) and follows the tenant-slug rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub alias: TenantSlug,
    pub display_name: DisplayName,
    pub kind: ProviderKind,
    pub issuer_url: String,
    pub client_id: String,
    /// The upstream client secret, sealed with the master key (context `idp:{tenant}:{alias}`).
    pub client_secret_sealed: Option<Vec<u8>>,
    pub scopes: Vec<String>,
    /// How upstream claims map onto local ones, as a JSON object.
    pub claim_mapping: serde_json::Value,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Durable identity providers; the alias is unique per tenant.
#[async_trait]
pub trait IdentityProviderStore: Send + Sync {
    /// `Conflict` if the alias is taken in this tenant.
    async fn create(&self, provider: &IdentityProvider) -> Result<(), StoreError>;
    async fn get(
        &self,
        tenant: TenantId,
        alias: &TenantSlug,
    ) -> Result<Option<IdentityProvider>, StoreError>;
    /// Sorted by alias.
    async fn list(&self, tenant: TenantId) -> Result<Vec<IdentityProvider>, StoreError>;
    /// `NotFound` if absent in `provider.tenant_id`.
    async fn update(&self, provider: &IdentityProvider) -> Result<(), StoreError>;
    /// `NotFound` if absent in this tenant; removes its linked identities too.
    async fn delete(&self, tenant: TenantId, alias: &TenantSlug) -> Result<(), StoreError>;
}

/// A local user's link to a subject at an upstream provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    pub tenant_id: TenantId,
    pub provider_id: Uuid,
    /// The upstream `sub`.
    pub subject: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
}

/// Durable links; one per (tenant, provider, upstream subject).
#[async_trait]
pub trait LinkedIdentityStore: Send + Sync {
    /// `Conflict` if this upstream subject is already linked in this tenant.
    async fn link(&self, link: &LinkedIdentity) -> Result<(), StoreError>;
    async fn find(
        &self,
        tenant: TenantId,
        provider: Uuid,
        subject: &str,
    ) -> Result<Option<LinkedIdentity>, StoreError>;
    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<LinkedIdentity>, StoreError>;
    /// `NotFound` if absent in this tenant.
    async fn unlink(
        &self,
        tenant: TenantId,
        provider: Uuid,
        subject: &str,
    ) -> Result<(), StoreError>;
}
