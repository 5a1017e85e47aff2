//! OIDC Core §3.1.2.4: what a user agreed to share with a client, remembered per scope set.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{ClientId, Scope, StoreError, TenantId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub client_id: ClientId,
    pub scopes: Scope,
    pub granted_at: DateTime<Utc>,
}

/// Durable consents: one per (tenant, user, client).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Creates or replaces the consent of this user for this client.
    async fn upsert(&self, consent: &Consent) -> Result<(), StoreError>;
    async fn find(
        &self,
        tenant: TenantId,
        user: UserId,
        client: &ClientId,
    ) -> Result<Option<Consent>, StoreError>;
    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Consent>, StoreError>;
    /// `NotFound` if there was none.
    async fn revoke(
        &self,
        tenant: TenantId,
        user: UserId,
        client: &ClientId,
    ) -> Result<(), StoreError>;
}
