//! OpenID Connect Discovery 1.0 §3 and RFC 8414 §2: the provider metadata a tenant serves at
//! `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
//!
//! The document advertises only what is implemented: the caller states that in [`Features`],
//! and an endpoint a feature set leaves out is never named.

use crate::subject::SubjectType;
use keyward_core::{GrantType, TokenEndpointAuthMethod};
use serde_json::{Map, Value, json};

use crate::signing_key::SigningAlg;

/// What this deployment implements, which decides what the metadata advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// RFC 6749 §3.1 `/authorize`.
    pub authorization_endpoint: bool,
    /// OIDC Core §5.3 `/userinfo`.
    pub userinfo_endpoint: bool,
    /// RFC 8628 §3.1 `/device_authorization`.
    pub device_authorization_endpoint: bool,
    /// OIDC RP-Initiated Logout §2 `/logout`.
    pub end_session_endpoint: bool,
    /// RFC 7662 `/introspect`.
    pub introspection_endpoint: bool,
    /// RFC 7009 `/revoke`.
    pub revocation_endpoint: bool,
    pub grant_types: Vec<GrantType>,
    /// e.g. `code`; empty while there is no authorization endpoint.
    pub response_types: Vec<String>,
    /// e.g. `query`, `fragment`, `form_post`.
    pub response_modes: Vec<String>,
    pub scopes: Vec<String>,
    pub claims: Vec<String>,
    /// Token, introspection and revocation endpoints authenticate clients alike.
    pub token_endpoint_auth_methods: Vec<TokenEndpointAuthMethod>,
    /// Algorithms accepted for `private_key_jwt` client assertions.
    pub token_endpoint_auth_signing_algs: Vec<SigningAlg>,
    pub id_token_signing_algs: Vec<SigningAlg>,
    /// `public`, `pairwise`.
    pub subject_types: Vec<SubjectType>,
    /// OIDC Core §5.5 `claims` request parameter.
    pub claims_parameter: bool,
    /// RFC 9207 `iss` in authorization responses.
    pub authorization_response_iss_parameter: bool,
}

const ALL_ALGS: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Features {
    /// What exists after the token-service issue: the token endpoint (client_credentials,
    /// password, refresh_token), introspection, revocation and the JWKS; no authorization,
    /// userinfo, device or logout endpoint yet. The browser-flows issue extends this set
    /// (authorization_code, `/authorize`, `/userinfo`, device flow, end session, response
    /// types and modes) rather than replacing it.
    pub fn token_service() -> Self {
        Self {
            authorization_endpoint: false,
            userinfo_endpoint: false,
            device_authorization_endpoint: false,
            end_session_endpoint: false,
            introspection_endpoint: true,
            revocation_endpoint: true,
            grant_types: vec![
                GrantType::ClientCredentials,
                GrantType::Password,
                GrantType::RefreshToken,
            ],
            response_types: Vec::new(),
            response_modes: Vec::new(),
            scopes: strings(&["openid", "profile", "email", "offline_access"]),
            claims: strings(&[
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "name",
                "preferred_username",
                "email",
                "email_verified",
            ]),
            token_endpoint_auth_methods: TokenEndpointAuthMethod::ALL.to_vec(),
            token_endpoint_auth_signing_algs: ALL_ALGS.to_vec(),
            id_token_signing_algs: ALL_ALGS.to_vec(),
            subject_types: vec![SubjectType::Public],
            claims_parameter: false,
            authorization_response_iss_parameter: false,
        }
    }
}

impl Features {
    /// The token service plus the browser flows: `/authorize` (code, implicit id_token and
    /// id_token token, hybrid code id_token; query, fragment and form_post), `/userinfo`, the
    /// authorization_code and implicit grants, S256 PKCE, public and pairwise subjects, the
    /// RFC 9207 `iss` parameter, and `/logout` with back-channel logout.
    pub fn browser_flows() -> Self {
        let base = Self::token_service();
        let mut grant_types = vec![GrantType::AuthorizationCode, GrantType::Implicit];
        grant_types.extend(base.grant_types.iter().copied());
        grant_types.push(GrantType::DeviceCode);
        let mut claims = base.claims.clone();
        claims.extend(strings(&[
            "acr",
            "amr",
            "azp",
            "sid",
            "at_hash",
            "c_hash",
            "address",
            "phone_number",
            "phone_number_verified",
            "given_name",
            "family_name",
            "locale",
            "zoneinfo",
            "picture",
            "updated_at",
        ]));
        Self {
            authorization_endpoint: true,
            userinfo_endpoint: true,
            device_authorization_endpoint: true,
            end_session_endpoint: true,
            grant_types,
            response_types: strings(&["code", "id_token", "id_token token", "code id_token"]),
            response_modes: strings(&["query", "fragment", "form_post"]),
            scopes: strings(&[
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
            ]),
            claims,
            subject_types: vec![SubjectType::Public, SubjectType::Pairwise],
            claims_parameter: true,
            authorization_response_iss_parameter: true,
            ..base
        }
    }
}

/// OIDC Discovery 1.0 §3 / RFC 8414 §2: the provider metadata of the tenant whose issuer is
/// `issuer`, which is repeated exactly as given (it must equal the `iss` of every token).
/// Endpoints sit at fixed paths below the issuer.
pub fn metadata(issuer: &str, features: &Features) -> Value {
    let base = issuer.trim_end_matches('/');
    let endpoint = |path: &str| Value::String(format!("{base}/{path}"));
    let algs = |algs: &[SigningAlg]| algs.iter().map(|a| a.as_str()).collect::<Vec<_>>();
    let auth_methods: Vec<&str> = features
        .token_endpoint_auth_methods
        .iter()
        .map(TokenEndpointAuthMethod::as_str)
        .collect();
    let signs_assertions = features
        .token_endpoint_auth_methods
        .contains(&TokenEndpointAuthMethod::PrivateKeyJwt);

    let mut doc = Map::new();
    doc.insert("issuer".into(), Value::String(issuer.to_owned()));
    doc.insert("token_endpoint".into(), endpoint("token"));
    doc.insert("jwks_uri".into(), endpoint("jwks"));
    let optional = [
        (
            features.authorization_endpoint,
            "authorization_endpoint",
            "authorize",
        ),
        (features.userinfo_endpoint, "userinfo_endpoint", "userinfo"),
        (
            features.device_authorization_endpoint,
            "device_authorization_endpoint",
            "device_authorization",
        ),
        (
            features.end_session_endpoint,
            "end_session_endpoint",
            "logout",
        ),
        (
            features.introspection_endpoint,
            "introspection_endpoint",
            "introspect",
        ),
        (
            features.revocation_endpoint,
            "revocation_endpoint",
            "revoke",
        ),
    ];
    for (enabled, name, path) in optional {
        if enabled {
            doc.insert(name.into(), endpoint(path));
        }
    }
    let grant_types: Vec<&str> = features.grant_types.iter().map(GrantType::as_str).collect();
    let entries = [
        ("grant_types_supported", json!(grant_types)),
        // OIDC Discovery §3 makes response_types_supported REQUIRED, even when empty.
        ("response_types_supported", json!(features.response_types)),
        ("scopes_supported", json!(features.scopes)),
        ("claims_supported", json!(features.claims)),
        ("subject_types_supported", json!(features.subject_types)),
        (
            "id_token_signing_alg_values_supported",
            json!(algs(&features.id_token_signing_algs)),
        ),
        ("token_endpoint_auth_methods_supported", json!(auth_methods)),
        // RFC 7636 §4.2: plain is not offered (OAuth 2.1, RFC 9700 §2.1.1).
        ("code_challenge_methods_supported", json!(["S256"])),
        ("request_parameter_supported", json!(false)),
        ("request_uri_parameter_supported", json!(false)),
        (
            "claims_parameter_supported",
            json!(features.claims_parameter),
        ),
        (
            "authorization_response_iss_parameter_supported",
            json!(features.authorization_response_iss_parameter),
        ),
    ];
    for (name, value) in entries {
        doc.insert(name.into(), value);
    }
    if features.end_session_endpoint {
        // OIDC Back-Channel Logout 1.0 §2.1: ending a session POSTs a Logout Token, with `sid`.
        doc.insert("backchannel_logout_supported".into(), json!(true));
        doc.insert("backchannel_logout_session_supported".into(), json!(true));
    }
    if !features.response_modes.is_empty() {
        doc.insert(
            "response_modes_supported".into(),
            json!(features.response_modes),
        );
    }
    let assertion_algs = json!(algs(&features.token_endpoint_auth_signing_algs));
    if signs_assertions {
        doc.insert(
            "token_endpoint_auth_signing_alg_values_supported".into(),
            assertion_algs.clone(),
        );
    }
    // RFC 8414 §2: the introspection and revocation endpoints authenticate clients the way
    // the token endpoint does, except that introspection takes no public clients (`none`).
    let confidential: Vec<&str> = auth_methods
        .iter()
        .copied()
        .filter(|m| *m != "none")
        .collect();
    for (enabled, prefix, methods) in [
        (
            features.introspection_endpoint,
            "introspection_endpoint",
            &confidential,
        ),
        (
            features.revocation_endpoint,
            "revocation_endpoint",
            &auth_methods,
        ),
    ] {
        if enabled {
            doc.insert(format!("{prefix}_auth_methods_supported"), json!(methods));
            if signs_assertions {
                doc.insert(
                    format!("{prefix}_auth_signing_alg_values_supported"),
                    assertion_algs.clone(),
                );
            }
        }
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://id.example.com/t/acme";

    #[test]
    fn metadata_has_every_field_oidc_discovery_requires() {
        let doc = metadata(ISSUER, &Features::token_service());
        for required in [
            "issuer",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
            "token_endpoint",
        ] {
            assert!(doc.get(required).is_some(), "{required}");
        }
        assert_eq!(doc["issuer"], ISSUER, "issuer exactly as given");
        assert_eq!(doc["jwks_uri"], format!("{ISSUER}/jwks"));
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["request_parameter_supported"], json!(false));
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["RS256", "ES256", "EdDSA"]),
            "RS256 must be offered (OIDC Core §15.1)"
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none"
            ])
        );
        assert_eq!(
            doc["grant_types_supported"],
            json!(["client_credentials", "password", "refresh_token"])
        );
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        assert_eq!(
            doc["revocation_endpoint_auth_methods_supported"],
            doc["token_endpoint_auth_methods_supported"]
        );
    }

    #[test]
    fn metadata_advertises_no_endpoint_the_features_exclude() {
        let doc = metadata(ISSUER, &Features::token_service());
        for absent in [
            "authorization_endpoint",
            "userinfo_endpoint",
            "device_authorization_endpoint",
            "end_session_endpoint",
            "response_modes_supported",
        ] {
            assert!(doc.get(absent).is_none(), "{absent}");
        }
        assert_eq!(
            doc["introspection_endpoint"],
            format!("{ISSUER}/introspect")
        );
        assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/revoke"));

        let bare = Features {
            introspection_endpoint: false,
            revocation_endpoint: false,
            token_endpoint_auth_methods: vec![TokenEndpointAuthMethod::ClientSecretBasic],
            ..Features::token_service()
        };
        let doc = metadata(ISSUER, &bare);
        for absent in [
            "introspection_endpoint",
            "revocation_endpoint",
            "introspection_endpoint_auth_methods_supported",
            "token_endpoint_auth_signing_alg_values_supported",
        ] {
            assert!(doc.get(absent).is_none(), "{absent}");
        }
    }

    #[test]
    fn metadata_names_browser_endpoints_once_they_exist() {
        let all = Features {
            authorization_endpoint: true,
            userinfo_endpoint: true,
            device_authorization_endpoint: true,
            end_session_endpoint: true,
            response_types: vec!["code".into()],
            response_modes: vec!["query".into(), "form_post".into()],
            authorization_response_iss_parameter: true,
            ..Features::token_service()
        };
        let doc = metadata(ISSUER, &all);
        assert_eq!(doc["authorization_endpoint"], format!("{ISSUER}/authorize"));
        assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
        assert_eq!(
            doc["device_authorization_endpoint"],
            format!("{ISSUER}/device_authorization")
        );
        assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/logout"));
        assert_eq!(
            doc["response_modes_supported"],
            json!(["query", "form_post"])
        );
        assert_eq!(
            doc["authorization_response_iss_parameter_supported"],
            json!(true)
        );
    }
}
