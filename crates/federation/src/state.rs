//! The sign-ins sent upstream and not yet back: what `start` remembers for `callback`.
//!
//! Each is kept under its `state` (256 random bits) for ten minutes, is taken at most once,
//! and holds what the callback must check and use: the provider it was sent to (a state
//! brought back to another provider's callback is refused — mix-up), the browser it was sent
//! from (a cookie whose hash is kept; a state brought back in another browser is refused —
//! login CSRF), the authorization interaction it resumes, the `nonce` the ID token must carry
//! and the PKCE verifier for the code exchange.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use keyward_core::secret::{constant_time_eq, try_random_token};
use keyward_core::{EphemeralError, ShortLivedValues, TenantId, ValueKey, ValueKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a person has at the upstream before the sign-in must start again.
pub const PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// What `start` remembers; read back by [`PendingLogins::finish`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub provider_id: Uuid,
    /// The authorization interaction to resume once the person is known.
    pub interaction_id: String,
    /// The `nonce` sent upstream, which the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange (its S256 challenge went upstream).
    pub pkce_verifier: String,
    /// SHA-256 of the browser-binding cookie's value, base64url.
    browser: String,
    pub started_at: DateTime<Utc>,
}

/// What `start` sends: upstream (`state`, `nonce`, `pkce_challenge`) and to the browser
/// (`browser_cookie`, the value of the binding cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begun {
    pub state: String,
    pub nonce: String,
    /// `BASE64URL(SHA256(verifier))`, sent with `code_challenge_method=S256`.
    pub pkce_challenge: String,
    pub browser_cookie: String,
}

/// Why a callback's `state` is not accepted. The person sees one generic page for each; the
/// log and the audit event name which.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the state is unknown, expired or already used")]
    Unknown,
    #[error("the state was issued to another browser")]
    OtherBrowser,
    #[error("the state was issued for another provider")]
    OtherProvider,
    #[error(transparent)]
    Unavailable(#[from] EphemeralError),
}

/// The sign-ins in flight, on the short-lived-values port (memory or Redis).
#[derive(Clone)]
pub struct PendingLogins {
    values: Arc<dyn ShortLivedValues>,
}

impl PendingLogins {
    pub fn new(values: Arc<dyn ShortLivedValues>) -> Self {
        Self { values }
    }

    /// Remembers a sign-in about to be sent to `provider` for `interaction_id`.
    pub async fn begin(
        &self,
        tenant: TenantId,
        provider: Uuid,
        interaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Begun, StateError> {
        let random = || {
            try_random_token(32).map_err(|e| EphemeralError::Unavailable(format!("random: {e}")))
        };
        let (state, nonce, verifier, cookie) = (random()?, random()?, random()?, random()?);
        let pending = PendingLogin {
            provider_id: provider,
            interaction_id: interaction_id.to_owned(),
            nonce: nonce.clone(),
            pkce_verifier: verifier.clone(),
            browser: sha256_b64(&cookie),
            started_at: now,
        };
        let bytes = serde_json::to_vec(&pending)
            .map_err(|e| EphemeralError::Unavailable(format!("encode: {e}")))?;
        self.values
            .put(&key(tenant, &state), &bytes, PENDING_TTL)
            .await?;
        Ok(Begun {
            state,
            nonce,
            pkce_challenge: sha256_b64(&verifier),
            browser_cookie: cookie,
        })
    }

    /// Takes the sign-in `state` names — once: a second callback with it finds nothing —
    /// and checks that it comes back to the provider it was sent to, in the browser that
    /// sent it.
    pub async fn finish(
        &self,
        tenant: TenantId,
        provider: Uuid,
        state: &str,
        browser_cookie: Option<&str>,
    ) -> Result<PendingLogin, StateError> {
        if !well_formed(state) {
            return Err(StateError::Unknown);
        }
        let Some(bytes) = self.values.take(&key(tenant, state)).await? else {
            return Err(StateError::Unknown);
        };
        let pending: PendingLogin =
            serde_json::from_slice(&bytes).map_err(|_| StateError::Unknown)?;
        let same_browser = browser_cookie.is_some_and(|cookie| {
            constant_time_eq(sha256_b64(cookie).as_bytes(), pending.browser.as_bytes())
        });
        if !same_browser {
            return Err(StateError::OtherBrowser);
        }
        if pending.provider_id != provider {
            return Err(StateError::OtherProvider);
        }
        Ok(pending)
    }
}

fn key(tenant: TenantId, state: &str) -> ValueKey {
    ValueKey::new(ValueKind::UpstreamLogin, tenant, state)
}

/// What [`PendingLogins::begin`] issues: 43 base64url characters. Anything else is not
/// looked up.
fn well_formed(state: &str) -> bool {
    state.len() == 43
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn sha256_b64(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        value.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use keyward_cache::MemoryStore;

    use super::*;

    fn logins() -> PendingLogins {
        PendingLogins::new(Arc::new(MemoryStore::new()))
    }

    fn tenant(n: u128) -> TenantId {
        TenantId::from_uuid(Uuid::from_u128(n))
    }

    #[tokio::test]
    async fn a_state_comes_back_once_in_the_browser_that_sent_it() {
        let logins = logins();
        let provider = Uuid::now_v7();
        let begun = logins
            .begin(tenant(1), provider, "interaction-1", Utc::now())
            .await
            .unwrap();
        let pending = logins
            .finish(
                tenant(1),
                provider,
                &begun.state,
                Some(&begun.browser_cookie),
            )
            .await
            .unwrap();
        assert_eq!(pending.interaction_id, "interaction-1");
        assert_eq!(pending.nonce, begun.nonce);
        assert_eq!(sha256_b64(&pending.pkce_verifier), begun.pkce_challenge);
        let replay = logins
            .finish(
                tenant(1),
                provider,
                &begun.state,
                Some(&begun.browser_cookie),
            )
            .await;
        assert!(matches!(replay, Err(StateError::Unknown)), "{replay:?}");
    }

    #[tokio::test]
    async fn another_browser_another_provider_or_another_tenant_is_refused() {
        let logins = logins();
        let provider = Uuid::now_v7();
        let begin = || logins.begin(tenant(1), provider, "i", Utc::now());

        let begun = begin().await.unwrap();
        let foreign = logins
            .finish(tenant(1), provider, &begun.state, Some("attackers-cookie"))
            .await;
        assert!(
            matches!(foreign, Err(StateError::OtherBrowser)),
            "{foreign:?}"
        );
        // Refused means used up: the state cannot be tried again with the right cookie.
        let after = logins
            .finish(
                tenant(1),
                provider,
                &begun.state,
                Some(&begun.browser_cookie),
            )
            .await;
        assert!(matches!(after, Err(StateError::Unknown)), "{after:?}");

        let begun = begin().await.unwrap();
        let no_cookie = logins.finish(tenant(1), provider, &begun.state, None).await;
        assert!(
            matches!(no_cookie, Err(StateError::OtherBrowser)),
            "{no_cookie:?}"
        );

        let begun = begin().await.unwrap();
        let mixed_up = logins
            .finish(
                tenant(1),
                Uuid::now_v7(),
                &begun.state,
                Some(&begun.browser_cookie),
            )
            .await;
        assert!(
            matches!(mixed_up, Err(StateError::OtherProvider)),
            "{mixed_up:?}"
        );

        let begun = begin().await.unwrap();
        let other_tenant = logins
            .finish(
                tenant(2),
                provider,
                &begun.state,
                Some(&begun.browser_cookie),
            )
            .await;
        assert!(
            matches!(other_tenant, Err(StateError::Unknown)),
            "{other_tenant:?}"
        );
    }

    #[tokio::test]
    async fn a_malformed_or_unknown_state_is_unknown() {
        let logins = logins();
        for state in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}!", "a".repeat(42)),
            &"a".repeat(43),
        ] {
            let outcome = logins
                .finish(tenant(1), Uuid::now_v7(), state, Some("c"))
                .await;
            assert!(
                matches!(outcome, Err(StateError::Unknown)),
                "{state:?}: {outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn every_sign_in_gets_fresh_values() {
        let logins = logins();
        let provider = Uuid::now_v7();
        let a = logins
            .begin(tenant(1), provider, "i", Utc::now())
            .await
            .unwrap();
        let b = logins
            .begin(tenant(1), provider, "i", Utc::now())
            .await
            .unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.pkce_challenge, b.pkce_challenge);
        assert_ne!(a.browser_cookie, b.browser_cookie);
        assert!(well_formed(&a.state));
        // RFC 7636 §4.1: a verifier of 43 to 128 characters; S256 challenge of 43.
        assert_eq!(a.pkce_challenge.len(), 43);
    }
}
