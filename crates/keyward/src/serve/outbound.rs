//! The one HTTP client for requests Keyward makes on a client's behalf (fetching its
//! `jwks_uri`, posting to its `backchannel_logout_uri`). What a tenant admin registered is
//! not trusted to point somewhere harmless, so every request is guarded:
//! - the URL must pass keyward-core's [`OutboundRule`] (https; no address literal or
//!   `localhost` naming a non-public address);
//! - every address the name resolves to is checked at connection time by the client's own
//!   resolver, so a name that resolves (or re-resolves) to loopback, private or link-local
//!   addresses is refused — the address checked is the address connected to;
//! - no proxy from the environment (a proxy would resolve the name where we cannot check it),
//!   no redirects, a connect timeout, a total timeout and a cap on the body read.
//!
//! `outbound_allow_private` (development, tests) turns the address checks and the https
//! requirement off.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::OutboundRule;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why an outbound request did not happen or failed. The text names the URL and the cause,
/// never a token or a body.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}: {1}")]
    Refused(String, keyward_core::OutboundRefusal),
    #[error("{0}: {1}")]
    Failed(String, String),
    #[error("{0}: answered {1}")]
    Status(String, reqwest::StatusCode),
    #[error("{0}: the answer is larger than {1} bytes")]
    TooLarge(String, usize),
}

/// Resolves names with the system resolver and keeps only the addresses the rule allows.
struct GuardedResolver {
    rule: OutboundRule,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rule = self.rule;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| rule.allows_address(a.ip()))
                .collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} does not resolve")
                } else {
                    format!("{host} resolves only to loopback, private or link-local addresses")
                };
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The guarded client; cheap to clone.
#[derive(Clone)]
pub struct OutboundHttp {
    http: reqwest::Client,
    rule: OutboundRule,
}

impl OutboundHttp {
    pub fn new(rule: OutboundRule) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { rule }))
            .build()?;
        Ok(Self { http, rule })
    }

    fn target(&self, uri: &str) -> Result<url::Url, OutboundError> {
        self.rule
            .check_url(uri)
            .map_err(|why| OutboundError::Refused(uri.to_owned(), why))
    }

    fn failed(uri: &str, e: &reqwest::Error) -> OutboundError {
        // `without_url` would drop the URL we name ourselves; the source says what failed.
        let mut why = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            why = format!("{why}: {s}");
            source = s.source();
        }
        OutboundError::Failed(uri.to_owned(), why)
    }

    /// GETs `uri` and answers its body, at most `max_bytes` of it; a non-2xx answer fails.
    pub async fn get(&self, uri: &str, max_bytes: usize) -> Result<Vec<u8>, OutboundError> {
        let url = self.target(uri)?;
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Self::failed(uri, &e))?;
        if !response.status().is_success() {
            return Err(OutboundError::Status(uri.to_owned(), response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Self::failed(uri, &e))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(OutboundError::TooLarge(uri.to_owned(), max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// POSTs `form` to `uri` (no caching); a non-2xx answer fails.
    pub async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Result<(), OutboundError> {
        let url = self.target(uri)?;
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .form(form)
            .send()
            .await
            .map_err(|e| Self::failed(uri, &e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(OutboundError::Status(uri.to_owned(), response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::str::FromStr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A loopback listener counting the connections it accepts.
    async fn listener() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((_socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_by_the_resolver() {
        let resolver = GuardedResolver {
            rule: OutboundRule::default(),
        };
        let refused = resolver.resolve(Name::from_str("localhost").unwrap()).await;
        let why = refused.err().unwrap().to_string();
        assert!(why.contains("loopback"), "{why}");
        let allowed = GuardedResolver {
            rule: OutboundRule::new(true),
        };
        let addrs: Vec<_> = allowed
            .resolve(Name::from_str("localhost").unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[tokio::test]
    async fn with_private_addresses_allowed_a_resolved_name_reaches_the_urls_port() {
        // The resolver answers addresses with port 0; the connection must use the URL's.
        let (port, seen) = listener().await;
        let http = OutboundHttp::new(OutboundRule::new(true)).unwrap();
        let uri = format!("http://localhost:{port}/jwks");
        let answered = http.get(&uri, 1024).await;
        assert!(
            answered.is_err(),
            "the listener never answers: {answered:?}"
        );
        assert_eq!(seen.load(Ordering::SeqCst), 1, "connected to {uri}");
    }

    #[tokio::test]
    async fn a_post_to_a_loopback_port_never_connects() {
        let (port, seen) = listener().await;
        let http = OutboundHttp::new(OutboundRule::default()).unwrap();
        for uri in [
            format!("https://localhost:{port}/bc"),
            format!("https://127.0.0.1:{port}/bc"),
            format!("http://127.0.0.1:{port}/bc"),
        ] {
            let failed = http.post_form(&uri, &[("logout_token", "t")]).await;
            assert!(
                matches!(failed, Err(OutboundError::Refused(..))),
                "{uri}: {failed:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(seen.load(Ordering::SeqCst), 0);
    }
}
