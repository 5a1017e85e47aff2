//! Telling every node that something it caches changed. The binary implements it on the
//! cache's pub/sub channels; a node that misses a message re-reads when its entry expires.

use async_trait::async_trait;
use keyward_core::{ClientId, TenantId};

#[async_trait]
pub trait Announcer: Send + Sync {
    async fn tenant_changed(&self, tenant: TenantId);
    async fn client_changed(&self, tenant: TenantId, client: &ClientId);
    async fn keys_changed(&self, tenant: TenantId);
}
