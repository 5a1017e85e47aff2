//! Each user's browser sessions in a tenant, for an administrator to list and end them.
//!
//! The ephemeral store has no secondary index, so one is kept beside the sessions: a JSON list
//! of session ids under `user_sessions:{tenant}:{user}`, appended when a session is created
//! and trimmed when one ends. Sessions also end silently by TTL (idle or absolute lifetime),
//! so a listed id may name a session that is gone: reading prunes those. The list is
//! read-modify-written without a lock, so two nodes signing the same user in at the same
//! instant can drop one id; the session itself lives on (it is still reachable by its cookie
//! and ends by TTL) but is missing from the admin list until then. Likewise a concurrent end
//! can leave a stale id, which the next read prunes. The list expires with the longest a
//! session can live, counted from its last change.

use chrono::{DateTime, Utc};
use keyward_core::{TenantId, UserId};

use crate::session::{
    BrowserSession, EndedSession, SessionError, Sessions, plausible_id, session_key,
};

fn index_key(tenant: TenantId, user: UserId) -> String {
    format!("user_sessions:{tenant}:{user}")
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
            let kept: Vec<String> = live.iter().map(|s| s.id.clone()).collect();
            self.write_index(tenant, user, &kept).await?;
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
        for id in self.index(tenant, user).await? {
            if let Some(session) = self.end(tenant, &id).await? {
                ended.push(session);
            }
        }
        self.cache.delete(&index_key(tenant, user)).await?;
        Ok(ended)
    }

    pub(crate) async fn index_add(
        &self,
        tenant: TenantId,
        user: UserId,
        id: &str,
    ) -> Result<(), SessionError> {
        let mut ids = self.index(tenant, user).await?;
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
        self.write_index(tenant, user, &ids).await
    }

    pub(crate) async fn index_remove(
        &self,
        tenant: TenantId,
        user: UserId,
        id: &str,
    ) -> Result<(), SessionError> {
        let ids = self.index(tenant, user).await?;
        if !ids.iter().any(|i| i == id) {
            return Ok(());
        }
        let kept: Vec<String> = ids.into_iter().filter(|i| i != id).collect();
        self.write_index(tenant, user, &kept).await
    }

    async fn index(&self, tenant: TenantId, user: UserId) -> Result<Vec<String>, SessionError> {
        let raw = self.cache.get(&index_key(tenant, user)).await?;
        let ids = raw
            .and_then(|raw| serde_json::from_slice::<Vec<String>>(&raw).ok())
            .unwrap_or_default();
        Ok(ids.into_iter().filter(|id| plausible_id(id)).collect())
    }

    async fn write_index(
        &self,
        tenant: TenantId,
        user: UserId,
        ids: &[String],
    ) -> Result<(), SessionError> {
        let key = index_key(tenant, user);
        if ids.is_empty() {
            self.cache.delete(&key).await?;
            return Ok(());
        }
        let raw = serde_json::to_vec(ids).map_err(|e| SessionError::Unavailable(e.to_string()))?;
        self.cache.put(&key, &raw, self.absolute).await?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "user_sessions_tests.rs"]
mod tests;
