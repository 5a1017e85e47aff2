//! OIDC Core §5.3: the userinfo endpoint. The access token (RFC 6750 §2.1 header or §2.2 form
//! body) must verify against the tenant's keys, be unexpired and unrevoked, and carry `openid`;
//! the answer is the user's `sub` (public or pairwise, as the client's ID tokens have it) and the
//! claims the token's scope releases (§5.4). Errors follow RFC 6750 §3.

use std::sync::Arc;

use keyward_core::{Scope, UserId};
use serde_json::{Map, Value};

use crate::access_token;
use crate::bearer::BearerError;
use crate::claims::{UserClaims, released};
use crate::directory::TenantEntry;
use crate::subject::subject_for;
use crate::token_service::{TokenService, unavailable};

/// The userinfo endpoint of every tenant.
pub struct UserInfoEndpoint {
    tokens: Arc<TokenService>,
    users: Arc<dyn UserClaims>,
}

impl std::fmt::Debug for UserInfoEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfoEndpoint").finish_non_exhaustive()
    }
}

impl UserInfoEndpoint {
    pub fn new(tokens: Arc<TokenService>, users: Arc<dyn UserClaims>) -> Self {
        Self { tokens, users }
    }

    /// OIDC Core §5.3.2: the claims about the token's user.
    pub async fn userinfo(&self, tenant: &TenantEntry, token: &str) -> Result<Value, BearerError> {
        let invalid =
            || BearerError::InvalidToken("the access token is invalid, expired or revoked");
        let keys = self
            .tokens
            .tenant_keys(tenant.tenant.id)
            .await
            .map_err(|_| BearerError::Unavailable)?;
        let now = self.tokens.clock.now();
        let verified =
            access_token::verify_live(token, tenant, &keys, self.tokens.cache.as_ref(), now)
                .await
                .map_err(|e| {
                    unavailable("checking the revoked set", e);
                    BearerError::Unavailable
                })?
                .ok_or_else(invalid)?;
        let scope = verified
            .claims
            .get("scope")
            .and_then(Value::as_str)
            .and_then(|s| Scope::parse(s).ok())
            .unwrap_or_default();
        if !scope.contains("openid") {
            return Err(BearerError::InsufficientScope);
        }
        // A client_credentials token's subject is a client, not a user.
        let user: UserId = verified
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(invalid)?;
        let client = self
            .tokens
            .directory
            .client(tenant.tenant.id, &verified.client_id)
            .await
            .map_err(|e| {
                unavailable("looking up the client", e);
                BearerError::Unavailable
            })?
            .ok_or_else(invalid)?;
        let claims = self
            .users
            .claims(tenant.tenant.id, user)
            .await
            .map_err(|e| {
                unavailable("reading the user's claims", e);
                BearerError::Unavailable
            })?
            .ok_or_else(invalid)?;
        let mut answer = Map::new();
        answer.insert(
            "sub".to_owned(),
            Value::String(subject_for(tenant.tenant.id, &client, &user.to_string())),
        );
        answer.extend(released(&claims, &scope));
        Ok(Value::Object(answer))
    }
}
