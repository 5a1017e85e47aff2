//! The token service: the ports behind the token (RFC 6749 §3.2), introspection (RFC 7662) and
//! revocation (RFC 7009) endpoints. Each endpoint lives in its own module as an `impl` block on
//! [`TokenService`]; this module only holds the ports and what every endpoint shares.

use std::fmt::Display;
use std::sync::Arc;

use keyward_core::{AuditRecorder, Clock, DiscardAudit, EphemeralStore, TenantId, UserId};

use crate::app_claims::AppClaims;
use crate::claims::UserClaims;
use crate::client_authentication::{AuthenticatedClient, JwksFetcher};
use crate::client_secret::ClientSecretHasher;
use crate::directory::{Directory, TenantEntry};
use crate::error::OAuthError;
use crate::keyring::{KeyRing, TenantKeys};
use crate::params::FormParams;
use crate::refresh_token::RefreshTokenStore;
use crate::token::password::ResourceOwnerAuthenticator;

/// Everything the token service talks to, as ports.
pub struct TokenServicePorts {
    /// Tenants and clients, cached in process (the hot path never reads the database).
    pub directory: Arc<Directory>,
    /// Decrypted signing keys per tenant, cached in process.
    pub keys: Arc<KeyRing>,
    pub refresh_tokens: Arc<dyn RefreshTokenStore>,
    /// Replay caches (client assertions) and the revoked access-token set.
    pub cache: Arc<dyn EphemeralStore>,
    /// Checks a resource owner's password for the password grant (RFC 6749 §4.3).
    pub resource_owners: Arc<dyn ResourceOwnerAuthenticator>,
    /// Fetches a private_key_jwt client's `jwks_uri`.
    pub jwks_fetcher: Arc<dyn JwksFetcher>,
    /// Whether a user still exists and is enabled, checked at every grant for a user.
    pub users: Arc<dyn UserClaims>,
    pub secrets: ClientSecretHasher,
    pub clock: Arc<dyn Clock>,
}

/// The token, introspection and revocation endpoints of every tenant.
pub struct TokenService {
    pub(crate) directory: Arc<Directory>,
    pub(crate) keys: Arc<KeyRing>,
    pub(crate) refresh_tokens: Arc<dyn RefreshTokenStore>,
    pub(crate) cache: Arc<dyn EphemeralStore>,
    pub(crate) resource_owners: Arc<dyn ResourceOwnerAuthenticator>,
    pub(crate) jwks_fetcher: Arc<dyn JwksFetcher>,
    pub(crate) users: Arc<dyn UserClaims>,
    pub(crate) secrets: ClientSecretHasher,
    pub(crate) clock: Arc<dyn Clock>,
    /// The `roles` / `permissions` claims, for clients that opt in; none without it.
    pub(crate) app_claims: Option<Arc<dyn AppClaims>>,
    /// Where token issuance, replay and revocation events go (see `token_audit`).
    pub(crate) audit: Arc<dyn AuditRecorder>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("directory", &self.directory)
            .finish()
    }
}

impl TokenService {
    pub fn new(ports: TokenServicePorts) -> Self {
        Self {
            directory: ports.directory,
            keys: ports.keys,
            refresh_tokens: ports.refresh_tokens,
            cache: ports.cache,
            resource_owners: ports.resource_owners,
            jwks_fetcher: ports.jwks_fetcher,
            users: ports.users,
            secrets: ports.secrets,
            clock: ports.clock,
            app_claims: None,
            audit: Arc::new(DiscardAudit),
        }
    }

    /// Wires the recorder of the token service's audit events (none are kept without it).
    pub fn with_audit(mut self, recorder: Arc<dyn AuditRecorder>) -> Self {
        self.audit = recorder;
        self
    }

    /// Wires the port behind the opt-in `roles` / `permissions` claims.
    pub fn with_app_claims(mut self, port: Arc<dyn AppClaims>) -> Self {
        self.app_claims = Some(port);
        self
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The tenant named in the path; unknown → 404 `invalid_request`.
    pub async fn tenant(&self, slug: &str) -> Result<Arc<TenantEntry>, OAuthError> {
        self.directory
            .tenant(slug)
            .await
            .map_err(|e| unavailable("looking up the tenant", e))?
            .ok_or_else(OAuthError::unknown_tenant)
    }

    /// The tenant and the authenticated client of a request to one of `slug`'s JSON endpoints
    /// (the decision API): the client authentication of introspection, from the
    /// `Authorization` header alone, as a JSON body carries no form credentials. RFC 6749 §2.3.1
    pub async fn authenticate_caller(
        &self,
        slug: &str,
        authorization: Option<&str>,
    ) -> Result<(Arc<TenantEntry>, AuthenticatedClient), OAuthError> {
        let tenant = self.tenant(slug).await?;
        let client = self
            .authenticate_client(&tenant, authorization, &FormParams::default())
            .await?;
        Ok((tenant, client))
    }

    /// Whether `user` (a user id as a grant recorded it) exists in `tenant` and is enabled; a
    /// subject that is no user id is not.
    pub(crate) async fn user_active(
        &self,
        tenant: &TenantEntry,
        user: &str,
    ) -> Result<bool, OAuthError> {
        let Ok(user) = user.parse::<UserId>() else {
            return Ok(false);
        };
        self.users
            .is_active(tenant.tenant.id, user)
            .await
            .map_err(|e| unavailable("reading the user", e))
    }

    /// The tenant's signing and verification keys, from the in-process key ring.
    pub(crate) async fn tenant_keys(
        &self,
        tenant: TenantId,
    ) -> Result<Arc<TenantKeys>, OAuthError> {
        self.keys
            .tenant_keys(tenant)
            .await
            .map_err(|e| unavailable("loading the tenant's signing keys", e))
    }
}

/// Logs a backend failure and answers `temporarily_unavailable`.
pub(crate) fn unavailable(what: &str, cause: impl Display) -> OAuthError {
    tracing::error!(error = %cause, "{what} failed");
    OAuthError::temporarily_unavailable()
}

/// Logs an unexpected failure and answers `server_error`.
pub(crate) fn internal(what: &str, cause: impl Display) -> OAuthError {
    tracing::error!(error = %cause, "{what} failed");
    OAuthError::server_error()
}

#[cfg(test)]
#[path = "token_service_fixture.rs"]
pub(crate) mod fixture;
