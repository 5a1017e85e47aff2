//! The ephemeral-state ports, one per concept: short-lived values with TTL and atomic
//! single-use take ([`ShortLivedValues`]), windowed counters ([`Counters`]), revoked-id sets
//! ([`RevokedSets`]), cross-node messages ([`Broadcast`]) and the backend's health
//! ([`CacheHealth`]). keyward-cache implements all of them in memory (one node) and on Redis
//! (any number of nodes); [`EphemeralStore`] is all of them at once.

use std::any::Any;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::TenantId;

/// What the ephemeral store can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// The backend (Redis) could not be reached or failed; the message is for logs.
    #[error("cache backend: {0}")]
    Unavailable(String),
}

/// A stream of invalidation messages published on one channel, from every node.
pub type Invalidations = BoxStream<'static, String>;

/// The cross-node channels, named in one place for those who publish (the admin use-cases,
/// the CLI) and those who listen (the server). A channel is the platform's: its messages say
/// which tenant (and client) changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A tenant changed; the message is its id.
    Tenants,
    /// A client changed; the message is [`channel::client_message`].
    Clients,
    /// A tenant's signing keys changed; the message is its id.
    Keys,
    /// The authorization policy changed; every node reloads it (keyward-authz).
    Policy,
}

impl Channel {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tenants => "invalidate:tenants",
            Self::Clients => "invalidate:clients",
            Self::Keys => "invalidate:keys",
            Self::Policy => "invalidate:policy",
        }
    }
}

/// The messages of the invalidation channels.
pub mod channel {
    use crate::{ClientId, TenantId};

    /// `{tenant_id}:{client_id}`, on [`super::Channel::Clients`].
    pub fn client_message(tenant: TenantId, client: &ClientId) -> String {
        format!("{tenant}:{client}")
    }
}

/// Whose a piece of ephemeral state is: one tenant's, or the platform's — state no tenant
/// owns, such as the admin API's rate limits (its callers act across tenants) and the resync
/// marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Tenant(TenantId),
    Platform,
}

impl From<TenantId> for Owner {
    fn from(tenant: TenantId) -> Self {
        Self::Tenant(tenant)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tenant(tenant) => write!(f, "{tenant}"),
            Self::Platform => f.write_str("platform"),
        }
    }
}

/// Every kind of short-lived value the platform keeps, in one list, so that no two
/// components can write under each other's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A pending authorization request between `/authorize` and the hosted pages, by
    /// interaction id.
    Interaction,
    /// An authorization code not yet redeemed, by code hash.
    AuthorizationCode,
    /// An issued code's use record (what its redemption issued), by code hash.
    CodeUse,
    /// The mark of a code redeemed twice (what the first use issued is revoked), by code hash.
    CodeReplayed,
    /// A client assertion already used (RFC 7523 §3 replay), by `{client_id}:{jti}`.
    ClientAssertion,
    /// A pending device authorization, by device-code hash.
    DeviceRequest,
    /// The person's decision on a device authorization, by device-code hash.
    DeviceDecision,
    /// The last poll of a device code (`slow_down`), by device-code hash.
    DevicePace,
    /// The device-code hash a user code points to, by user code.
    DeviceUserCode,
    /// A browser's SSO session, by session-id hash.
    Session,
    /// The clients a session signed in to (front- and back-channel logout), by session-id hash.
    SessionClients,
    /// A user's browser sessions, by user id.
    UserSessions,
    /// Present while the revoked sets hold every live revocation of the database (resync).
    RevocationsRefilled,
    /// A sign-in sent to an upstream identity provider and not yet back, by its `state`
    /// (keyward-federation).
    UpstreamLogin,
}

impl ValueKind {
    const fn name(self) -> &'static str {
        match self {
            Self::Interaction => "interaction",
            Self::AuthorizationCode => "code",
            Self::CodeUse => "code-used",
            Self::CodeReplayed => "code-replayed",
            Self::ClientAssertion => "client_assertion",
            Self::DeviceRequest => "device",
            Self::DeviceDecision => "device_decision",
            Self::DevicePace => "device_pace",
            Self::DeviceUserCode => "device_user_code",
            Self::Session => "session",
            Self::SessionClients => "session_clients",
            Self::UserSessions => "user_browser_sessions",
            Self::RevocationsRefilled => "revocations_refilled",
            Self::UpstreamLogin => "upstream_login",
        }
    }
}

/// Every kind of windowed counter, in one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterKind {
    /// Authorization requests started, by client address bucket.
    InteractionsStarted,
    /// Failed sign-ins, by username as typed (lower-cased).
    LoginFailuresByUser,
    /// Failed sign-ins, by client address.
    LoginFailuresByAddress,
    /// User-code lookups on the device page, by client address.
    DeviceLookups,
    /// Admin API requests, by the caller's policy subject (owned by the platform).
    AdminRequests,
}

impl CounterKind {
    const fn name(self) -> &'static str {
        match self {
            Self::InteractionsStarted => "interactions_started",
            Self::LoginFailuresByUser => "login_failures:user",
            Self::LoginFailuresByAddress => "login_failures:ip",
            Self::DeviceLookups => "device_lookups",
            Self::AdminRequests => "ratelimit:admin",
        }
    }
}

/// The key of a short-lived value: `{kind}:{owner}:{id}`. Built only by [`ValueKey::new`], so
/// every key says what it holds and whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValueKey(String);

impl ValueKey {
    pub fn new(kind: ValueKind, owner: impl Into<Owner>, id: impl fmt::Display) -> Self {
        Self(format!("{}:{}:{id}", kind.name(), owner.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of a counter: `{kind}:{owner}:{id}`, built only by [`CounterKey::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CounterKey(String);

impl CounterKey {
    pub fn new(kind: CounterKind, owner: impl Into<Owner>, id: impl fmt::Display) -> Self {
        Self(format!("{}:{}:{id}", kind.name(), owner.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of revoked ids; one per tenant and kind of id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RevokedSet(String);

impl RevokedSet {
    /// A tenant's revoked access tokens, by `jti`.
    pub fn access_tokens(tenant: TenantId) -> Self {
        Self(format!("access_token:{tenant}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    async fn put(&self, key: &ValueKey, value: &[u8], ttl: Duration) -> Result<(), EphemeralError>;
    /// Stores `value` only if `key` is absent; true if this call stored it (replay caches).
    async fn put_if_absent(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    /// Replaces the value under `key` (and its TTL) only if `key` holds a live value; true if
    /// this call stored it. For refreshing a record that a concurrent `take` or `delete` may
    /// have ended: an ended record stays ended (Redis `SET .. XX`).
    async fn put_if_present(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    /// Atomically moves `key` from the state `current` (`None`: absent or expired) to `new`
    /// (`None`: deleted; otherwise stored for `ttl`), only if the key is still in state
    /// `current`; true if this call changed it. A caller that loses reads again and retries.
    async fn compare_and_swap(
        &self,
        key: &ValueKey,
        current: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl: Duration,
    ) -> Result<bool, EphemeralError>;
    async fn get(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Atomically reads and deletes (GETDEL): of several concurrent takers, one wins.
    async fn take(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Deletes the value under `key`; true if it existed.
    async fn delete(&self, key: &ValueKey) -> Result<bool, EphemeralError>;
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
    async fn incr(&self, key: &CounterKey, window: Duration) -> Result<u64, EphemeralError>;
    /// Takes one back from the counter `key` — a reservation made with `incr` that turned out
    /// not to count (increment-then-check throttles) — atomically, never below zero and
    /// without moving its window; a missing or expired counter stays missing.
    async fn decr(&self, key: &CounterKey) -> Result<(), EphemeralError>;
    /// Ends the counter `key` at once (a success clears its failures); true if it existed.
    async fn reset(&self, key: &CounterKey) -> Result<bool, EphemeralError>;
}

/// Sets of revoked ids (access tokens by `jti`), checked on every protected request.
///
/// Contract: a revoked id stays revoked until its TTL, then is forgotten.
#[async_trait]
pub trait RevokedSets: Send + Sync {
    /// Adds `id` to the revoked set `set` until `ttl` has passed.
    async fn revoke(&self, set: &RevokedSet, id: &str, ttl: Duration)
    -> Result<(), EphemeralError>;
    async fn is_revoked(&self, set: &RevokedSet, id: &str) -> Result<bool, EphemeralError>;
}

/// Messages to every node: cache invalidations and policy reloads.
///
/// Contract: a message published on a channel reaches every subscriber of that channel,
/// including the publishing node's own, and a subscriber receives only later messages.
#[async_trait]
pub trait Broadcast: Send + Sync {
    /// Sends `message` to every subscriber of `channel` on every node.
    async fn publish(&self, channel: Channel, message: &str) -> Result<(), EphemeralError>;
    /// Receives the messages published on `channel` from now on.
    async fn subscribe(&self, channel: Channel) -> Result<Invalidations, EphemeralError>;
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
