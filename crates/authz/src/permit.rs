//! The proof that an admin check passed. Use-cases take a `&Permit`, so code that skipped the
//! check does not compile (lldap's pattern): a `Permit` cannot be built, cloned or forged
//! outside this crate, only returned by [`crate::Authorizer::permit`].

use keyward_core::TenantId;

use crate::action::AdminAction;
use crate::actor::Actor;

/// `actor` may do `action` in `tenant`. Not `Clone`: a permit is for one operation.
///
/// A use-case should act on [`Permit::tenant`] rather than on a tenant passed beside the
/// permit, so a permit for one tenant can never authorize work in another.
#[derive(Debug)]
pub struct Permit {
    actor: Actor,
    tenant: TenantId,
    action: AdminAction,
}

impl Permit {
    pub(crate) fn new(actor: Actor, tenant: TenantId, action: AdminAction) -> Self {
        Self {
            actor,
            tenant,
            action,
        }
    }

    /// Who was permitted, for the audit log.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn action(&self) -> AdminAction {
        self.action
    }

    /// Whether this permit is for exactly `action` in `tenant`.
    pub fn covers(&self, tenant: TenantId, action: AdminAction) -> bool {
        self.tenant == tenant && self.action == action
    }
}

/// `actor` may not do `action` in `tenant`: no policy allows it (deny by default), or the
/// engine failed and the check failed closed (then [`std::error::Error::source`] says why;
/// log it, never show it).
#[derive(Debug, thiserror::Error)]
#[error("{actor} may not {action} in tenant {tenant}")]
pub struct Denied {
    pub actor: Actor,
    pub tenant: TenantId,
    pub action: AdminAction,
    #[source]
    cause: Option<casbin::Error>,
}

impl Denied {
    pub(crate) fn new(
        actor: Actor,
        tenant: TenantId,
        action: AdminAction,
        cause: Option<casbin::Error>,
    ) -> Self {
        Self {
            actor,
            tenant,
            action,
            cause,
        }
    }

    /// True when the check failed because the engine did, not because no policy allowed it.
    pub fn is_engine_failure(&self) -> bool {
        self.cause.is_some()
    }
}
