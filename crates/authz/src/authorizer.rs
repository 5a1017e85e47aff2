//! The authorizer: one Casbin enforcer behind a read-write lock. Checks take the read lock
//! (`enforce` needs only `&self`), so they run in parallel; policy changes and reloads take the
//! write lock, briefly, and persist through the adapter before they count.

use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, MgmtApi};
use keyward_core::TenantId;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::action::AdminAction;
use crate::actor::Actor;
use crate::error::AuthzError;
use crate::model::{ADMIN_GROUPING, ADMIN_POLICY, EVERY_TENANT, MODEL, RULE_TYPES};
use crate::permit::{Denied, Permit};
use crate::propagation::PolicyChanged;
use crate::role::{AdminRole, builtin_policies};

/// Casbin behind a typed facade: admin checks, role assignment, application authorization.
/// Share one per process (`Arc<Authorizer>`); keep every node's copy current with
/// [`crate::follow`].
pub struct Authorizer {
    enforcer: RwLock<Enforcer>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").finish_non_exhaustive()
    }
}

impl Authorizer {
    /// Loads every policy from `adapter` and seeds the built-in roles' permissions that are
    /// missing (idempotent; concurrent starts of several nodes are fine).
    pub async fn new(adapter: impl Adapter + 'static) -> Result<Self, AuthzError> {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, adapter).await?;
        enforcer.enable_auto_save(true);
        seed(&mut enforcer).await?;
        Ok(Self {
            enforcer: RwLock::new(enforcer),
        })
    }

    /// May `actor` do `action` in `tenant`? Deny by default; an engine failure denies too.
    /// The local operator ([`Actor::Operator`]) may do everything.
    pub async fn permit(
        &self,
        actor: &Actor,
        tenant: TenantId,
        action: AdminAction,
    ) -> Result<Permit, Denied> {
        if *actor == Actor::Operator {
            return Ok(Permit::new(actor.clone(), tenant, action));
        }
        let subject = actor.subject();
        let domain = tenant.to_string();
        let decision = self.read().await.enforce((
            subject.as_str(),
            domain.as_str(),
            action.resource().as_str(),
            action.as_str(),
        ));
        match decision {
            Ok(true) => Ok(Permit::new(actor.clone(), tenant, action)),
            Ok(false) => Err(Denied::new(actor.clone(), tenant, action, None)),
            Err(err) => Err(Denied::new(actor.clone(), tenant, action, Some(err))),
        }
    }

    /// Whether `actor` holds platform-admin (every tenant, platform-only actions).
    pub async fn is_platform_admin(&self, actor: &Actor) -> bool {
        if *actor == Actor::Operator {
            return true;
        }
        self.read()
            .await
            .has_grouping_named_policy(ADMIN_GROUPING, platform_admin_rule(actor))
    }

    /// Re-reads every policy from storage: call it when another node announces a change on
    /// [`keyward_core::Channel::Policy`]. Checks wait while it runs. If storage fails, the policy in
    /// memory stays as it was and the error is returned.
    pub async fn reload(&self) -> Result<(), AuthzError> {
        let mut enforcer = self.write().await;
        reload_or_keep(&mut enforcer).await
    }

    pub(crate) async fn read(&self) -> RwLockReadGuard<'_, Enforcer> {
        self.enforcer.read().await
    }

    pub(crate) async fn write(&self) -> RwLockWriteGuard<'_, Enforcer> {
        self.enforcer.write().await
    }

    /// Stores one grouping rule (a role assignment) of type `ptype`.
    pub(crate) async fn add_grouping(
        &self,
        ptype: &str,
        rule: Vec<String>,
    ) -> Result<PolicyChanged, AuthzError> {
        let mut enforcer = self.write().await;
        let stored = enforcer.add_named_grouping_policy(ptype, rule).await?;
        settle(&mut enforcer, stored).await
    }

    pub(crate) async fn remove_grouping(
        &self,
        ptype: &str,
        rule: Vec<String>,
    ) -> Result<PolicyChanged, AuthzError> {
        let mut enforcer = self.write().await;
        let removed = enforcer.remove_named_grouping_policy(ptype, rule).await?;
        settle(&mut enforcer, removed).await
    }

    /// Stores one permission rule of type `ptype`.
    pub(crate) async fn add_policy(
        &self,
        ptype: &str,
        rule: Vec<String>,
    ) -> Result<PolicyChanged, AuthzError> {
        let mut enforcer = self.write().await;
        let stored = enforcer.add_named_policy(ptype, rule).await?;
        settle(&mut enforcer, stored).await
    }

    pub(crate) async fn remove_policy(
        &self,
        ptype: &str,
        rule: Vec<String>,
    ) -> Result<PolicyChanged, AuthzError> {
        let mut enforcer = self.write().await;
        let removed = enforcer.remove_named_policy(ptype, rule).await?;
        settle(&mut enforcer, removed).await
    }

    /// Removes every rule of each `(ptype, field_index, values)` filter (empty values match
    /// anything, as in Casbin's management API); `values` must constrain something.
    pub(crate) async fn remove_filtered(
        &self,
        filters: &[(&str, usize, Vec<String>)],
    ) -> Result<PolicyChanged, AuthzError> {
        let mut enforcer = self.write().await;
        let mut changed = false;
        let mut stale = false;
        for (ptype, index, values) in filters {
            let in_memory = if ptype.starts_with('g') {
                enforcer.get_filtered_named_grouping_policy(ptype, *index, values.clone())
            } else {
                enforcer.get_filtered_named_policy(ptype, *index, values.clone())
            };
            let removed = if ptype.starts_with('g') {
                enforcer
                    .remove_filtered_named_grouping_policy(ptype, *index, values.clone())
                    .await?
            } else {
                enforcer
                    .remove_filtered_named_policy(ptype, *index, values.clone())
                    .await?
            };
            changed |= removed;
            stale |= !removed && !in_memory.is_empty();
        }
        if stale {
            reload_or_keep(&mut enforcer).await?;
        }
        Ok(PolicyChanged::new(changed))
    }
}

/// The grouping rule that makes `actor` a platform admin.
pub(crate) fn platform_admin_rule(actor: &Actor) -> Vec<String> {
    vec![
        actor.subject(),
        AdminRole::PlatformAdmin.as_str().to_owned(),
        EVERY_TENANT.to_owned(),
    ]
}

async fn seed(enforcer: &mut Enforcer) -> Result<(), AuthzError> {
    let missing: Vec<Vec<String>> = builtin_policies()
        .into_iter()
        .filter(|rule| !enforcer.has_named_policy(ADMIN_POLICY, rule.clone()))
        .collect();
    if missing.is_empty()
        || enforcer
            .add_named_policies(ADMIN_POLICY, missing.clone())
            .await?
    {
        return Ok(());
    }
    // Another node stored some of them meanwhile (a batch is all or nothing): add the rest one
    // by one, then read back what storage holds.
    for rule in missing {
        enforcer.add_named_policy(ADMIN_POLICY, rule).await?;
    }
    enforcer.load_policy().await?;
    Ok(())
}

/// Storage refused a change as already made (a duplicate add or a missing rule on removal).
/// Then this node may have missed another node's change, so it re-reads storage.
async fn settle(enforcer: &mut Enforcer, changed: bool) -> Result<PolicyChanged, AuthzError> {
    if !changed {
        reload_or_keep(enforcer).await?;
    }
    Ok(PolicyChanged::new(changed))
}

/// `load_policy` clears the rules before reading storage; if the read fails, put the previous
/// rules back rather than leave the node with none.
async fn reload_or_keep(enforcer: &mut Enforcer) -> Result<(), AuthzError> {
    let snapshot: Vec<(&str, &str, Vec<Vec<String>>)> = RULE_TYPES
        .into_iter()
        .map(|(sec, ptype)| (sec, ptype, enforcer.get_model().get_policy(sec, ptype)))
        .collect();
    let Err(err) = enforcer.load_policy().await else {
        return Ok(());
    };
    let model = enforcer.get_mut_model();
    model.clear_policy();
    for (sec, ptype, rules) in snapshot {
        if !rules.is_empty() {
            model.add_policies(sec, ptype, rules);
        }
    }
    enforcer.build_role_links()?;
    Err(err.into())
}
