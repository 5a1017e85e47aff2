//! Listens on the cache's invalidation channels and drops what changed from this node's
//! in-process caches. Messages: `invalidate:keys` and `invalidate:tenants` carry a tenant id,
//! `invalidate:clients` carries `{tenant_id}:{client_id}`. If a subscription ends (Redis
//! restarted), everything of its kind is dropped and the subscription is made again: a missed
//! message must never leave a stale entry beyond the caches' own TTL.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use keyward_core::{Broadcast, Channel, TenantId};
use keyward_oauth::directory::Directory;
use keyward_oauth::keyring::KeyRing;

const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
struct Caches {
    directory: Arc<Directory>,
    keys: Arc<KeyRing>,
}

impl Caches {
    fn apply(&self, channel: Channel, message: &str) {
        match channel {
            Channel::Keys => match message.parse::<TenantId>() {
                Ok(tenant) => self.keys.invalidate(tenant),
                Err(_) => self.keys.invalidate_all(),
            },
            Channel::Tenants => match message.parse::<TenantId>() {
                Ok(tenant) => self.directory.invalidate_tenant(tenant),
                Err(_) => self.directory.invalidate_all(),
            },
            Channel::Clients => match message
                .split_once(':')
                .and_then(|(t, c)| Some((t.parse::<TenantId>().ok()?, c)))
            {
                Some((tenant, client)) => self.directory.invalidate_client(tenant, client),
                None => self.directory.invalidate_all(),
            },
            Channel::Policy => {}
        }
    }

    fn drop_all(&self, channel: Channel) {
        match channel {
            Channel::Keys => self.keys.invalidate_all(),
            _ => self.directory.invalidate_all(),
        }
    }
}

/// Spawns one listener per channel on the current runtime.
pub fn spawn(cache: Arc<dyn Broadcast>, directory: Arc<Directory>, keys: Arc<KeyRing>) {
    let caches = Caches { directory, keys };
    for channel in [Channel::Keys, Channel::Clients, Channel::Tenants] {
        let cache = cache.clone();
        let caches = caches.clone();
        tokio::spawn(async move {
            loop {
                match cache.subscribe(channel).await {
                    Ok(mut messages) => {
                        while let Some(message) = messages.next().await {
                            caches.apply(channel, &message);
                        }
                        tracing::warn!(
                            channel = channel.name(),
                            "invalidation subscription ended; resubscribing"
                        );
                    }
                    Err(e) => {
                        tracing::warn!(channel = channel.name(), error = %e, "cannot subscribe to invalidations")
                    }
                }
                caches.drop_all(channel);
                tokio::time::sleep(RESUBSCRIBE_AFTER).await;
            }
        });
    }
}

/// The admin use-cases' announcer on a serving node: drops this node's cached tenant, client
/// or keys at once — so the request after an admin change sees it, without waiting for the
/// node's own pub/sub message — then tells the other nodes.
pub struct LocalFirst {
    pub directory: Arc<Directory>,
    pub keys: Arc<KeyRing>,
    pub others: crate::admin_service::CacheAnnouncer,
}

#[async_trait::async_trait]
impl keyward_admin::Announcer for LocalFirst {
    async fn tenant_changed(&self, tenant: TenantId) {
        self.directory.invalidate_tenant(tenant);
        self.others.tenant_changed(tenant).await;
    }
    async fn client_changed(&self, tenant: TenantId, client: &keyward_core::ClientId) {
        self.directory.invalidate_client(tenant, client.as_str());
        self.others.client_changed(tenant, client).await;
    }
    async fn keys_changed(&self, tenant: TenantId) {
        self.keys.invalidate(tenant);
        self.others.keys_changed(tenant).await;
    }
}
