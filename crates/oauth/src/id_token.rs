//! OIDC Core §2: ID tokens. Signed with the client's `id_token_signed_response_alg` (OIDC
//! Dynamic Client Registration §2) when the tenant has an active key of that algorithm, else
//! with the tenant's default; `at_hash` and `c_hash` are the left half of the hash that matches
//! the signing algorithm (§3.3.2.11; SHA-512 for EdDSA/Ed25519).

use chrono::{DateTime, Utc};
use keyward_core::Amr;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::access_token;
use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::jose::{self, Signer};
use crate::keyring::TenantKeys;
use crate::signing_key::SigningAlg;
use crate::subject::subject_for;
use crate::token_service::internal;

/// The JWT `typ` header of an ID token.
pub const TYP: &str = "JWT";
const ALGS: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

/// Who authenticated, and how, for an ID token. OIDC Core §2
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authentication {
    /// The user's id (the public subject).
    pub user_id: String,
    pub auth_time: Option<DateTime<Utc>>,
    pub amr: Vec<Amr>,
    pub acr: Option<String>,
    /// OIDC Back-Channel Logout §2.4 `sid`.
    pub sid: Option<String>,
}

/// What goes into one ID token besides who authenticated.
#[derive(Debug, Clone, Default)]
pub struct IdTokenContents<'a> {
    pub nonce: Option<&'a str>,
    /// The access token issued with it: sets `at_hash`.
    pub access_token: Option<&'a str>,
    /// The code issued with it: sets `c_hash`.
    pub code: Option<&'a str>,
    /// Standard claims already released by scope (only when no access token is issued).
    pub claims: Map<String, Value>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'a str>,
    #[serde(skip_serializing_if = "<[Amr]>::is_empty")]
    amr: &'a [Amr],
    azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c_hash: Option<String>,
    #[serde(flatten)]
    standard: &'a Map<String, Value>,
}

/// The signer for `client`'s ID tokens.
pub fn signer<'k>(
    tenant: &TenantEntry,
    client: &Client,
    keys: &'k TenantKeys,
) -> Result<&'k Signer, OAuthError> {
    let wanted = client.settings.id_token_signed_response_alg;
    match wanted.and_then(|alg| keys.signer(alg)) {
        Some(signer) => Ok(signer),
        None => access_token::signer(tenant, keys),
    }
}

/// OIDC Core §3.3.2.11: base64url of the left-most half of the hash of `value`'s ASCII bytes,
/// with the hash function of the JWS `alg`.
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    let algorithm = match alg {
        SigningAlg::EdDsa => &ring::digest::SHA512,
        SigningAlg::Es256 | SigningAlg::Rs256 => &ring::digest::SHA256,
    };
    let digest = ring::digest::digest(algorithm, value.as_bytes());
    let bytes = digest.as_ref();
    jose::b64_encode(bytes.get(..bytes.len() / 2).unwrap_or_default())
}

/// Mints an ID token for `client`. OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11
pub fn mint(
    signer: &Signer,
    tenant: &TenantEntry,
    client: &Client,
    who: &Authentication,
    contents: &IdTokenContents<'_>,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    let ttl = crate::lifetime::seconds(tenant.tenant.settings.id_token_ttl_secs);
    let claims = Claims {
        iss: &tenant.issuer,
        sub: subject_for(tenant.tenant.id, client, &who.user_id),
        aud: client.client_id.as_str(),
        exp: (now + ttl).timestamp(),
        iat: now.timestamp(),
        auth_time: who.auth_time.map(|t| t.timestamp()),
        nonce: contents.nonce,
        acr: who.acr.as_deref(),
        amr: &who.amr,
        azp: client.client_id.as_str(),
        sid: who.sid.as_deref(),
        at_hash: contents.access_token.map(|t| half_hash(signer.alg(), t)),
        c_hash: contents.code.map(|c| half_hash(signer.alg(), c)),
        standard: &contents.claims,
    };
    signer
        .sign(TYP, &claims)
        .map_err(|e| internal("signing an ID token", e))
}

/// A verified `id_token_hint`: the claims `/authorize` and `/logout` use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    pub audiences: Vec<String>,
    pub sub: Option<String>,
    pub sid: Option<String>,
}

/// OIDC Core §3.1.2.1 and RP-Initiated Logout 1.0 §2 `id_token_hint`: an ID token this tenant
/// issued (expired is fine). The tenant signs its access tokens (`typ: at+jwt`, RFC 9068 §2.1)
/// and logout tokens (`typ: logout+jwt`) with the same keys, so the signature and issuer do
/// not make a token an ID token: its explicit type does (RFC 8725 §3.11), `JWT` as [`mint`]
/// writes it, and a token carrying a logout token's `events` is refused too. `None` when the
/// hint is not such a token.
pub fn verify_hint(hint: &str, tenant: &TenantEntry, keys: &TenantKeys) -> Option<IdTokenHint> {
    let verified = jose::verify(hint, keys.verifying_keys(), &ALGS).ok()?;
    if !verified
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(TYP))
    {
        return None;
    }
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(tenant.issuer.as_str())
        || claims.get("events").is_some()
    {
        return None;
    }
    let audiences = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(IdTokenHint {
        audiences,
        sub: text("sub"),
        sid: text("sid"),
    })
}

/// The `sub` of an `id_token_hint` ([`verify_hint`]) issued to the client `client_id`.
pub fn hint_subject(
    hint: &str,
    tenant: &TenantEntry,
    client_id: &str,
    keys: &TenantKeys,
) -> Option<String> {
    let hint = verify_hint(hint, tenant, keys)?;
    if !hint.audiences.iter().any(|a| a == client_id) {
        return None;
    }
    hint.sub
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hash_follows_oidc_core_examples() {
        // OIDC Core Appendix A.3: at_hash of this access token with RS256.
        assert_eq!(
            half_hash(
                SigningAlg::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(
            half_hash(SigningAlg::EdDsa, "x").len(),
            43,
            "32 of SHA-512's 64 bytes"
        );
    }
}
