//! RFC 6749 §4.1.2 / §10.5: authorization codes. 256 random bits, kept (by SHA-256 hash) in the
//! ephemeral store for at most [`CODE_TTL`], bound to the client, the redirect URI, the PKCE
//! challenge, the nonce, the scope and the browser session, and taken atomically on use.
//!
//! A second use is refused and revokes what the first use issued (RFC 6749 §4.1.2): every code
//! is issued with a `code-used` marker (empty until the first use records the access token's
//! jti and the refresh-token family in it). Only a code that has that marker can be a replay,
//! so an unknown or made-up code is refused without anything being stored for it.

use keyward_core::Amr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{ClientId, EphemeralStore, Scope, TenantId, ValueKey, ValueKind};
use serde::{Deserialize, Serialize};

use crate::error::OAuthError;
use crate::id_token::Authentication;
use crate::pkce::CodeChallenge;
use crate::token::refresh_token::hash;
use crate::token_service::{internal, unavailable};

/// RFC 6749 §4.1.2 recommends at most 10 minutes; Keyward allows one.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long a used code is remembered, so a replay is caught after the code's own lifetime.
pub const USED_MARKER_TTL: Duration = Duration::from_secs(15 * 60);

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub code_challenge: Option<CodeChallenge>,
    pub nonce: Option<String>,
    pub scope: Scope,
    pub user_id: String,
    /// The browser session's stored id (for logout): a one-way hash of the cookie's secret,
    /// never the secret itself, and never put in a token.
    pub session_id: Option<String>,
    pub sid: Option<String>,
    pub auth_time: Option<DateTime<Utc>>,
    pub amr: Vec<Amr>,
    pub acr: Option<String>,
    pub issued_at: DateTime<Utc>,
}

impl AuthorizationCode {
    /// The subject's authentication, for the ID token.
    pub fn authentication(&self) -> Authentication {
        Authentication {
            user_id: self.user_id.clone(),
            auth_time: self.auth_time,
            amr: self.amr.clone(),
            acr: self.acr.clone(),
            sid: self.sid.clone(),
        }
    }
}

/// What the first use of a code issued, to revoke on a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedCode {
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// The hash of the refresh token issued, whose family is revoked with it.
    pub refresh_token_hash: Option<String>,
}

fn code_key(tenant: TenantId, hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::AuthorizationCode, tenant, hash)
}

fn replayed_key(tenant: TenantId, hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::CodeReplayed, tenant, hash)
}

fn used_key(tenant: TenantId, hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::CodeUse, tenant, hash)
}

/// Stores `grant` under a fresh code and returns the code (shown once).
pub async fn issue(
    cache: &dyn EphemeralStore,
    grant: &AuthorizationCode,
) -> Result<String, OAuthError> {
    let code = try_random_token(32).map_err(|e| internal("generating a code", e))?;
    let value = serde_json::to_vec(grant).map_err(|e| internal("serialising a code", e))?;
    let hashed = hash(&code);
    // The marker first: a code whose marker is missing would pass for unknown when replayed.
    let unused =
        serde_json::to_vec(&UsedCode::default()).map_err(|e| internal("serialising a code", e))?;
    cache
        .put(
            &used_key(grant.tenant_id, &hashed),
            &unused,
            USED_MARKER_TTL,
        )
        .await
        .map_err(|e| unavailable("storing a code", e))?;
    cache
        .put(&code_key(grant.tenant_id, &hashed), &value, CODE_TTL)
        .await
        .map_err(|e| unavailable("storing a code", e))?;
    Ok(code)
}

/// What presenting a code found.
#[derive(Debug)]
pub enum Redeemed {
    /// First use: the grant. The code is gone.
    Fresh(Box<AuthorizationCode>),
    /// The code was used before: here is what that use issued.
    Replayed(UsedCode),
    /// Unknown or expired.
    Unknown,
}

/// Takes `code` (atomically: of two concurrent uses one wins) and, on first use, marks it used.
pub async fn redeem(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    code: &str,
) -> Result<Redeemed, OAuthError> {
    let hashed = hash(code);
    let taken = cache
        .take(&code_key(tenant, &hashed))
        .await
        .map_err(|e| unavailable("taking a code", e))?;
    let Some(raw) = taken else {
        // Only an issued code has a marker: anything else is unknown, and nothing is stored.
        let issued = cache
            .get(&used_key(tenant, &hashed))
            .await
            .map_err(|e| unavailable("looking up a used code", e))?;
        if issued.is_none() {
            return Ok(Redeemed::Unknown);
        }
        // Flag the replay first, then read what the first use issued: a first use still in
        // flight reads the flag after recording its tokens (see `replayed_meanwhile`), so one
        // of the two always sees the other.
        cache
            .put(&replayed_key(tenant, &hashed), b"1", USED_MARKER_TTL)
            .await
            .map_err(|e| unavailable("flagging a replayed code", e))?;
        let used = cache
            .get(&used_key(tenant, &hashed))
            .await
            .map_err(|e| unavailable("looking up a used code", e))?;
        return Ok(match used {
            Some(raw) => Redeemed::Replayed(serde_json::from_slice(&raw).unwrap_or_default()),
            None => Redeemed::Unknown,
        });
    };
    // The marker written with the code stays empty until `mark_used` records the tokens.
    let grant = serde_json::from_slice(&raw).map_err(|e| internal("reading a code", e))?;
    Ok(Redeemed::Fresh(Box::new(grant)))
}

/// Whether `code` was presented again while its first use was being answered (call after
/// [`mark_used`] recorded the tokens).
pub async fn replayed_meanwhile(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    code: &str,
) -> Result<bool, OAuthError> {
    let flag = cache
        .get(&replayed_key(tenant, &hash(code)))
        .await
        .map_err(|e| unavailable("checking for a replayed code", e))?;
    Ok(flag.is_some())
}

/// Records what the first use of `code` issued.
pub async fn mark_used(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    code: &str,
    used: &UsedCode,
) -> Result<(), OAuthError> {
    let value = serde_json::to_vec(used).map_err(|e| internal("serialising a used code", e))?;
    cache
        .put(&used_key(tenant, &hash(code)), &value, USED_MARKER_TTL)
        .await
        .map_err(|e| unavailable("marking a code used", e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use chrono::Utc;

    use super::*;
    use crate::token_service::fixture::Cache;

    fn grant(tenant: TenantId) -> AuthorizationCode {
        AuthorizationCode {
            tenant_id: tenant,
            client_id: ClientId::generate(),
            redirect_uri: "https://rp.test/cb".into(),
            code_challenge: None,
            nonce: None,
            scope: Scope::default(),
            user_id: "u".into(),
            session_id: None,
            sid: None,
            auth_time: None,
            amr: vec![],
            acr: None,
            issued_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_code_is_redeemed_once_and_a_concurrent_replay_is_seen_by_the_first_use() {
        let cache = Cache::default();
        let tenant = TenantId::generate();
        let code = issue(&cache, &grant(tenant)).await.unwrap();
        assert_eq!(code.len(), 43, "256 bits");
        assert!(matches!(
            redeem(&cache, tenant, &code).await.unwrap(),
            Redeemed::Fresh(_)
        ));
        assert!(
            matches!(
                redeem(&cache, TenantId::generate(), &code).await.unwrap(),
                Redeemed::Unknown
            ),
            "another tenant"
        );
        // The replay arrives before the first use recorded its tokens...
        assert_eq!(
            redeem(&cache, tenant, &code)
                .await
                .unwrap()
                .unwrap_matches_replay(),
            UsedCode::default()
        );
        // ...so the first use, once it has, learns of it.
        mark_used(
            &cache,
            tenant,
            &code,
            &UsedCode {
                access_token_jti: Some("j".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(replayed_meanwhile(&cache, tenant, &code).await.unwrap());
        assert!(matches!(
            redeem(&cache, tenant, "unknown").await.unwrap(),
            Redeemed::Unknown
        ));
    }

    #[tokio::test]
    async fn an_unknown_code_is_refused_without_storing_anything() {
        let cache = Cache::default();
        let tenant = TenantId::generate();
        for code in ["unknown", "made-up-code-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
            assert!(matches!(
                redeem(&cache, tenant, code).await.unwrap(),
                Redeemed::Unknown
            ));
        }
        assert!(cache.is_empty(), "nothing stored for unknown codes");
    }

    trait ReplayOf {
        fn unwrap_matches_replay(self) -> UsedCode;
    }

    impl ReplayOf for Redeemed {
        fn unwrap_matches_replay(self) -> UsedCode {
            match self {
                Redeemed::Replayed(used) => used,
                other => panic!("expected a replay, got {other:?}"),
            }
        }
    }
}
