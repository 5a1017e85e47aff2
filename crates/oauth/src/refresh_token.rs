//! Refresh-token families (RFC 9700 §4.14): every use rotates the token; presenting a
//! rotated-out token revokes the family and the access tokens issued from it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{ClientId, Scope, StoreError, TenantId};
use uuid::Uuid;

/// One grant's chain of refresh tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenFamily {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    /// The end user's subject, or `None` for grants without one.
    pub subject: Option<String>,
    pub scope: Scope,
    /// The stored id of the browser session the grant came from, if any (for logout): a
    /// one-way hash of the cookie's secret, so the database holds nothing a browser could
    /// present.
    pub session_id: Option<String>,
    pub auth_time: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One refresh token of a family; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: Uuid,
    pub tenant_id: TenantId,
    pub generation: i32,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set when the token was exchanged for its successor.
    pub rotated_at: Option<DateTime<Utc>>,
    /// The access token issued together with this refresh token, to revoke with the family.
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
}

/// What happened when a token was presented for rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The old token was current; it is now rotated out and `next` is stored.
    Rotated,
    /// The old token had already been rotated (or its family revoked): a replay. Nothing stored.
    AlreadyUsed,
    /// No such token in this tenant.
    Unknown,
}

/// Revoked access tokens, kept durably until each would have expired: the cache's revoked
/// set is the fast check, and every node refills it from here when the cache lost it (a
/// restart of an embedded node, a flush of Redis).
#[async_trait]
pub trait RevokedAccessTokens: Send + Sync {
    /// Records `(jti, expires_at)` pairs of `tenant`; recording one again is no error.
    async fn record_revoked(
        &self,
        tenant: TenantId,
        tokens: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError>;

    /// Every revocation of every tenant whose token has not expired at `now`.
    async fn live_revoked(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, String, DateTime<Utc>)>, StoreError>;

    /// Forgets revocations of tokens expired before `now`; answers how many.
    async fn purge_revoked(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Durable refresh tokens, and the access-token revocations issued from them or on their own.
#[async_trait]
pub trait RefreshTokenStore: RevokedAccessTokens + Send + Sync {
    async fn create_family(
        &self,
        family: &RefreshTokenFamily,
        first: &RefreshToken,
    ) -> Result<(), StoreError>;
    async fn find(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, RefreshTokenFamily)>, StoreError>;
    /// Atomically marks `old_hash` rotated at `at` and stores `next`, only if `old_hash` was
    /// current and its family unrevoked. Of two concurrent rotations of one token, one wins.
    async fn rotate(
        &self,
        tenant: TenantId,
        old_hash: &str,
        next: &RefreshToken,
        at: DateTime<Utc>,
    ) -> Result<RotateOutcome, StoreError>;
    /// Revokes the family; returns the (jti, expiry) of its access tokens not yet expired at `at`.
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// Revokes every family of `subject` (a user whose access ends: disabled or deleted) not
    /// yet revoked; returns the (jti, expiry) of their access tokens not yet expired at `at`.
    async fn revoke_subject(
        &self,
        tenant: TenantId,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// Deletes families that expired before `before`, in every tenant; returns how many.
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
