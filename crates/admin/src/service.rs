//! The admin service: the ports every use-case works through, who is calling, and the steps
//! every use-case shares (resolve the tenant, get a permit, record the audit event).

use std::sync::Arc;

use keyward_authz::{Actor, AdminAction, Authorizer, Permit};
use keyward_core::{
    AuditEvent, AuditLog, Clock, EphemeralStore, MasterKey, Page, PageRequest, Tenant, TenantSlug,
    TenantStore,
};
use keyward_identity::{PasswordHasher, Sessions, UserStore};
use keyward_oauth::client_secret::ClientSecretHasher;
use keyward_oauth::{ClientStore, SigningKeyStore};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::announce::Announcer;
use crate::error::AdminError;
use crate::sessions::SessionLogout;

/// Everything the admin use-cases need, wired once by the binary.
pub struct AdminPorts {
    pub authorizer: Arc<Authorizer>,
    pub tenants: Arc<dyn TenantStore>,
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub keys: Arc<dyn SigningKeyStore>,
    pub providers: Arc<dyn keyward_federation::IdentityProviderStore>,
    pub consents: Arc<dyn keyward_oauth::ConsentStore>,
    /// Refresh-token families, revoked with every grant of a user who is disabled or deleted.
    pub refresh_tokens: Arc<dyn keyward_oauth::RefreshTokenStore>,
    pub audit: Arc<dyn AuditLog>,
    /// Where policy changes are announced (keyward-authz's POLICY_CHANNEL).
    pub cache: Arc<dyn EphemeralStore>,
    pub announcer: Arc<dyn Announcer>,
    pub secrets: ClientSecretHasher,
    pub passwords: PasswordHasher,
    pub master: MasterKey,
    pub clock: Arc<dyn Clock>,
    /// Where client metadata may send Keyward (jwks_uri, backchannel_logout_uri).
    pub outbound: keyward_core::OutboundRule,
}

/// The admin use-cases. One per process, shared by the admin API and the console.
pub struct Admin {
    pub(crate) ports: AdminPorts,
    /// Browser sessions, in the same ephemeral store (and with the same default lifetimes)
    /// as the hosted pages keep them.
    pub(crate) sessions: Sessions,
    pub(crate) session_logout: Option<Arc<dyn SessionLogout>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

/// Who calls, already authenticated, and the request id to record with each change.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl Caller {
    pub fn new(actor: Actor, request_id: Option<String>) -> Self {
        Self { actor, request_id }
    }
}

/// One page of a list, as the API shows it: `{ items, next }`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageView<T> {
    pub items: Vec<T>,
    /// The cursor of the next page (`?after=`), absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> PageView<T> {
    pub(crate) fn from_page<S>(page: Page<S>, view: impl Fn(&S) -> T) -> Self {
        Self {
            items: page.items.iter().map(view).collect(),
            next: page.next,
        }
    }
}

impl Admin {
    pub fn new(ports: AdminPorts) -> Self {
        Self {
            sessions: Sessions::new(ports.cache.clone()),
            ports,
            session_logout: None,
        }
    }

    /// Tells the clients of a session an administrator ends (back-channel logout).
    pub fn with_session_logout(mut self, logout: Arc<dyn SessionLogout>) -> Self {
        self.session_logout = Some(logout);
        self
    }

    pub fn authorizer(&self) -> &Arc<Authorizer> {
        &self.ports.authorizer
    }

    /// The tenant named by `slug`; `NotFound` for a malformed or unknown slug.
    pub(crate) async fn tenant(&self, slug: &str) -> Result<Tenant, AdminError> {
        let slug = TenantSlug::parse(slug).map_err(|_| AdminError::NotFound)?;
        self.ports
            .tenants
            .by_slug(&slug)
            .await?
            .ok_or(AdminError::NotFound)
    }

    /// Resolves the tenant, then asks the authorizer; the permit is for that tenant only.
    pub(crate) async fn permit(
        &self,
        caller: &Caller,
        slug: &str,
        action: AdminAction,
    ) -> Result<(Tenant, Permit), AdminError> {
        let tenant = self.tenant(slug).await?;
        let permit = self
            .ports
            .authorizer
            .permit(&caller.actor, tenant.id, action)
            .await?;
        Ok((tenant, permit))
    }

    /// Appends the audit event of a mutation made under `permit`. Snapshots must hold no
    /// secret or hash: callers pass views, never stored rows.
    pub(crate) async fn record(
        &self,
        caller: &Caller,
        permit: &Permit,
        target: String,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), AdminError> {
        let event = AuditEvent {
            id: Uuid::now_v7(),
            tenant_id: permit.tenant(),
            actor: permit.actor().subject(),
            action: permit.action().as_str().to_owned(),
            target,
            before,
            after,
            request_id: caller.request_id.clone(),
            at: self.ports.clock.now(),
        };
        self.ports.audit.append(&[event]).await?;
        Ok(())
    }
}

/// `limit` and `after` as the API received them, clamped to what the ports accept.
pub(crate) fn page_request(limit: Option<u64>, after: Option<String>) -> PageRequest {
    let limit = limit.unwrap_or(50);
    match after.filter(|a| !a.is_empty()) {
        Some(after) => PageRequest::after(after, limit),
        None => PageRequest::first(limit),
    }
}

/// A view as a JSON snapshot for the audit log.
pub(crate) fn snapshot<T: Serialize>(view: &T) -> Option<Value> {
    serde_json::to_value(view).ok()
}
