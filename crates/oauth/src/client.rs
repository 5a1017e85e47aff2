//! Registered clients (RFC 6749 §2, RFC 7591 metadata names) and their storage port.

use crate::subject::SubjectType;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::SigningAlg;
use keyward_core::{
    ClientId, DisplayName, GrantType, Page, PageRequest, RedirectUri, Scope, StoreError, TenantId,
    TokenEndpointAuthMethod,
};
use serde::{Deserialize, Serialize};

/// A client as stored. The secret is never stored, only its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    pub name: DisplayName,
    /// Keyed hash of the client secret; `None` for public and private_key_jwt clients.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    /// The scopes this client may ask for.
    pub scopes: Scope,
    pub auth_method: TokenEndpointAuthMethod,
    /// RFC 6749 §2.1: a public client cannot keep a secret.
    pub public: bool,
    /// First-party clients skip the consent page.
    pub first_party: bool,
    pub settings: ClientSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Less-used client metadata, stored as one JSON document (names per RFC 7591 / OIDC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    pub audiences: Vec<String>,
    pub jwks: Option<serde_json::Value>,
    pub jwks_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    /// OIDC Registration §2: the client's ID tokens (and Logout Tokens) are signed with this
    /// algorithm instead of the tenant's.
    pub id_token_signed_response_alg: Option<SigningAlg>,
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// OIDC Core §8: `public` when absent.
    pub subject_type: Option<SubjectType>,
    /// Opt-in: a `roles` claim (the user's application role names) in the access and ID
    /// tokens of user grants.
    pub role_claims: bool,
    /// Opt-in: a `permissions` claim (`resource:action`) likewise.
    pub permission_claims: bool,
}

/// Durable clients, always addressed through their tenant.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// `Conflict` when the client id is taken in this tenant.
    async fn create(&self, client: &Client) -> Result<(), StoreError>;
    async fn get(&self, tenant: TenantId, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// Sorted by client id; the cursor is the last client id seen.
    async fn list(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Client>, StoreError>;
    /// Replaces every field but the ids and `created_at`; `NotFound` if absent in `client.tenant_id`.
    async fn update(&self, client: &Client) -> Result<(), StoreError>;
    /// `NotFound` if the client is not in this tenant.
    async fn delete(&self, tenant: TenantId, id: &ClientId) -> Result<(), StoreError>;
}
