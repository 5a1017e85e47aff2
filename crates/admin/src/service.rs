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

/// The durable ports an admin change writes through, and the audit log, all in one
/// transaction: the change and its audit event are stored together or not at all. Dropping
/// it uncommitted rolls back.
#[async_trait::async_trait]
pub trait AdminWork: Send + Sync {
    fn tenants(&self) -> &dyn TenantStore;
    fn clients(&self) -> &dyn ClientStore;
    fn users(&self) -> &dyn UserStore;
    fn keys(&self) -> &dyn SigningKeyStore;
    fn providers(&self) -> &dyn keyward_federation::IdentityProviderStore;
    fn consents(&self) -> &dyn keyward_oauth::ConsentStore;
    fn refresh_tokens(&self) -> &dyn keyward_oauth::RefreshTokenStore;
    fn audit(&self) -> &dyn AuditLog;
    async fn commit(self: Box<Self>) -> Result<(), keyward_core::StoreError>;
}

/// Begins [`AdminWork`]s (keyward-store implements it on its connection pool).
#[async_trait::async_trait]
pub trait AdminTransactions: Send + Sync {
    async fn begin_work(&self) -> Result<Box<dyn AdminWork>, keyward_core::StoreError>;
}

/// Everything the admin use-cases need, wired once by the binary.
pub struct AdminPorts {
    /// Where changes and their audit events are written together.
    pub transactions: Arc<dyn AdminTransactions>,
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
    /// Where policy changes are announced (`Channel::Policy`).
    pub cache: Arc<dyn EphemeralStore>,
    pub announcer: Arc<dyn Announcer>,
    pub secrets: ClientSecretHasher,
    pub passwords: PasswordHasher,
    pub master: MasterKey,
    pub clock: Arc<dyn Clock>,
    /// Where client metadata may send Keyward (jwks_uri, backchannel_logout_uri).
    pub outbound: keyward_core::OutboundRule,
}

/// The admin use-cases. One per process, shared by the admin API and the CLI.
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

    /// A transaction for a change and its audit event ([`Admin::commit`] ends it).
    pub(crate) async fn begin(&self) -> Result<Box<dyn AdminWork>, AdminError> {
        Ok(self.ports.transactions.begin_work().await?)
    }

    fn event(
        &self,
        caller: &Caller,
        permit: &Permit,
        target: String,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            tenant_id: permit.tenant(),
            actor: permit.actor().subject(),
            action: permit.action().as_str().to_owned(),
            target,
            before,
            after,
            request_id: caller.request_id.clone(),
            at: self.ports.clock.now(),
        }
    }

    /// Writes the audit event of the change made in `work` under `permit` and commits both:
    /// if the event cannot be written, the change is rolled back with it. Snapshots must
    /// hold no secret or hash: callers pass views, never stored rows.
    pub(crate) async fn commit(
        &self,
        work: Box<dyn AdminWork>,
        caller: &Caller,
        permit: &Permit,
        target: String,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), AdminError> {
        let event = self.event(caller, permit, target, before, after);
        work.audit().append(&[event]).await?;
        work.commit().await?;
        Ok(())
    }

    /// Appends the audit event of a change that is not in the database's transaction — a
    /// Casbin rule (its adapter's own transaction) or a browser session (the cache) — right
    /// after the change. If the event cannot be written the change stands and the error is
    /// answered: the caller learns the log is missing it.
    pub(crate) async fn record_after(
        &self,
        caller: &Caller,
        permit: &Permit,
        target: String,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), AdminError> {
        let event = self.event(caller, permit, target, before, after);
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
