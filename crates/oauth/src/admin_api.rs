//! Tokens for Keyward's own admin API. They are ordinary access tokens of the `system` tenant
//! with a dedicated scope, [`ADMIN_SCOPE`], and a dedicated audience, `{public_url}/admin/api`
//! (RFC 9068 §2.2 `aud`, RFC 8707 resource indicator). The admin API accepts nothing else.
//!
//! Who may get one is a property of the client: a client of the system tenant may be granted
//! the scope only when its registered scopes list it (service accounts, the seeded dev admin,
//! an operator's console). A client of any other tenant can never hold it. The scope is never
//! part of a default: a client must ask for it (`scope=keyward:admin`, or
//! `resource={public_url}/admin/api`), so that a token meant for something else never opens
//! the admin API.

use std::sync::Arc;

use keyward_core::{ClientId, Clock, ParseError, RevokedSets, Scope, TenantId, TenantSlug, UserId};
use serde_json::Value;

use crate::access_token;
use crate::claims::UserClaims;
use crate::directory::Directory;
use crate::keyring::KeyRing;

/// The scope of admin API tokens.
pub const ADMIN_SCOPE: &str = "keyward:admin";

/// `{public_url}/admin/api`: the audience (RFC 8707 resource) of admin API tokens.
pub fn admin_audience(public_url: &str) -> String {
    format!("{}/admin/api", public_url.trim_end_matches('/'))
}

/// Whether a client of `tenant` may be registered with `scopes`: the admin scope belongs to
/// clients of the system tenant only.
pub fn check_registration(tenant: &TenantSlug, scopes: &Scope) -> Result<(), ParseError> {
    if scopes.contains(ADMIN_SCOPE) && tenant.as_str() != TenantSlug::SYSTEM {
        return Err(ParseError::new(
            "scopes",
            "keyward:admin is only for clients of the system tenant",
        ));
    }
    Ok(())
}

/// `scope` without the admin scope: what a client gets when it names no scope.
pub fn without_admin(scope: &Scope) -> Scope {
    let kept: Vec<String> = scope
        .tokens()
        .filter(|s| *s != ADMIN_SCOPE)
        .map(str::to_owned)
        .collect();
    Scope::from_tokens(&kept).unwrap_or_default()
}

/// Who an admin token speaks for: the system tenant's client itself (a service account) or
/// a system-tenant user. keyward-admin-api turns it into its admin actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSubject {
    ServiceAccount {
        tenant: TenantId,
        client_id: ClientId,
    },
    User(UserId),
}

/// Why a bearer token opens no admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTokenRefusal {
    /// Not a live admin token (RFC 6750 `invalid_token`).
    Invalid,
    /// The keys, the cache or the directory could not be read; the cause is logged.
    Unavailable,
}

/// The admin API's token check: a live access token of the system tenant
/// ([`access_token::verify_live`]) with the admin audience and scope, minted for a client that
/// is still registered for the scope; its subject a user who is still enabled, or the client.
pub struct AdminTokens {
    pub directory: Arc<Directory>,
    pub keys: Arc<KeyRing>,
    pub users: Arc<dyn UserClaims>,
    pub revoked: Arc<dyn RevokedSets>,
    pub clock: Arc<dyn Clock>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> AdminTokenRefusal {
    tracing::error!(error = %e, "admin token check: {what} failed");
    AdminTokenRefusal::Unavailable
}

impl AdminTokens {
    pub async fn verify(&self, token: &str) -> Result<AdminSubject, AdminTokenRefusal> {
        use AdminTokenRefusal::Invalid;
        let system = self
            .directory
            .tenant(TenantSlug::SYSTEM)
            .await
            .map_err(|e| unavailable("reading the system tenant", e))?
            .ok_or(AdminTokenRefusal::Unavailable)?;
        let keys = self
            .keys
            .tenant_keys(system.tenant.id)
            .await
            .map_err(|e| unavailable("loading the system tenant's keys", e))?;
        let verified = access_token::verify_live(
            token,
            &system,
            &keys,
            self.revoked.as_ref(),
            self.clock.now(),
        )
        .await
        .map_err(|e| unavailable("checking the revoked set", e))?
        .ok_or(Invalid)?;
        let audience = system
            .admin_audience
            .as_deref()
            .ok_or(AdminTokenRefusal::Unavailable)?;
        if !verified.has_audience(audience) || !verified.has_scope(ADMIN_SCOPE) {
            return Err(Invalid);
        }
        // The client must still be one that may hold admin tokens: deleting a service account
        // or taking the scope away ends its tokens too.
        let client = self
            .directory
            .client(system.tenant.id, &verified.client_id)
            .await
            .map_err(|e| unavailable("reading the token's client", e))?;
        if !client.is_some_and(|c| c.scopes.contains(ADMIN_SCOPE)) {
            return Err(Invalid);
        }
        let sub = verified
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if sub == verified.client_id {
            let client_id = ClientId::parse(sub).map_err(|_| Invalid)?;
            return Ok(AdminSubject::ServiceAccount {
                tenant: system.tenant.id,
                client_id,
            });
        }
        let user = sub.parse::<UserId>().map_err(|_| Invalid)?;
        let active = self
            .users
            .is_active(system.tenant.id, user)
            .await
            .map_err(|e| unavailable("reading the token's user", e))?;
        if !active {
            return Err(Invalid);
        }
        Ok(AdminSubject::User(user))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_system_tenant_registers_the_admin_scope() {
        let admin = Scope::parse("keyward:admin").unwrap();
        let system = TenantSlug::parse(TenantSlug::SYSTEM).unwrap();
        let demo = TenantSlug::parse("demo").unwrap();
        assert!(check_registration(&system, &admin).is_ok());
        assert!(check_registration(&demo, &admin).is_err());
        assert!(check_registration(&demo, &Scope::parse("openid").unwrap()).is_ok());
    }

    #[test]
    fn the_default_scope_leaves_the_admin_scope_out() {
        let scope = Scope::parse("openid keyward:admin profile").unwrap();
        assert_eq!(
            without_admin(&scope),
            Scope::parse("openid profile").unwrap()
        );
        assert_eq!(
            admin_audience("https://id.test/"),
            "https://id.test/admin/api"
        );
    }
}
