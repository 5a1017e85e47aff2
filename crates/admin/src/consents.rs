//! A user's consents: which clients it let act for it, with which scopes; revoking one makes
//! the consent page appear again on the client's next request.

use keyward_authz::AdminAction;
use keyward_core::ClientId;
use serde::Serialize;

use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, snapshot};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentView {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub granted_at: chrono::DateTime<chrono::Utc>,
}

impl Admin {
    /// Every consent of the user, sorted by client id (one page: a user has a handful).
    pub async fn list_user_consents(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
    ) -> Result<PageView<ConsentView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::UserRead).await?;
        let user = self.find_user(tenant.id, user).await?;
        let mut items: Vec<ConsentView> = self
            .ports
            .consents
            .list_for_user(tenant.id, user.id)
            .await?
            .iter()
            .map(|c| ConsentView {
                client_id: c.client_id.to_string(),
                scopes: c.scopes.tokens().map(str::to_owned).collect(),
                granted_at: c.granted_at,
            })
            .collect();
        items.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(PageView { items, next: None })
    }

    pub async fn revoke_user_consent(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        client: &str,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::UserRevokeConsents)
            .await?;
        let user = self.find_user(tenant.id, user).await?;
        let client = ClientId::parse(client).map_err(|_| AdminError::NotFound)?;
        let before = self
            .ports
            .consents
            .find(tenant.id, user.id, &client)
            .await?
            .ok_or(AdminError::NotFound)?;
        let work = self.begin().await?;
        work.consents().revoke(tenant.id, user.id, &client).await?;
        let view = ConsentView {
            client_id: client.to_string(),
            scopes: before.scopes.tokens().map(str::to_owned).collect(),
            granted_at: before.granted_at,
        };
        self.commit(
            work,
            caller,
            &permit,
            format!("consent:{}/{client}", user.id),
            snapshot(&view),
            None,
        )
        .await
    }
}
