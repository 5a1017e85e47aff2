//! Reading the audit log: filter by actor, action, target and time, newest first, with
//! cursor pagination.

use keyward_authz::AdminAction;
use keyward_core::{AuditEvent, AuditFilter};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, page_request};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventView {
    pub id: Uuid,
    /// `user:{id}`, `client:{tenant}/{client_id}` or `cli`.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id,
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            request_id: e.request_id.clone(),
            at: e.at,
        }
    }
}

/// Filters and page of an audit listing.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    pub limit: Option<u64>,
    pub after: Option<String>,
}

impl Admin {
    pub async fn list_audit_events(
        &self,
        caller: &Caller,
        tenant: &str,
        query: AuditQuery,
    ) -> Result<PageView<AuditEventView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::AuditRead).await?;
        if let Some(after) = &query.after {
            Uuid::parse_str(after).map_err(|_| {
                AdminError::invalid("after", "must be a cursor from a previous page")
            })?;
        }
        let page = self
            .ports
            .audit
            .list(
                tenant.id,
                &query.filter,
                &page_request(query.limit, query.after),
            )
            .await?;
        Ok(PageView::from_page(page, |e| AuditEventView::from(e)))
    }
}
