//! What an administrator may do: domain actions on domain resources, never URL paths.

use std::fmt;

/// The kind of resource an admin action touches; with the tenant it names the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Tenant,
    Client,
    User,
    Role,
    Provider,
    Key,
    Audit,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Client => "client",
            Self::User => "user",
            Self::Role => "role",
            Self::Provider => "provider",
            Self::Key => "key",
            Self::Audit => "audit",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action of the admin plane, checked in one tenant by [`crate::Authorizer::permit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAction {
    /// Platform only: create a tenant (checked against the new tenant's id).
    TenantCreate,
    TenantRead,
    TenantUpdate,
    /// Platform only.
    TenantDelete,
    ClientCreate,
    ClientRead,
    ClientUpdate,
    ClientDelete,
    ClientRotateSecret,
    UserCreate,
    /// Also covers listing a user's sessions and consents.
    UserRead,
    /// Profile fields, enable and disable.
    UserUpdate,
    UserDelete,
    UserSetPassword,
    UserRevokeSessions,
    UserRevokeConsents,
    /// Application roles and permissions, and the admin role assignments of the tenant.
    RoleCreate,
    RoleRead,
    RoleUpdate,
    RoleDelete,
    /// Assign or revoke a role (admin or application) in the tenant.
    RoleAssign,
    /// Platform only: make someone a platform admin.
    RoleGrantPlatformAdmin,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    ProviderDelete,
    KeyRead,
    KeyRotate,
    AuditRead,
}

impl AdminAction {
    /// Every action, for seeding the built-in roles and for exhaustive tests.
    pub const ALL: [AdminAction; 29] = [
        Self::TenantCreate,
        Self::TenantRead,
        Self::TenantUpdate,
        Self::TenantDelete,
        Self::ClientCreate,
        Self::ClientRead,
        Self::ClientUpdate,
        Self::ClientDelete,
        Self::ClientRotateSecret,
        Self::UserCreate,
        Self::UserRead,
        Self::UserUpdate,
        Self::UserDelete,
        Self::UserSetPassword,
        Self::UserRevokeSessions,
        Self::UserRevokeConsents,
        Self::RoleCreate,
        Self::RoleRead,
        Self::RoleUpdate,
        Self::RoleDelete,
        Self::RoleAssign,
        Self::RoleGrantPlatformAdmin,
        Self::ProviderCreate,
        Self::ProviderRead,
        Self::ProviderUpdate,
        Self::ProviderDelete,
        Self::KeyRead,
        Self::KeyRotate,
        Self::AuditRead,
    ];

    /// `{kind}.{verb}`, as stored in policies and written to the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantCreate => "tenant.create",
            Self::TenantRead => "tenant.read",
            Self::TenantUpdate => "tenant.update",
            Self::TenantDelete => "tenant.delete",
            Self::ClientCreate => "client.create",
            Self::ClientRead => "client.read",
            Self::ClientUpdate => "client.update",
            Self::ClientDelete => "client.delete",
            Self::ClientRotateSecret => "client.rotate_secret",
            Self::UserCreate => "user.create",
            Self::UserRead => "user.read",
            Self::UserUpdate => "user.update",
            Self::UserDelete => "user.delete",
            Self::UserSetPassword => "user.set_password",
            Self::UserRevokeSessions => "user.revoke_sessions",
            Self::UserRevokeConsents => "user.revoke_consents",
            Self::RoleCreate => "role.create",
            Self::RoleRead => "role.read",
            Self::RoleUpdate => "role.update",
            Self::RoleDelete => "role.delete",
            Self::RoleAssign => "role.assign",
            Self::RoleGrantPlatformAdmin => "role.grant_platform_admin",
            Self::ProviderCreate => "provider.create",
            Self::ProviderRead => "provider.read",
            Self::ProviderUpdate => "provider.update",
            Self::ProviderDelete => "provider.delete",
            Self::KeyRead => "key.read",
            Self::KeyRotate => "key.rotate",
            Self::AuditRead => "audit.read",
        }
    }

    /// The kind of resource the action touches.
    pub fn resource(self) -> ResourceKind {
        match self {
            Self::TenantCreate | Self::TenantRead | Self::TenantUpdate | Self::TenantDelete => {
                ResourceKind::Tenant
            }
            Self::ClientCreate
            | Self::ClientRead
            | Self::ClientUpdate
            | Self::ClientDelete
            | Self::ClientRotateSecret => ResourceKind::Client,
            Self::UserCreate
            | Self::UserRead
            | Self::UserUpdate
            | Self::UserDelete
            | Self::UserSetPassword
            | Self::UserRevokeSessions
            | Self::UserRevokeConsents => ResourceKind::User,
            Self::RoleCreate
            | Self::RoleRead
            | Self::RoleUpdate
            | Self::RoleDelete
            | Self::RoleAssign
            | Self::RoleGrantPlatformAdmin => ResourceKind::Role,
            Self::ProviderCreate
            | Self::ProviderRead
            | Self::ProviderUpdate
            | Self::ProviderDelete => ResourceKind::Provider,
            Self::KeyRead | Self::KeyRotate => ResourceKind::Key,
            Self::AuditRead => ResourceKind::Audit,
        }
    }

    /// Reads change nothing; they are all a tenant-viewer may do.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Self::TenantRead
                | Self::ClientRead
                | Self::UserRead
                | Self::RoleRead
                | Self::ProviderRead
                | Self::KeyRead
                | Self::AuditRead
        )
    }

    /// Actions about the platform rather than one tenant: only a platform-admin holds them.
    pub fn is_platform_only(self) -> bool {
        matches!(
            self,
            Self::TenantCreate | Self::TenantDelete | Self::RoleGrantPlatformAdmin
        )
    }
}

impl fmt::Display for AdminAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_names_its_resource_kind_first() {
        for action in AdminAction::ALL {
            let (kind, _) = action.as_str().split_once('.').unwrap_or_default();
            assert_eq!(kind, action.resource().as_str(), "{action}");
        }
    }

    #[test]
    fn reads_are_exactly_the_dot_read_actions() {
        for action in AdminAction::ALL {
            assert_eq!(
                action.is_read(),
                action.as_str().ends_with(".read"),
                "{action}"
            );
        }
    }
}
