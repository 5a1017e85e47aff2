//! `MemoryStore`: the ephemeral store of a single node, kept in process memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use keyward_core::{
    Broadcast, CacheHealth, Channel, CounterKey, Counters, EphemeralError, Invalidations,
    RevokedSet, RevokedSets, ShortLivedValues, ValueKey,
};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::clamp_ttl;

/// How many messages a slow subscriber may fall behind before it misses some.
const CHANNEL_CAPACITY: usize = 1024;

/// The fewest writes between two sweeps of expired entries.
const SWEEP_MIN_WRITES: usize = 1024;

/// Ephemeral state in process memory: correct for one node only, since nothing here is seen by
/// another process. Expired entries are dropped when read and by a sweep that runs after a
/// number of writes proportional to the live entries, so memory stays bounded by what is live
/// and each write costs amortized O(1).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

#[derive(Debug, Default)]
struct State {
    /// Values and counters share one key space, as they do in Redis: `delete` resets a counter.
    values: HashMap<String, Entry>,
    /// Revoked ids by (set, id).
    revoked: HashMap<(String, String), Instant>,
    writes_since_sweep: usize,
    /// Entries left after the last sweep; the next sweep waits for at least as many writes.
    live_after_sweep: usize,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at > now
    }
}

impl State {
    /// The live entry under `key`; an expired one is removed on the way.
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.values.get(key).is_some_and(|e| !e.is_live(now)) {
            self.values.remove(key);
        }
        self.values.get_mut(key)
    }

    fn take_live(&mut self, key: &str, now: Instant) -> Option<Vec<u8>> {
        self.values
            .remove(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value)
    }

    /// Counts one write and sweeps expired entries once enough writes have happened.
    fn wrote(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= self.live_after_sweep.max(SWEEP_MIN_WRITES) {
            self.values.retain(|_, e| e.is_live(now));
            self.revoked.retain(|_, expires_at| *expires_at > now);
            self.writes_since_sweep = 0;
            self.live_after_sweep = self.values.len() + self.revoked.len();
        }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries currently held, expired or not (for tests of the sweep).
    pub fn held_entries(&self) -> usize {
        let state = self.state();
        state.values.len() + state.revoked.len()
    }

    /// Every live value and revoked id held, as (key, value) pairs — revoked ids as
    /// `revoked:{set}:{id}` with an empty value. For tests that check what is (not) stored.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let now = Instant::now();
        let state = self.state();
        let values = state
            .values
            .iter()
            .filter(|(_, e)| e.is_live(now))
            .map(|(k, e)| (k.clone(), e.value.clone()));
        let revoked = state
            .revoked
            .iter()
            .filter(|(_, expires_at)| **expires_at > now)
            .map(|((set, id), _)| (format!("revoked:{set}:{id}"), Vec::new()));
        values.chain(revoked).collect()
    }

    /// The state lock. A poisoned lock means a thread panicked while holding it; every update
    /// here is a single map operation, so the state is still consistent and is used as is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn channels(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<String>>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A counter's value: decimal text, as Redis's INCR stores it.
fn counter(key: &str, value: &[u8]) -> Result<u64, EphemeralError> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| not_a_counter(key))
}

fn not_a_counter(key: &str) -> EphemeralError {
    EphemeralError::Unavailable(format!("value at {key:?} is not a counter"))
}

fn deadline(now: Instant, ttl: Duration) -> Instant {
    now + clamp_ttl(ttl)
}

#[async_trait]
impl ShortLivedValues for MemoryStore {
    async fn put(&self, key: &ValueKey, value: &[u8], ttl: Duration) -> Result<(), EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        let entry = Entry {
            value: value.to_vec(),
            expires_at: deadline(now, ttl),
        };
        state.values.insert(key.to_owned(), entry);
        state.wrote(now);
        Ok(())
    }
    async fn put_if_absent(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        if state.live(key, now).is_some() {
            return Ok(false);
        }
        let entry = Entry {
            value: value.to_vec(),
            expires_at: deadline(now, ttl),
        };
        state.values.insert(key.to_owned(), entry);
        state.wrote(now);
        Ok(true)
    }
    async fn put_if_present(
        &self,
        key: &ValueKey,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        // Checked and written under one lock: a `take` is either before (nothing to refresh)
        // or after (it takes the refreshed value).
        let Some(entry) = state.live(key, now) else {
            return Ok(false);
        };
        entry.value = value.to_vec();
        entry.expires_at = deadline(now, ttl);
        Ok(true)
    }
    async fn compare_and_swap(
        &self,
        key: &ValueKey,
        current: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        let found = state.live(key, now).map(|e| e.value.as_slice());
        if found != current {
            return Ok(false);
        }
        match new {
            Some(value) => {
                let entry = Entry {
                    value: value.to_vec(),
                    expires_at: deadline(now, ttl),
                };
                state.values.insert(key.to_owned(), entry);
                state.wrote(now);
            }
            None => {
                state.values.remove(key);
            }
        }
        Ok(true)
    }
    async fn get(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        Ok(state.live(key, now).map(|e| e.value.clone()))
    }
    async fn take(&self, key: &ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        Ok(self.state().take_live(key, now))
    }
    async fn delete(&self, key: &ValueKey) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        Ok(self.state().take_live(key, now).is_some())
    }
}

#[async_trait]
impl Counters for MemoryStore {
    async fn incr(&self, key: &CounterKey, window: Duration) -> Result<u64, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        if let Some(entry) = state.live(key, now) {
            let count = counter(key, &entry.value)?
                .checked_add(1)
                .ok_or_else(|| not_a_counter(key))?;
            entry.value = count.to_string().into_bytes();
            return Ok(count);
        }
        let entry = Entry {
            value: b"1".to_vec(),
            expires_at: deadline(now, window),
        };
        state.values.insert(key.to_owned(), entry);
        state.wrote(now);
        Ok(1)
    }
    async fn decr(&self, key: &CounterKey) -> Result<(), EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        let mut state = self.state();
        if let Some(entry) = state.live(key, now) {
            let count = counter(key, &entry.value)?;
            entry.value = count.saturating_sub(1).to_string().into_bytes();
        }
        Ok(())
    }
    async fn reset(&self, key: &CounterKey) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let now = Instant::now();
        Ok(self.state().take_live(key, now).is_some())
    }
}

#[async_trait]
impl RevokedSets for MemoryStore {
    async fn revoke(
        &self,
        set: &RevokedSet,
        id: &str,
        ttl: Duration,
    ) -> Result<(), EphemeralError> {
        let set = set.as_str();
        let now = Instant::now();
        let mut state = self.state();
        let expires_at = deadline(now, ttl);
        state
            .revoked
            .insert((set.to_owned(), id.to_owned()), expires_at);
        state.wrote(now);
        Ok(())
    }
    async fn is_revoked(&self, set: &RevokedSet, id: &str) -> Result<bool, EphemeralError> {
        let set = set.as_str();
        let now = Instant::now();
        let mut state = self.state();
        let key = (set.to_owned(), id.to_owned());
        match state.revoked.get(&key) {
            Some(expires_at) if *expires_at > now => Ok(true),
            Some(_) => {
                state.revoked.remove(&key);
                Ok(false)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl Broadcast for MemoryStore {
    async fn publish(&self, channel: Channel, message: &str) -> Result<(), EphemeralError> {
        let channel = channel.name();
        let mut channels = self.channels();
        if let Some(sender) = channels.get(channel) {
            // An error only means nobody listens any more: forget the channel. Subscribing
            // takes the same lock, so no subscriber can slip in between.
            if sender.send(message.to_owned()).is_err() {
                channels.remove(channel);
            }
        }
        Ok(())
    }
    async fn subscribe(&self, channel: Channel) -> Result<Invalidations, EphemeralError> {
        let channel = channel.name();
        let receiver = self
            .channels()
            .entry(channel.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        let channel = channel.to_owned();
        let stream = futures::stream::unfold(receiver, move |mut receiver| {
            let channel = channel.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(message) => return Some((message, receiver)),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(%channel, missed, "invalidation subscriber fell behind");
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        });
        Ok(stream.boxed())
    }
}

#[async_trait]
impl CacheHealth for MemoryStore {
    async fn ping(&self) -> Result<(), EphemeralError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use keyward_core::{TenantId, ValueKind};

    fn key(id: &str) -> ValueKey {
        ValueKey::new(ValueKind::Session, TenantId::generate(), id)
    }

    #[tokio::test]
    async fn sweep_drops_expired_entries_nobody_reads_again() {
        let store = MemoryStore::new();
        for i in 0..SWEEP_MIN_WRITES {
            store
                .put(&key(&format!("k{i}")), b"v", Duration::from_millis(1))
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        for i in 0..SWEEP_MIN_WRITES {
            store
                .put(&key(&format!("fresh{i}")), b"v", Duration::from_secs(60))
                .await
                .unwrap();
        }
        assert!(store.held_entries() <= SWEEP_MIN_WRITES + 1);
    }

    #[tokio::test]
    async fn publish_without_subscribers_forgets_the_channel() {
        let store = MemoryStore::new();
        drop(store.subscribe(Channel::Keys).await.unwrap());
        store.publish(Channel::Keys, "m").await.unwrap();
        assert!(store.channels().is_empty());
    }
}
