#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! keyward-testkit's `EphemeralStore` contract, run on every backend: always on `MemoryStore`,
//! and on `RedisStore` when `KEYWARD_TEST_REDIS_URL` is set (then an unreachable Redis fails
//! the tests: a configured backend is never skipped silently).
//!
//! Each test gets fresh stores; on Redis, fresh random prefixes that are purged when the test
//! passes. A failing test leaves its keys behind, but every key the suite writes has a TTL of
//! at most a minute.

use std::sync::Arc;

use keyward_cache::{MemoryStore, RedisStore};
use keyward_core::{
    CounterKey, CounterKind, Counters, RevokedSet, RevokedSets, ShortLivedValues, TenantId,
    ValueKey, ValueKind,
};
use keyward_testkit::cache_contract::{self, SharedStore, fresh_prefix};

const REDIS_URL_VAR: &str = "KEYWARD_TEST_REDIS_URL";

/// One backend as one test sees it.
struct Fixture {
    backend: &'static str,
    /// The store under test.
    node: SharedStore,
    /// Another node on the same backend and prefix (for memory, the same store: one node).
    other_node: SharedStore,
    /// A store on the same backend under another prefix (for memory, another store).
    other_prefix: SharedStore,
    /// Redis stores whose prefixes are purged after the test.
    to_purge: Vec<RedisStore>,
}

impl Fixture {
    fn memory() -> Self {
        let node: SharedStore = Arc::new(MemoryStore::new());
        Self {
            backend: "memory",
            other_node: Arc::clone(&node),
            node,
            other_prefix: Arc::new(MemoryStore::new()),
            to_purge: Vec::new(),
        }
    }

    async fn redis(url: &str) -> Self {
        let prefix = fresh_prefix();
        let node = redis_store(url, &prefix).await;
        let other_node = redis_store(url, &prefix).await;
        let other_prefix = redis_store(url, &fresh_prefix()).await;
        Self {
            backend: "redis",
            node: Arc::new(node.clone()),
            other_node: Arc::new(other_node),
            other_prefix: Arc::new(other_prefix.clone()),
            to_purge: vec![node, other_prefix],
        }
    }

    async fn purge(self) {
        for store in self.to_purge {
            store.purge_prefix().await.unwrap();
        }
    }
}

async fn redis_store(url: &str, prefix: &str) -> RedisStore {
    RedisStore::connect(url, prefix)
        .await
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR} is set, but Redis is unusable: {e}"))
}

fn redis_url() -> Option<String> {
    std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Every configured backend, freshly set up for one test.
async fn fixtures() -> Vec<Fixture> {
    let mut fixtures = vec![Fixture::memory()];
    if let Some(url) = redis_url() {
        fixtures.push(Fixture::redis(&url).await);
    }
    fixtures
}

/// A test that runs one contract function on every backend, passing it the handles it asks
/// for (`node`, `other_node`, `other_prefix`).
macro_rules! on_every_backend {
    ($($test:ident => $check:ident($($handle:ident),+);)+) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            for fixture in fixtures().await {
                // Shown with the failure, to tell which backend broke the contract.
                eprintln!("backend: {}", fixture.backend);
                cache_contract::$check($(&fixture.$handle),+).await;
                fixture.purge().await;
            }
        }
    )+};
}

on_every_backend! {
    values_are_readable_until_their_ttl_on_every_backend =>
        put_then_get_until_expiry(node);
    take_is_single_use_on_every_backend =>
        take_is_single_use(node);
    concurrent_takes_have_exactly_one_winner_on_every_backend =>
        concurrent_takes_have_one_winner(node);
    put_if_absent_has_exactly_one_winner_on_every_backend =>
        put_if_absent_has_one_winner(node);
    put_if_present_never_recreates_a_value_on_every_backend =>
        put_if_present_never_recreates(node);
    take_racing_put_if_present_leaves_the_key_absent_on_every_backend =>
        take_racing_put_if_present_leaves_the_key_absent(node);
    compare_and_swap_changes_only_the_expected_state_on_every_backend =>
        compare_and_swap_changes_only_the_expected_state(node);
    compare_and_swap_loses_no_concurrent_update_on_every_backend =>
        compare_and_swap_loses_no_concurrent_update(node);
    incr_window_starts_at_first_increment_on_every_backend =>
        incr_counts_within_a_window_from_the_first_increment(node);
    concurrent_increments_are_all_counted_on_every_backend =>
        concurrent_increments_are_all_counted(node);
    decr_takes_back_within_the_window_and_never_recreates_on_every_backend =>
        decr_takes_back_within_the_window_and_never_recreates(node);
    concurrent_decrements_are_all_counted_on_every_backend =>
        concurrent_decrements_are_all_counted(node);
    revoked_ids_expire_on_every_backend =>
        revoked_ids_expire(node);
    delete_removes_values_and_resets_counters_on_every_backend =>
        delete_removes_values_and_reset_ends_counters(node);
    publish_reaches_every_subscriber_including_other_nodes_on_every_backend =>
        publish_reaches_every_subscriber(node, other_node);
    subscribers_receive_only_messages_published_later_on_every_backend =>
        subscribers_receive_only_later_messages(node);
    stores_under_different_prefixes_never_see_each_other_on_every_backend =>
        prefixes_are_isolated(node, other_prefix);
    keys_of_different_tenants_and_the_platform_never_meet_on_every_backend =>
        owners_are_isolated(node);
    ping_answers_on_every_backend =>
        ping_answers(node);
}

#[tokio::test]
async fn purge_prefix_deletes_only_its_own_keys_on_redis() {
    let Some(url) = redis_url() else { return };
    let mine = redis_store(&url, &fresh_prefix()).await;
    let theirs = redis_store(&url, &fresh_prefix()).await;
    let minute = std::time::Duration::from_secs(60);
    let tenant = TenantId::generate();
    let a = ValueKey::new(ValueKind::Session, tenant, "a");
    let b = CounterKey::new(CounterKind::DeviceLookups, tenant, "b");
    let set = RevokedSet::access_tokens(tenant);
    mine.put(&a, b"1", minute).await.unwrap();
    mine.incr(&b, minute).await.unwrap();
    mine.revoke(&set, "c", minute).await.unwrap();
    theirs.put(&a, b"1", minute).await.unwrap();

    assert_eq!(mine.purge_prefix().await.unwrap(), 3);
    assert_eq!(mine.get(&a).await.unwrap(), None);
    assert!(!mine.is_revoked(&set, "c").await.unwrap());
    assert_eq!(theirs.get(&a).await.unwrap(), Some(b"1".to_vec()));
    theirs.purge_prefix().await.unwrap();
}
