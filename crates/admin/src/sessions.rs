//! A user's browser (SSO) sessions: list them and end one or all, e.g. for a lost device.
//! Sessions are named by their public `sid` (OIDC Back-Channel Logout §2.4), never by their
//! id, which is the bearer secret in the browser's cookie. An ended session's clients are
//! told through the [`SessionLogout`] port (back-channel logout, wired by the binary) exactly
//! as when the user signs out on the logout page; without the port nobody is told.

use async_trait::async_trait;
use keyward_authz::AdminAction;
use keyward_core::Tenant;
use keyward_identity::{BrowserSession, EndedSession, SessionError};
use serde::Serialize;

use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, snapshot};

/// What happens when an administrator ends a session: OIDC Back-Channel Logout to the
/// clients that received tokens in it.
#[async_trait]
pub trait SessionLogout: Send + Sync {
    async fn session_ended(&self, tenant: &Tenant, ended: &EndedSession);
}

/// A session as the API shows it: never its id.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// The public session id (the `sid` claim of ID and logout tokens).
    pub sid: String,
    pub auth_time: chrono::DateTime<chrono::Utc>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen: chrono::DateTime<chrono::Utc>,
}

impl From<&BrowserSession> for SessionView {
    fn from(s: &BrowserSession) -> Self {
        Self {
            sid: s.sid(),
            auth_time: s.auth_time,
            amr: s.amr.iter().map(|a| a.as_str().to_owned()).collect(),
            acr: s.acr.clone(),
            created_at: s.created_at,
            last_seen: s.last_seen,
        }
    }
}

fn unavailable(e: SessionError) -> AdminError {
    AdminError::Store(e.to_string())
}

impl Admin {
    /// The user's live sessions, oldest first (one page: a user has a handful).
    pub async fn list_user_sessions(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
    ) -> Result<PageView<SessionView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::UserRead).await?;
        let user = self.find_user(tenant.id, user).await?;
        let sessions = self
            .sessions
            .list_for_user(tenant.id, user.id, self.ports.clock.now())
            .await
            .map_err(unavailable)?;
        Ok(PageView {
            items: sessions.iter().map(SessionView::from).collect(),
            next: None,
        })
    }

    /// Ends the user's session `sid`; `NotFound` if it is not live.
    pub async fn revoke_user_session(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        sid: &str,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::UserRevokeSessions)
            .await?;
        let user = self.find_user(tenant.id, user).await?;
        let ended = self
            .sessions
            .end_for_user(tenant.id, user.id, sid, self.ports.clock.now())
            .await
            .map_err(unavailable)?
            .ok_or(AdminError::NotFound)?;
        self.logged_out(&tenant, &ended).await;
        let view = SessionView::from(&ended.session);
        self.record_after(
            caller,
            &permit,
            format!("session:{}/{}", user.id, view.sid),
            snapshot(&view),
            None,
        )
        .await
    }

    /// Ends every session of the user; answers how many were live.
    pub async fn revoke_user_sessions(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
    ) -> Result<usize, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::UserRevokeSessions)
            .await?;
        let user = self.find_user(tenant.id, user).await?;
        let ended = self
            .sessions
            .end_all_for_user(tenant.id, user.id)
            .await
            .map_err(unavailable)?;
        for session in &ended {
            self.logged_out(&tenant, session).await;
        }
        let views: Vec<SessionView> = ended
            .iter()
            .map(|e| SessionView::from(&e.session))
            .collect();
        self.record_after(
            caller,
            &permit,
            format!("sessions:{}", user.id),
            snapshot(&views),
            None,
        )
        .await?;
        Ok(views.len())
    }

    pub(crate) async fn logged_out(&self, tenant: &Tenant, ended: &EndedSession) {
        tracing::info!(tenant = %tenant.slug, user = %ended.session.user_id, "session ended by an administrator");
        if let Some(logout) = &self.session_logout {
            logout.session_ended(tenant, ended).await;
        }
    }
}
