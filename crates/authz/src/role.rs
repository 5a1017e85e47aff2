//! The built-in admin roles and the permissions they hold.

use std::fmt;

use crate::action::AdminAction;
use crate::model::EVERY_TENANT;

/// A built-in role of the admin plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminRole {
    /// Every action in every tenant, including the platform-only ones.
    PlatformAdmin,
    /// Every tenant action in the one tenant where it is held.
    TenantAdmin,
    /// Only the `*.read` actions in the one tenant where it is held.
    TenantViewer,
}

impl AdminRole {
    pub const ALL: [AdminRole; 3] = [Self::PlatformAdmin, Self::TenantAdmin, Self::TenantViewer];

    /// The role's name in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform-admin",
            Self::TenantAdmin => "tenant-admin",
            Self::TenantViewer => "tenant-viewer",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether the role holds `action` (where it is held).
    pub fn grants(self, action: AdminAction) -> bool {
        match self {
            Self::PlatformAdmin => true,
            Self::TenantAdmin => !action.is_platform_only(),
            Self::TenantViewer => action.is_read(),
        }
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The admin roles that are assigned per tenant (platform-admin is granted on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantRole {
    Admin,
    Viewer,
}

impl From<TenantRole> for AdminRole {
    fn from(role: TenantRole) -> Self {
        match role {
            TenantRole::Admin => Self::TenantAdmin,
            TenantRole::Viewer => Self::TenantViewer,
        }
    }
}

impl TenantRole {
    pub fn as_str(self) -> &'static str {
        AdminRole::from(self).as_str()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match AdminRole::from_name(name)? {
            AdminRole::TenantAdmin => Some(Self::Admin),
            AdminRole::TenantViewer => Some(Self::Viewer),
            AdminRole::PlatformAdmin => None,
        }
    }
}

/// The `p` rules of the built-in roles: (role, `*`, resource kind, action). Seeded at start;
/// missing ones are added, extra ones left alone (a node running an older release may still
/// rely on them during a rolling deploy).
pub(crate) fn builtin_policies() -> Vec<Vec<String>> {
    AdminRole::ALL
        .into_iter()
        .flat_map(|role| {
            AdminAction::ALL
                .into_iter()
                .filter(move |action| role.grants(*action))
                .map(move |action| {
                    vec![
                        role.as_str().to_owned(),
                        EVERY_TENANT.to_owned(),
                        action.resource().as_str().to_owned(),
                        action.as_str().to_owned(),
                    ]
                })
        })
        .collect()
}
