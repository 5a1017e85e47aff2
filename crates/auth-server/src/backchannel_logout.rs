//! OpenID Connect Back-Channel Logout 1.0: when a browser session ends, each client that
//! received tokens in it and registered a `backchannel_logout_uri` is sent a Logout Token
//! (§2.4, minted by keyward-oauth's `logout_token`) as the form field
//! `logout_token` (§2.5). Delivery runs in the background with retries and exponential
//! backoff; a notification that still fails is logged (never the token) and counted in
//! `keyward_backchannel_logout_failures_total`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::ClientId;
use keyward_http::metrics::IntCounter;
use keyward_identity::EndedSession;
use keyward_oauth::Client;
use keyward_oauth::directory::{Directory, TenantEntry};
use keyward_oauth::keyring::KeyRing;

pub use keyward_oauth::logout_token::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP};

/// The HTTP POST of a Logout Token, implemented by the binary (reqwest, short timeout,
/// no redirects). §2.5: `application/x-www-form-urlencoded`, field `logout_token`.
#[async_trait]
pub trait BackchannelTransport: Send + Sync {
    /// Ok when the client answered 2xx; the error is a message for logs.
    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String>;
}

/// Builds and delivers Logout Tokens.
pub struct BackchannelLogout {
    transport: Arc<dyn BackchannelTransport>,
    keys: Arc<KeyRing>,
    failures: Option<IntCounter>,
    attempts: u32,
    first_delay: Duration,
}

impl std::fmt::Debug for BackchannelLogout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackchannelLogout")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl BackchannelLogout {
    /// Three attempts, 1 s then 2 s apart.
    pub fn new(transport: Arc<dyn BackchannelTransport>, keys: Arc<KeyRing>) -> Self {
        Self {
            transport,
            keys,
            failures: None,
            attempts: 3,
            first_delay: Duration::from_secs(1),
        }
    }

    /// Counts notifications that failed after every attempt.
    pub fn with_failure_counter(mut self, counter: IntCounter) -> Self {
        self.failures = Some(counter);
        self
    }

    pub fn with_retry(mut self, attempts: u32, first_delay: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.first_delay = first_delay;
        self
    }

    /// Notifies, in the background, every client of `ended` (plus `also`, the client that
    /// asked for the logout) that registered a back-channel logout URI.
    pub async fn notify(
        &self,
        directory: &Directory,
        tenant: &TenantEntry,
        ended: &EndedSession,
        also: Option<&ClientId>,
        now: DateTime<Utc>,
    ) {
        let mut clients: Vec<&ClientId> = ended.clients.iter().collect();
        if let Some(extra) = also
            && !clients.contains(&extra)
        {
            clients.push(extra);
        }
        for client_id in clients {
            let client = match directory.client(tenant.tenant.id, client_id.as_str()).await {
                Ok(Some(c)) => c,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(error = %e, client = %client_id, "back-channel logout: reading the client failed");
                    self.count_failure();
                    continue;
                }
            };
            let Some(uri) = client.settings.backchannel_logout_uri.clone() else {
                continue;
            };
            let token = match self.logout_token(tenant, &client, ended, now).await {
                Ok(t) => t,
                Err(why) => {
                    tracing::error!(error = %why, client = %client_id, "back-channel logout: minting the logout token failed");
                    self.count_failure();
                    continue;
                }
            };
            let delivery = Delivery {
                transport: Arc::clone(&self.transport),
                failures: self.failures.clone(),
                attempts: self.attempts,
                first_delay: self.first_delay,
                client: client_id.to_string(),
                uri,
                token,
            };
            tokio::spawn(delivery.run());
        }
    }

    /// The Logout Token of `ended` for `client` (keyward-oauth's `logout_token::mint`).
    pub async fn logout_token(
        &self,
        tenant: &TenantEntry,
        client: &Client,
        ended: &EndedSession,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let keys = self
            .keys
            .tenant_keys(tenant.tenant.id)
            .await
            .map_err(|e| e.to_string())?;
        keyward_oauth::logout_token::mint(
            tenant,
            client,
            &keys,
            &ended.session.sid(),
            ended.session.user_id,
            now,
        )
        .map_err(|e| e.description().to_owned())
    }

    fn count_failure(&self) {
        if let Some(c) = &self.failures {
            c.inc();
        }
    }
}

/// One Logout Token on its way to one client.
struct Delivery {
    transport: Arc<dyn BackchannelTransport>,
    failures: Option<IntCounter>,
    attempts: u32,
    first_delay: Duration,
    client: String,
    uri: String,
    token: String,
}

impl Delivery {
    async fn run(self) {
        let mut delay = self.first_delay;
        for attempt in 1..=self.attempts {
            match self.transport.post(&self.uri, &self.token).await {
                Ok(()) => {
                    tracing::debug!(client = %self.client, attempt, "back-channel logout delivered");
                    return;
                }
                Err(why) => {
                    tracing::warn!(client = %self.client, uri = %self.uri, attempt, error = %why, "back-channel logout attempt failed");
                }
            }
            if attempt < self.attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        tracing::error!(client = %self.client, uri = %self.uri, attempts = self.attempts, "back-channel logout failed; giving up");
        if let Some(c) = &self.failures {
            c.inc();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    struct Flaky {
        fail_first: u32,
        calls: AtomicU32,
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl BackchannelTransport for Flaky {
        async fn post(&self, _uri: &str, token: &str) -> Result<(), String> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.seen.lock().unwrap().push(token.to_owned());
            if n <= self.fail_first {
                Err("503".into())
            } else {
                Ok(())
            }
        }
    }

    fn delivery(transport: Arc<Flaky>, counter: IntCounter) -> Delivery {
        Delivery {
            transport,
            failures: Some(counter),
            attempts: 3,
            first_delay: Duration::from_millis(1),
            client: "c".into(),
            uri: "https://rp.test/bcl".into(),
            token: "t".into(),
        }
    }

    #[tokio::test]
    async fn delivery_retries_then_succeeds_without_counting_a_failure() {
        let flaky = Arc::new(Flaky {
            fail_first: 2,
            calls: AtomicU32::new(0),
            seen: Mutex::new(vec![]),
        });
        let counter = IntCounter::new("f", "f").unwrap();
        delivery(flaky.clone(), counter.clone()).run().await;
        assert_eq!((flaky.calls.load(Ordering::SeqCst), counter.get()), (3, 0));
    }

    #[tokio::test]
    async fn delivery_gives_up_after_three_attempts_and_counts_it() {
        let flaky = Arc::new(Flaky {
            fail_first: 10,
            calls: AtomicU32::new(0),
            seen: Mutex::new(vec![]),
        });
        let counter = IntCounter::new("f", "f").unwrap();
        delivery(flaky.clone(), counter.clone()).run().await;
        assert_eq!((flaky.calls.load(Ordering::SeqCst), counter.get()), (3, 1));
    }
}
