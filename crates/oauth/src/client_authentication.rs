//! Client authentication at the token, introspection and revocation endpoints (RFC 6749
//! §2.3): `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2, §3)
//! and `none` for public clients. Only the method the client registered is accepted, and a
//! request may use one method only.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use keyward_core::{TokenEndpointAuthMethod, ValueKey, ValueKind};
use serde_json::Value;

use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::jose::{self, VerifyingKey};
use crate::params::{FormParams, decode};
use crate::signing_key::SigningAlg;
use crate::token_service::{TokenService, unavailable};

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may still be valid for: it is single-use and remembered until then.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 600;
/// Tolerated clock difference for `nbf` and `iat` of an assertion.
const CLOCK_SKEW_SECS: i64 = 60;
const MAX_JTI_LEN: usize = 256;
const ASSERTION_ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

/// Why a client's JWK Set could not be fetched; the message is for logs.
#[derive(Debug, thiserror::Error)]
#[error("fetching the client's JWK Set: {0}")]
pub struct JwksFetchError(pub String);

/// Fetches the JWK Set a `private_key_jwt` client publishes at its `jwks_uri` (RFC 7591 §2).
/// Implementations cache the set and bound the time and size of a fetch.
#[async_trait]
pub trait JwksFetcher: Send + Sync {
    async fn fetch(&self, uri: &str) -> Result<Arc<Value>, JwksFetchError>;
}

/// A client that proved who it is at this request. Only client authentication creates one, so
/// an endpoint that takes it cannot skip the check.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient(Arc<Client>);

impl std::ops::Deref for AuthenticatedClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.0
    }
}

/// The credentials of a request, before the client is looked up.
enum Presented<'a> {
    Secret {
        id: String,
        secret: String,
        basic: bool,
    },
    Assertion {
        assertion: &'a str,
        client_id: Option<&'a str>,
    },
    Public {
        id: &'a str,
    },
}

impl Presented<'_> {
    fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            Self::Secret { basic: true, .. } => TokenEndpointAuthMethod::ClientSecretBasic,
            Self::Secret { .. } => TokenEndpointAuthMethod::ClientSecretPost,
            Self::Assertion { .. } => TokenEndpointAuthMethod::PrivateKeyJwt,
            Self::Public { .. } => TokenEndpointAuthMethod::None,
        }
    }
}

/// RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`. `None` if the header
/// uses another scheme.
fn basic_credentials(authorization: &str) -> Option<Result<(String, String), OAuthError>> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let malformed = || {
        OAuthError::invalid_client("malformed HTTP Basic credentials").with_basic_challenge(true)
    };
    let parsed = STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|raw| {
            let at = raw.iter().position(|b| *b == b':')?;
            let id = decode(raw.get(..at)?).ok()?;
            let secret = decode(raw.get(at + 1..)?).ok()?;
            (!id.is_empty()).then_some((id, secret))
        })
        .ok_or_else(malformed);
    Some(parsed)
}

fn presented<'a>(
    authorization: Option<&str>,
    params: &'a FormParams,
) -> Result<Presented<'a>, OAuthError> {
    let basic = authorization.and_then(basic_credentials).transpose()?;
    let post_secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let methods = [basic.is_some(), post_secret.is_some(), assertion.is_some()];
    if methods.iter().filter(|m| **m).count() > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method in one request",
        ));
    }
    let client_id = params.get("client_id");
    if let Some((id, secret)) = basic {
        if client_id.is_some_and(|c| c != id) {
            return Err(
                OAuthError::invalid_client("client_id does not match the credentials")
                    .with_basic_challenge(true),
            );
        }
        return Ok(Presented::Secret {
            id,
            secret,
            basic: true,
        });
    }
    if let Some(secret) = post_secret {
        let id = client_id
            .ok_or_else(|| OAuthError::invalid_request("missing parameter \"client_id\""))?;
        return Ok(Presented::Secret {
            id: id.to_owned(),
            secret: secret.to_owned(),
            basic: false,
        });
    }
    if let Some(assertion) = assertion {
        match params.get("client_assertion_type") {
            Some(JWT_BEARER) => {}
            Some(_) => {
                return Err(OAuthError::invalid_client(
                    "unsupported client_assertion_type",
                ));
            }
            None => {
                return Err(OAuthError::invalid_request(
                    "missing parameter \"client_assertion_type\"",
                ));
            }
        }
        return Ok(Presented::Assertion {
            assertion,
            client_id,
        });
    }
    match client_id {
        Some(id) => Ok(Presented::Public { id }),
        None => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// The claims of a compact JWS, read without verifying it, to learn which client's keys to
/// verify it with.
fn peek_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn failed(basic: bool) -> OAuthError {
    OAuthError::invalid_client("client authentication failed").with_basic_challenge(basic)
}

impl TokenService {
    /// Authenticates the client of a request to `tenant`'s token, introspection or revocation
    /// endpoint. RFC 6749 §2.3
    pub async fn authenticate_client(
        &self,
        tenant: &TenantEntry,
        authorization: Option<&str>,
        params: &FormParams,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let presented = presented(authorization, params)?;
        let basic = matches!(presented, Presented::Secret { basic: true, .. });
        let claimed_id = match &presented {
            Presented::Secret { id, .. } => id.as_str(),
            Presented::Public { id } => id,
            Presented::Assertion {
                client_id: Some(id),
                ..
            } => id,
            Presented::Assertion {
                assertion,
                client_id: None,
            } => {
                let claims = peek_claims(assertion).ok_or_else(|| failed(false))?;
                return self
                    .assertion_client(tenant, assertion, &claims, None)
                    .await;
            }
        };
        let client = self
            .directory
            .client(tenant.tenant.id, claimed_id)
            .await
            .map_err(|e| unavailable("looking up the client", e))?;
        let Some(client) = client else {
            if let Presented::Secret { secret, .. } = &presented {
                // Same work as for a known client, so timing does not tell which ids exist.
                self.secrets.verify(secret, "");
            }
            return Err(failed(basic));
        };
        if client.auth_method != presented.method() {
            return Err(OAuthError::invalid_client(
                "the client must authenticate with its registered method",
            )
            .with_basic_challenge(basic));
        }
        match presented {
            Presented::Secret { secret, .. } => {
                let stored = client.secret_hash.as_deref().unwrap_or_default();
                if stored.is_empty() || !self.secrets.verify(&secret, stored) {
                    return Err(failed(basic));
                }
                Ok(AuthenticatedClient(client))
            }
            Presented::Public { .. } if client.public => Ok(AuthenticatedClient(client)),
            Presented::Public { .. } => Err(failed(false)),
            Presented::Assertion { assertion, .. } => {
                let claims = peek_claims(assertion).ok_or_else(|| failed(false))?;
                self.assertion_client(tenant, assertion, &claims, Some(client))
                    .await
            }
        }
    }

    /// RFC 7523 §3: verifies a client assertion against the client's registered keys.
    async fn assertion_client(
        &self,
        tenant: &TenantEntry,
        assertion: &str,
        unverified: &Value,
        known: Option<Arc<Client>>,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let client = match known {
            Some(c) => c,
            None => {
                let sub = unverified
                    .get("sub")
                    .and_then(Value::as_str)
                    .ok_or_else(|| failed(false))?;
                self.directory
                    .client(tenant.tenant.id, sub)
                    .await
                    .map_err(|e| unavailable("looking up the client", e))?
                    .ok_or_else(|| failed(false))?
            }
        };
        if client.auth_method != TokenEndpointAuthMethod::PrivateKeyJwt {
            return Err(OAuthError::invalid_client(
                "the client must authenticate with its registered method",
            ));
        }
        let keys = self.client_keys(&client).await?;
        let verified = jose::verify(assertion, &keys, &ASSERTION_ALGS).map_err(|e| {
            tracing::debug!(error = %e, client_id = %client.client_id, "client assertion refused");
            failed(false)
        })?;
        let jti = check_assertion_claims(
            &verified.claims,
            &client,
            tenant,
            self.clock.now().timestamp(),
        )?;
        let exp = verified
            .claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let ttl = u64::try_from(exp - self.clock.now().timestamp()).unwrap_or(0) + 1;
        let key = ValueKey::new(
            ValueKind::ClientAssertion,
            tenant.tenant.id,
            format_args!("{}:{jti}", client.client_id),
        );
        let fresh = self
            .cache
            .put_if_absent(&key, b"1", Duration::from_secs(ttl))
            .await
            .map_err(|e| unavailable("recording the client assertion", e))?;
        if !fresh {
            return Err(OAuthError::invalid_client(
                "the client assertion was already used",
            ));
        }
        Ok(AuthenticatedClient(client))
    }

    /// The keys a private_key_jwt client registered: inline `jwks`, else its `jwks_uri`.
    async fn client_keys(&self, client: &Client) -> Result<Vec<VerifyingKey>, OAuthError> {
        let no_keys = || OAuthError::invalid_client("the client has no usable keys registered");
        let set = match (&client.settings.jwks, &client.settings.jwks_uri) {
            (Some(jwks), _) => jose::parse_jwk_set(jwks),
            (None, Some(uri)) => {
                let fetched = self.jwks_fetcher.fetch(uri).await.map_err(|e| {
                    tracing::warn!(error = %e, client_id = %client.client_id, "client JWKS unavailable");
                    no_keys()
                })?;
                jose::parse_jwk_set(&fetched)
            }
            (None, None) => return Err(no_keys()),
        };
        set.map_err(|e| {
            tracing::warn!(error = %e, client_id = %client.client_id, "client JWKS does not parse");
            no_keys()
        })
    }
}

/// RFC 7523 §3: iss = sub = client_id, aud names this server, exp required and near, jti
/// present. Returns the jti.
fn check_assertion_claims<'c>(
    claims: &'c Value,
    client: &Client,
    tenant: &TenantEntry,
    now: i64,
) -> Result<&'c str, OAuthError> {
    let bad = |why: &'static str| OAuthError::invalid_client(why);
    let str_claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let id = client.client_id.as_str();
    if str_claim("iss") != Some(id) || str_claim("sub") != Some(id) {
        return Err(bad(
            "the client assertion's iss and sub must be the client_id",
        ));
    }
    // RFC 7523 §3 (aud identifies the authorization server; the token endpoint URL may be
    // used) and OIDC Core §9 (the token endpoint URL): one audience, the issuer or the token
    // endpoint, whichever endpoint the assertion is presented at. An array is taken only as a
    // single value: an assertion that also names another server, or another endpoint, could
    // be replayed from there (the audience injection of draft-ietf-oauth-rfc7523bis).
    let audience_ok = |aud: &str| {
        aud == tenant.issuer
            || aud
                .strip_prefix(tenant.issuer.as_str())
                .is_some_and(|rest| rest == "/token")
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audience_ok(a),
        Some(Value::Array(all)) => match all.as_slice() {
            [Value::String(a)] => audience_ok(a),
            _ => false,
        },
        _ => false,
    };
    if !aud_ok {
        return Err(bad(
            "the client assertion's aud must be the issuer or the token endpoint URL, alone",
        ));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("the client assertion has no exp"))?;
    if exp <= now {
        return Err(bad("the client assertion has expired"));
    }
    if exp > now + MAX_ASSERTION_LIFETIME_SECS {
        return Err(bad("the client assertion's exp is too far in the future"));
    }
    let not_yet = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .is_some_and(|t| t > now + CLOCK_SKEW_SECS)
    };
    if not_yet("nbf") || not_yet("iat") {
        return Err(bad("the client assertion is not valid yet"));
    }
    match str_claim("jti") {
        Some(jti) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => Ok(jti),
        _ => Err(bad("the client assertion needs a jti")),
    }
}

#[cfg(test)]
#[path = "client_authentication_tests.rs"]
mod tests;
