//! RFC 7662: token introspection. The caller must be a confidential client of the tenant (§2.1:
//! the endpoint is for protected resources, which authenticate; a public client holds no
//! credential, so its client_id alone proves nothing and is `invalid_client`). Any
//! confidential client may introspect the tenant's access tokens (resource servers are
//! confidential clients, as in Keycloak); a refresh token is active only to the client it was
//! issued to. Expired, revoked, malformed, unknown
//! and other tenants' tokens all answer `{"active": false}` (§2.2).

use serde_json::{Map, Value, json};

use crate::access_token;
use crate::client_authentication::AuthenticatedClient;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::params::FormParams;
use crate::token::EndpointRequest;
use crate::token::refresh_token::hash;
use crate::token_service::{TokenService, unavailable};

/// The claims an active access token's introspection answer repeats. RFC 7662 §2.2
const ACCESS_TOKEN_MEMBERS: [&str; 8] = [
    "scope",
    "client_id",
    "sub",
    "exp",
    "iat",
    "iss",
    "aud",
    "jti",
];

fn inactive() -> Value {
    json!({ "active": false })
}

impl TokenService {
    /// RFC 7662 §2.1: answers whether `token` is active and what it carries.
    pub async fn introspect(&self, request: EndpointRequest<'_>) -> Result<Value, OAuthError> {
        let tenant = self.tenant(request.tenant).await?;
        let params = FormParams::parse(request.body)?;
        let client = self
            .authenticate_client(&tenant, request.authorization, &params)
            .await?;
        if client.public {
            return Err(OAuthError::invalid_client(
                "introspection is for confidential clients: a public client cannot authenticate",
            ));
        }
        let token = params.require("token")?;
        if access_token::looks_like_jwt(token) {
            self.introspect_access_token(&tenant, token).await
        } else {
            self.introspect_refresh_token(&tenant, &client, token).await
        }
    }

    async fn introspect_access_token(
        &self,
        tenant: &TenantEntry,
        token: &str,
    ) -> Result<Value, OAuthError> {
        let keys = self.tenant_keys(tenant.tenant.id).await?;
        let live =
            access_token::verify_live(token, tenant, &keys, self.cache.as_ref(), self.clock.now())
                .await
                .map_err(|e| unavailable("checking the revoked set", e))?;
        let Some(verified) = live else {
            return Ok(inactive());
        };
        let mut answer = Map::new();
        answer.insert("active".to_owned(), Value::Bool(true));
        for member in ACCESS_TOKEN_MEMBERS {
            if let Some(value) = verified.claims.get(member) {
                answer.insert(member.to_owned(), value.clone());
            }
        }
        answer.insert("token_type".to_owned(), Value::from("Bearer"));
        Ok(Value::Object(answer))
    }

    async fn introspect_refresh_token(
        &self,
        tenant: &TenantEntry,
        client: &AuthenticatedClient,
        token: &str,
    ) -> Result<Value, OAuthError> {
        let found = self
            .refresh_tokens
            .find(tenant.tenant.id, &hash(token))
            .await
            .map_err(|e| unavailable("looking up a refresh token", e))?;
        let Some((token, family)) = found else {
            return Ok(inactive());
        };
        let now = self.clock.now();
        let live = token.rotated_at.is_none()
            && family.revoked_at.is_none()
            && token.expires_at > now
            && family.expires_at > now;
        if !live || family.client_id != client.client_id {
            return Ok(inactive());
        }
        let sub = family
            .subject
            .as_deref()
            .unwrap_or(family.client_id.as_str());
        let mut answer = json!({
            "active": true,
            "client_id": family.client_id,
            "sub": sub,
            "exp": token.expires_at.timestamp(),
            "iat": token.issued_at.timestamp(),
            "iss": tenant.issuer,
            "token_type": "refresh_token",
        });
        if !family.scope.is_empty() {
            answer["scope"] = Value::from(family.scope.to_string());
        }
        Ok(answer)
    }
}

#[cfg(test)]
#[path = "introspect_tests.rs"]
mod tests;
