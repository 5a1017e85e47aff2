//! keyward-oauth's `UserClaims` port, answered from keyward-identity's users: `sub` is the user
//! id (set by keyward-oauth), `preferred_username`, `email` and `email_verified` come from the
//! user row, and every other OIDC standard claim from the user's `claims` JSON. Disabled users
//! have no claims (their tokens stop working at userinfo).

use std::sync::Arc;

use async_trait::async_trait;
use keyward_core::{StoreError, TenantId, UserId};
use keyward_identity::UserStore;
use keyward_oauth::claims::UserClaims;
use serde_json::{Map, Value};

pub struct IdentityClaims(pub Arc<dyn UserStore>);

#[async_trait]
impl UserClaims for IdentityClaims {
    async fn claims(&self, tenant: TenantId, user: UserId) -> Result<Option<Value>, StoreError> {
        let Some(user) = self.0.get(tenant, user).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let mut claims = match user.claims {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        claims.insert(
            "preferred_username".to_owned(),
            Value::from(user.username.as_str()),
        );
        if let Some(email) = &user.email {
            claims.insert("email".to_owned(), Value::from(email.as_str()));
            claims.insert(
                "email_verified".to_owned(),
                Value::Bool(user.email_verified),
            );
        }
        claims.insert(
            "updated_at".to_owned(),
            Value::from(user.updated_at.timestamp()),
        );
        claims.remove("sub");
        Ok(Some(Value::Object(claims)))
    }
}
