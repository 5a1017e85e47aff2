//! An interaction: an authorization (or device) request waiting for a person — to sign in,
//! to consent — kept in the ephemeral store between the protocol endpoint and the hosted
//! pages. keyward-oauth creates and resumes it; the pages (keyward-auth-server, with
//! keyward-identity authenticating) only read it and record the person's decision.
//!
//! Flow: `/authorize` validates the request, stores an `Interaction` and redirects to
//! `/t/{tenant}/login?interaction={id}` or `/t/{tenant}/consent?interaction={id}`; the page,
//! once done, redirects to `/t/{tenant}/authorize/resume?interaction={id}`, where the
//! request is evaluated again with the browser session (and consent) now in place.
//!
//! Anyone can start an interaction, signed in or not, so what one may store is bounded: each
//! parameter it keeps has a maximum length (`authorize::request`), the stored record may not
//! exceed [`MAX_STORED_BYTES`], it lives [`INTERACTION_TTL`], and an address may start only
//! [`InteractionLimit::per_address`] of them per tenant in [`InteractionLimit::window`].

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::{
    ClientId, CounterKey, CounterKind, EphemeralError, EphemeralStore, Scope, ShortLivedValues,
    TenantId, UserId, ValueKey, ValueKind,
};
use serde::{Deserialize, Serialize};

/// How long a person has to finish signing in and consenting: 10 minutes, between
/// Keycloak's login-action timeout (5 min) and the 30 min login lifetimes of Keycloak and
/// ORY Hydra — long enough to find a password, short enough that abandoned requests do not
/// pile up. Pages past it say the request expired and to start again from the application.
pub const INTERACTION_TTL: Duration = Duration::from_secs(10 * 60);

/// The most a stored interaction may weigh. A typical one is about 1 KiB; with every kept
/// parameter at its limit (`authorize::request::MAX_PARAM_BYTES`) about 17 KiB. Checked
/// before every write, so no request, however crafted, stores more.
pub const MAX_STORED_BYTES: usize = 24 * 1024;

/// How many interactions one address may start at one tenant per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InteractionLimit {
    pub per_address: u64,
    pub window: Duration,
}

impl Default for InteractionLimit {
    /// 300 per 10 minutes: a sign-in starts one, so this is an office of people behind one
    /// NAT signing in at once, and at most a few MiB per address for an attacker.
    fn default() -> Self {
        Self {
            per_address: 300,
            window: INTERACTION_TTL,
        }
    }
}

/// The rate-limit bucket of a client address: IPv4 addresses one by one, IPv6 by their /64
/// (one subscriber usually holds a whole /64, so counting single addresses would not limit
/// anyone). An unknown address shares one bucket.
fn address_bucket(address: Option<IpAddr>) -> String {
    match address.map(|a| a.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

/// Counts one interaction started from `address` at `tenant`; false once the address has
/// started more than the limit in the current window.
pub async fn admit(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    address: Option<IpAddr>,
    limit: InteractionLimit,
) -> Result<bool, EphemeralError> {
    let key = CounterKey::new(
        CounterKind::InteractionsStarted,
        tenant,
        address_bucket(address),
    );
    Ok(cache.incr(&key, limit.window).await? <= limit.per_address)
}

/// The ephemeral-store key of a tenant's interaction.
pub fn interaction_key(tenant: TenantId, id: &str) -> ValueKey {
    ValueKey::new(ValueKind::Interaction, tenant, id)
}

/// Interaction ids are URL-safe random strings; anything else is not looked up.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The live interaction `id` of `tenant` (stored by `/authorize`); `None` if unknown,
/// expired or another tenant's.
pub async fn load(
    values: &dyn ShortLivedValues,
    tenant: TenantId,
    id: &str,
) -> Result<Option<Interaction>, EphemeralError> {
    if !valid_id(id) {
        return Ok(None);
    }
    let Some(raw) = values.get(&interaction_key(tenant, id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice::<Interaction>(&raw)
        .ok()
        .filter(|i| i.tenant_id == tenant && i.id == id))
}

/// Records that the person declined, keeping the interaction's original expiry; false if
/// it has expired meanwhile.
pub async fn record_denial(
    values: &dyn ShortLivedValues,
    interaction: &Interaction,
    now: DateTime<Utc>,
) -> Result<bool, EphemeralError> {
    let lived = (now - interaction.created_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    let left = INTERACTION_TTL.saturating_sub(lived);
    if left.is_zero() {
        return Ok(false);
    }
    let mut denied = interaction.clone();
    denied.consent_denied = true;
    let raw =
        serde_json::to_vec(&denied).map_err(|e| EphemeralError::Unavailable(e.to_string()))?;
    values
        .put(
            &interaction_key(interaction.tenant_id, &interaction.id),
            &raw,
            left,
        )
        .await?;
    Ok(true)
}

/// What the hosted pages need to know about a pending request, plus the request itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// 128-bit random, URL-safe.
    pub id: String,
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    /// Shown on the login and consent pages.
    pub client_name: String,
    /// The scopes requested (already narrowed to what the client may ask for).
    pub scopes: Scope,
    /// OIDC Core §3.1.2.1 `login_hint`: prefills the username field.
    pub login_hint: Option<String>,
    /// OIDC Core §3.1.2.1 `ui_locales`, as sent.
    pub ui_locales: Option<String>,
    /// Set when the request demands a fresh sign-in (prompt=login, max_age exceeded): the
    /// session used on resume must have authenticated at or after this instant.
    pub reauthenticate_after: Option<DateTime<Utc>>,
    /// Why the person is here: `login` or `consent` (for the page's wording).
    pub needs: InteractionNeed,
    /// The validated request, opaque to the pages; only keyward-oauth reads it.
    pub request: serde_json::Value,
    /// Recorded by the consent page when the person declines.
    pub consent_denied: bool,
    /// The user the request was for when a login was not needed (consent only).
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionNeed {
    Login,
    Consent,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::authorize::request::{
        AuthorizationRequest, MAX_PARAM_BYTES, Prompt, ResponseMode, ResponseType,
    };

    #[test]
    fn an_interaction_with_every_parameter_at_its_limit_fits_the_stored_bound() {
        let at_limit = |name: &str| {
            let max = MAX_PARAM_BYTES.iter().find(|(n, _)| *n == name).unwrap().1;
            // JSON escapes a quote as two bytes: the worst a parameter can weigh stored.
            "\"".repeat(max)
        };
        let claims = serde_json::json!({ "userinfo": { "x": { "value": "a".repeat(4000) } } });
        let request = AuthorizationRequest {
            client_id: ClientId::generate(),
            redirect_uri: format!("https://rp.example/{}", "p".repeat(500)),
            response_type: ResponseType::parse("code id_token").unwrap(),
            response_mode: ResponseMode::FormPost,
            state: Some(at_limit("state")),
            scope: Scope::parse("openid profile email address phone offline_access").unwrap(),
            nonce: Some(at_limit("nonce")),
            code_challenge: None,
            prompt: Prompt::default(),
            max_age: Some(i64::MAX),
            id_token_hint: Some("h".repeat(8192)),
            login_hint: Some(at_limit("login_hint")),
            ui_locales: Some(at_limit("ui_locales")),
            acr_values: Some(at_limit("acr_values")),
            claims: Some(claims),
            display: Some(at_limit("display")),
        };
        let interaction = Interaction {
            id: "i".repeat(22),
            tenant_id: TenantId::generate(),
            client_id: request.client_id.clone(),
            client_name: "n".repeat(200),
            scopes: request.scope.clone(),
            login_hint: request.login_hint.clone(),
            ui_locales: request.ui_locales.clone(),
            reauthenticate_after: Some(Utc::now()),
            needs: InteractionNeed::Consent,
            request: serde_json::to_value(&request).unwrap(),
            consent_denied: false,
            user_id: Some(UserId::generate()),
            created_at: Utc::now(),
        };
        let stored = serde_json::to_vec(&interaction).unwrap().len();
        assert!(stored <= MAX_STORED_BYTES, "{stored} bytes");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let bucket =
            |s: &str| address_bucket(Some(s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert_eq!(
            bucket("2001:db8:1:2:aaaa::1"),
            bucket("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
        assert_eq!(bucket("::ffff:192.0.2.7"), "192.0.2.7");
        assert_ne!(bucket("192.0.2.7"), bucket("192.0.2.8"));
        assert_eq!(address_bucket(None), "unknown");
    }
}
