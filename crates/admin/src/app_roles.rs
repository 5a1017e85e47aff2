//! A tenant's application roles and permissions (what its applications ask `/authz/check`
//! and put in `roles` / `permissions` claims), and which users hold them. Every change is
//! persisted, then announced so every node reloads.

use keyward_authz::{AdminAction, AppPermission, AppRole, PolicyChanged};
use keyward_core::ParseError;
use serde::{Deserialize, Serialize};

use crate::error::{AdminError, FieldError};
use crate::service::{Admin, Caller, PageView, snapshot};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PermissionView {
    /// A resource type (`document`) or one resource (`document:42`).
    pub resource: String,
    pub action: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppRoleView {
    pub role: String,
    pub permissions: Vec<PermissionView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppRoleInput {
    /// 1–64 of letters, digits, `_`, `-` and `.`.
    pub role: String,
}

fn role(name: &str) -> Result<AppRole, AdminError> {
    AppRole::parse(name).map_err(AdminError::from)
}

fn permission(p: &PermissionView) -> Result<AppPermission, AdminError> {
    AppPermission::new(&p.resource, &p.action).map_err(|e: ParseError| {
        AdminError::Invalid(vec![FieldError::new(
            if e.field == "action" {
                "action"
            } else {
                "resource"
            },
            e.message,
        )])
    })
}

fn view(p: &AppPermission) -> PermissionView {
    PermissionView {
        resource: p.resource().to_owned(),
        action: p.action().to_owned(),
    }
}

impl Admin {
    async fn announce(
        &self,
        changed: Result<PolicyChanged, keyward_authz::AuthzError>,
    ) -> Result<(), AdminError> {
        let changed = changed.map_err(|e| AdminError::Store(format!("policy storage: {e}")))?;
        if let Err(e) = changed.announce(self.ports.cache.as_ref()).await {
            tracing::warn!(error = %e, "could not announce the policy change to other nodes");
        }
        Ok(())
    }

    pub async fn list_app_roles(
        &self,
        caller: &Caller,
        tenant: &str,
    ) -> Result<PageView<AppRoleView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::RoleRead).await?;
        let authz = &self.ports.authorizer;
        let mut items = Vec::new();
        for role in authz.app_roles(tenant.id).await {
            let permissions = authz
                .app_role_permissions(tenant.id, &role)
                .await
                .iter()
                .map(view)
                .collect();
            items.push(AppRoleView {
                role: role.as_str().to_owned(),
                permissions,
            });
        }
        Ok(PageView { items, next: None })
    }

    /// Lets holders of `role` do the permission's action (defines the role if it is new).
    pub async fn grant_app_permission(
        &self,
        caller: &Caller,
        tenant: &str,
        role_name: &str,
        input: &PermissionView,
        grant: bool,
    ) -> Result<PermissionView, AdminError> {
        let action = if grant {
            AdminAction::RoleCreate
        } else {
            AdminAction::RoleUpdate
        };
        let (tenant, permit) = self.permit(caller, tenant, action).await?;
        let role = role(role_name)?;
        let p = permission(input)?;
        let authz = &self.ports.authorizer;
        let changed = if grant {
            authz.grant_app_permission(tenant.id, &role, &p).await
        } else {
            authz.revoke_app_permission(tenant.id, &role, &p).await
        };
        self.announce(changed).await?;
        let shown = view(&p);
        let (before, after) = if grant {
            (None, snapshot(&shown))
        } else {
            (snapshot(&shown), None)
        };
        self.record_after(caller, &permit, format!("app_role:{role}"), before, after)
            .await?;
        Ok(shown)
    }

    /// Removes the role: its permissions and every assignment of it.
    pub async fn delete_app_role(
        &self,
        caller: &Caller,
        tenant: &str,
        role_name: &str,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::RoleDelete).await?;
        let role = role(role_name)?;
        let authz = &self.ports.authorizer;
        let before: Vec<PermissionView> = authz
            .app_role_permissions(tenant.id, &role)
            .await
            .iter()
            .map(view)
            .collect();
        if before.is_empty() && !authz.app_roles(tenant.id).await.contains(&role) {
            return Err(AdminError::NotFound);
        }
        self.announce(authz.delete_app_role(tenant.id, &role).await)
            .await?;
        self.record_after(
            caller,
            &permit,
            format!("app_role:{role}"),
            snapshot(&before),
            None,
        )
        .await
    }

    pub async fn list_user_app_roles(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
    ) -> Result<PageView<AppRoleInput>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::RoleRead).await?;
        let user = self.find_user(tenant.id, user).await?;
        let items = self
            .ports
            .authorizer
            .app_roles_of(user.id, tenant.id)
            .await
            .into_iter()
            .map(|r| AppRoleInput {
                role: r.as_str().to_owned(),
            })
            .collect();
        Ok(PageView { items, next: None })
    }

    /// Gives the user an application role in the tenant, or takes it away.
    pub async fn assign_app_role(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        role_name: &str,
        grant: bool,
    ) -> Result<AppRoleInput, AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::RoleAssign).await?;
        let user = self.find_user(tenant.id, user).await?;
        let role = role(role_name)?;
        let authz = &self.ports.authorizer;
        let changed = if grant {
            authz.assign_app_role(user.id, &role, tenant.id).await
        } else {
            authz.revoke_app_role(user.id, &role, tenant.id).await
        };
        self.announce(changed).await?;
        let shown = AppRoleInput {
            role: role.as_str().to_owned(),
        };
        let (before, after) = if grant {
            (None, snapshot(&shown))
        } else {
            (snapshot(&shown), None)
        };
        self.record_after(caller, &permit, format!("user:{}", user.id), before, after)
            .await?;
        Ok(shown)
    }
}
