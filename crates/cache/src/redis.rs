//! `RedisStore`: the ephemeral store shared by every node that talks to the same Redis.
//!
//! Key layout under the store's prefix `P`: values and counters at `P` + `kv:` + key (one key
//! space, as in memory, so `delete` resets a counter), revoked ids at `P` + `revoked:` + set +
//! `:` + id, and pub/sub channels at `P` + `ch:` + channel.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use keyward_core::{
    Broadcast, CacheHealth, Channel, CounterKey, Counters, EphemeralError, Invalidations,
    RevokedSet, RevokedSets, ShortLivedValues, ValueKey,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script, Value};

use crate::clamp_ttl;
use crate::redis_subscription;

/// How long connecting to Redis may take before `connect` gives up.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

/// How many keys one SCAN step of `purge_prefix` asks for.
const SCAN_BATCH: usize = 500;

/// INCR, and start the window only on the first increment — atomically, so that a crash or a
/// concurrent caller can never leave a counter without an expiry.
const INCR_IN_WINDOW: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
";

/// DECR only a live counter above zero: a plain DECR would create a missing key at -1 with no
/// expiry. DECR keeps the key's TTL, so the window does not move.
const DECR_IF_POSITIVE: &str = r"
local found = redis.call('GET', KEYS[1])
if found and tonumber(found) and tonumber(found) > 0 then
    redis.call('DECR', KEYS[1])
end
return 0
";

/// Compare-and-swap: KEYS[1] moves from the state ARGV[1] (`1`: holding exactly ARGV[2],
/// `0`: absent) to ARGV[3] (`1`: ARGV[4] for ARGV[5] ms, `0`: deleted), only if it is still in
/// that state. A script runs atomically, so no other command lands between the check and the
/// write (WATCH would need a connection of its own).
const COMPARE_AND_SWAP: &str = r"
local found = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
    if found ~= ARGV[2] then
        return 0
    end
elseif found then
    return 0
end
if ARGV[3] == '1' then
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
    redis.call('DEL', KEYS[1])
end
return 1
";

/// Ephemeral state on Redis (≥ 6.2 for GETDEL). Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisStore {
    client: Client,
    commands: ConnectionManager,
    prefix: Arc<str>,
    incr_in_window: Arc<Script>,
    decr_if_positive: Arc<Script>,
    compare_and_swap: Arc<Script>,
    /// Subscriptions hold a weak reference: they stop reconnecting once every clone is gone.
    alive: Arc<()>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` and namespaces every key and channel under `prefix`
    /// (`"keyward:"` in production). Fails within a few seconds, naming the URL without its
    /// password, when Redis cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, EphemeralError> {
        let shown = redacted(url);
        let client = Client::open(url)
            .map_err(|e| EphemeralError::Unavailable(format!("invalid Redis URL {shown}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1);
        let commands = tokio::time::timeout(
            CONNECT_TIMEOUT,
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| {
            EphemeralError::Unavailable(format!(
                "Redis at {shown} did not answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| {
            EphemeralError::Unavailable(format!("cannot connect to Redis at {shown}: {e}"))
        })?;
        Ok(Self {
            client,
            commands,
            prefix: Arc::from(prefix),
            incr_in_window: Arc::new(Script::new(INCR_IN_WINDOW)),
            decr_if_positive: Arc::new(Script::new(DECR_IF_POSITIVE)),
            compare_and_swap: Arc::new(Script::new(COMPARE_AND_SWAP)),
            alive: Arc::new(()),
        })
    }

    /// The prefix every key and channel of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Deletes every key under this store's prefix (SCAN + DEL), for test clean-up. Not atomic:
    /// keys written meanwhile may survive.
    pub async fn purge_prefix(&self) -> Result<u64, EphemeralError> {
        let pattern = format!("{}*", glob_escaped(&self.prefix));
        let mut conn = self.commands.clone();
        let mut cursor: u64 = 0;
        let mut deleted: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            if !keys.is_empty() {
                let removed: u64 = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
                deleted += removed;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// Every key under this store's prefix with its value (SCAN + GET), for tests that check
    /// what is (not) stored. Not atomic, and costly on a large Redis: never on a request path.
    pub async fn entries(&self) -> Result<Vec<(String, Vec<u8>)>, EphemeralError> {
        let pattern = format!("{}*", glob_escaped(&self.prefix));
        let mut conn = self.commands.clone();
        let mut cursor: u64 = 0;
        let mut entries = Vec::new();
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            for key in keys {
                let value: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
                if let Some(value) = value {
                    entries.push((key, value));
                }
            }
            if next == 0 {
                return Ok(entries);
            }
            cursor = next;
        }
    }

    fn value_key(&self, key: &str) -> String {
        format!("{}kv:{key}", self.prefix)
    }

    fn revoked_key(&self, set: &str, id: &str) -> String {
        format!("{}revoked:{set}:{id}", self.prefix)
    }

    fn channel(&self, channel: &str) -> String {
        format!("{}ch:{channel}", self.prefix)
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, EphemeralError> {
        let mut conn = self.commands.clone();
        command.query_async(&mut conn).await.map_err(unavailable)
    }
}

/// A TTL in whole milliseconds, at least one: Redis rejects a zero expiry.
fn millis(ttl: Duration) -> u64 {
    u64::try_from(clamp_ttl(ttl).as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

pub(crate) fn unavailable(error: RedisError) -> EphemeralError {
    EphemeralError::Unavailable(error.to_string())
}

#[async_trait]
impl ShortLivedValues for RedisStore {
    async fn put(&self, key: &ValueKey, value: &[u8], ttl: Duration) -> Result<(), EphemeralError> {
        let key = key.as_str();
        let mut set = redis::cmd("SET");
        set.arg(self.value_key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl));
        self.query::<()>(&set).await
    }
    async fn put_if_absent(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let mut set = redis::cmd("SET");
        set.arg(self.value_key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl));
        // SET NX answers OK when it stored the value and nil when the key was taken.
        let reply: Value = self.query(&set).await?;
        Ok(!matches!(reply, Value::Nil))
    }
    async fn put_if_present(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let mut set = redis::cmd("SET");
        set.arg(self.value_key(key))
            .arg(value)
            .arg("XX")
            .arg("PX")
            .arg(millis(ttl));
        // SET XX answers OK when it replaced a value and nil when the key was absent.
        let reply: Value = self.query(&set).await?;
        Ok(!matches!(reply, Value::Nil))
    }
    async fn compare_and_swap(
        &self,
        key: &ValueKey,
        current: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let flag = |present: bool| if present { "1" } else { "0" };
        let mut conn = self.commands.clone();
        let swapped: u64 = self
            .compare_and_swap
            .key(self.value_key(key))
            .arg(flag(current.is_some()))
            .arg(current.unwrap_or_default())
            .arg(flag(new.is_some()))
            .arg(new.unwrap_or_default())
            .arg(millis(ttl))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(swapped == 1)
    }
    async fn get(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        self.query(redis::cmd("GET").arg(self.value_key(key))).await
    }
    async fn take(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        self.query(redis::cmd("GETDEL").arg(self.value_key(key)))
            .await
    }
    async fn delete(&self, key: &ValueKey) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let removed: u64 = self
            .query(redis::cmd("DEL").arg(self.value_key(key)))
            .await?;
        Ok(removed > 0)
    }
}

#[async_trait]
impl Counters for RedisStore {
    async fn incr(&self, key: &CounterKey, window: Duration) -> Result<u64, EphemeralError> {
        let key = key.as_str();
        let mut conn = self.commands.clone();
        self.incr_in_window
            .key(self.value_key(key))
            .arg(millis(window))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }
    async fn decr(&self, key: &CounterKey) -> Result<(), EphemeralError> {
        let key = key.as_str();
        let mut conn = self.commands.clone();
        self.decr_if_positive
            .key(self.value_key(key))
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
    async fn reset(&self, key: &CounterKey) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let removed: u64 = self
            .query(redis::cmd("DEL").arg(self.value_key(key)))
            .await?;
        Ok(removed > 0)
    }
}

#[async_trait]
impl RevokedSets for RedisStore {
    async fn revoke(
        &self,
        set: &RevokedSet,
        id: &str,
        ttl: Duration,
    ) -> Result<(), EphemeralError> {
        let set = set.as_str();
        let mut command = redis::cmd("SET");
        command
            .arg(self.revoked_key(set, id))
            .arg(1)
            .arg("PX")
            .arg(millis(ttl));
        self.query::<()>(&command).await
    }
    async fn is_revoked(&self, set: &RevokedSet, id: &str) -> Result<bool, EphemeralError> {
        let set = set.as_str();
        let found: u64 = self
            .query(redis::cmd("EXISTS").arg(self.revoked_key(set, id)))
            .await?;
        Ok(found > 0)
    }
}

#[async_trait]
impl Broadcast for RedisStore {
    async fn publish(&self, channel: Channel, message: &str) -> Result<(), EphemeralError> {
        let channel = channel.name();
        self.query::<()>(
            redis::cmd("PUBLISH")
                .arg(self.channel(channel))
                .arg(message),
        )
        .await
    }
    async fn subscribe(&self, channel: Channel) -> Result<Invalidations, EphemeralError> {
        let channel = channel.name();
        redis_subscription::subscribe(
            self.client.clone(),
            self.channel(channel),
            Arc::downgrade(&self.alive),
        )
        .await
    }
}

#[async_trait]
impl CacheHealth for RedisStore {
    async fn ping(&self) -> Result<(), EphemeralError> {
        self.query::<()>(&redis::cmd("PING")).await
    }
}

/// `url` fit for logs and errors: the password and the query string (which may carry one)
/// are replaced by `***`.
fn redacted(url: &str) -> String {
    let (url, had_query) = match url.split_once('?') {
        Some((before, _)) => (before, true),
        None => (url, false),
    };
    let query = if had_query { "?***" } else { "" };
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("{url}{query}");
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***"),
                // Without a colon the userinfo may be a bare password: hide it too.
                None => "***".to_owned(),
            };
            format!("{scheme}://{user}@{host}{path}{query}")
        }
        None => format!("{scheme}://{authority}{path}{query}"),
    }
}

/// `text` with Redis glob metacharacters escaped, for SCAN MATCH.
fn glob_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_url_hides_password_and_query() {
        assert_eq!(
            redacted("redis://user:s3cret@cache:6379/0"),
            "redis://user:***@cache:6379/0"
        );
        assert_eq!(redacted("rediss://:s3cret@cache"), "rediss://:***@cache");
        assert_eq!(redacted("redis://s3cret@cache"), "redis://***@cache");
        assert_eq!(
            redacted("redis+unix:///run/redis.sock?pass=s3cret"),
            "redis+unix:///run/redis.sock?***"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn zero_ttl_becomes_one_millisecond() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_micros(1500)), 1);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
    }

    #[test]
    fn glob_metacharacters_in_prefix_are_escaped() {
        assert_eq!(glob_escaped("kw:[a]*?\\"), "kw:\\[a\\]\\*\\?\\\\");
    }

    #[tokio::test]
    async fn connect_to_unreachable_redis_fails_fast_naming_the_url() {
        let started = std::time::Instant::now();
        let result = RedisStore::connect("redis://user:s3cret@127.0.0.1:1", "t:").await;
        let Err(EphemeralError::Unavailable(message)) = result else {
            unreachable!("connecting to a closed port must fail");
        };
        assert!(
            message.contains("redis://user:***@127.0.0.1:1"),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
        assert!(started.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(1));
    }
}
