//! RFC 7009: token revocation. The client authenticates and may revoke only tokens issued to
//! it. Revoking a refresh token revokes its family and the access tokens issued from it;
//! revoking an access token puts its jti in the tenant's revoked set until it would have
//! expired. Unknown, malformed and already-expired tokens are answered like success (§2.2).

use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::{EphemeralError, RevokedSets, StoreError, TenantId};
use uuid::Uuid;

use crate::access_token::{self, revoked_set};
use crate::error::OAuthError;
use crate::params::FormParams;
use crate::refresh_token::{RefreshTokenStore, RevokedAccessTokens};
use crate::token::EndpointRequest;
use crate::token::refresh_token::hash;
use crate::token_service::{TokenService, unavailable};

fn not_yours() -> OAuthError {
    OAuthError::unauthorized_client("the token was not issued to this client")
}

impl TokenService {
    /// RFC 7009 §2.1: revokes a token; `Ok` also for tokens that were unknown.
    pub async fn revoke(&self, request: EndpointRequest<'_>) -> Result<(), OAuthError> {
        let tenant = self.tenant(request.tenant).await?;
        let params = FormParams::parse(request.body)?;
        let client = self
            .authenticate_client(&tenant, request.authorization, &params)
            .await?;
        let token = params.require("token")?;
        let now = self.clock.now();
        if access_token::looks_like_jwt(token) {
            let keys = self.tenant_keys(tenant.tenant.id).await?;
            let Some(verified) = access_token::verify(token, &tenant, &keys, now) else {
                return Ok(());
            };
            if verified.client_id != client.client_id.as_str() {
                return Err(not_yours());
            }
            let target = format!("access_token:{}", verified.jti);
            self.revoke_access_tokens(
                tenant.tenant.id,
                &[(verified.jti, verified.expires_at)],
                now,
            )
            .await?;
            self.audit_revoked(tenant.tenant.id, &client, target, request.request_id)
                .await;
            return Ok(());
        }
        let found = self
            .refresh_tokens
            .find(tenant.tenant.id, &hash(token))
            .await
            .map_err(|e| unavailable("looking up a refresh token", e))?;
        let Some((_, family)) = found else {
            return Ok(());
        };
        if family.client_id != client.client_id {
            return Err(not_yours());
        }
        self.revoke_family(tenant.tenant.id, family.id, now).await?;
        self.audit_revoked(
            tenant.tenant.id,
            &client,
            format!("refresh_family:{}", family.id),
            request.request_id,
        )
        .await;
        Ok(())
    }

    /// Revokes a refresh-token family and every live access token issued from it.
    pub(crate) async fn revoke_family(
        &self,
        tenant: TenantId,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), OAuthError> {
        let live = match self.refresh_tokens.revoke_family(tenant, family, now).await {
            Ok(live) => live,
            Err(keyward_core::StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(unavailable("revoking a refresh-token family", e)),
        };
        self.revoke_access_tokens(tenant, &live, now).await
    }

    /// Revokes access tokens (jti and expiry): recorded in the database, then added to the
    /// tenant's revoked set, each until it would have expired.
    pub(crate) async fn revoke_access_tokens(
        &self,
        tenant: TenantId,
        tokens: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<(), OAuthError> {
        let durable: &dyn RevokedAccessTokens = self.refresh_tokens.as_ref();
        revoke_access_tokens(durable, self.cache.as_ref(), tenant, tokens, now)
            .await
            .map_err(|e| unavailable("revoking an access token", e))
    }
}

/// Why revoking failed: the database or the cache.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("refresh-token store: {0}")]
    Store(#[from] StoreError),
    #[error("revoked set: {0}")]
    Cache(#[from] EphemeralError),
}

/// Revokes access tokens `(jti, expires_at)` of `tenant`: records them in the database (so
/// the revocation survives the loss of the cache), then adds them to the tenant's revoked set
/// in the cache, where every check looks. Already expired ones are skipped.
pub async fn revoke_access_tokens(
    durable: &dyn RevokedAccessTokens,
    cache: &dyn RevokedSets,
    tenant: TenantId,
    tokens: &[(String, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<(), RevokeError> {
    let live: Vec<(String, DateTime<Utc>)> = tokens
        .iter()
        .filter(|(_, expires_at)| *expires_at > now)
        .cloned()
        .collect();
    durable.record_revoked(tenant, &live).await?;
    add_to_revoked_set(cache, tenant, &live, now).await?;
    Ok(())
}

/// Adds access-token jtis (with their expiry) to `tenant`'s revoked set in the cache until
/// each would have expired; already expired ones are skipped.
async fn add_to_revoked_set(
    cache: &dyn RevokedSets,
    tenant: TenantId,
    tokens: &[(String, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<(), EphemeralError> {
    let set = revoked_set(tenant);
    for (jti, expires_at) in tokens {
        let Ok(secs) = u64::try_from((*expires_at - now).num_seconds()) else {
            continue;
        };
        cache
            .revoke(&set, jti, Duration::from_secs(secs.saturating_add(1)))
            .await?;
    }
    Ok(())
}

/// Puts every live revocation the database holds back into the cache's revoked sets — after
/// a restart of an embedded node, or when Redis lost its keys. Answers how many.
pub async fn refill_revoked_sets(
    durable: &dyn RevokedAccessTokens,
    cache: &dyn RevokedSets,
    now: DateTime<Utc>,
) -> Result<usize, RevokeError> {
    let live = durable.live_revoked(now).await?;
    for (tenant, jti, expires_at) in &live {
        add_to_revoked_set(cache, *tenant, &[(jti.clone(), *expires_at)], now).await?;
    }
    Ok(live.len())
}

/// Ends every grant of a user whose access ends (disabled, deleted): revokes all their
/// refresh-token families and the access tokens issued with them (in the database and the
/// revoked set). Access tokens issued without a refresh token are not recorded anywhere; they
/// are refused by every check of the user's state (userinfo, the admin API) and expire on
/// their own.
pub async fn revoke_user_grants(
    refresh_tokens: &dyn RefreshTokenStore,
    cache: &dyn RevokedSets,
    tenant: TenantId,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), RevokeError> {
    let live = refresh_tokens.revoke_subject(tenant, user, now).await?;
    revoke_access_tokens(refresh_tokens, cache, tenant, &live, now).await
}

#[cfg(test)]
#[path = "revoke_tests.rs"]
mod tests;
