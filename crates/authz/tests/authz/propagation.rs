//! A policy change on one node takes effect on another within a second, through the cache's
//! pub/sub: always over a shared `MemoryStore`, and over two `RedisStore` connections when
//! `KEYWARD_TEST_REDIS_URL` is set; on SQLite and, when configured, PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_authz::{Actor, AdminAction, Authorizer, TenantRole, follow};
use keyward_cache::{MemoryStore, RedisStore};
use keyward_core::{EphemeralStore, TenantId};
use keyward_store::{SqlCasbinAdapter, SqlStore};
use keyward_testkit::cache_contract::fresh_prefix;
use keyward_testkit::db::TestDb;

use crate::fixture::{tenants, user};

const REDIS_URL_VAR: &str = "KEYWARD_TEST_REDIS_URL";
const WITHIN: Duration = Duration::from_secs(1);

/// Two nodes' caches on one backend, and the Redis stores to purge afterwards.
async fn cache_pairs() -> Vec<(
    &'static str,
    Arc<dyn EphemeralStore>,
    Arc<dyn EphemeralStore>,
    Option<RedisStore>,
)> {
    let memory: Arc<dyn EphemeralStore> = Arc::new(MemoryStore::new());
    let mut pairs = vec![("memory", Arc::clone(&memory), memory, None)];
    if let Some(url) = std::env::var(REDIS_URL_VAR).ok().filter(|u| !u.is_empty()) {
        let prefix = fresh_prefix();
        let connect = |url: String, prefix: String| async move {
            RedisStore::connect(&url, &prefix)
                .await
                .unwrap_or_else(|e| panic!("{REDIS_URL_VAR} is set, but Redis is unusable: {e}"))
        };
        let one = connect(url.clone(), prefix.clone()).await;
        let two = connect(url, prefix).await;
        pairs.push(("redis", Arc::new(one.clone()), Arc::new(two), Some(one)));
    }
    pairs
}

/// Waits up to [`WITHIN`] for `check` to hold; returns how long it took.
async fn within_a_second<F, Fut>(check: F) -> Option<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < WITHIN {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

async fn node(store: &SqlStore, cache: &Arc<dyn EphemeralStore>) -> Arc<Authorizer> {
    let authz = Arc::new(Authorizer::new(SqlCasbinAdapter::new(store)).await.unwrap());
    let messages = cache
        .subscribe(keyward_core::Channel::Policy)
        .await
        .unwrap();
    tokio::spawn(follow(Arc::clone(&authz), messages));
    authz
}

async fn permits(node: &Authorizer, actor: &Actor, tenant: TenantId) -> bool {
    node.permit(actor, tenant, AdminAction::ClientUpdate)
        .await
        .is_ok()
}

#[tokio::test]
async fn policy_change_on_one_node_takes_effect_on_another_within_a_second() {
    for db in TestDb::all().await {
        // A second pool where the database allows one (in-memory SQLite has one connection).
        let second_store = match db.url() {
            Some(_) => db.connect_again().await,
            None => db.store.clone(),
        };
        for (cache_backend, cache_one, cache_two, to_purge) in cache_pairs().await {
            let label = format!("{} + {cache_backend}", db.backend());
            let one = node(&db.store, &cache_one).await;
            let two = node(&second_store, &cache_two).await;
            let (a, _) = tenants();
            let (_, alice) = user();
            assert!(!permits(&two, &alice, a).await);

            one.assign_role(&alice, TenantRole::Admin, a)
                .await
                .unwrap()
                .announce(&*cache_one)
                .await
                .unwrap();
            let took = within_a_second(|| permits(&two, &alice, a)).await;
            assert!(
                took.is_some(),
                "{label}: node two did not see the assignment within 1 s"
            );

            one.revoke_role(&alice, TenantRole::Admin, a)
                .await
                .unwrap()
                .announce(&*cache_one)
                .await
                .unwrap();
            let took = within_a_second(|| async { !permits(&two, &alice, a).await }).await;
            assert!(
                took.is_some(),
                "{label}: node two did not see the revocation within 1 s"
            );

            if let Some(redis) = to_purge {
                redis.purge_prefix().await.unwrap();
            }
        }
        if db.url().is_some() {
            second_store.close().await.unwrap();
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn unchanged_policy_is_not_announced() {
    let cache: Arc<dyn EphemeralStore> = Arc::new(MemoryStore::new());
    let mut messages = cache
        .subscribe(keyward_core::Channel::Policy)
        .await
        .unwrap();
    let authz = Authorizer::new(casbin::MemoryAdapter::default())
        .await
        .unwrap();
    let (a, _) = tenants();
    let (_, alice) = user();
    let unchanged = authz
        .revoke_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    assert!(!unchanged.is_change());
    unchanged.announce(&*cache).await.unwrap();
    use futures::StreamExt;
    let next = tokio::time::timeout(Duration::from_millis(100), messages.next()).await;
    assert!(next.is_err(), "nothing was published");
}
