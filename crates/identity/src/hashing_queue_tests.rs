#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures::FutureExt;

use super::*;

fn queue(workers: usize, capacity: usize, per_tenant: usize) -> Arc<HashingQueue> {
    HashingQueue::new(QueueLimits {
        workers,
        capacity,
        per_tenant,
    })
}

/// The turn of a place that must already have it.
fn granted(place: Place) -> Turn {
    place.turn().now_or_never().unwrap().unwrap()
}

fn waiting(q: &HashingQueue, tenant: TenantId) -> usize {
    q.state().waiting.get(&tenant).map_or(0, VecDeque::len)
}

#[test]
fn a_tenant_gets_no_more_than_its_share() {
    let q = queue(1, 4, 2);
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let held: Vec<Place> = (0..2).map(|_| q.enter(a).unwrap()).collect();
    assert!(q.enter(a).is_none(), "a's share is full");
    assert!(q.enter(b).is_some(), "b still finds a place");
    drop(held);
    assert_eq!(q.in_flight(a), 0);
    assert!(q.enter(a).is_some(), "places are given back");
}

#[test]
fn the_capacity_bounds_every_tenant_together() {
    let q = queue(1, 3, 2);
    let tenants: Vec<TenantId> = (0..4).map(|_| TenantId::generate()).collect();
    let held: Vec<Place> = tenants[..3].iter().map(|t| q.enter(*t).unwrap()).collect();
    assert!(
        q.enter(tenants[3]).is_none(),
        "full, and nobody holds more than one place"
    );
    drop(held);
    assert!(q.enter(tenants[3]).is_some());
}

#[test]
fn a_share_never_exceeds_the_capacity_and_neither_is_zero() {
    let l = QueueLimits::new(0, 0);
    assert_eq!((l.capacity, l.per_tenant), (1, 1));
    let l = QueueLimits::new(4, 10);
    assert_eq!(l.per_tenant, 4);
}

#[tokio::test]
async fn a_turn_waits_for_a_worker_and_keeps_its_place() {
    let q = queue(1, 4, 4);
    let t = TenantId::generate();
    let first = granted(q.enter(t).unwrap());
    let waiting = tokio::spawn(q.enter(t).unwrap().turn());
    tokio::task::yield_now().await;
    assert_eq!(q.in_flight(t), 2, "the waiting check holds its place");
    drop(first);
    let turn = waiting.await.unwrap().unwrap();
    assert_eq!(q.in_flight(t), 1);
    drop(turn);
    assert_eq!(q.in_flight(t), 0);
}

#[test]
fn a_free_worker_serves_the_tenants_in_turn() {
    let q = queue(1, 16, 16);
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let running = granted(q.enter(a).unwrap());
    let mut of_a: VecDeque<Place> = (0..3).map(|_| q.enter(a).unwrap()).collect();
    let of_b = q.enter(b).unwrap();
    assert_eq!((waiting(&q, a), waiting(&q, b)), (3, 1));
    drop(running);
    let second = granted(of_a.pop_front().unwrap());
    drop(second);
    assert_eq!(
        (waiting(&q, a), waiting(&q, b)),
        (2, 0),
        "b's only check comes before a's third"
    );
    drop(granted(of_b));
    assert_eq!(waiting(&q, a), 1);
    drop(of_a);
    assert_eq!((q.in_flight(a), q.in_flight(b)), (0, 0));
}

#[test]
fn a_full_queue_gives_a_quiet_tenant_the_place_of_the_busiest_tenants_newest_waiter() {
    let q = queue(1, 4, 4);
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let running = granted(q.enter(a).unwrap());
    let mut of_a: Vec<Place> = (0..3).map(|_| q.enter(a).unwrap()).collect();
    assert!(q.enter(a).is_none());
    let first_b = q.enter(b).expect("b takes a place from a");
    let newest_a = of_a.pop().unwrap();
    assert!(matches!(
        newest_a.turn().now_or_never(),
        Some(Err(PlaceLost))
    ));
    assert_eq!((q.in_flight(a), q.in_flight(b)), (3, 1));
    let second_b = q.enter(b).expect("a still holds two more than b");
    assert_eq!((q.in_flight(a), q.in_flight(b)), (2, 2));
    assert!(q.enter(b).is_none(), "even now: nobody holds more than b");
    // The running check was never at risk, and the queue runs on.
    drop(running);
    drop((of_a, first_b, second_b));
    assert_eq!((q.in_flight(a), q.in_flight(b)), (0, 0));
    assert_eq!(q.state().running, 0);
}

#[test]
fn a_place_given_up_unused_passes_its_worker_on() {
    let q = queue(1, 4, 4);
    let t = TenantId::generate();
    let running = granted(q.enter(t).unwrap());
    let next = q.enter(t).unwrap();
    let last = q.enter(t).unwrap();
    drop(running);
    // `next` has the worker but never takes its turn.
    drop(next);
    let turn = granted(last);
    assert_eq!(q.in_flight(t), 1);
    drop(turn);
    let state = q.state();
    assert_eq!((state.running, state.total), (0, 0));
    assert!(state.rotation.is_empty() && state.waiting.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_and_give_ups_leave_the_queue_empty() {
    let q = queue(2, 12, 6);
    let tenants: Vec<TenantId> = (0..3).map(|_| TenantId::generate()).collect();
    let checks = (0..300).map(|i| {
        let (q, tenant) = (Arc::clone(&q), tenants[i % 3]);
        tokio::spawn(async move {
            let Some(place) = q.enter(tenant) else {
                return;
            };
            let check = async move {
                if let Ok(turn) = place.turn().await {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    drop(turn);
                }
            };
            // Every seventh caller gives up while waiting or running.
            if i % 7 == 0 {
                let _ = tokio::time::timeout(Duration::from_micros(300), check).await;
            } else {
                check.await;
            }
        })
    });
    for done in futures::future::join_all(checks).await {
        done.unwrap();
    }
    let state = q.state();
    assert_eq!((state.running, state.total), (0, 0));
    assert!(state.by_tenant.is_empty() && state.waiting.is_empty() && state.rotation.is_empty());
}
