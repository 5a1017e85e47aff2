//! The queue in front of Argon2: a password check runs on one of a few hashing workers (one
//! per core), and waits for one only if there is room to wait. The room is bounded twice — a
//! capacity of checks in flight (running or waiting) across every tenant and a smaller share
//! per tenant — so a flood of bogus sign-ins is refused at once instead of making everyone
//! wait behind it. The queue is fair between tenants in two ways:
//!
//! - a free worker takes the next waiting check of the next tenant in turn (round robin), not
//!   the oldest check overall, so a tenant's check waits behind at most one check of each
//!   other tenant, however many a flooded tenant has queued;
//! - when the queue is full, a check of a tenant with fewer checks in flight takes the place
//!   of the newest *waiting* check of the tenant with the most (which is refused as busy), so
//!   a tenant that is not flooding always finds a place while another tenant fills the queue.
//!
//! A place is taken without waiting. A check that has started is never refused: its worker is
//! held until the hash has finished, even if the request that asked for it has gone away, so
//! the count is of work the workers really have.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use keyward_core::TenantId;
use tokio::sync::oneshot;

/// How much hashing may be in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Argon2 runs at the same time (each holds 19 MiB and a core).
    pub workers: usize,
    /// Checks running or waiting, across every tenant.
    pub capacity: usize,
    /// Checks running or waiting for one tenant.
    pub per_tenant: usize,
}

impl QueueLimits {
    /// Default capacity in all: about a second of work on a small node.
    pub const DEFAULT_CAPACITY: usize = 64;
    /// Default share of one tenant: a quarter of the capacity.
    pub const DEFAULT_PER_TENANT: usize = 16;

    /// One worker per core, with `capacity` and `per_tenant` (each at least one; a tenant's
    /// share is at most the capacity).
    pub fn new(capacity: usize, per_tenant: usize) -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let capacity = capacity.max(1);
        Self {
            workers,
            capacity,
            per_tenant: per_tenant.clamp(1, capacity),
        }
    }
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_PER_TENANT)
    }
}

/// A waiting check: told its turn (or, dropped, that it lost its place) through `grant`.
#[derive(Debug)]
struct Waiter {
    id: u64,
    grant: oneshot::Sender<()>,
}

/// Everything the queue knows, under one lock.
#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Checks holding a worker.
    running: usize,
    /// Checks running or waiting, in all and per tenant.
    total: usize,
    by_tenant: HashMap<TenantId, usize>,
    /// Waiting checks per tenant, oldest first.
    waiting: HashMap<TenantId, VecDeque<Waiter>>,
    /// The tenants that have waiting checks, the one served next first.
    rotation: VecDeque<TenantId>,
}

impl State {
    fn count(&self, tenant: TenantId) -> usize {
        self.by_tenant.get(&tenant).copied().unwrap_or(0)
    }

    fn add(&mut self, tenant: TenantId) {
        self.total += 1;
        *self.by_tenant.entry(tenant).or_insert(0) += 1;
    }

    fn remove(&mut self, tenant: TenantId) {
        self.total = self.total.saturating_sub(1);
        if let Some(mine) = self.by_tenant.get_mut(&tenant) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                self.by_tenant.remove(&tenant);
            }
        }
    }

    fn forget_if_idle(&mut self, tenant: TenantId) {
        if self.waiting.get(&tenant).is_some_and(VecDeque::is_empty) {
            self.waiting.remove(&tenant);
            self.rotation.retain(|t| *t != tenant);
        }
    }

    /// Makes room for a check of `tenant` in a full queue: the newest waiting check of the
    /// tenant with the most in flight loses its place, if that tenant has at least two more
    /// than `tenant` (so that the exchange evens them out rather than swapping them).
    fn make_room_for(&mut self, tenant: TenantId) -> bool {
        let mine = self.count(tenant);
        let busiest = self
            .waiting
            .keys()
            .copied()
            .max_by_key(|t| self.count(*t))
            .filter(|t| self.count(*t) > mine + 1);
        let Some(busiest) = busiest else {
            return false;
        };
        // Dropping its sender tells the waiter it lost its place.
        let evicted = self.waiting.get_mut(&busiest).and_then(VecDeque::pop_back);
        self.forget_if_idle(busiest);
        if evicted.is_none() {
            return false;
        }
        self.remove(busiest);
        true
    }

    /// The next waiting check, taking the tenants in turn.
    fn next_waiter(&mut self) -> Option<(TenantId, Waiter)> {
        let tenant = self.rotation.pop_front()?;
        let queue = self.waiting.get_mut(&tenant)?;
        let waiter = queue.pop_front()?;
        if queue.is_empty() {
            self.waiting.remove(&tenant);
        } else {
            self.rotation.push_back(tenant);
        }
        Some((tenant, waiter))
    }
}

/// The bounded, per-tenant-fair queue of password checks. Shared by everything that checks
/// passwords on a node (the password grant and the sign-in page).
#[derive(Debug)]
pub struct HashingQueue {
    limits: QueueLimits,
    state: Mutex<State>,
}

/// A place in the queue for one check of one tenant; given back when dropped.
#[derive(Debug)]
pub struct Place {
    queue: Arc<HashingQueue>,
    tenant: TenantId,
    id: u64,
    /// `None` once the turn was taken or the place lost.
    granted: Option<oneshot::Receiver<()>>,
}

/// A check's turn on a worker; given back when dropped.
#[derive(Debug)]
pub struct Turn {
    queue: Arc<HashingQueue>,
    tenant: TenantId,
}

/// The place was given to a check of a tenant with fewer in flight before its turn came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the place in the hashing queue went to another tenant's check")]
pub struct PlaceLost;

impl HashingQueue {
    pub fn new(limits: QueueLimits) -> Arc<Self> {
        Arc::new(Self {
            limits: QueueLimits {
                workers: limits.workers.max(1),
                ..limits
            },
            state: Mutex::new(State::default()),
        })
    }

    pub fn limits(&self) -> QueueLimits {
        self.limits
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change keeps the counts consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a check of `tenant`, or `None` at once when the tenant's share is full, or
    /// the queue is full and no tenant holds more of it than `tenant` does.
    pub fn enter(self: &Arc<Self>, tenant: TenantId) -> Option<Place> {
        let mut guard = self.state();
        let state = &mut *guard;
        if state.count(tenant) >= self.limits.per_tenant {
            return None;
        }
        if state.total >= self.limits.capacity && !state.make_room_for(tenant) {
            return None;
        }
        state.add(tenant);
        let id = state.next_id;
        state.next_id += 1;
        let (grant, granted) = oneshot::channel();
        if state.running < self.limits.workers {
            // A worker is free, so nobody waits: the turn is this check's at once.
            state.running += 1;
            let _ = grant.send(());
        } else {
            let queue = state.waiting.entry(tenant).or_default();
            if queue.is_empty() {
                state.rotation.push_back(tenant);
            }
            queue.push_back(Waiter { id, grant });
        }
        Some(Place {
            queue: Arc::clone(self),
            tenant,
            id,
            granted: Some(granted),
        })
    }

    /// Checks in flight for `tenant` (running or waiting).
    pub fn in_flight(&self, tenant: TenantId) -> usize {
        self.state().count(tenant)
    }

    /// A turn has ended: its worker goes to the next waiting check.
    fn finish(&self, state: &mut State, tenant: TenantId) {
        state.running = state.running.saturating_sub(1);
        state.remove(tenant);
        while state.running < self.limits.workers {
            let Some((next, waiter)) = state.next_waiter() else {
                break;
            };
            state.running += 1;
            if waiter.grant.send(()).is_err() {
                // Its place was already dropped (it removes itself first; kept for safety).
                state.running -= 1;
                state.remove(next);
            }
        }
    }
}

impl Place {
    /// Waits for a worker. The wait is bounded by the queue: at most `capacity` checks are
    /// ahead, and at most one of each other tenant comes before each of this tenant's.
    pub async fn turn(mut self) -> Result<Turn, PlaceLost> {
        let Some(granted) = self.granted.as_mut() else {
            return Err(PlaceLost);
        };
        let outcome = granted.await;
        self.granted = None;
        match outcome {
            Ok(()) => Ok(Turn {
                queue: Arc::clone(&self.queue),
                tenant: self.tenant,
            }),
            // The evicting check already took this place out of the counts.
            Err(_) => Err(PlaceLost),
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let Some(mut granted) = self.granted.take() else {
            return;
        };
        let mut state = self.queue.state();
        // Turns are granted under the lock, so what the channel says now is final.
        match granted.try_recv() {
            // Given a worker it never used: pass it on.
            Ok(()) => self.queue.finish(&mut state, self.tenant),
            Err(oneshot::error::TryRecvError::Empty) => {
                if let Some(queue) = state.waiting.get_mut(&self.tenant) {
                    queue.retain(|w| w.id != self.id);
                }
                state.forget_if_idle(self.tenant);
                state.remove(self.tenant);
            }
            // Lost to another tenant's check, which took it out of the counts.
            Err(oneshot::error::TryRecvError::Closed) => {}
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.queue.state();
        self.queue.finish(&mut state, self.tenant);
    }
}

#[cfg(test)]
#[path = "hashing_queue_tests.rs"]
mod tests;
