//! Admin role assignments of a tenant: who is tenant-admin or tenant-viewer there, and
//! granting platform-admin. Each change is persisted, then announced so every node reloads.

use keyward_authz::{Actor, AdminAction, AdminRole, PolicyChanged, TenantRole};
use serde::{Deserialize, Serialize};

use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, snapshot};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleAssignmentView {
    /// `user:{uuid}` or `client:{tenant_id}/{client_id}`.
    pub subject: String,
    /// tenant-admin or tenant-viewer (platform-admin is granted in every tenant).
    pub role: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoleAssignmentInput {
    /// `user:{uuid}` or `client:{tenant_id}/{client_id}`.
    pub subject: String,
    /// tenant-admin, tenant-viewer or platform-admin.
    pub role: String,
}

fn parse(input: &RoleAssignmentInput) -> Result<(Actor, AdminRole), AdminError> {
    let mut errors = Vec::new();
    let actor = Actor::from_subject(&input.subject)
        .map_err(|e| errors.push(crate::FieldError::new("subject", e.message)))
        .ok();
    let role = AdminRole::from_name(&input.role);
    if role.is_none() {
        errors.push(crate::FieldError::new(
            "role",
            "must be tenant-admin, tenant-viewer or platform-admin",
        ));
    }
    match (actor, role) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(AdminError::Invalid(errors)),
    }
}

impl Admin {
    pub async fn list_role_assignments(
        &self,
        caller: &Caller,
        tenant: &str,
    ) -> Result<PageView<RoleAssignmentView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::RoleRead).await?;
        let items = self
            .ports
            .authorizer
            .role_assignments(tenant.id)
            .await
            .into_iter()
            .map(|(actor, role)| RoleAssignmentView {
                subject: actor.subject(),
                role: role.as_str().to_owned(),
            })
            .collect();
        Ok(PageView { items, next: None })
    }

    /// Grants a tenant role in `tenant`, or platform-admin (which needs
    /// `role.grant_platform_admin`).
    pub async fn assign_role(
        &self,
        caller: &Caller,
        tenant: &str,
        input: &RoleAssignmentInput,
        grant: bool,
    ) -> Result<RoleAssignmentView, AdminError> {
        let parsed = parse(input);
        let action = match &parsed {
            Ok((_, AdminRole::PlatformAdmin)) => AdminAction::RoleGrantPlatformAdmin,
            _ => AdminAction::RoleAssign,
        };
        let (tenant, permit) = self.permit(caller, tenant, action).await?;
        let (actor, role) = parsed?;
        let authz = &self.ports.authorizer;
        let changed: PolicyChanged = match (role, grant) {
            (AdminRole::PlatformAdmin, true) => authz.grant_platform_admin(&actor).await,
            (AdminRole::PlatformAdmin, false) => authz.revoke_platform_admin(&actor).await,
            (AdminRole::TenantAdmin, true) => {
                authz
                    .assign_role(&actor, TenantRole::Admin, tenant.id)
                    .await
            }
            (AdminRole::TenantAdmin, false) => {
                authz
                    .revoke_role(&actor, TenantRole::Admin, tenant.id)
                    .await
            }
            (AdminRole::TenantViewer, true) => {
                authz
                    .assign_role(&actor, TenantRole::Viewer, tenant.id)
                    .await
            }
            (AdminRole::TenantViewer, false) => {
                authz
                    .revoke_role(&actor, TenantRole::Viewer, tenant.id)
                    .await
            }
        }
        .map_err(|e| AdminError::Store(format!("policy storage: {e}")))?;
        if let Err(e) = changed.announce(self.ports.cache.as_ref()).await {
            tracing::warn!(error = %e, "could not announce the policy change to other nodes");
        }
        let view = RoleAssignmentView {
            subject: actor.subject(),
            role: role.as_str().to_owned(),
        };
        let (before, after) = if grant {
            (None, snapshot(&view))
        } else {
            (snapshot(&view), None)
        };
        self.record_after(
            caller,
            &permit,
            format!("role:{}", view.role),
            before,
            after,
        )
        .await?;
        Ok(view)
    }
}
