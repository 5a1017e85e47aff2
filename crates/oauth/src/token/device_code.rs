//! RFC 8628 §3.4–§3.5: the device_code grant. The device polls with its device_code; while
//! the person has not answered it gets `authorization_pending`, or `slow_down` when it polls
//! faster than the interval (which then grows by 5 s, for this and every later poll); a denial
//! is `access_denied`, an expired request `expired_token`. An approval is redeemed once (the
//! request is taken atomically): an access token, a refresh token when the client may use
//! refresh tokens and `offline_access` was granted, and an ID token when `openid` was.

use chrono::{DateTime, Duration, Utc};
use keyward_core::{EphemeralStore, GrantType, TenantId};
use serde::{Deserialize, Serialize};

use crate::client_authentication::AuthenticatedClient;
use crate::device_authorization::{
    self, Decision, DeviceRequest, POLL_INTERVAL_SECS, SLOW_DOWN_STEP_SECS, retention,
};
use crate::directory::TenantEntry;
use crate::error::{ErrorCode, OAuthError};
use crate::id_token::{self, Authentication, IdTokenContents};
use crate::params::FormParams;
use crate::token::TokenResponse;
use crate::token::password::OFFLINE_ACCESS;
use crate::token::refresh_token::{SessionOrigin, hash, issue_family_in_session};
use crate::token_service::{TokenService, internal, unavailable};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the device_code is invalid or already used")
}

/// When the device last polled and the interval it must keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pace {
    last_poll: DateTime<Utc>,
    interval_secs: i64,
}

/// Whether this poll comes before the interval after the previous one; an interval no
/// timestamp can add (a corrupt pace entry) counts as too soon.
fn polled_too_soon(previous: &Pace, now: DateTime<Utc>) -> bool {
    Duration::try_seconds(previous.interval_secs)
        .and_then(|interval| previous.last_poll.checked_add_signed(interval))
        .is_none_or(|next| now < next)
}

/// RFC 8628 §3.4
pub(crate) async fn exchange(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    params: &FormParams,
) -> Result<TokenResponse, OAuthError> {
    let device_hash = hash(params.require("device_code")?);
    let tenant_id = tenant.tenant.id;
    let cache = service.cache.as_ref();
    let Some(request) = device_authorization::load(cache, tenant_id, &device_hash).await? else {
        return Err(invalid());
    };
    // RFC 8628 §3.4: bound to the client that started the request.
    if request.client_id != client.client_id {
        return Err(invalid());
    }
    let now = service.clock.now();
    if now >= request.expires_at {
        return Err(OAuthError::new(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start again",
        ));
    }
    match device_authorization::decision(cache, tenant_id, &device_hash).await? {
        None => Err(pace(cache, tenant_id, &device_hash, &request, now).await?),
        Some(Decision::Denied) => Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        Some(Decision::Approved {
            user_id,
            auth_time,
            amr,
            acr,
        }) => {
            // Of two polls racing for one approval, one takes the request; the other is late.
            let taken = cache
                .take(&device_authorization::request_key(tenant_id, &device_hash))
                .await
                .map_err(|e| unavailable("taking a device request", e))?;
            if taken.is_none() {
                return Err(invalid());
            }
            forget(cache, tenant_id, &device_hash).await;
            // The user who approved may have been disabled or deleted since.
            if !service.user_active(tenant, &user_id.to_string()).await? {
                return Err(invalid());
            }
            let who = Authentication {
                user_id: user_id.to_string(),
                auth_time: Some(auth_time),
                amr,
                acr,
                sid: None,
            };
            issue(service, tenant, client, &request, &who, now).await
        }
    }
}

/// RFC 8628 §3.5: `slow_down` (the interval grows by 5 s) when this poll comes sooner than
/// the interval after the previous one, else `authorization_pending`.
async fn pace(
    cache: &dyn EphemeralStore,
    tenant: TenantId,
    device_hash: &str,
    request: &DeviceRequest,
    now: DateTime<Utc>,
) -> Result<OAuthError, OAuthError> {
    let key = device_authorization::pace_key(tenant, device_hash);
    let previous = cache
        .get(&key)
        .await
        .map_err(|e| unavailable("reading the polling pace", e))?
        .and_then(|raw| serde_json::from_slice::<Pace>(&raw).ok());
    let (interval_secs, too_fast) = match previous {
        Some(p) if polled_too_soon(&p, now) => {
            (p.interval_secs.saturating_add(SLOW_DOWN_STEP_SECS), true)
        }
        Some(p) => (p.interval_secs, false),
        None => (POLL_INTERVAL_SECS, false),
    };
    let raw = serde_json::to_vec(&Pace {
        last_poll: now,
        interval_secs,
    })
    .map_err(|e| internal("serialising the polling pace", e))?;
    cache
        .put(&key, &raw, retention(now, request.expires_at))
        .await
        .map_err(|e| unavailable("recording the polling pace", e))?;
    Ok(if too_fast {
        OAuthError::new(
            ErrorCode::SlowDown,
            format!("poll at most every {interval_secs} seconds"),
        )
    } else {
        OAuthError::new(
            ErrorCode::AuthorizationPending,
            "the user has not answered yet",
        )
    })
}

/// Drops the decision and pace of a redeemed request (best effort: they expire anyway).
async fn forget(cache: &dyn EphemeralStore, tenant: TenantId, device_hash: &str) {
    for key in [
        device_authorization::decision_key(tenant, device_hash),
        device_authorization::pace_key(tenant, device_hash),
    ] {
        if let Err(e) = cache.delete(&key).await {
            tracing::warn!(error = %e, "forgetting a redeemed device request failed");
        }
    }
}

/// The tokens of an approved device request.
async fn issue(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    request: &DeviceRequest,
    who: &Authentication,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let scope = &request.scope;
    let app = service.app_claims(tenant, client, &who.user_id).await?;
    let access = service
        .mint_access_token(tenant, client, &who.user_id, scope, &app)
        .await?;
    let refresh = if scope.contains(OFFLINE_ACCESS)
        && client.grant_types.contains(&GrantType::RefreshToken)
    {
        // The device is not part of the approving browser's session: logging out there
        // leaves the device signed in.
        let origin = SessionOrigin {
            session_id: None,
            auth_time: who.auth_time,
        };
        Some(
            issue_family_in_session(
                service,
                tenant,
                client,
                Some(who.user_id.clone()),
                scope,
                &access,
                now,
                Some(origin),
            )
            .await?,
        )
    } else {
        None
    };
    let id_token = if scope.contains("openid") {
        let keys = service.tenant_keys(tenant.tenant.id).await?;
        let signer = id_token::signer(tenant, client, &keys)?;
        let contents = IdTokenContents {
            access_token: Some(&access.token),
            claims: app,
            ..Default::default()
        };
        Some(id_token::mint(signer, tenant, client, who, &contents, now)?)
    } else {
        None
    };
    let mut response = TokenResponse::new(access, refresh, scope);
    response.id_token = id_token;
    Ok(response)
}
