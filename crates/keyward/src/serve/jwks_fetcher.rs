//! The `JwksFetcher` port over reqwest: fetches a private_key_jwt client's `jwks_uri`, bounded
//! in time and size, and keeps each set for a few minutes so the token endpoint does not fetch
//! on every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use keyward_oauth::client_authentication::{JwksFetchError, JwksFetcher};
use serde_json::Value;

const TTL: Duration = Duration::from_secs(300);
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BYTES: usize = 64 * 1024;

pub struct HttpJwksFetcher {
    http: reqwest::Client,
    cache: RwLock<HashMap<String, (Instant, Arc<Value>)>>,
}

impl HttpJwksFetcher {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            cache: RwLock::new(HashMap::new()),
        })
    }
}

/// https, or http to a loopback host (local development).
fn allowed(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => {
            matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        }
        _ => false,
    }
}

#[async_trait]
impl JwksFetcher for HttpJwksFetcher {
    async fn fetch(&self, uri: &str) -> Result<Arc<Value>, JwksFetchError> {
        let now = Instant::now();
        if let Some((at, set)) = self.cache.read().ok().and_then(|c| c.get(uri).cloned())
            && now.duration_since(at) < TTL
        {
            return Ok(set);
        }
        if !allowed(uri) {
            return Err(JwksFetchError(format!("{uri} is not an https URL")));
        }
        let fail = |e: reqwest::Error| JwksFetchError(e.to_string());
        let mut response = self
            .http
            .get(uri)
            .send()
            .await
            .map_err(fail)?
            .error_for_status()
            .map_err(fail)?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fail)? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(JwksFetchError(format!(
                    "{uri}: JWK Set larger than {MAX_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let set: Value =
            serde_json::from_slice(&body).map_err(|e| JwksFetchError(format!("{uri}: {e}")))?;
        let set = Arc::new(set);
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(uri.to_owned(), (now, set.clone()));
        }
        Ok(set)
    }
}
