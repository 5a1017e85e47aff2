//! RFC 9068: access tokens as JWTs (header `typ: at+jwt`) with iss, sub, aud, exp, iat, jti,
//! client_id and scope. Their format is this module's business; *when* one is issued is the
//! grants'.
//!
//! `aud` is the client's registered `audiences` (the resource servers it calls) or, when it
//! registered none, the tenant's issuer: RFC 9068 §2.2 requires an audience, and the issuer is
//! the one resource every client of the tenant may call (its introspection endpoint). A token
//! with the admin scope is for the admin API only: its `aud` is that alone (`admin_api`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{EphemeralError, RevokedSet, RevokedSets, Scope, TenantId};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::admin_api;
use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::jose::{self, Signer};
use crate::keyring::TenantKeys;
use crate::signing_key::SigningAlg;
use crate::token_service::internal;

/// RFC 9068 §2.1: the JWT `typ` header of an access token.
pub const TYP: &str = "at+jwt";
const ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

/// The revoked-id set of a tenant's access tokens (by jti) in the ephemeral store.
pub fn revoked_set(tenant: TenantId) -> RevokedSet {
    RevokedSet::access_tokens(tenant)
}

#[derive(Serialize)]
#[serde(untagged)]
enum Audience<'a> {
    One(&'a str),
    Many(&'a [String]),
}

/// RFC 9068 §2.2
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Audience<'a>,
    exp: i64,
    iat: i64,
    jti: &'a str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// The opt-in `roles` / `permissions` (see `app_claims`).
    #[serde(flatten)]
    app: &'a Map<String, Value>,
}

/// A signed access token and what revocation needs to know about it.
#[derive(Debug, Clone)]
pub struct MintedAccessToken {
    pub token: String,
    pub jti: String,
    /// The `sub` claim: a user id, or the client id for a grant without a user.
    pub subject: String,
    pub expires_at: DateTime<Utc>,
    pub expires_in: i64,
}

/// The lifetime of an access token for `client`: its override, else the tenant's setting.
pub fn lifetime(tenant: &TenantEntry, client: &Client) -> Duration {
    let secs = client
        .settings
        .access_token_ttl_secs
        .unwrap_or(tenant.tenant.settings.access_token_ttl_secs);
    crate::lifetime::seconds(secs)
}

/// The signer for the tenant's `signing_alg` setting, falling back to ES256.
pub fn signer<'k>(tenant: &TenantEntry, keys: &'k TenantKeys) -> Result<&'k Signer, OAuthError> {
    keys.signer(tenant.tenant.settings.signing_alg)
        .or_else(|| keys.signer(SigningAlg::Es256))
        .ok_or_else(|| internal("choosing a signing key", "the tenant has no active key"))
}

/// Mints an access token for `subject` (the client id for client_credentials, the user id
/// otherwise). RFC 9068 §2
pub fn mint(
    signer: &Signer,
    tenant: &TenantEntry,
    client: &Client,
    subject: &str,
    scope: &Scope,
    app: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<MintedAccessToken, OAuthError> {
    let jti = try_random_token(16).map_err(|e| internal("generating a jti", e))?;
    let ttl = lifetime(tenant, client);
    let expires_at = now + ttl;
    let audiences = &client.settings.audiences;
    let aud = if scope.contains(admin_api::ADMIN_SCOPE) {
        // An admin token is for the admin API alone (`admin_api`).
        let admin = tenant.admin_audience.as_deref().ok_or_else(|| {
            OAuthError::invalid_scope("keyward:admin is granted by the system tenant only")
        })?;
        Audience::One(admin)
    } else if audiences.is_empty() {
        Audience::One(&tenant.issuer)
    } else {
        Audience::Many(audiences)
    };
    let claims = Claims {
        iss: &tenant.issuer,
        sub: subject,
        aud,
        exp: expires_at.timestamp(),
        iat: now.timestamp(),
        jti: &jti,
        client_id: client.client_id.as_str(),
        scope: (!scope.is_empty()).then(|| scope.to_string()),
        app,
    };
    let token = signer
        .sign(TYP, &claims)
        .map_err(|e| internal("signing an access token", e))?;
    Ok(MintedAccessToken {
        token,
        jti,
        subject: subject.to_owned(),
        expires_at,
        expires_in: ttl.num_seconds(),
    })
}

/// A verified, unexpired access token of this tenant (revocation is checked by the caller).
#[derive(Debug, Clone)]
pub struct VerifiedAccessToken {
    pub claims: Value,
    pub jti: String,
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
}

/// Verifies signature (with the tenant's own keys only), `typ`, `iss` and `exp`; anything
/// else — another tenant's token, a forged or expired one — is `None`. RFC 9068 §4
pub fn verify(
    token: &str,
    tenant: &TenantEntry,
    keys: &TenantKeys,
    now: DateTime<Utc>,
) -> Option<VerifiedAccessToken> {
    let verified = jose::verify(token, keys.verifying_keys(), &ALGS).ok()?;
    let typ_ok = verified.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(TYP) || t.eq_ignore_ascii_case("application/at+jwt")
    });
    let claims = verified.claims;
    let iss_ok = claims.get("iss").and_then(Value::as_str) == Some(tenant.issuer.as_str());
    let exp = claims.get("exp").and_then(Value::as_i64)?;
    if !typ_ok || !iss_ok || exp <= now.timestamp() {
        return None;
    }
    let jti = claims.get("jti").and_then(Value::as_str)?.to_owned();
    let client_id = claims.get("client_id").and_then(Value::as_str)?.to_owned();
    let expires_at = Utc.timestamp_opt(exp, 0).single()?;
    Some(VerifiedAccessToken {
        claims,
        jti,
        client_id,
        expires_at,
    })
}

impl VerifiedAccessToken {
    /// Whether `aud` (a string or an array of strings) names `audience`. RFC 7519 §4.1.3
    pub fn has_audience(&self, audience: &str) -> bool {
        match self.claims.get("aud") {
            Some(Value::String(one)) => one == audience,
            Some(Value::Array(many)) => many.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        }
    }

    /// Whether the `scope` claim holds `scope`. RFC 9068 §2.2.3
    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims
            .get("scope")
            .and_then(Value::as_str)
            .is_some_and(|s| s.split(' ').any(|t| t == scope))
    }
}

/// The one live-access-token check, for every protected resource (userinfo, introspection,
/// the admin API): [`verify`], then the tenant's revoked set. `Ok(None)` for a token that is
/// not live; `Err` only when the revoked set cannot be read (the caller answers 503).
pub async fn verify_live(
    token: &str,
    tenant: &TenantEntry,
    keys: &TenantKeys,
    revoked: &dyn RevokedSets,
    now: DateTime<Utc>,
) -> Result<Option<VerifiedAccessToken>, EphemeralError> {
    let Some(verified) = verify(token, tenant, keys, now) else {
        return Ok(None);
    };
    if revoked
        .is_revoked(&revoked_set(tenant.tenant.id), &verified.jti)
        .await?
    {
        return Ok(None);
    }
    Ok(Some(verified))
}

/// Whether a token looks like a compact JWS rather than an opaque refresh token.
pub fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}
