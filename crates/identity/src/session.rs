//! Browser (SSO) sessions: who is signed in at a tenant in this browser, since when and how.
//!
//! The browser's cookie carries the session's secret (256 random bits). Nothing else holds
//! it: the session is stored, indexed and referred to (by codes, refresh-token families,
//! logout) under its *stored id*, a one-way hash of the secret ([`stored_id`]), so whoever
//! can read the cache or the database learns no value a browser could present. The OIDC `sid`
//! claim is another one-way hash of the secret, computed at sign-in and kept in the record.
//!
//! A session lives in the ephemeral store under a tenant-scoped key, so a session of tenant
//! A is unknown at tenant B. It ends after an idle lifetime without use (each
//! [`Sessions::get`] pushes that out) and, whatever the use, after an absolute lifetime from
//! sign-in.
//!
//! An ended session stays ended. Ending takes the records atomically (`take`), and nothing
//! written afterwards brings them back: the idle refresh of a read is a `put_if_present`, the
//! clients record is changed only by `compare_and_swap` from the state just read (it is
//! created with the session, so a session that is gone has none to change), and the per-user
//! index is changed the same way (`user_sessions`). A read racing a logout or an admin
//! revocation therefore either happens before it or finds nothing.

use keyward_core::{Amr, ValueKey, ValueKind};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{ClientId, EphemeralError, EphemeralStore, TenantId, UserId};
use serde::{Deserialize, Serialize};

use crate::user::UserStore;

/// 30 minutes without use end a session.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
/// 12 hours after sign-in a session ends, used or not.
pub const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(12 * 3600);

/// Why a session operation failed; the message is for logs.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    #[error("session id generation failed")]
    Random,
    /// A shared record kept changing under every attempt to update it.
    #[error("session record contended")]
    Contended,
}

impl From<EphemeralError> for SessionError {
    fn from(e: EphemeralError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// A signed-in browser at one tenant, as stored: without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserSession {
    /// The stored id: [`stored_id`] of the cookie's secret. Names the session in the cache,
    /// in codes and in refresh-token families; it cannot be turned back into the secret, so
    /// knowing it does not let anyone present the session.
    pub id: String,
    /// OIDC Front/Back-Channel Logout `sid`: public, stable, one-way from the secret.
    pub sid: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// OIDC Core §2 `auth_time`: when the user last authenticated.
    pub auth_time: DateTime<Utc>,
    /// OIDC Core §2 `amr`, e.g. `["pwd"]`.
    pub amr: Vec<Amr>,
    /// OIDC Core §2 `acr`.
    pub acr: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl BrowserSession {
    /// OIDC Front/Back-Channel Logout `sid` of this session.
    pub fn sid(&self) -> String {
        self.sid.clone()
    }
}

/// A session just created: what is stored, and the secret for the cookie (shown once).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub session: BrowserSession,
    /// 256-bit random, URL-safe: the cookie value. Kept nowhere else; never log it.
    pub secret: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// The domain label of [`stored_id`], so the hash serves no other purpose (the `sid` hash
/// has its own). keyward-migrations repeats it to convert old rows; a test keeps both equal.
pub const STORED_ID_DOMAIN: &str = "keyward/browser-session/stored-id/v1\0";

/// The stored id of the session whose cookie carries `secret`: base64url of SHA-256 over a
/// domain label and the secret. The secret has 256 random bits, so a plain hash is enough to
/// make it unrecoverable (no salt or slow hash needed, as for refresh tokens).
pub fn stored_id(secret: &str) -> String {
    let mut input = Vec::with_capacity(STORED_ID_DOMAIN.len() + secret.len());
    input.extend_from_slice(STORED_ID_DOMAIN.as_bytes());
    input.extend_from_slice(secret.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The OIDC `sid` of the session whose cookie carries `secret` (base64url of the first 16
/// bytes of SHA-256 of `sid:` and the secret) — the formula sessions always had, so a `sid`
/// already given to clients keeps its meaning.
fn sid_of(secret: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("sid:{secret}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref().get(..16).unwrap_or_default())
}

/// A session just ended, with the clients that received tokens in it (for back-channel logout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    pub session: BrowserSession,
    pub clients: Vec<ClientId>,
}

/// Browser sessions of every tenant.
pub struct Sessions {
    pub(crate) cache: Arc<dyn EphemeralStore>,
    idle: Duration,
    pub(crate) absolute: Duration,
    /// When set, a session whose user is disabled or gone is ended at its next read.
    users: Option<Arc<dyn UserStore>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .finish()
    }
}

pub(crate) fn session_key(tenant: TenantId, id: &str) -> ValueKey {
    ValueKey::new(ValueKind::Session, tenant, id)
}

fn clients_key(tenant: TenantId, id: &str) -> ValueKey {
    ValueKey::new(ValueKind::SessionClients, tenant, id)
}

/// How often a read-modify-write of a shared record is retried when another writer changed it
/// in between; far more than concurrent writers of one session or user ever collide.
pub(crate) const MAX_SWAPS: usize = 64;

/// Session ids are 43 base64url characters; anything else is not worth a cache look-up.
pub(crate) fn plausible_id(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Sessions {
    /// Sessions with the default lifetimes (30 min idle, 12 h absolute).
    pub fn new(cache: Arc<dyn EphemeralStore>) -> Self {
        Self {
            cache,
            idle: DEFAULT_IDLE,
            absolute: DEFAULT_ABSOLUTE,
            users: None,
        }
    }

    /// Checks every session read against the user store: a session of a user who was
    /// disabled or deleted (however that happened) counts as none and is ended. The hosted
    /// pages read sessions this way; without it only the session records are consulted.
    pub fn with_users(mut self, users: Arc<dyn UserStore>) -> Self {
        self.users = Some(users);
        self
    }

    pub fn with_lifetimes(mut self, idle: Duration, absolute: Duration) -> Self {
        self.idle = idle;
        self.absolute = absolute;
        self
    }

    pub fn idle(&self) -> Duration {
        self.idle
    }

    pub fn absolute(&self) -> Duration {
        self.absolute
    }

    /// Signs `user` in at `tenant`: a new session with a fresh 256-bit secret.
    pub async fn create(
        &self,
        tenant: TenantId,
        user: UserId,
        amr: Vec<Amr>,
        acr: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, SessionError> {
        let secret = try_random_token(32).map_err(|_| SessionError::Random)?;
        let session = BrowserSession {
            id: stored_id(&secret),
            sid: sid_of(&secret),
            tenant_id: tenant,
            user_id: user,
            auth_time: now,
            amr,
            acr,
            created_at: now,
            last_seen: now,
        };
        let raw = serde_json::to_vec(&session).map_err(serialising)?;
        let key = session_key(tenant, &session.id);
        self.cache.put(&key, &raw, self.ttl(&session, now)).await?;
        // The clients record exists from the start, so that `note_client` only ever changes
        // one that is there: a session that ended has none left to bring back.
        self.cache
            .put(&clients_key(tenant, &session.id), b"[]", self.absolute)
            .await?;
        self.index_add(tenant, user, &session.id).await?;
        Ok(SignedIn { session, secret })
    }

    /// The live session of `tenant` whose cookie carries `secret`, its idle lifetime pushed
    /// out from `now`; `None` if unknown, of another tenant, idle too long or past its
    /// absolute lifetime.
    pub async fn get(
        &self,
        tenant: TenantId,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<BrowserSession>, SessionError> {
        if !plausible_id(secret) {
            return Ok(None);
        }
        let id = stored_id(secret);
        let id = id.as_str();
        let key = session_key(tenant, id);
        let Some(raw) = self.cache.get(&key).await? else {
            return Ok(None);
        };
        let Ok(mut session) = serde_json::from_slice::<BrowserSession>(&raw) else {
            discard(&*self.cache, &key).await;
            return Ok(None);
        };
        if session.tenant_id != tenant || session.id != id {
            return Ok(None);
        }
        if self.expired(&session, now) || !self.user_active(&session).await? {
            self.end(tenant, id).await?;
            return Ok(None);
        }
        session.last_seen = now;
        let ttl = self.ttl(&session, now);
        if ttl.is_zero() {
            return Ok(Some(session));
        }
        let raw = serde_json::to_vec(&session).map_err(serialising)?;
        // Only a session that is still there is refreshed: one ended meanwhile stays ended,
        // and this read answers as if it came after the end.
        if !self.cache.put_if_present(&key, &raw, ttl).await? {
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// Whether the session's user still exists and is enabled (always, without a user store).
    async fn user_active(&self, session: &BrowserSession) -> Result<bool, SessionError> {
        let Some(users) = &self.users else {
            return Ok(true);
        };
        let user = users
            .get(session.tenant_id, session.user_id)
            .await
            .map_err(|e| SessionError::Unavailable(format!("reading the session's user: {e}")))?;
        Ok(user.is_some_and(|u| !u.disabled))
    }

    /// Ends the session with stored id `id` ([`BrowserSession::id`], never the cookie's
    /// secret) — sign-out; returns it, with the clients it served, if it was live.
    pub async fn end(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<EndedSession>, SessionError> {
        if !plausible_id(id) {
            return Ok(None);
        }
        let session = self.cache.take(&session_key(tenant, id)).await?;
        let clients = self.cache.take(&clients_key(tenant, id)).await?;
        let Some(session) =
            session.and_then(|raw| serde_json::from_slice::<BrowserSession>(&raw).ok())
        else {
            return Ok(None);
        };
        let clients = clients
            .and_then(|raw| serde_json::from_slice::<Vec<ClientId>>(&raw).ok())
            .unwrap_or_default();
        self.index_remove(tenant, session.user_id, id).await?;
        Ok(Some(EndedSession { session, clients }))
    }

    /// Records that `client` received tokens in the session with stored id `id` (OIDC
    /// Back-Channel Logout §2.7: those are the clients told when the session ends). Call on
    /// every issuance.
    pub async fn note_client(
        &self,
        tenant: TenantId,
        id: &str,
        client: &ClientId,
    ) -> Result<(), SessionError> {
        if !plausible_id(id) {
            return Ok(());
        }
        let key = clients_key(tenant, id);
        for _ in 0..MAX_SWAPS {
            // No record: the session ended (or never was); there is nothing to tell anyone.
            let Some(raw) = self.cache.get(&key).await? else {
                return Ok(());
            };
            let mut clients = serde_json::from_slice::<Vec<ClientId>>(&raw).unwrap_or_default();
            if clients.contains(client) {
                return Ok(());
            }
            clients.push(client.clone());
            let next = serde_json::to_vec(&clients).map_err(serialising)?;
            // Kept as long as a session can live at most.
            if self
                .cache
                .compare_and_swap(&key, Some(&raw), Some(&next), self.absolute)
                .await?
            {
                return Ok(());
            }
        }
        Err(SessionError::Contended)
    }

    pub(crate) fn expired(&self, session: &BrowserSession, now: DateTime<Utc>) -> bool {
        let since = |t: DateTime<Utc>| (now - t).to_std().unwrap_or(Duration::ZERO);
        since(session.created_at) >= self.absolute || since(session.last_seen) >= self.idle
    }

    /// The TTL of the session record from `now`: the idle lifetime, never past the absolute end.
    fn ttl(&self, session: &BrowserSession, now: DateTime<Utc>) -> Duration {
        let lived = (now - session.created_at)
            .to_std()
            .unwrap_or(Duration::ZERO);
        self.idle.min(self.absolute.saturating_sub(lived))
    }
}

pub(crate) fn serialising(e: serde_json::Error) -> SessionError {
    SessionError::Unavailable(e.to_string())
}

/// Drops an unreadable record; a failure to do so only delays its TTL.
async fn discard(cache: &dyn EphemeralStore, key: &ValueKey) {
    let _ = cache.delete(key).await;
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
