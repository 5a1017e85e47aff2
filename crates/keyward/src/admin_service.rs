//! The admin use-cases (keyward-admin) wired over the platform's ports, and the Casbin
//! authorizer they check with: built here once for `serve` and for the CLI commands alike, so
//! the server depends on no command module.

use std::sync::Arc;

use async_trait::async_trait;
use keyward_admin::{Admin, AdminPorts, Announcer};
use keyward_authz::Authorizer;
use keyward_core::ephemeral::channel;
use keyward_core::{Broadcast, Channel, ClientId, TenantId};
use keyward_store::SqlCasbinAdapter;

use crate::failure::Failure;
use crate::startup::Platform;

/// Announces admin changes on the channels `serve`'s invalidation listener follows.
pub struct CacheAnnouncer(pub Arc<dyn Broadcast>);

impl CacheAnnouncer {
    async fn publish(&self, channel: Channel, message: &str) {
        if let Err(e) = self.0.publish(channel, message).await {
            tracing::warn!(error = %e, channel = channel.name(), "could not announce an admin change to other nodes");
        }
    }
}

#[async_trait]
impl Announcer for CacheAnnouncer {
    async fn tenant_changed(&self, tenant: TenantId) {
        self.publish(Channel::Tenants, &tenant.to_string()).await;
    }
    async fn client_changed(&self, tenant: TenantId, client: &ClientId) {
        self.publish(Channel::Clients, &channel::client_message(tenant, client))
            .await;
    }
    async fn keys_changed(&self, tenant: TenantId) {
        self.publish(Channel::Keys, &tenant.to_string()).await;
    }
}

/// The Casbin authorizer over the database's policy table (built-in roles seeded).
pub async fn authorizer(platform: &Platform) -> Result<Arc<Authorizer>, Failure> {
    Authorizer::new(SqlCasbinAdapter::new(&platform.store))
        .await
        .map(Arc::new)
        .map_err(|e| Failure::Unavailable(format!("loading the authorization policy: {e}")))
}

/// The admin use-cases over the platform's ports.
pub fn service(platform: &Platform, authorizer: Arc<Authorizer>) -> Admin {
    service_announcing(
        platform,
        authorizer,
        Arc::new(CacheAnnouncer(platform.cache.clone())),
    )
}

/// [`service`] telling `announcer` of each change (a serving node also drops its own cached
/// copies at once).
pub fn service_announcing(
    platform: &Platform,
    authorizer: Arc<Authorizer>,
    announcer: Arc<dyn Announcer>,
) -> Admin {
    let store = Arc::new(platform.store.clone());
    Admin::new(AdminPorts {
        transactions: store.clone(),
        authorizer,
        tenants: store.clone(),
        clients: store.clone(),
        users: store.clone(),
        keys: store.clone(),
        providers: store.clone(),
        consents: store.clone(),
        refresh_tokens: store.clone(),
        audit: store,
        cache: platform.cache.clone(),
        announcer,
        secrets: platform.secrets.clone(),
        passwords: platform.passwords.clone(),
        master: platform.master.clone(),
        clock: platform.clock.clone(),
        outbound: keyward_core::OutboundRule::new(platform.config.outbound_allow_private),
    })
}
