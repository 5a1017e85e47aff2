//! The opt-in `roles` / `permissions` token claims (keyward-oauth's `AppClaims` port) answered
//! from keyward-authz: the user's application roles and the permissions they carry in the
//! tenant. Read in memory under the authorizer's read lock; no database round trip.

use std::sync::Arc;

use async_trait::async_trait;
use keyward_authz::Authorizer;
use keyward_core::{StoreError, TenantId, UserId};
use keyward_oauth::app_claims::{AppAuthorization, AppClaims};

pub struct AuthorizerClaims(pub Arc<Authorizer>);

#[async_trait]
impl AppClaims for AuthorizerClaims {
    async fn app_authorization(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<AppAuthorization, StoreError> {
        let roles = self.0.app_roles_of(user, tenant).await;
        let permissions = self.0.app_permissions_of(user, tenant).await;
        Ok(AppAuthorization {
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            permissions: permissions
                .iter()
                .map(|p| format!("{}:{}", p.resource(), p.action()))
                .collect(),
        })
    }
}
