//! The `JwksFetcher` port over the guarded outbound client: fetches a private_key_jwt
//! client's `jwks_uri` and remembers the answer, good or bad, so that anonymous token requests
//! naming the client cannot make Keyward fetch on each of them:
//! - a JWK Set is kept for [`TTL`];
//! - a failure (refused address, timeout, error status, oversized or malformed body) is kept
//!   for [`FAILURE_TTL`] and answered from memory meanwhile;
//! - concurrent requests for the same URI wait for one fetch instead of making their own.
//!
//! Each client has one `jwks_uri`, so this bounds the fetches a client can cause to one per
//! [`FAILURE_TTL`] while it fails and one per [`TTL`] while it works.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use keyward_oauth::client_authentication::{JwksFetchError, JwksFetcher};
use serde_json::Value;

use crate::serve::outbound::OutboundHttp;

pub const TTL: Duration = Duration::from_secs(300);
pub const FAILURE_TTL: Duration = Duration::from_secs(60);
const MAX_BYTES: usize = 64 * 1024;
/// URIs remembered at once; beyond it, expired entries are dropped, then everything.
const MAX_ENTRIES: usize = 10_000;

type Outcome = Result<Arc<Value>, String>;

struct Entry {
    at: Instant,
    outcome: Outcome,
}

impl Entry {
    fn fresh(&self, now: Instant) -> bool {
        let ttl = if self.outcome.is_ok() {
            TTL
        } else {
            FAILURE_TTL
        };
        now.duration_since(self.at) < ttl
    }
}

pub struct HttpJwksFetcher {
    http: OutboundHttp,
    remembered: Mutex<HashMap<String, Entry>>,
    /// One lock per URI being fetched, so a burst makes one request.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl HttpJwksFetcher {
    pub fn new(http: OutboundHttp) -> Self {
        Self {
            http,
            remembered: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    fn remembered(&self, uri: &str, now: Instant) -> Option<Outcome> {
        let map = self.remembered.lock().ok()?;
        map.get(uri)
            .filter(|e| e.fresh(now))
            .map(|e| e.outcome.clone())
    }

    fn remember(&self, uri: &str, outcome: Outcome) {
        let Ok(mut map) = self.remembered.lock() else {
            return;
        };
        if map.len() >= MAX_ENTRIES {
            let now = Instant::now();
            map.retain(|_, e| e.fresh(now));
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            uri.to_owned(),
            Entry {
                at: Instant::now(),
                outcome,
            },
        );
    }

    fn lock_for(&self, uri: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.in_flight.lock() {
            Ok(mut map) => map.entry(uri.to_owned()).or_default().clone(),
            // A poisoned map only loses the coalescing, never the fetch.
            Err(_) => Arc::default(),
        }
    }

    fn release(&self, uri: &str, lock: &Arc<tokio::sync::Mutex<()>>) {
        if let Ok(mut map) = self.in_flight.lock()
            && Arc::strong_count(lock) <= 2
        {
            map.remove(uri);
        }
    }

    async fn download(&self, uri: &str) -> Outcome {
        let body = self
            .http
            .get(uri, MAX_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        let set: Value = serde_json::from_slice(&body).map_err(|e| format!("{uri}: {e}"))?;
        if !set.get("keys").is_some_and(Value::is_array) {
            return Err(format!("{uri}: not a JWK Set (no \"keys\" array)"));
        }
        Ok(Arc::new(set))
    }
}

#[async_trait]
impl JwksFetcher for HttpJwksFetcher {
    async fn fetch(&self, uri: &str) -> Result<Arc<Value>, JwksFetchError> {
        if let Some(outcome) = self.remembered(uri, Instant::now()) {
            return outcome.map_err(JwksFetchError);
        }
        let lock = self.lock_for(uri);
        let outcome = {
            let _one_at_a_time = lock.lock().await;
            // Another request may have fetched while this one waited.
            match self.remembered(uri, Instant::now()) {
                Some(outcome) => outcome,
                None => {
                    let outcome = self.download(uri).await;
                    self.remember(uri, outcome.clone());
                    outcome
                }
            }
        };
        self.release(uri, &lock);
        outcome.map_err(JwksFetchError)
    }
}
