//! keyward-cache: the adapter for Keyward's ephemeral state — authorization codes, device
//! codes, sessions, replay caches, rate limits and revoked ids — and for cross-node
//! invalidation messages. It implements keyward-core's `EphemeralStore` port twice: in memory
//! (`MemoryStore`, the default, for a single node) and on Redis (`RedisStore`, for any number
//! of nodes sharing one Redis). It holds no business rules: what a key means, how long it
//! lives and what a message says are decided by the callers. It may depend on keyward-core and
//! redis, never on the web framework, the database or another Keyward crate.

mod memory;
mod redis;
mod redis_subscription;

use std::time::Duration;

pub use crate::memory::MemoryStore;
pub use crate::redis::RedisStore;

/// The shortest TTL either backend stores. Redis rejects a zero expiry, so a zero TTL is
/// clamped here for both backends alike: the value then lives for one millisecond.
const MIN_TTL: Duration = Duration::from_millis(1);

/// The longest TTL either backend stores (about ten years): longer ones are clamped so that
/// deadline arithmetic cannot overflow.
const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Brings `ttl` into the range both backends accept.
fn clamp_ttl(ttl: Duration) -> Duration {
    ttl.clamp(MIN_TTL, MAX_TTL)
}
