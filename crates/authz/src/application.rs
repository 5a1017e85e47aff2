//! Application authorization: each tenant's own roles and permissions for its end users, kept
//! on their own Casbin rule types (`p2`, `g2`) and names (`app:{role}`), so they never mix with
//! the admin roles, and scoped to the tenant that defined them.

use std::fmt;

use casbin::MgmtApi;
use keyward_core::{ParseError, TenantId, UserId};

use crate::actor::user_subject;
use crate::authorizer::Authorizer;
use crate::error::AuthzError;
use crate::model::{APP_GROUPING, APP_POLICY};
use crate::propagation::PolicyChanged;

const ROLE_PREFIX: &str = "app:";

/// The name of an application role, chosen by the tenant: 1–64 characters of letters,
/// digits, `_`, `-` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppRole(String);

impl AppRole {
    pub fn parse(name: &str) -> Result<Self, ParseError> {
        if name.is_empty() || name.len() > 64 {
            return Err(ParseError::new("role", "must be 1 to 64 characters long"));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(ParseError::new(
                "role",
                "may contain only letters, digits, '_', '-' and '.'",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Casbin subject of the role.
    fn subject(&self) -> String {
        format!("{ROLE_PREFIX}{}", self.0)
    }

    fn from_subject(subject: &str) -> Option<Self> {
        Self::parse(subject.strip_prefix(ROLE_PREFIX)?).ok()
    }
}

impl fmt::Display for AppRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A permission of an application role: `action` on `resource`, strings the tenant chooses.
/// `resource` is a resource type (`document`: every document) or one resource `type:id`
/// (`document:42`). Types and actions are 1–64 characters of letters, digits, `_`, `-`, `.`
/// and `/` (actions may also hold `:`); ids are 1–255 printable characters without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppPermission {
    resource: String,
    action: String,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-./".contains(&b)
}

/// A resource type as requests and permissions carry it.
pub(crate) fn valid_resource_type(kind: &str) -> bool {
    !kind.is_empty() && kind.len() <= 64 && kind.bytes().all(is_name_byte)
}

pub(crate) fn valid_resource_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl AppPermission {
    pub fn new(resource: &str, action: &str) -> Result<Self, ParseError> {
        let (kind, id) = match resource.split_once(':') {
            Some((kind, id)) => (kind, Some(id)),
            None => (resource, None),
        };
        if !valid_resource_type(kind) || !id.is_none_or(valid_resource_id) {
            return Err(ParseError::new(
                "resource",
                "must be a resource type or type:id (letters, digits, '_', '-', '.', '/')",
            ));
        }
        let action_ok = !action.is_empty()
            && action.len() <= 64
            && action.bytes().all(|b| is_name_byte(b) || b == b':');
        if !action_ok {
            return Err(ParseError::new(
                "action",
                "must be 1 to 64 letters, digits, '_', '-', '.', '/' or ':'",
            ));
        }
        Ok(Self {
            resource: resource.to_owned(),
            action: action.to_owned(),
        })
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    fn rule(&self, role: &AppRole, tenant: TenantId) -> Vec<String> {
        vec![
            role.subject(),
            tenant.to_string(),
            self.resource.clone(),
            self.action.clone(),
        ]
    }

    /// From a stored `p2` rule: (role, tenant, resource, action).
    fn from_rule(rule: &[String]) -> Option<Self> {
        Self::new(rule.get(2)?, rule.get(3)?).ok()
    }
}

fn membership(user: UserId, role: &AppRole, tenant: TenantId) -> Vec<String> {
    vec![user_subject(user), role.subject(), tenant.to_string()]
}

impl Authorizer {
    /// Lets holders of `role` in `tenant` do the permission's action.
    pub async fn grant_app_permission(
        &self,
        tenant: TenantId,
        role: &AppRole,
        permission: &AppPermission,
    ) -> Result<PolicyChanged, AuthzError> {
        self.add_policy(APP_POLICY, permission.rule(role, tenant))
            .await
    }

    pub async fn revoke_app_permission(
        &self,
        tenant: TenantId,
        role: &AppRole,
        permission: &AppPermission,
    ) -> Result<PolicyChanged, AuthzError> {
        self.remove_policy(APP_POLICY, permission.rule(role, tenant))
            .await
    }

    pub async fn assign_app_role(
        &self,
        user: UserId,
        role: &AppRole,
        tenant: TenantId,
    ) -> Result<PolicyChanged, AuthzError> {
        self.add_grouping(APP_GROUPING, membership(user, role, tenant))
            .await
    }

    pub async fn revoke_app_role(
        &self,
        user: UserId,
        role: &AppRole,
        tenant: TenantId,
    ) -> Result<PolicyChanged, AuthzError> {
        self.remove_grouping(APP_GROUPING, membership(user, role, tenant))
            .await
    }

    /// Removes the role from `tenant`: its permissions and every assignment of it.
    pub async fn delete_app_role(
        &self,
        tenant: TenantId,
        role: &AppRole,
    ) -> Result<PolicyChanged, AuthzError> {
        let scope = vec![role.subject(), tenant.to_string()];
        self.remove_filtered(&[(APP_POLICY, 0, scope.clone()), (APP_GROUPING, 1, scope)])
            .await
    }

    /// The permissions `role` holds in `tenant`.
    pub async fn app_role_permissions(
        &self,
        tenant: TenantId,
        role: &AppRole,
    ) -> Vec<AppPermission> {
        let rules = self.read().await.get_filtered_named_policy(
            APP_POLICY,
            0,
            vec![role.subject(), tenant.to_string()],
        );
        sorted(rules.iter().filter_map(|r| AppPermission::from_rule(r)))
    }

    /// Every role `tenant` has defined (holding a permission) or assigned.
    pub async fn app_roles(&self, tenant: TenantId) -> Vec<AppRole> {
        let enforcer = self.read().await;
        let domain = tenant.to_string();
        let defined = enforcer
            .get_filtered_named_policy(APP_POLICY, 1, vec![domain.clone()])
            .into_iter()
            .filter_map(|r| AppRole::from_subject(r.first()?));
        let assigned = enforcer
            .get_filtered_named_grouping_policy(APP_GROUPING, 2, vec![domain])
            .into_iter()
            .filter_map(|r| AppRole::from_subject(r.get(1)?));
        sorted(defined.chain(assigned))
    }

    /// The application roles of `user` in `tenant`, for a `roles` claim.
    pub async fn app_roles_of(&self, user: UserId, tenant: TenantId) -> Vec<AppRole> {
        let rules = self.read().await.get_filtered_named_grouping_policy(
            APP_GROUPING,
            0,
            vec![user_subject(user), String::new(), tenant.to_string()],
        );
        sorted(
            rules
                .iter()
                .filter_map(|r| AppRole::from_subject(r.get(1)?)),
        )
    }

    /// The permissions `user` holds in `tenant` through its roles, for a `permissions` claim.
    pub async fn app_permissions_of(&self, user: UserId, tenant: TenantId) -> Vec<AppPermission> {
        let roles = self.app_roles_of(user, tenant).await;
        let enforcer = self.read().await;
        let domain = tenant.to_string();
        let permissions = roles.iter().flat_map(|role| {
            enforcer.get_filtered_named_policy(APP_POLICY, 0, vec![role.subject(), domain.clone()])
        });
        sorted(permissions.filter_map(|r| AppPermission::from_rule(&r)))
    }

    /// Forgets `user` on both planes (admin and application roles everywhere), when the
    /// user is deleted.
    pub async fn forget_user(&self, user: UserId) -> Result<PolicyChanged, AuthzError> {
        let subject = vec![user_subject(user)];
        self.remove_filtered(&[
            (crate::model::ADMIN_GROUPING, 0, subject.clone()),
            (APP_GROUPING, 0, subject),
        ])
        .await
    }

    /// Forgets every role assignment and application permission in `tenant`, when the
    /// tenant is deleted. The built-in roles' permissions hold in every tenant and stay.
    pub async fn forget_tenant(&self, tenant: TenantId) -> Result<PolicyChanged, AuthzError> {
        let domain = tenant.to_string();
        self.remove_filtered(&[
            (crate::model::ADMIN_GROUPING, 2, vec![domain.clone()]),
            (APP_GROUPING, 2, vec![domain.clone()]),
            (APP_POLICY, 1, vec![domain]),
        ])
        .await
    }
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = items.collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_a_type_or_one_resource() {
        assert!(AppPermission::new("document", "read").is_ok());
        assert!(AppPermission::new("document:42", "read").is_ok());
        assert!(AppPermission::new("billing/invoice", "approve:all").is_ok());
        assert!(AppPermission::new("", "read").is_err());
        assert!(AppPermission::new("doc:", "read").is_err());
        assert!(AppPermission::new("doc ument", "read").is_err());
        assert!(AppPermission::new("document", "").is_err());
        assert!(AppPermission::new("document", "re ad").is_err());
    }

    #[test]
    fn role_names_refuse_separators_and_spaces() {
        assert!(AppRole::parse("editor").is_ok());
        assert!(AppRole::parse("team.lead-2").is_ok());
        assert!(AppRole::parse("").is_err());
        assert!(AppRole::parse("a:b").is_err());
        assert!(AppRole::parse("a b").is_err());
        assert!(AppRole::parse(&"r".repeat(65)).is_err());
    }
}
