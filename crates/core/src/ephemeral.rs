//! The ephemeral-state ports, one per concept: short-lived values with TTL and atomic
//! single-use take ([`ShortLivedValues`]), windowed counters ([`Counters`]), revoked-id sets
//! ([`RevokedSets`]), cross-node messages ([`Broadcast`]) and the backend's health
//! ([`CacheHealth`]). keyward-cache implements all of them in memory (one node) and on Redis
//! (any number of nodes); [`EphemeralStore`] is all of them at once.

use std::any::Any;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

/// What the ephemeral store can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// The backend (Redis) could not be reached or failed; the message is for logs.
    #[error("cache backend: {0}")]
    Unavailable(String),
}

/// A stream of invalidation messages published on one channel, from every node.
pub type Invalidations = BoxStream<'static, String>;

/// The invalidation channels of what nodes cache in process, and their messages, named in
/// one place for those who publish (the admin use-cases, the CLI) and those who listen (the
/// server). keyward-authz names its own `POLICY_CHANNEL`.
pub mod channel {
    use crate::{ClientId, TenantId};

    /// A tenant changed; the message is its id.
    pub const TENANTS: &str = "invalidate:tenants";
    /// A client changed; the message is [`client_message`].
    pub const CLIENTS: &str = "invalidate:clients";
    /// A tenant's signing keys changed; the message is its id.
    pub const KEYS: &str = "invalidate:keys";

    /// `{tenant_id}:{client_id}`.
    pub fn client_message(tenant: TenantId, client: &ClientId) -> String {
        format!("{tenant}:{client}")
    }
}

/// Short-lived values under a key, with a TTL: interactions, codes, sessions, replay marks.
///
/// Contract (checked by keyward-testkit's cache suite against every implementation):
/// - a value is gone after its TTL; `take` returns it at most once, even under concurrency;
/// - `put_if_absent` succeeds for exactly one of several concurrent callers;
/// - `put_if_present` never brings back a value that was taken, deleted or expired, even when
///   it races the `take`;
/// - `compare_and_swap` changes a key only from the state its caller read, so read-modify-write
///   loops lose no concurrent update.
#[async_trait]
pub trait ShortLivedValues: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), EphemeralError>;
    /// Stores `value` only if `key` is absent; true if this call stored it (replay caches).
    async fn put_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    /// Replaces the value under `key` (and its TTL) only if `key` holds a live value; true if
    /// this call stored it. For refreshing a record that a concurrent `take` or `delete` may
    /// have ended: an ended record stays ended (Redis `SET .. XX`).
    async fn put_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    /// Atomically moves `key` from the state `current` (`None`: absent or expired) to `new`
    /// (`None`: deleted; otherwise stored for `ttl`), only if the key is still in state
    /// `current`; true if this call changed it. A caller that loses reads again and retries.
    async fn compare_and_swap(
        &self,
        key: &str,
        current: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Atomically reads and deletes (GETDEL): of several concurrent takers, one wins.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Deletes the value under `key`; true if it existed.
    async fn delete(&self, key: &str) -> Result<bool, EphemeralError>;
}

/// Windowed counters: rate limits and throttles.
///
/// Contract: `incr` counts within a window that starts at the first increment; `decr` takes
/// one back without moving the window, never below zero and never bringing back an ended
/// counter; `reset` ends a counter; concurrent increments and decrements are all counted.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Increments the counter `key` and returns the new count; the first increment starts a
    /// window of `window`, after which the counter starts again from zero (rate limits).
    async fn incr(&self, key: &str, window: Duration) -> Result<u64, EphemeralError>;
    /// Takes one back from the counter `key` — a reservation made with `incr` that turned out
    /// not to count (increment-then-check throttles) — atomically, never below zero and
    /// without moving its window; a missing or expired counter stays missing.
    async fn decr(&self, key: &str) -> Result<(), EphemeralError>;
    /// Ends the counter `key` at once (a success clears its failures); true if it existed.
    async fn reset(&self, key: &str) -> Result<bool, EphemeralError>;
}

/// Sets of revoked ids (access tokens by `jti`), checked on every protected request.
///
/// Contract: a revoked id stays revoked until its TTL, then is forgotten.
#[async_trait]
pub trait RevokedSets: Send + Sync {
    /// Adds `id` to the revoked set `set` until `ttl` has passed.
    async fn revoke(&self, set: &str, id: &str, ttl: Duration) -> Result<(), EphemeralError>;
    async fn is_revoked(&self, set: &str, id: &str) -> Result<bool, EphemeralError>;
}

/// Messages to every node: cache invalidations and policy reloads.
///
/// Contract: a message published on a channel reaches every subscriber of that channel,
/// including the publishing node's own, and a subscriber receives only later messages.
#[async_trait]
pub trait Broadcast: Send + Sync {
    /// Sends `message` to every subscriber of `channel` on every node.
    async fn publish(&self, channel: &str, message: &str) -> Result<(), EphemeralError>;
    /// Receives the messages published on `channel` from now on.
    async fn subscribe(&self, channel: &str) -> Result<Invalidations, EphemeralError>;
}

/// Whether the backend answers (readiness).
#[async_trait]
pub trait CacheHealth: Send + Sync {
    /// Answers when the backend is reachable.
    async fn ping(&self) -> Result<(), EphemeralError>;
}

/// Ephemeral, TTL-bound state shared by every node: every concept at once, as a backend
/// (keyward-cache's memory and Redis stores) provides it. A component that needs one concept
/// takes that port alone (`Arc<dyn Counters>`, `&dyn Broadcast`, ...); an
/// `Arc<dyn EphemeralStore>` converts to any of them.
///
/// `Any` lets a test reach the concrete store behind an `Arc<dyn EphemeralStore>` (to inspect
/// what is held); production code never downcasts.
pub trait EphemeralStore:
    ShortLivedValues + Counters + RevokedSets + Broadcast + CacheHealth + Any
{
}

impl<T> EphemeralStore for T where
    T: ShortLivedValues + Counters + RevokedSets + Broadcast + CacheHealth + Any
{
}
