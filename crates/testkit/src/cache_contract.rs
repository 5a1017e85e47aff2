//! The `EphemeralStore` contract: one public async function per behaviour, run by every
//! backend (keyward-cache's tests run it on memory and, when configured, on Redis).
//!
//! Each function takes a fresh store, or two handles where the behaviour involves another
//! node or another prefix. TTLs are short and real (sleeps of ~150 ms) so that Redis's own
//! expiry is exercised; the whole suite runs in about a second per backend.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::join_all;
use keyward_core::{
    Channel, CounterKey, CounterKind, EphemeralStore, Invalidations, Owner, RevokedSet, TenantId,
    ValueKey, ValueKind,
};

/// A store shared by the concurrent callers of a test.
pub type SharedStore = Arc<dyn EphemeralStore>;

/// A TTL long enough to outlive any test step.
const LONG: Duration = Duration::from_secs(60);
/// A TTL that the test outlives by sleeping `PAST_SHORT`.
const SHORT: Duration = Duration::from_millis(100);
const PAST_SHORT: Duration = Duration::from_millis(180);
/// How many callers race in the concurrency tests.
const RACERS: usize = 20;
/// How long a subscriber waits for a message that must arrive.
const DELIVERY: Duration = Duration::from_secs(2);
/// How long a subscriber waits to be sure a message does not arrive.
const SILENCE: Duration = Duration::from_millis(200);

/// The tenant whose keys the suite uses.
fn tenant() -> TenantId {
    TenantId::from_uuid(uuid::Uuid::from_u128(1))
}

/// A second tenant, for isolation.
fn other_tenant() -> TenantId {
    TenantId::from_uuid(uuid::Uuid::from_u128(2))
}

/// A short-lived value of [`tenant`].
fn value(id: &str) -> ValueKey {
    ValueKey::new(ValueKind::Interaction, tenant(), id)
}

/// A counter of [`tenant`].
fn counter(id: &str) -> CounterKey {
    CounterKey::new(CounterKind::LoginFailuresByUser, tenant(), id)
}

fn revoked_in(tenant: TenantId) -> RevokedSet {
    RevokedSet::access_tokens(tenant)
}

/// A prefix no other test uses, for isolating a test's keys on a shared Redis.
pub fn fresh_prefix() -> String {
    format!("keyward-test:{}:", uuid::Uuid::new_v4().simple())
}

/// A value is readable until its TTL passes, `put` replaces it, and a zero TTL is accepted.
pub async fn put_then_get_until_expiry(store: &SharedStore) {
    assert_eq!(store.get(&value("absent")).await.unwrap(), None);

    store.put(&value("code"), b"first", LONG).await.unwrap();
    store.put(&value("code"), b"second", SHORT).await.unwrap();
    assert_eq!(
        store.get(&value("code")).await.unwrap(),
        Some(b"second".to_vec())
    );
    assert_eq!(
        store.get(&value("code")).await.unwrap(),
        Some(b"second".to_vec()),
        "get must not consume"
    );

    store
        .put(&value("blink"), b"v", Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        store.get(&value("code")).await.unwrap(),
        None,
        "expired value"
    );
    assert_eq!(
        store.get(&value("blink")).await.unwrap(),
        None,
        "zero-TTL value"
    );
}

/// `take` returns a value once; it never returns a missing or expired one.
pub async fn take_is_single_use(store: &SharedStore) {
    store.put(&value("code"), b"v", LONG).await.unwrap();
    assert_eq!(
        store.take(&value("code")).await.unwrap(),
        Some(b"v".to_vec())
    );
    assert_eq!(store.take(&value("code")).await.unwrap(), None);
    assert_eq!(store.get(&value("code")).await.unwrap(), None);
    assert_eq!(store.take(&value("absent")).await.unwrap(), None);

    store.put(&value("stale"), b"v", SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(store.take(&value("stale")).await.unwrap(), None);
}

/// Of many concurrent takers of one value, exactly one gets it.
pub async fn concurrent_takes_have_one_winner(store: &SharedStore) {
    store.put(&value("code"), b"v", LONG).await.unwrap();
    let takers = (0..RACERS).map(|_| {
        let store = Arc::clone(store);
        tokio::spawn(async move { store.take(&value("code")).await.unwrap() })
    });
    let won: Vec<Vec<u8>> = join_all(takers)
        .await
        .into_iter()
        .filter_map(|taken| taken.unwrap())
        .collect();
    assert_eq!(won, vec![b"v".to_vec()], "exactly one taker wins");
}

/// Of many concurrent `put_if_absent` callers, exactly one stores its value; the key is free
/// again once that value expires.
pub async fn put_if_absent_has_one_winner(store: &SharedStore) {
    let callers = (0..RACERS).map(|i| {
        let store = Arc::clone(store);
        tokio::spawn(async move {
            let mine = format!("caller-{i}").into_bytes();
            let stored = store
                .put_if_absent(&value("jti"), &mine, SHORT)
                .await
                .unwrap();
            stored.then_some(mine)
        })
    });
    let winners: Vec<Vec<u8>> = join_all(callers)
        .await
        .into_iter()
        .filter_map(|stored| stored.unwrap())
        .collect();
    assert_eq!(winners.len(), 1, "exactly one caller stores");
    assert_eq!(
        store.get(&value("jti")).await.unwrap().as_ref(),
        winners.first()
    );

    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        store
            .put_if_absent(&value("jti"), b"again", LONG)
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_if_absent(&value("jti"), b"late", LONG)
            .await
            .unwrap()
    );
}

/// `put_if_present` replaces a live value (and its TTL) but never brings back a missing,
/// taken, deleted or expired one.
pub async fn put_if_present_never_recreates(store: &SharedStore) {
    assert!(
        !store
            .put_if_present(&value("session"), b"v", LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("session")).await.unwrap(),
        None,
        "absent stays absent"
    );

    store.put(&value("session"), b"first", SHORT).await.unwrap();
    assert!(
        store
            .put_if_present(&value("session"), b"second", LONG)
            .await
            .unwrap()
    );
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        store.get(&value("session")).await.unwrap(),
        Some(b"second".to_vec()),
        "the new TTL replaces the old one"
    );

    assert_eq!(
        store.take(&value("session")).await.unwrap(),
        Some(b"second".to_vec())
    );
    assert!(
        !store
            .put_if_present(&value("session"), b"third", LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("session")).await.unwrap(),
        None,
        "a taken value stays taken"
    );

    store.put(&value("session"), b"v", LONG).await.unwrap();
    store.delete(&value("session")).await.unwrap();
    assert!(
        !store
            .put_if_present(&value("session"), b"v", LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("session")).await.unwrap(),
        None,
        "a deleted value stays deleted"
    );

    store.put(&value("stale"), b"v", SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !store
            .put_if_present(&value("stale"), b"v", LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("stale")).await.unwrap(),
        None,
        "an expired value stays expired"
    );
}

/// A `take` racing many `put_if_present` calls on one key: once every call is done, the key
/// is absent (no refresh lands after the take), round after round.
pub async fn take_racing_put_if_present_leaves_the_key_absent(store: &SharedStore) {
    for round in 0..RACERS {
        let key = value(&format!("session-{round}"));
        store.put(&key, b"live", LONG).await.unwrap();
        let refreshers = (0..RACERS).map(|_| {
            let (store, key) = (Arc::clone(store), key.clone());
            tokio::spawn(async move {
                store
                    .put_if_present(&key, b"refreshed", LONG)
                    .await
                    .unwrap()
            })
        });
        let taker = {
            let (store, key) = (Arc::clone(store), key.clone());
            tokio::spawn(async move { store.take(&key).await.unwrap() })
        };
        let (refreshed, taken) = futures::join!(join_all(refreshers), taker);
        assert!(
            taken.unwrap().is_some(),
            "round {round}: the take found the value"
        );
        assert!(refreshed.into_iter().all(|r| r.is_ok()));
        assert_eq!(
            store.get(&key).await.unwrap(),
            None,
            "round {round}: a refresh recreated a taken value"
        );
    }
}

/// `compare_and_swap` changes a key only from the state the caller read: absent (`None`) or
/// exactly `current`; to a new value or (`None`) to absent. Expired counts as absent.
pub async fn compare_and_swap_changes_only_the_expected_state(store: &SharedStore) {
    assert!(
        store
            .compare_and_swap(&value("list"), None, Some(b"[a]"), LONG)
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_swap(&value("list"), None, Some(b"[b]"), LONG)
            .await
            .unwrap(),
        "no longer absent"
    );
    assert!(
        !store
            .compare_and_swap(&value("list"), Some(b"[x]"), Some(b"[b]"), LONG)
            .await
            .unwrap(),
        "another value"
    );
    assert_eq!(
        store.get(&value("list")).await.unwrap(),
        Some(b"[a]".to_vec())
    );
    assert!(
        store
            .compare_and_swap(&value("list"), Some(b"[a]"), Some(b"[a,b]"), LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("list")).await.unwrap(),
        Some(b"[a,b]".to_vec())
    );
    assert!(
        store
            .compare_and_swap(&value("list"), Some(b"[a,b]"), None, LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value("list")).await.unwrap(),
        None,
        "swapped to absent"
    );
    assert!(
        !store
            .compare_and_swap(&value("list"), Some(b"[a,b]"), Some(b"[c]"), LONG)
            .await
            .unwrap(),
        "an absent key is not the value it had"
    );
    assert_eq!(store.get(&value("list")).await.unwrap(), None);

    store.put(&value("stale"), b"v", SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !store
            .compare_and_swap(&value("stale"), Some(b"v"), Some(b"w"), LONG)
            .await
            .unwrap()
    );
    assert!(
        store
            .compare_and_swap(&value("stale"), None, Some(b"w"), SHORT)
            .await
            .unwrap()
    );
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        store.get(&value("stale")).await.unwrap(),
        None,
        "the swapped-in value has its TTL"
    );
}

/// Many callers appending to one list by read-then-`compare_and_swap`, retrying on conflict:
/// no append is lost.
pub async fn compare_and_swap_loses_no_concurrent_update(store: &SharedStore) {
    let appenders = (0..RACERS).map(|i| {
        let store = Arc::clone(store);
        tokio::spawn(async move {
            loop {
                let current = store.get(&value("list")).await.unwrap();
                let mut items: Vec<String> = current
                    .as_deref()
                    .map(|raw| String::from_utf8(raw.to_vec()).unwrap())
                    .map(|text| {
                        text.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                items.push(i.to_string());
                let next = items.join(",");
                if store
                    .compare_and_swap(
                        &value("list"),
                        current.as_deref(),
                        Some(next.as_bytes()),
                        LONG,
                    )
                    .await
                    .unwrap()
                {
                    return;
                }
            }
        })
    });
    for joined in join_all(appenders).await {
        joined.unwrap();
    }
    let raw = store.get(&value("list")).await.unwrap().unwrap();
    let mut items: Vec<usize> = String::from_utf8(raw)
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    items.sort_unstable();
    assert_eq!(
        items,
        (0..RACERS).collect::<Vec<_>>(),
        "every append is kept"
    );
}

/// `incr` counts from one; the window starts at the first increment and is not extended by
/// later ones; after it the count starts again.
pub async fn incr_counts_within_a_window_from_the_first_increment(store: &SharedStore) {
    let window = Duration::from_millis(250);
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        1
    );
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        2
    );
    assert_eq!(
        store.incr(&counter("login:bob"), window).await.unwrap(),
        1,
        "own key"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        3
    );
    tokio::time::sleep(Duration::from_millis(180)).await;
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        1,
        "the window ends 250 ms after the first increment, not after the last"
    );
}

/// Concurrent increments are all counted.
pub async fn concurrent_increments_are_all_counted(store: &SharedStore) {
    let callers = (0..RACERS).map(|_| {
        let store = Arc::clone(store);
        tokio::spawn(async move { store.incr(&counter("hits"), LONG).await.unwrap() })
    });
    let mut counts: Vec<u64> = join_all(callers)
        .await
        .into_iter()
        .map(|count| count.unwrap())
        .collect();
    counts.sort_unstable();
    let expected: Vec<u64> = (1..=RACERS as u64).collect();
    assert_eq!(counts, expected, "every caller sees a distinct count");
}

/// `decr` takes one back from a live counter without moving its window, stops at zero, and
/// never creates a counter (a missing or expired one stays missing).
pub async fn decr_takes_back_within_the_window_and_never_recreates(store: &SharedStore) {
    let window = Duration::from_millis(250);
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        1
    );
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        2
    );
    store.decr(&counter("login:alice")).await.unwrap();
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        2,
        "one taken back"
    );
    store.decr(&counter("login:alice")).await.unwrap();
    store.decr(&counter("login:alice")).await.unwrap();
    store.decr(&counter("login:alice")).await.unwrap();
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        1,
        "never below zero"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        store.incr(&counter("login:alice"), window).await.unwrap(),
        1,
        "the window still ends 250 ms after the first increment"
    );

    store.decr(&counter("absent")).await.unwrap();
    assert!(
        !store.reset(&counter("absent")).await.unwrap(),
        "not created"
    );
    store.incr(&counter("stale"), SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    store.decr(&counter("stale")).await.unwrap();
    assert!(
        !store.reset(&counter("stale")).await.unwrap(),
        "not brought back"
    );
    assert_eq!(store.incr(&counter("stale"), LONG).await.unwrap(), 1);
}

/// Concurrent increments and take-backs leave exactly the difference.
pub async fn concurrent_decrements_are_all_counted(store: &SharedStore) {
    for _ in 0..RACERS {
        store.incr(&counter("held"), LONG).await.unwrap();
    }
    let callers = (0..RACERS).map(|i| {
        let store = Arc::clone(store);
        tokio::spawn(async move {
            if i % 2 == 0 {
                store.decr(&counter("held")).await.unwrap();
                store.decr(&counter("held")).await.unwrap();
            } else {
                store.incr(&counter("held"), LONG).await.unwrap();
            }
        })
    });
    for done in join_all(callers).await {
        done.unwrap();
    }
    let evens = RACERS.div_ceil(2) as u64;
    let odds = (RACERS / 2) as u64;
    let expected = (RACERS as u64 + odds).saturating_sub(2 * evens);
    assert_eq!(
        store.incr(&counter("held"), LONG).await.unwrap(),
        expected + 1,
        "the count left, plus this increment"
    );
}

/// A revoked id stays revoked until its TTL, only in its own set, then is forgotten.
pub async fn revoked_ids_expire(store: &SharedStore) {
    store
        .revoke(&revoked_in(tenant()), "token-1", SHORT)
        .await
        .unwrap();
    store
        .revoke(&revoked_in(tenant()), "token-2", LONG)
        .await
        .unwrap();
    assert!(
        store
            .is_revoked(&revoked_in(tenant()), "token-1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_revoked(&revoked_in(tenant()), "token-3")
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_revoked(&revoked_in(other_tenant()), "token-1")
            .await
            .unwrap(),
        "other set"
    );
    assert_eq!(
        store.get(&value("token-1")).await.unwrap(),
        None,
        "not a value"
    );

    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !store
            .is_revoked(&revoked_in(tenant()), "token-1")
            .await
            .unwrap()
    );
    assert!(
        store
            .is_revoked(&revoked_in(tenant()), "token-2")
            .await
            .unwrap()
    );
}

/// `delete` removes a value (true only if it was there); `reset` ends a counter.
pub async fn delete_removes_values_and_reset_ends_counters(store: &SharedStore) {
    store.put(&value("session"), b"v", LONG).await.unwrap();
    assert!(store.delete(&value("session")).await.unwrap());
    assert_eq!(store.get(&value("session")).await.unwrap(), None);
    assert!(!store.delete(&value("session")).await.unwrap());
    assert!(!store.delete(&value("absent")).await.unwrap());

    store.put(&value("stale"), b"v", SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !store.delete(&value("stale")).await.unwrap(),
        "expired counts as absent"
    );

    store.incr(&counter("attempts"), LONG).await.unwrap();
    store.incr(&counter("attempts"), LONG).await.unwrap();
    assert!(store.reset(&counter("attempts")).await.unwrap());
    assert_eq!(store.incr(&counter("attempts"), LONG).await.unwrap(), 1);
    assert!(!store.reset(&counter("never-counted")).await.unwrap());
}

/// A message reaches every subscriber of its channel — several on the publishing node, and
/// one on `other_node` (another handle on the same backend; for a single-node backend, the
/// same store) — and nobody subscribed to another channel.
pub async fn publish_reaches_every_subscriber(node: &SharedStore, other_node: &SharedStore) {
    let mut first = node.subscribe(Channel::Clients).await.unwrap();
    let mut second = node.subscribe(Channel::Clients).await.unwrap();
    let mut remote = other_node.subscribe(Channel::Clients).await.unwrap();
    let mut elsewhere = node.subscribe(Channel::Tenants).await.unwrap();

    node.publish(Channel::Clients, "client-1").await.unwrap();
    other_node
        .publish(Channel::Clients, "client-2")
        .await
        .unwrap();
    for subscriber in [&mut first, &mut second, &mut remote] {
        assert_eq!(next(subscriber).await, "client-1");
        assert_eq!(next(subscriber).await, "client-2");
    }
    assert_silent(&mut elsewhere).await;
}

/// A message published before subscribing is not replayed; publishing with no subscriber is
/// not an error.
pub async fn subscribers_receive_only_later_messages(store: &SharedStore) {
    store
        .publish(Channel::Clients, "nobody-listens")
        .await
        .unwrap();
    let mut subscriber = store.subscribe(Channel::Clients).await.unwrap();
    assert_silent(&mut subscriber).await;
    store.publish(Channel::Clients, "later").await.unwrap();
    assert_eq!(next(&mut subscriber).await, "later");
}

/// Nothing written through one prefix is visible, changed or removed through another: values,
/// counters, revoked ids and channels. `a` and `b` are stores on the same backend with
/// different prefixes (for memory: two separate stores).
pub async fn prefixes_are_isolated(a: &SharedStore, b: &SharedStore) {
    a.put(&value("code"), b"from-a", LONG).await.unwrap();
    assert_eq!(b.get(&value("code")).await.unwrap(), None);
    assert_eq!(b.take(&value("code")).await.unwrap(), None);
    assert!(!b.delete(&value("code")).await.unwrap());
    assert!(
        b.put_if_absent(&value("code"), b"from-b", LONG)
            .await
            .unwrap()
    );
    assert_eq!(
        a.get(&value("code")).await.unwrap(),
        Some(b"from-a".to_vec())
    );
    assert_eq!(
        b.get(&value("code")).await.unwrap(),
        Some(b"from-b".to_vec())
    );

    assert_eq!(a.incr(&counter("hits"), LONG).await.unwrap(), 1);
    assert_eq!(a.incr(&counter("hits"), LONG).await.unwrap(), 2);
    assert_eq!(b.incr(&counter("hits"), LONG).await.unwrap(), 1);

    a.revoke(&revoked_in(tenant()), "token", LONG)
        .await
        .unwrap();
    assert!(!b.is_revoked(&revoked_in(tenant()), "token").await.unwrap());

    let mut on_b = b.subscribe(Channel::Clients).await.unwrap();
    let mut on_a = a.subscribe(Channel::Clients).await.unwrap();
    a.publish(Channel::Clients, "for-a").await.unwrap();
    assert_eq!(next(&mut on_a).await, "for-a");
    assert_silent(&mut on_b).await;
}

/// Keys carry their owner: the same kind and id under two tenants, or under the platform,
/// are separate values, counters and revoked sets.
pub async fn owners_are_isolated(store: &SharedStore) {
    let of = |owner: Owner| ValueKey::new(ValueKind::Session, owner, "same-id");
    let (a, b, platform) = (
        Owner::Tenant(tenant()),
        Owner::Tenant(other_tenant()),
        Owner::Platform,
    );
    store.put(&of(a), b"a", LONG).await.unwrap();
    assert_eq!(store.get(&of(b)).await.unwrap(), None);
    assert_eq!(store.get(&of(platform)).await.unwrap(), None);
    assert_eq!(store.take(&of(b)).await.unwrap(), None);
    assert!(store.put_if_absent(&of(b), b"b", LONG).await.unwrap());
    assert_eq!(store.get(&of(a)).await.unwrap(), Some(b"a".to_vec()));

    let hits = |owner: Owner| CounterKey::new(CounterKind::DeviceLookups, owner, "10.0.0.1");
    assert_eq!(store.incr(&hits(a), LONG).await.unwrap(), 1);
    assert_eq!(store.incr(&hits(a), LONG).await.unwrap(), 2);
    assert_eq!(store.incr(&hits(b), LONG).await.unwrap(), 1);
    assert_eq!(store.incr(&hits(platform), LONG).await.unwrap(), 1);

    store
        .revoke(&revoked_in(tenant()), "jti-1", LONG)
        .await
        .unwrap();
    assert!(
        !store
            .is_revoked(&revoked_in(other_tenant()), "jti-1")
            .await
            .unwrap()
    );
}

/// `ping` answers while the backend is reachable.
pub async fn ping_answers(store: &SharedStore) {
    store.ping().await.unwrap();
}

async fn next(subscriber: &mut Invalidations) -> String {
    tokio::time::timeout(DELIVERY, subscriber.next())
        .await
        .expect("a published message must arrive")
        .expect("the subscription must stay open")
}

async fn assert_silent(subscriber: &mut Invalidations) {
    if let Ok(message) = tokio::time::timeout(SILENCE, subscriber.next()).await {
        panic!("no message expected, got {message:?}");
    }
}
