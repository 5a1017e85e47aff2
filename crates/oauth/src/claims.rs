//! OIDC Core §5: a user's claims. keyward-oauth never sees a user table: the [`UserClaims`] port
//! answers a user's standard claims and this module releases those the granted scope covers
//! (§5.4), in the ID token when no access token is issued, else from userinfo.

use async_trait::async_trait;
use keyward_core::{Scope, StoreError, TenantId, UserId};
use serde_json::{Map, Value};

/// OIDC Core §5.4: the claims each scope value requests.
pub const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The standard claims of a tenant's users (OIDC Core §5.1), by user id.
#[async_trait]
pub trait UserClaims: Send + Sync {
    /// The user's claims as a JSON object (`sub` is ignored: the caller sets it), or `None`
    /// when the user does not exist (any more) or is disabled.
    async fn claims(&self, tenant: TenantId, user: UserId) -> Result<Option<Value>, StoreError>;

    /// Whether the user exists and is enabled. Nobody else gets a grant (code exchange,
    /// refresh, device code, an authorization response from a session) or the admin API.
    async fn is_active(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        Ok(self.claims(tenant, user).await?.is_some())
    }
}

/// The members of `claims` that `scope` releases. OIDC Core §5.4
pub fn released(claims: &Value, scope: &Scope) -> Map<String, Value> {
    let mut out = Map::new();
    for (scope_value, names) in SCOPE_CLAIMS {
        if !scope.contains(scope_value) {
            continue;
        }
        for name in names {
            if let Some(value) = claims.get(*name).filter(|v| !v.is_null()) {
                out.insert((*name).to_owned(), value.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_claims_of_granted_scopes_are_released() {
        let claims = json!({
            "preferred_username": "ada", "email": "ada@example.com", "email_verified": true,
            "phone_number": "+1", "address": { "country": "UK" }, "secret": "x", "name": null,
        });
        let scope = Scope::parse("openid email").unwrap_or_default();
        let out = released(&claims, &scope);
        assert_eq!(
            Value::Object(out),
            json!({ "email": "ada@example.com", "email_verified": true })
        );
        let all = Scope::parse("openid profile email address phone").unwrap_or_default();
        let out = released(&claims, &all);
        assert!(
            out.contains_key("address")
                && out.contains_key("phone_number")
                && out.contains_key("preferred_username")
        );
        assert!(
            !out.contains_key("secret") && !out.contains_key("name"),
            "unknown and null claims stay out"
        );
    }
}
