//! Each user's browser sessions in a tenant, for an administrator to list and end them.
//!
//! The ephemeral store has no secondary index, so one is kept beside the sessions: a JSON list
//! of stored session ids (never secrets) under `user_browser_sessions:{tenant}:{user}`,
//! appended when a session is created and trimmed when one ends. Sessions also end silently
//! by TTL (idle or absolute lifetime), so a listed id may name a session that is gone: reading prunes those. Every change is a
//! `compare_and_swap` from the list just read, retried when another node changed it in
//! between, so concurrent sign-ins, ends and prunes lose no id: a live session is always
//! listed, and "end all" reaches it. The list expires with the longest a session can live,
//! counted from its last change.

use chrono::{DateTime, Utc};
use keyward_core::{TenantId, UserId, ValueKey, ValueKind};

use crate::session::{
    BrowserSession, EndedSession, MAX_SWAPS, SessionError, Sessions, plausible_id, serialising,
    session_key,
};

/// (Named apart from the `user_sessions:` index of old versions, which listed secrets.)
fn index_key(tenant: TenantId, user: UserId) -> ValueKey {
    ValueKey::new(ValueKind::UserSessions, tenant, user)
}

impl Sessions {
    /// The user's live sessions at `tenant`, oldest first; ids of ended sessions are pruned
    /// from the index. Reading does not push out a session's idle lifetime.
    pub async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<BrowserSession>, SessionError> {
        let ids = self.index(tenant, user).await?;
        let mut live = Vec::new();
        for id in &ids {
            let Some(raw) = self.cache.get(&session_key(tenant, id)).await? else {
                continue;
            };
            let Ok(session) = serde_json::from_slice::<BrowserSession>(&raw) else {
                continue;
            };
            if session.tenant_id == tenant
                && session.user_id == user
                && &session.id == id
                && !self.expired(&session, now)
            {
                live.push(session);
            }
        }
        if live.len() != ids.len() {
            let gone: Vec<&String> = ids
                .iter()
                .filter(|id| !live.iter().any(|s| &s.id == *id))
                .collect();
            self.change_index(tenant, user, |ids| ids.retain(|id| !gone.contains(&id)))
                .await?;
        }
        live.sort_by_key(|s| s.created_at);
        Ok(live)
    }

    /// Ends the user's session whose public `sid` is `sid`, if it is live.
    pub async fn end_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
        sid: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EndedSession>, SessionError> {
        let found = self
            .list_for_user(tenant, user, now)
            .await?
            .into_iter()
            .find(|s| s.sid() == sid);
        match found {
            Some(session) => self.end(tenant, &session.id).await,
            None => Ok(None),
        }
    }

    /// Ends every session of the user at `tenant`; returns those that were live.
    pub async fn end_all_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<EndedSession>, SessionError> {
        let mut ended = Vec::new();
        // Each `end` takes its id out of the index; a session signed in meanwhile keeps its
        // place (it began after this revocation, and is listed to be ended on its own).
        for id in self.index(tenant, user).await? {
            if let Some(session) = self.end(tenant, &id).await? {
                ended.push(session);
            }
        }
        Ok(ended)
    }

    pub(crate) async fn index_add(
        &self,
        tenant: TenantId,
        user: UserId,
        id: &str,
    ) -> Result<(), SessionError> {
        self.change_index(tenant, user, |ids| {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_owned());
            }
        })
        .await
    }

    pub(crate) async fn index_remove(
        &self,
        tenant: TenantId,
        user: UserId,
        id: &str,
    ) -> Result<(), SessionError> {
        self.change_index(tenant, user, |ids| ids.retain(|i| i != id))
            .await
    }

    async fn index(&self, tenant: TenantId, user: UserId) -> Result<Vec<String>, SessionError> {
        let raw = self.cache.get(&index_key(tenant, user)).await?;
        Ok(parse_index(raw.as_deref()))
    }

    /// Applies `change` to the index, atomically against every other writer: the list is
    /// swapped only from the version `change` saw, and read again when another writer won.
    /// An empty list is deleted.
    async fn change_index(
        &self,
        tenant: TenantId,
        user: UserId,
        change: impl Fn(&mut Vec<String>),
    ) -> Result<(), SessionError> {
        let key = index_key(tenant, user);
        for _ in 0..MAX_SWAPS {
            let raw = self.cache.get(&key).await?;
            let mut ids = parse_index(raw.as_deref());
            let before = ids.clone();
            change(&mut ids);
            if raw.is_some() && ids == before {
                return Ok(());
            }
            let next = if ids.is_empty() {
                None
            } else {
                Some(serde_json::to_vec(&ids).map_err(serialising)?)
            };
            if raw.is_none() && next.is_none() {
                return Ok(());
            }
            if self
                .cache
                .compare_and_swap(&key, raw.as_deref(), next.as_deref(), self.absolute)
                .await?
            {
                return Ok(());
            }
        }
        Err(SessionError::Contended)
    }
}

fn parse_index(raw: Option<&[u8]>) -> Vec<String> {
    raw.and_then(|raw| serde_json::from_slice::<Vec<String>>(raw).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|id| plausible_id(id))
        .collect()
}

#[cfg(test)]
#[path = "user_sessions_tests.rs"]
mod tests;
