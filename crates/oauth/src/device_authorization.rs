//! RFC 8628 §3.1–§3.3: the device authorization endpoint, and the decision the person makes
//! on the verification page (`{issuer}/device`).
//!
//! A device request lives in the ephemeral store under the SHA-256 hash of its device_code
//! (256 random bits, shown once), with an index from the user_code (8 characters of an
//! alphabet without vowels or look-alike digits, shown as `XXXX-XXXX`) to that hash. The
//! person's decision is a separate key written once (`put_if_absent`), and the polling pace a
//! third, so a poll never overwrites an approval. Everything is kept a little past the
//! request's lifetime, so polling after it learns `expired_token` rather than `invalid_grant`.
//! Polling and redemption are in `token::device_code`.

use keyward_core::Amr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{
    ClientId, EphemeralStore, GrantType, Scope, TenantId, UserId, ValueKey, ValueKind,
};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::authorize::AuthenticatedSubject;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::params::FormParams;
use crate::token::refresh_token::hash;
use crate::token::{EndpointRequest, requested_client_scope};
use crate::token_service::{TokenService, internal, unavailable};

/// RFC 8628 §3.2 `expires_in` of a device_code and its user_code.
pub const DEVICE_CODE_LIFETIME_SECS: i64 = 600;
/// RFC 8628 §3.2 `interval`: the least time between two polls.
pub const POLL_INTERVAL_SECS: i64 = 5;
/// RFC 8628 §3.5: how much `slow_down` adds to the interval.
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// RFC 8628 §6.1: consonants only — no vowels (no words), no digits that look like letters.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// 20^8 ≈ 2^34.6 user codes.
pub const USER_CODE_LEN: usize = 8;
/// How long past its expiry a request is remembered, to answer `expired_token`.
const EXPIRED_GRACE_SECS: i64 = 300;
/// Fresh user codes tried before giving up on a collision.
const USER_CODE_TRIES: usize = 5;

/// RFC 8628 §3.2: the device authorization response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAuthorizationResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A device's pending request, as the verification page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRequest {
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    pub client_name: String,
    pub scope: Scope,
    /// Normalised: 8 characters, no dash.
    pub user_code: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl DeviceRequest {
    /// The user_code as the device shows it: `XXXX-XXXX`.
    pub fn display_user_code(&self) -> String {
        display_user_code(&self.user_code)
    }
}

/// The person's answer to a device request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub(crate) enum Decision {
    Approved {
        user_id: UserId,
        auth_time: DateTime<Utc>,
        amr: Vec<Amr>,
        acr: Option<String>,
    },
    Denied,
}

/// What recording a decision found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// The decision is recorded for this request.
    Recorded(DeviceRequest),
    /// No live, undecided request has this user_code.
    Unknown,
}

/// Upper-cases `input` and drops dashes and white space; `None` unless 8 characters of the
/// alphabet remain. RFC 8628 §6.1
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    ok.then_some(code)
}

/// `XXXXXXXX` → `XXXX-XXXX`.
pub fn display_user_code(normalised: &str) -> String {
    let half = normalised.len() / 2;
    match (normalised.get(..half), normalised.get(half..)) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => normalised.to_owned(),
    }
}

/// A uniformly random user code (rejection sampling keeps every character equally likely).
pub(crate) fn generate_user_code() -> Result<String, OAuthError> {
    let rng = SystemRandom::new();
    let limit = 256 - 256 % USER_CODE_ALPHABET.len();
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)
            .map_err(|_| internal("generating a user code", "the random source failed"))?;
        for b in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if code.len() == USER_CODE_LEN {
                break;
            }
            if let Some(c) = USER_CODE_ALPHABET.get(b % USER_CODE_ALPHABET.len()) {
                code.push(char::from(*c));
            }
        }
    }
    Ok(code)
}

pub(crate) fn request_key(tenant: TenantId, device_hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::DeviceRequest, tenant, device_hash)
}

pub(crate) fn decision_key(tenant: TenantId, device_hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::DeviceDecision, tenant, device_hash)
}

pub(crate) fn pace_key(tenant: TenantId, device_hash: &str) -> ValueKey {
    ValueKey::new(ValueKind::DevicePace, tenant, device_hash)
}

fn user_code_key(tenant: TenantId, user_code: &str) -> ValueKey {
    ValueKey::new(ValueKind::DeviceUserCode, tenant, user_code)
}

/// How long the keys of a request created at `created_at`, expiring at `expires_at`, live.
pub(crate) fn retention(now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Duration {
    let left = (expires_at - now).num_seconds().max(0) + EXPIRED_GRACE_SECS;
    Duration::from_secs(u64::try_from(left).unwrap_or(0))
}

/// The request stored under `device_hash`, if any.
pub(crate) async fn load(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    device_hash: &str,
) -> Result<Option<DeviceRequest>, OAuthError> {
    let raw = cache
        .get(&request_key(tenant, device_hash))
        .await
        .map_err(|e| unavailable("loading a device request", e))?;
    Ok(raw
        .and_then(|r| serde_json::from_slice::<DeviceRequest>(&r).ok())
        .filter(|r| r.tenant_id == tenant))
}

/// The decision recorded for `device_hash`, if any.
pub(crate) async fn decision(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    device_hash: &str,
) -> Result<Option<Decision>, OAuthError> {
    let raw = cache
        .get(&decision_key(tenant, device_hash))
        .await
        .map_err(|e| unavailable("loading a device decision", e))?;
    Ok(raw.and_then(|r| serde_json::from_slice(&r).ok()))
}

impl TokenService {
    /// RFC 8628 §3.1–§3.2: starts a device request for an authenticated client that registered
    /// the device_code grant.
    pub async fn device_authorization(
        &self,
        request: EndpointRequest<'_>,
    ) -> Result<DeviceAuthorizationResponse, OAuthError> {
        let tenant = self.tenant(request.tenant).await?;
        let params = FormParams::parse(request.body)?;
        let client = self
            .authenticate_client(&tenant, request.authorization, &params)
            .await?;
        if !client.grant_types.contains(&GrantType::DeviceCode) {
            return Err(OAuthError::unauthorized_client(
                "the client is not allowed to use the device_code grant",
            ));
        }
        let scope = requested_client_scope(&tenant, &client, &params)?;
        let now = self.clock.now();
        let device_code =
            try_random_token(32).map_err(|e| internal("generating a device code", e))?;
        let device_hash = hash(&device_code);
        let tenant_id = tenant.tenant.id;
        let expires_at = now + chrono::Duration::seconds(DEVICE_CODE_LIFETIME_SECS);
        let ttl = retention(now, expires_at);
        let user_code = self.reserve_user_code(tenant_id, &device_hash, ttl).await?;
        let stored = DeviceRequest {
            tenant_id,
            client_id: client.client_id.clone(),
            client_name: client.name.to_string(),
            scope,
            user_code: user_code.clone(),
            created_at: now,
            expires_at,
        };
        let raw =
            serde_json::to_vec(&stored).map_err(|e| internal("serialising a device request", e))?;
        self.cache
            .put(&request_key(tenant_id, &device_hash), &raw, ttl)
            .await
            .map_err(|e| unavailable("storing a device request", e))?;
        let shown = display_user_code(&user_code);
        let verification_uri = format!("{}/device", tenant.issuer.trim_end_matches('/'));
        Ok(DeviceAuthorizationResponse {
            device_code,
            verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
            verification_uri,
            user_code: shown,
            expires_in: DEVICE_CODE_LIFETIME_SECS,
            interval: POLL_INTERVAL_SECS,
        })
    }

    /// A fresh user code, indexed to `device_hash` (a code in use is never handed out twice).
    async fn reserve_user_code(
        &self,
        tenant: TenantId,
        device_hash: &str,
        ttl: Duration,
    ) -> Result<String, OAuthError> {
        for _ in 0..USER_CODE_TRIES {
            let code = generate_user_code()?;
            let fresh = self
                .cache
                .put_if_absent(&user_code_key(tenant, &code), device_hash.as_bytes(), ttl)
                .await
                .map_err(|e| unavailable("storing a user code", e))?;
            if fresh {
                return Ok(code);
            }
        }
        Err(internal(
            "choosing a user code",
            "every candidate was taken",
        ))
    }

    /// RFC 8628 §3.3: the live, undecided request whose user_code the person typed (in any
    /// case, with or without dash and spaces); `None` if there is none.
    pub async fn device_request(
        &self,
        tenant: &TenantEntry,
        user_code: &str,
    ) -> Result<Option<DeviceRequest>, OAuthError> {
        Ok(self
            .pending_device(tenant, user_code)
            .await?
            .map(|(_, request)| request))
    }

    async fn pending_device(
        &self,
        tenant: &TenantEntry,
        user_code: &str,
    ) -> Result<Option<(String, DeviceRequest)>, OAuthError> {
        let Some(code) = normalize_user_code(user_code) else {
            return Ok(None);
        };
        let tenant_id = tenant.tenant.id;
        let indexed = self
            .cache
            .get(&user_code_key(tenant_id, &code))
            .await
            .map_err(|e| unavailable("looking up a user code", e))?;
        let Some(device_hash) = indexed.and_then(|raw| String::from_utf8(raw).ok()) else {
            return Ok(None);
        };
        let Some(request) = load(self.cache.as_ref(), tenant_id, &device_hash).await? else {
            return Ok(None);
        };
        let live = request.user_code == code && self.clock.now() < request.expires_at;
        if !live
            || decision(self.cache.as_ref(), tenant_id, &device_hash)
                .await?
                .is_some()
        {
            return Ok(None);
        }
        Ok(Some((device_hash, request)))
    }

    /// RFC 8628 §3.3: the signed-in person approves the device request with `user_code`.
    pub async fn approve_device(
        &self,
        tenant: &TenantEntry,
        user_code: &str,
        subject: &AuthenticatedSubject,
    ) -> Result<DecisionOutcome, OAuthError> {
        let approved = Decision::Approved {
            user_id: subject.user_id,
            auth_time: subject.auth_time,
            amr: subject.amr.clone(),
            acr: subject.acr.clone(),
        };
        self.decide_device(tenant, user_code, &approved).await
    }

    /// RFC 8628 §3.3: the person denies the device request with `user_code`; polling then
    /// answers `access_denied`.
    pub async fn deny_device(
        &self,
        tenant: &TenantEntry,
        user_code: &str,
    ) -> Result<DecisionOutcome, OAuthError> {
        self.decide_device(tenant, user_code, &Decision::Denied)
            .await
    }

    /// Records the first decision only; the user_code is then spent.
    async fn decide_device(
        &self,
        tenant: &TenantEntry,
        user_code: &str,
        decided: &Decision,
    ) -> Result<DecisionOutcome, OAuthError> {
        let Some((device_hash, request)) = self.pending_device(tenant, user_code).await? else {
            return Ok(DecisionOutcome::Unknown);
        };
        let tenant_id = tenant.tenant.id;
        let raw = serde_json::to_vec(decided)
            .map_err(|e| internal("serialising a device decision", e))?;
        let ttl = retention(self.clock.now(), request.expires_at);
        let first = self
            .cache
            .put_if_absent(&decision_key(tenant_id, &device_hash), &raw, ttl)
            .await
            .map_err(|e| unavailable("recording a device decision", e))?;
        if !first {
            return Ok(DecisionOutcome::Unknown);
        }
        if let Err(e) = self
            .cache
            .delete(&user_code_key(tenant_id, &request.user_code))
            .await
        {
            tracing::warn!(error = %e, "forgetting a spent user code failed");
        }
        Ok(DecisionOutcome::Recorded(request))
    }
}

#[cfg(test)]
#[path = "device_authorization_tests.rs"]
mod tests;
