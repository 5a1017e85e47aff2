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

use keyward_core::{ParseError, Scope, TenantSlug};

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
