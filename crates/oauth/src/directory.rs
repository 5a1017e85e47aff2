//! In-process read caches of tenants (by slug) and clients (by tenant and client id), so the
//! token endpoint's hot path never touches the database. Entries are dropped by the
//! `invalidate:*` cache messages every node receives, by the binary's resync when the stored
//! `directory_version` moves (a node that missed a message, or a CLI writing without a shared
//! cache), and in any case after a short TTL.
//! Misses are cached too, briefly, so a flood of unknown slugs cannot hammer the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use keyward_core::{ClientId, StoreError, Tenant, TenantId, TenantSlug, TenantStore};

use crate::admin_api;
use crate::client::{Client, ClientStore};

/// How long a found tenant or client is trusted without a message saying it changed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// How long "no such tenant / client" is remembered.
pub const DEFAULT_MISS_TTL: Duration = Duration::from_secs(5);
/// Past this many entries in one map, expired entries are swept (and, if that is not enough,
/// everything is dropped), so a flood of made-up slugs or client ids cannot grow memory.
const MAX_ENTRIES: usize = 10_000;

/// Makes room for one more entry.
fn make_room<T>(map: &mut HashMap<String, Cached<T>>, now: Instant) {
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, c| c.until > now);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
}

/// A tenant with the URLs derived from it, computed once per cache fill.
#[derive(Debug)]
pub struct TenantEntry {
    pub tenant: Tenant,
    /// `{public_url}/t/{slug}`
    pub issuer: String,
    /// `{issuer}/token`, an accepted `aud` of a client assertion (RFC 7523 §3).
    pub token_endpoint: String,
    /// `{public_url}/admin/api` for the system tenant, the only one whose clients may get
    /// admin API tokens (`admin_api`); `None` for every other tenant.
    pub admin_audience: Option<String>,
}

struct Cached<T> {
    value: Option<Arc<T>>,
    until: Instant,
}

type Tenants = HashMap<String, Cached<TenantEntry>>;
type Clients = HashMap<TenantId, HashMap<String, Cached<Client>>>;

/// Cached look-ups of tenants and clients.
pub struct Directory {
    public_url: String,
    tenants: Arc<dyn TenantStore>,
    clients: Arc<dyn ClientStore>,
    ttl: Duration,
    miss_ttl: Duration,
    tenant_cache: RwLock<Tenants>,
    client_cache: RwLock<Clients>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl Directory {
    /// `public_url` without a trailing slash.
    pub fn new(
        public_url: impl Into<String>,
        tenants: Arc<dyn TenantStore>,
        clients: Arc<dyn ClientStore>,
    ) -> Self {
        Self {
            public_url: public_url.into(),
            tenants,
            clients,
            ttl: DEFAULT_TTL,
            miss_ttl: DEFAULT_MISS_TTL,
            tenant_cache: RwLock::new(HashMap::new()),
            client_cache: RwLock::new(HashMap::new()),
        }
    }

    /// Changes how long entries (found, missing) live.
    pub fn with_ttl(mut self, ttl: Duration, miss_ttl: Duration) -> Self {
        self.ttl = ttl;
        self.miss_ttl = miss_ttl;
        self
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The tenant whose slug is `slug`, or `None`; a slug that does not parse is simply unknown.
    pub async fn tenant(&self, slug: &str) -> Result<Option<Arc<TenantEntry>>, StoreError> {
        let now = Instant::now();
        if let Ok(cache) = self.tenant_cache.read()
            && let Some(hit) = cache.get(slug).filter(|c| c.until > now)
        {
            return Ok(hit.value.clone());
        }
        let Ok(parsed) = TenantSlug::parse(slug) else {
            return Ok(None);
        };
        let value = self.tenants.by_slug(&parsed).await?.map(|tenant| {
            let issuer = format!("{}/t/{}", self.public_url, tenant.slug);
            let token_endpoint = format!("{issuer}/token");
            let admin_audience = (tenant.slug.as_str() == TenantSlug::SYSTEM)
                .then(|| admin_api::admin_audience(&self.public_url));
            Arc::new(TenantEntry {
                tenant,
                issuer,
                token_endpoint,
                admin_audience,
            })
        });
        let until = now
            + if value.is_some() {
                self.ttl
            } else {
                self.miss_ttl
            };
        if let Ok(mut cache) = self.tenant_cache.write() {
            make_room(&mut cache, now);
            cache.insert(
                slug.to_owned(),
                Cached {
                    value: value.clone(),
                    until,
                },
            );
        }
        Ok(value)
    }

    /// The client `client_id` of `tenant`, or `None`.
    pub async fn client(
        &self,
        tenant: TenantId,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        let now = Instant::now();
        if let Ok(cache) = self.client_cache.read()
            && let Some(hit) = cache
                .get(&tenant)
                .and_then(|m| m.get(client_id))
                .filter(|c| c.until > now)
        {
            return Ok(hit.value.clone());
        }
        let Ok(parsed) = ClientId::parse(client_id) else {
            return Ok(None);
        };
        let value = self.clients.get(tenant, &parsed).await?.map(Arc::new);
        let until = now
            + if value.is_some() {
                self.ttl
            } else {
                self.miss_ttl
            };
        if let Ok(mut cache) = self.client_cache.write() {
            let clients = cache.entry(tenant).or_default();
            make_room(clients, now);
            clients.insert(
                client_id.to_owned(),
                Cached {
                    value: value.clone(),
                    until,
                },
            );
        }
        Ok(value)
    }

    /// Forgets a tenant (by id) and every remembered miss, e.g. after `invalidate:tenants`.
    pub fn invalidate_tenant(&self, tenant: TenantId) {
        if let Ok(mut cache) = self.tenant_cache.write() {
            cache.retain(|_, c| c.value.as_ref().is_some_and(|e| e.tenant.id != tenant));
        }
        if let Ok(mut cache) = self.client_cache.write() {
            cache.remove(&tenant);
        }
    }

    /// Forgets one client (present or missing), e.g. after `invalidate:clients`.
    pub fn invalidate_client(&self, tenant: TenantId, client_id: &str) {
        if let Ok(mut cache) = self.client_cache.write()
            && let Some(clients) = cache.get_mut(&tenant)
        {
            clients.remove(client_id);
        }
    }

    /// Forgets everything, e.g. when the invalidation channel was interrupted.
    pub fn invalidate_all(&self) {
        if let Ok(mut cache) = self.tenant_cache.write() {
            cache.clear();
        }
        if let Ok(mut cache) = self.client_cache.write() {
            cache.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use keyward_core::{DisplayName, Page, PageRequest};

    use super::*;

    #[derive(Default)]
    struct CountingTenants {
        rows: Mutex<Vec<Tenant>>,
        reads: AtomicUsize,
    }

    #[async_trait]
    impl TenantStore for CountingTenants {
        async fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
            self.rows
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?
                .push(tenant.clone());
            Ok(())
        }
        async fn by_id(&self, _: TenantId) -> Result<Option<Tenant>, StoreError> {
            Ok(None)
        }
        async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let rows = self
                .rows
                .lock()
                .map_err(|_| StoreError::Backend("poisoned".into()))?;
            Ok(rows.iter().find(|t| &t.slug == slug).cloned())
        }
        async fn list(&self, _: &PageRequest) -> Result<Page<Tenant>, StoreError> {
            Ok(Page {
                items: vec![],
                next: None,
            })
        }
        async fn update(&self, _: &Tenant) -> Result<(), StoreError> {
            Ok(())
        }
        async fn delete(&self, _: TenantId) -> Result<(), StoreError> {
            Ok(())
        }
    }

    struct NoClients;

    #[async_trait]
    impl ClientStore for NoClients {
        async fn create(&self, _: &Client) -> Result<(), StoreError> {
            Ok(())
        }
        async fn get(&self, _: TenantId, _: &ClientId) -> Result<Option<Client>, StoreError> {
            Ok(None)
        }
        async fn list(&self, _: TenantId, _: &PageRequest) -> Result<Page<Client>, StoreError> {
            Ok(Page {
                items: vec![],
                next: None,
            })
        }
        async fn update(&self, _: &Client) -> Result<(), StoreError> {
            Ok(())
        }
        async fn delete(&self, _: TenantId, _: &ClientId) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn tenant(slug: &str) -> Result<Tenant, keyward_core::ParseError> {
        Ok(Tenant::new(
            TenantSlug::parse(slug)?,
            DisplayName::parse(slug)?,
            chrono::Utc::now(),
        ))
    }

    #[tokio::test]
    async fn tenant_is_read_once_then_served_from_memory() -> Result<(), Box<dyn std::error::Error>>
    {
        let store = Arc::new(CountingTenants::default());
        let acme = tenant("acme")?;
        store.create(&acme).await?;
        let dir = Directory::new("https://id.test", store.clone(), Arc::new(NoClients));
        for _ in 0..3 {
            let found = dir.tenant("acme").await?;
            assert_eq!(
                found.as_ref().map(|e| e.issuer.as_str()),
                Some("https://id.test/t/acme")
            );
            assert_eq!(
                found.map(|e| e.token_endpoint.clone()).as_deref(),
                Some("https://id.test/t/acme/token")
            );
        }
        assert_eq!(store.reads.load(Ordering::SeqCst), 1);
        dir.invalidate_tenant(acme.id);
        dir.tenant("acme").await?;
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            2,
            "invalidation forces a re-read"
        );
        Ok(())
    }

    #[tokio::test]
    async fn unknown_and_unparseable_slugs_are_none() -> Result<(), StoreError> {
        let store = Arc::new(CountingTenants::default());
        let dir = Directory::new("https://id.test", store.clone(), Arc::new(NoClients))
            .with_ttl(Duration::from_secs(60), Duration::ZERO);
        assert!(dir.tenant("nope").await?.is_none());
        assert!(dir.tenant("Not A Slug").await?.is_none());
        assert!(dir.tenant("nope").await?.is_none());
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            2,
            "a zero miss TTL re-reads"
        );
        Ok(())
    }
}
