//! Assigning the built-in admin roles. Every change is persisted through the adapter before it
//! counts, and returns a [`PolicyChanged`] for the caller to announce to the other nodes.
//! Who may assign what is the use-case's check (`role.assign`, `role.grant_platform_admin`).

use casbin::MgmtApi;
use keyward_core::TenantId;

use crate::actor::Actor;
use crate::authorizer::{Authorizer, platform_admin_rule};
use crate::error::AuthzError;
use crate::model::{ADMIN_GROUPING, EVERY_TENANT};
use crate::propagation::PolicyChanged;
use crate::role::{AdminRole, TenantRole};

fn assignment(subject: &Actor, role: TenantRole, tenant: TenantId) -> Vec<String> {
    vec![
        subject.subject(),
        role.as_str().to_owned(),
        tenant.to_string(),
    ]
}

impl Authorizer {
    /// Gives `subject` the tenant role `role` in `tenant` (and nowhere else).
    pub async fn assign_role(
        &self,
        subject: &Actor,
        role: TenantRole,
        tenant: TenantId,
    ) -> Result<PolicyChanged, AuthzError> {
        self.add_grouping(ADMIN_GROUPING, assignment(subject, role, tenant))
            .await
    }

    pub async fn revoke_role(
        &self,
        subject: &Actor,
        role: TenantRole,
        tenant: TenantId,
    ) -> Result<PolicyChanged, AuthzError> {
        self.remove_grouping(ADMIN_GROUPING, assignment(subject, role, tenant))
            .await
    }

    /// Makes `subject` a platform admin: every action in every tenant.
    pub async fn grant_platform_admin(&self, subject: &Actor) -> Result<PolicyChanged, AuthzError> {
        self.add_grouping(ADMIN_GROUPING, platform_admin_rule(subject))
            .await
    }

    pub async fn revoke_platform_admin(
        &self,
        subject: &Actor,
    ) -> Result<PolicyChanged, AuthzError> {
        self.remove_grouping(ADMIN_GROUPING, platform_admin_rule(subject))
            .await
    }

    /// The admin roles that apply to `subject` in `tenant`: its tenant roles there, and
    /// platform-admin if it holds that.
    pub async fn roles_of(&self, subject: &Actor, tenant: TenantId) -> Vec<AdminRole> {
        let enforcer = self.read().await;
        let sub = subject.subject();
        let domain = tenant.to_string();
        let mut roles: Vec<AdminRole> = enforcer
            .get_filtered_named_grouping_policy(ADMIN_GROUPING, 0, vec![sub.clone()])
            .into_iter()
            .filter(|rule| {
                rule.get(2)
                    .is_some_and(|d| *d == domain || d == EVERY_TENANT)
            })
            .filter_map(|rule| rule.get(1).and_then(|name| AdminRole::from_name(name)))
            .collect();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        roles
    }

    /// Every tenant-role assignment in `tenant`, for listing who administers it.
    pub async fn role_assignments(&self, tenant: TenantId) -> Vec<(Actor, TenantRole)> {
        let enforcer = self.read().await;
        let mut out: Vec<(Actor, TenantRole)> = enforcer
            .get_filtered_named_grouping_policy(ADMIN_GROUPING, 2, vec![tenant.to_string()])
            .into_iter()
            .filter_map(|rule| {
                let actor = Actor::from_subject(rule.first()?).ok()?;
                let role = TenantRole::from_name(rule.get(1)?)?;
                Some((actor, role))
            })
            .collect();
        out.sort_by_key(|(actor, role)| (actor.subject(), role.as_str()));
        out
    }

    /// Everyone holding platform-admin.
    pub async fn platform_admins(&self) -> Vec<Actor> {
        let enforcer = self.read().await;
        let mut out: Vec<Actor> = enforcer
            .get_filtered_named_grouping_policy(
                ADMIN_GROUPING,
                1,
                vec![
                    AdminRole::PlatformAdmin.as_str().to_owned(),
                    EVERY_TENANT.to_owned(),
                ],
            )
            .into_iter()
            .filter_map(|rule| Actor::from_subject(rule.first()?).ok())
            .collect();
        out.sort_by_key(Actor::subject);
        out
    }
}
