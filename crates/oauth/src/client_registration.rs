//! Validating client metadata into a `Client` (the rules of RFC 6749 §2 and RFC 7591 §2),
//! shared by the CLI and the admin API (through keyward-admin).

use chrono::{DateTime, Utc};
use keyward_core::{
    ClientId, DisplayName, GrantType, ParseError, RedirectUri, Scope, SecretError, TenantId,
    TokenEndpointAuthMethod,
};

use crate::client::{Client, ClientSettings};
use crate::client_secret::ClientSecretHasher;

/// Client metadata as an operator typed it, before validation.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistration {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub auth_method: Option<String>,
    pub public: bool,
    pub first_party: bool,
}

/// The scopes a client may request when the operator names none.
const USER_FACING_SCOPES: &str = "openid profile email address phone offline_access";

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("invalid client metadata")]
    Invalid(Vec<ParseError>),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// A validated client and, for secret-based clients, the secret to show once.
#[derive(Debug)]
pub struct Registered {
    pub client: Client,
    pub secret: Option<String>,
}

/// Validates `reg` and returns the client to store, with a fresh secret when its
/// authentication method uses one. Collects every field error, not just the first.
pub fn register(
    tenant: TenantId,
    reg: &ClientRegistration,
    hasher: &ClientSecretHasher,
    now: DateTime<Utc>,
) -> Result<Registered, RegistrationError> {
    register_with(tenant, reg, RegistrationRules::default(), hasher, now)
}

/// What a tenant's settings change about registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistrationRules {
    /// Plain-http redirect URIs to any host (the tenant's `allow_http_redirect_uris`).
    pub allow_http_redirect_uris: bool,
}

impl RegistrationRules {
    pub fn of(settings: &keyward_core::TenantSettings) -> Self {
        Self {
            allow_http_redirect_uris: settings.allow_http_redirect_uris,
        }
    }
}

/// [`register`] under a tenant's [`RegistrationRules`].
pub fn register_with(
    tenant: TenantId,
    reg: &ClientRegistration,
    rules: RegistrationRules,
    hasher: &ClientSecretHasher,
    now: DateTime<Utc>,
) -> Result<Registered, RegistrationError> {
    let allow_http = rules.allow_http_redirect_uris;
    let redirect_rule = |s: &str| RedirectUri::parse_for_registration_with(s, allow_http);
    let mut errors = Vec::new();
    let name = DisplayName::parse(&reg.name)
        .map_err(|e| errors.push(e))
        .ok();
    let redirect_uris = parse_all(&reg.redirect_uris, redirect_rule, &mut errors);
    let post_logout = parse_all(&reg.post_logout_redirect_uris, redirect_rule, &mut errors);
    let mut grant_types = parse_all(&reg.grant_types, |g| g.parse::<GrantType>(), &mut errors);
    grant_types.sort();
    grant_types.dedup();
    if grant_types.is_empty() {
        grant_types = if redirect_uris.is_empty() {
            vec![GrantType::ClientCredentials]
        } else {
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        };
    }
    let auth_method = match &reg.auth_method {
        Some(m) => m
            .parse::<TokenEndpointAuthMethod>()
            .map_err(|e| errors.push(e))
            .ok(),
        None if reg.public => Some(TokenEndpointAuthMethod::None),
        None => Some(TokenEndpointAuthMethod::ClientSecretBasic),
    };
    let scopes = if reg.scopes.is_empty() {
        let machine_only = grant_types
            .iter()
            .all(|g| *g == GrantType::ClientCredentials);
        Scope::parse(if machine_only { "" } else { USER_FACING_SCOPES })
    } else {
        Scope::from_tokens(&reg.scopes)
    };
    let scopes = scopes.map_err(|e| errors.push(e)).ok();

    let needs_redirect = grant_types
        .iter()
        .any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit));
    if needs_redirect && redirect_uris.is_empty() {
        errors.push(ParseError::new(
            "redirect_uri",
            "authorization_code and implicit clients need at least one redirect URI",
        ));
    }
    if let Some(method) = auth_method {
        if reg.public && method != TokenEndpointAuthMethod::None {
            errors.push(ParseError::new(
                "auth_method",
                "a public client must use 'none'",
            ));
        }
        if !reg.public && method == TokenEndpointAuthMethod::None {
            errors.push(ParseError::new(
                "auth_method",
                "'none' is only for public clients (add --public)",
            ));
        }
    }
    if reg.public && grant_types.contains(&GrantType::ClientCredentials) {
        errors.push(ParseError::new(
            "grant_type",
            "a public client cannot use client_credentials: it has no credentials",
        ));
    }

    let (Some(name), Some(auth_method), Some(scopes), true) =
        (name, auth_method, scopes, errors.is_empty())
    else {
        return Err(RegistrationError::Invalid(errors));
    };
    let (secret, secret_hash) = if auth_method.uses_secret() {
        let (secret, hash) = hasher.generate()?;
        (Some(secret), Some(hash))
    } else {
        (None, None)
    };
    let client = Client {
        tenant_id: tenant,
        client_id: ClientId::generate(),
        name,
        secret_hash,
        redirect_uris,
        post_logout_redirect_uris: post_logout,
        grant_types,
        scopes,
        auth_method,
        public: reg.public,
        first_party: reg.first_party,
        settings: ClientSettings::default(),
        created_at: now,
        updated_at: now,
    };
    Ok(Registered { client, secret })
}

fn parse_all<T>(
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, ParseError>,
    errors: &mut Vec<ParseError>,
) -> Vec<T> {
    raw.iter()
        .filter_map(|r| parse(r).map_err(|e| errors.push(e)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::MasterKey;

    fn hasher() -> ClientSecretHasher {
        let key = MasterKey::generate()
            .ok()
            .and_then(|k| ClientSecretHasher::new(&k).ok());
        key.unwrap_or_else(|| unreachable!("the RNG works in tests"))
    }

    fn reg(name: &str) -> ClientRegistration {
        ClientRegistration {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn machine_client_defaults_to_client_credentials_with_a_secret() {
        let Ok(done) = register(TenantId::generate(), &reg("svc"), &hasher(), Utc::now()) else {
            unreachable!("valid registration")
        };
        assert_eq!(done.client.grant_types, vec![GrantType::ClientCredentials]);
        assert_eq!(
            done.client.auth_method,
            TokenEndpointAuthMethod::ClientSecretBasic
        );
        assert!(done.secret.is_some() && done.client.secret_hash.is_some());
        assert!(done.client.scopes.is_empty());
    }

    #[test]
    fn a_tenant_rule_allows_plain_http_redirect_uris_to_any_host() {
        let mut r = reg("intranet");
        r.redirect_uris = vec!["http://app.internal:8000/cb".to_owned()];
        assert!(register(TenantId::generate(), &r, &hasher(), Utc::now()).is_err());
        let rules = RegistrationRules {
            allow_http_redirect_uris: true,
        };
        let Ok(ok) = register_with(TenantId::generate(), &r, rules, &hasher(), Utc::now()) else {
            unreachable!("allowed by the tenant's rule")
        };
        assert_eq!(
            ok.client.redirect_uris[0].as_str(),
            "http://app.internal:8000/cb"
        );
        r.redirect_uris = vec!["not a uri".to_owned()];
        assert!(register_with(TenantId::generate(), &r, rules, &hasher(), Utc::now()).is_err());
    }

    #[test]
    fn plain_http_redirect_uris_are_for_loopback_only() {
        for uri in [
            "http://127.0.0.1:8400/cb",
            "http://127.5.6.7/cb",
            "http://[::1]:9000/cb",
            "http://localhost:3000/cb",
            "https://rp.test/cb",
            "com.example.app:/cb",
        ] {
            let mut r = reg("app");
            r.redirect_uris = vec![uri.into()];
            r.post_logout_redirect_uris = vec![uri.into()];
            assert!(
                register(TenantId::generate(), &r, &hasher(), Utc::now()).is_ok(),
                "{uri} is allowed"
            );
        }
        for uri in [
            "http://rp.test/cb",
            "http://10.0.0.8/cb",
            "http://localhost.rp.test/cb",
            "http://127.0.0.1.rp.test/cb",
        ] {
            for post_logout in [false, true] {
                let mut r = reg("app");
                if post_logout {
                    r.redirect_uris = vec!["https://rp.test/cb".into()];
                    r.post_logout_redirect_uris = vec![uri.into()];
                } else {
                    r.redirect_uris = vec![uri.into()];
                }
                assert!(
                    register(TenantId::generate(), &r, &hasher(), Utc::now()).is_err(),
                    "{uri} (post-logout: {post_logout}) is refused"
                );
            }
        }
    }

    #[test]
    fn public_client_gets_no_secret_and_code_flow() {
        let mut r = reg("spa");
        r.public = true;
        r.redirect_uris = vec!["https://spa.test/cb".into()];
        let Ok(done) = register(TenantId::generate(), &r, &hasher(), Utc::now()) else {
            unreachable!("valid registration")
        };
        assert_eq!(done.client.auth_method, TokenEndpointAuthMethod::None);
        assert!(done.secret.is_none());
        assert!(
            done.client
                .grant_types
                .contains(&GrantType::AuthorizationCode)
        );
        assert!(done.client.scopes.contains("openid"));
    }

    #[test]
    fn registration_reports_every_invalid_field() {
        let r = ClientRegistration {
            name: "".into(),
            redirect_uris: vec!["/relative".into()],
            grant_types: vec!["magic".into()],
            auth_method: Some("none".into()),
            ..Default::default()
        };
        let Err(RegistrationError::Invalid(errors)) =
            register(TenantId::generate(), &r, &hasher(), Utc::now())
        else {
            unreachable!("invalid registration")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        for f in ["name", "redirect_uri", "grant_type", "auth_method"] {
            assert!(fields.contains(&f), "missing error for {f}: {fields:?}");
        }
    }

    #[test]
    fn public_client_may_not_use_client_credentials() {
        let mut r = reg("bad");
        r.public = true;
        r.grant_types = vec!["client_credentials".into()];
        assert!(register(TenantId::generate(), &r, &hasher(), Utc::now()).is_err());
    }
}
