//! The `roles` and `permissions` claims a client may opt in to (its `role_claims` and
//! `permission_claims` settings): the user's application roles and permissions in the tenant,
//! in the access and ID tokens of user grants. Application authorization lives in
//! keyward-authz, which keyward-oauth may not depend on (authentication and authorization stay
//! apart): [`AppClaims`] is the port the binary implements over it. It is asked only for a
//! client that opted in, so other clients — and client_credentials, which has no user — cost
//! nothing.

use async_trait::async_trait;
use keyward_core::{StoreError, TenantId, UserId};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::token_service::{TokenService, unavailable};

/// A user's application roles and permissions in one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppAuthorization {
    /// Role names, as the tenant chose them (`editor`).
    pub roles: Vec<String>,
    /// `resource:action` (`document:edit`, `document:42:read`).
    pub permissions: Vec<String>,
}

/// Answers a user's application roles and permissions; an unknown user holds none.
#[async_trait]
pub trait AppClaims: Send + Sync {
    async fn app_authorization(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<AppAuthorization, StoreError>;
}

/// Whether `client` asked for any application claim.
pub fn wanted(client: &Client) -> bool {
    client.settings.role_claims || client.settings.permission_claims
}

/// The claims `client` opted in to, from `found`.
pub fn claims_for(client: &Client, found: AppAuthorization) -> Map<String, Value> {
    let mut out = Map::new();
    if client.settings.role_claims {
        out.insert("roles".to_owned(), Value::from(found.roles));
    }
    if client.settings.permission_claims {
        out.insert("permissions".to_owned(), Value::from(found.permissions));
    }
    out
}

impl TokenService {
    /// The `roles` / `permissions` claims of `user_id` for `client`: empty, without asking
    /// the port, when the client did not opt in, no port is wired, or the subject is not a
    /// user id.
    pub(crate) async fn app_claims(
        &self,
        tenant: &TenantEntry,
        client: &Client,
        user_id: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let Some(port) = self.app_claims.as_ref().filter(|_| wanted(client)) else {
            return Ok(Map::new());
        };
        let Ok(user) = user_id.parse::<UserId>() else {
            return Ok(Map::new());
        };
        let found = port
            .app_authorization(tenant.tenant.id, user)
            .await
            .map_err(|e| unavailable("reading the user's application roles", e))?;
        Ok(claims_for(client, found))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use keyward_core::{GrantType, TokenEndpointAuthMethod};

    use super::*;
    use crate::token_service::fixture::Fixture;

    #[derive(Default)]
    struct Counting(AtomicUsize);

    #[async_trait]
    impl AppClaims for Counting {
        async fn app_authorization(
            &self,
            _: TenantId,
            _: UserId,
        ) -> Result<AppAuthorization, StoreError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AppAuthorization {
                roles: vec!["editor".to_owned()],
                permissions: vec!["document:edit".to_owned()],
            })
        }
    }

    async fn setup(
        roles: bool,
        permissions: bool,
    ) -> (TokenService, Arc<Counting>, Arc<TenantEntry>, Client) {
        let fixture = Fixture::new();
        let tenant = fixture.tenant("acme", false).await;
        let (mut client, _) = fixture
            .client(
                &tenant,
                TokenEndpointAuthMethod::ClientSecretBasic,
                &[GrantType::Password],
                "openid",
            )
            .await;
        client.settings.role_claims = roles;
        client.settings.permission_claims = permissions;
        let port = Arc::new(Counting::default());
        let service = fixture.service.with_app_claims(port.clone());
        let entry = service.tenant("acme").await.unwrap();
        (service, port, entry, client)
    }

    #[tokio::test]
    async fn a_client_that_did_not_opt_in_never_asks_the_port() {
        let (service, port, tenant, client) = setup(false, false).await;
        let user = UserId::generate().to_string();
        let claims = service.app_claims(&tenant, &client, &user).await.unwrap();
        assert!(claims.is_empty());
        assert_eq!(port.0.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn only_the_claims_a_client_opted_in_to_are_released() {
        let (service, port, tenant, client) = setup(true, false).await;
        let user = UserId::generate().to_string();
        let claims = service.app_claims(&tenant, &client, &user).await.unwrap();
        assert_eq!(claims.get("roles"), Some(&serde_json::json!(["editor"])));
        assert!(!claims.contains_key("permissions"));
        assert_eq!(port.0.load(Ordering::SeqCst), 1);
        let not_a_user = service
            .app_claims(&tenant, &client, client.client_id.as_str())
            .await
            .unwrap();
        assert!(not_a_user.is_empty(), "a client subject holds no app roles");
    }

    #[tokio::test]
    async fn an_opted_in_client_gets_empty_lists_for_a_user_without_roles() {
        let (_, _, _, client) = setup(true, true).await;
        let empty = claims_for(&client, AppAuthorization::default());
        assert_eq!(empty.get("roles"), Some(&serde_json::json!([])));
        assert_eq!(empty.get("permissions"), Some(&serde_json::json!([])));
    }
}
