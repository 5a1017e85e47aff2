//! Where the target's endpoints are: derived from the issuer's metadata (OpenID Connect
//! Discovery 1.0 §4, RFC 8414 §3), overridden by the endpoints given on the command line, and
//! held to the loopback rule even when the metadata points elsewhere.

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use url::Url;

use crate::config::{Config, Scenario, Target, check_loopback};

/// The endpoints a run uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoints {
    /// The metadata document that answered, if any.
    pub discovery: Option<Url>,
    pub token: Option<Url>,
    pub introspection: Option<Url>,
    pub jwks: Option<Url>,
    /// full-login: where the browser starts.
    pub authorization: Option<Url>,
}

/// The metadata fields keyward-bench reads.
#[derive(Debug, Deserialize)]
struct Metadata {
    token_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    jwks_uri: Option<String>,
    authorization_endpoint: Option<String>,
}

/// The metadata URLs to try, in order: OIDC Discovery's `{issuer}/.well-known/openid-configuration`,
/// then `{issuer}/.well-known/oauth-authorization-server` as many servers publish it, then
/// RFC 8414 §3.1's form, which inserts the well-known segment before the issuer's path.
pub fn discovery_candidates(issuer: &Url) -> Vec<Url> {
    let mut base = issuer.clone();
    base.set_query(None);
    base.set_fragment(None);
    let path = base.path().trim_end_matches('/').to_owned();
    let mut out = Vec::with_capacity(3);
    for suffix in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let mut u = base.clone();
        u.set_path(&format!("{path}{suffix}"));
        out.push(u);
    }
    let mut rfc8414 = base;
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    if !out.contains(&rfc8414) {
        out.push(rfc8414);
    }
    out
}

/// Resolves the endpoints: metadata first (when an issuer is given), explicit flags on top.
/// Fails when the scenario's endpoints are still unknown, or one is not on loopback.
pub async fn resolve(client: &reqwest::Client, config: &Config) -> anyhow::Result<Endpoints> {
    let mut found = Endpoints::default();
    let mut discovery_error = None;
    if let Some(issuer) = &config.target.issuer {
        match fetch_metadata(client, issuer).await {
            Ok((url, meta)) => {
                found.discovery = Some(url.clone());
                found.token = join(&url, meta.token_endpoint.as_deref())?;
                found.introspection = join(&url, meta.introspection_endpoint.as_deref())?;
                found.jwks = join(&url, meta.jwks_uri.as_deref())?;
                found.authorization = join(&url, meta.authorization_endpoint.as_deref())?;
            }
            Err(e) => discovery_error = Some(e),
        }
    }
    let endpoints = apply_overrides(found, &config.target);
    for (name, url) in [
        ("token_endpoint", &endpoints.token),
        ("introspection_endpoint", &endpoints.introspection),
        ("jwks_uri", &endpoints.jwks),
        ("authorization_endpoint", &endpoints.authorization),
    ] {
        if let Some(url) = url {
            check_loopback(name_flag(name), url, config.allow_remote)
                .map_err(|e| anyhow!("metadata {name}: {e}"))?;
        }
    }
    let missing = missing_for(config.scenario, &endpoints);
    if let Some(what) = missing {
        let why = discovery_error.map_or_else(
            || "the metadata does not name it".to_owned(),
            |e| format!("{e:#}"),
        );
        bail!("{} needs the {what}: {why}", config.scenario.as_str());
    }
    if let Some(e) = discovery_error {
        eprintln!(
            "keyward-bench: no metadata ({e:#}); using the endpoints given on the command line"
        );
    }
    Ok(endpoints)
}

fn name_flag(name: &str) -> &'static str {
    match name {
        "token_endpoint" => "token-endpoint",
        "introspection_endpoint" => "introspection-endpoint",
        "authorization_endpoint" => "authorization-endpoint",
        _ => "jwks-uri",
    }
}

/// Explicit command-line endpoints win over discovered ones.
pub fn apply_overrides(mut found: Endpoints, target: &Target) -> Endpoints {
    if let Some(u) = &target.token_endpoint {
        found.token = Some(u.clone());
    }
    if let Some(u) = &target.introspection_endpoint {
        found.introspection = Some(u.clone());
    }
    if let Some(u) = &target.jwks_uri {
        found.jwks = Some(u.clone());
    }
    if let Some(u) = &target.authorization_endpoint {
        found.authorization = Some(u.clone());
    }
    found
}

/// The endpoint a scenario still lacks, if any.
pub fn missing_for(scenario: Scenario, e: &Endpoints) -> Option<&'static str> {
    match scenario {
        Scenario::ClientCredentials | Scenario::Refresh => {
            e.token.is_none().then_some("token endpoint")
        }
        Scenario::Introspection if e.token.is_none() => Some("token endpoint"),
        Scenario::Introspection => e
            .introspection
            .is_none()
            .then_some("introspection endpoint"),
        Scenario::DiscoveryJwks => {
            (e.discovery.is_none() && e.jwks.is_none()).then_some("discovery document or JWKS URI")
        }
        Scenario::FullLogin if e.authorization.is_none() => Some("authorization endpoint"),
        Scenario::FullLogin => e.token.is_none().then_some("token endpoint"),
    }
}

fn join(base: &Url, value: Option<&str>) -> anyhow::Result<Option<Url>> {
    value
        .map(|v| {
            base.join(v)
                .with_context(|| format!("metadata names a bad URL: {v}"))
        })
        .transpose()
}

async fn fetch_metadata(client: &reqwest::Client, issuer: &Url) -> anyhow::Result<(Url, Metadata)> {
    let mut tried = Vec::new();
    for url in discovery_candidates(issuer) {
        match client.get(url.clone()).send().await {
            Ok(resp) if resp.status().is_success() => {
                let body = resp
                    .bytes()
                    .await
                    .with_context(|| format!("reading {url}"))?;
                let meta = serde_json::from_slice(&body)
                    .with_context(|| format!("{url} is not a metadata document"))?;
                return Ok((url, meta));
            }
            Ok(resp) => tried.push(format!("{url}: {}", resp.status())),
            Err(e) => tried.push(format!("{url}: {e}")),
        }
    }
    bail!("no metadata document ({})", tried.join("; "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn candidates_for_an_issuer_with_a_path_include_the_rfc8414_form() {
        let got: Vec<String> = discovery_candidates(&u("http://127.0.0.1:8080/t/bench"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "http://127.0.0.1:8080/t/bench/.well-known/openid-configuration",
                "http://127.0.0.1:8080/t/bench/.well-known/oauth-authorization-server",
                "http://127.0.0.1:8080/.well-known/oauth-authorization-server/t/bench",
            ]
        );
    }

    #[test]
    fn candidates_for_a_bare_origin_are_not_duplicated() {
        let got: Vec<String> = discovery_candidates(&u("http://localhost:3000/"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "http://localhost:3000/.well-known/openid-configuration",
                "http://localhost:3000/.well-known/oauth-authorization-server"
            ]
        );
    }

    #[test]
    fn candidates_ignore_a_trailing_slash_and_query() {
        let got = discovery_candidates(&u("http://127.0.0.1/t/x/?a=b"));
        assert_eq!(
            got[0].as_str(),
            "http://127.0.0.1/t/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn explicit_endpoints_override_discovered_ones() {
        let found = Endpoints {
            discovery: Some(u("http://127.0.0.1/.well-known/openid-configuration")),
            token: Some(u("http://127.0.0.1/token")),
            introspection: None,
            jwks: Some(u("http://127.0.0.1/jwks")),
            authorization: None,
        };
        let target = Target {
            introspection_endpoint: Some(u("http://127.0.0.1/i")),
            token_endpoint: Some(u("http://127.0.0.1/t2")),
            ..Target::default()
        };
        let e = apply_overrides(found, &target);
        assert_eq!(e.token.unwrap().path(), "/t2");
        assert_eq!(e.introspection.unwrap().path(), "/i");
        assert_eq!(e.jwks.unwrap().path(), "/jwks");
    }

    #[test]
    fn reports_the_endpoint_a_scenario_lacks() {
        let none = Endpoints::default();
        assert_eq!(
            missing_for(Scenario::ClientCredentials, &none),
            Some("token endpoint")
        );
        assert_eq!(
            missing_for(Scenario::Introspection, &none),
            Some("token endpoint")
        );
        let token_only = Endpoints {
            token: Some(u("http://127.0.0.1/t")),
            ..Endpoints::default()
        };
        assert_eq!(
            missing_for(Scenario::Introspection, &token_only),
            Some("introspection endpoint")
        );
        assert_eq!(missing_for(Scenario::Refresh, &token_only), None);
        assert!(missing_for(Scenario::DiscoveryJwks, &token_only).is_some());
        let jwks_only = Endpoints {
            jwks: Some(u("http://127.0.0.1/jwks")),
            ..Endpoints::default()
        };
        assert_eq!(missing_for(Scenario::DiscoveryJwks, &jwks_only), None);
    }

    #[test]
    fn relative_metadata_urls_resolve_against_the_document() {
        let base = u("http://127.0.0.1:9/t/a/.well-known/openid-configuration");
        assert_eq!(
            join(&base, Some("/t/a/token")).unwrap().unwrap().as_str(),
            "http://127.0.0.1:9/t/a/token"
        );
        assert_eq!(join(&base, None).unwrap(), None);
    }
}
