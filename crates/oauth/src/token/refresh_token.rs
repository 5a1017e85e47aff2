//! RFC 6749 §6: the refresh token grant, with rotation on every use and reuse detection
//! (RFC 9700 §4.14.2): presenting a rotated-out token revokes its whole family and the access
//! tokens issued from it. Refresh tokens are opaque, 256 random bits, stored as SHA-256 hashes.
//! A family has an absolute lifetime (client override, else the tenant's setting): rotating
//! does not extend it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use keyward_core::Scope;
use keyward_core::secret::try_random_token;
use uuid::Uuid;

use crate::access_token::MintedAccessToken;
use crate::client_authentication::AuthenticatedClient;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::params::FormParams;
use crate::refresh_token::{RefreshToken, RefreshTokenFamily, RotateOutcome};
use crate::token::{TokenResponse, requested_scope};
use crate::token_service::{TokenService, internal, unavailable};

/// The stored form of a refresh token: SHA-256, base64url.
pub fn hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn fresh_token() -> Result<String, OAuthError> {
    try_random_token(32).map_err(|e| internal("generating a refresh token", e))
}

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// Starts a refresh-token family for a grant; returns the first token (shown once).
pub(crate) async fn issue_family(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    subject: Option<String>,
    scope: &Scope,
    access: &MintedAccessToken,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    issue_family_in_session(service, tenant, client, subject, scope, access, now, None).await
}

/// The browser session a grant came from (for logout) and when its user authenticated.
#[derive(Debug, Clone)]
pub(crate) struct SessionOrigin {
    pub session_id: Option<String>,
    pub auth_time: Option<DateTime<Utc>>,
}

/// [`issue_family`] for a grant that came from a browser session (authorization code).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue_family_in_session(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    subject: Option<String>,
    scope: &Scope,
    access: &MintedAccessToken,
    now: DateTime<Utc>,
    origin: Option<SessionOrigin>,
) -> Result<String, OAuthError> {
    let secs = client
        .settings
        .refresh_token_ttl_secs
        .unwrap_or(tenant.tenant.settings.refresh_token_ttl_secs);
    let family = RefreshTokenFamily {
        id: Uuid::now_v7(),
        tenant_id: tenant.tenant.id,
        client_id: client.client_id.clone(),
        subject,
        scope: scope.clone(),
        session_id: origin.as_ref().and_then(|o| o.session_id.clone()),
        auth_time: origin.as_ref().and_then(|o| o.auth_time).or(Some(now)),
        created_at: now,
        expires_at: now + crate::lifetime::seconds(secs),
        revoked_at: None,
    };
    let token = fresh_token()?;
    let first = RefreshToken {
        token_hash: hash(&token),
        family_id: family.id,
        tenant_id: tenant.tenant.id,
        generation: 0,
        issued_at: now,
        expires_at: family.expires_at,
        rotated_at: None,
        access_token_jti: Some(access.jti.clone()),
        access_token_expires_at: Some(access.expires_at),
    };
    service
        .refresh_tokens
        .create_family(&family, &first)
        .await
        .map_err(|e| unavailable("storing a refresh token", e))?;
    Ok(token)
}

/// RFC 6749 §6
pub(crate) async fn exchange(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    params: &FormParams,
    request_id: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.require("refresh_token")?;
    let old_hash = hash(presented);
    let tenant_id = tenant.tenant.id;
    let found = service
        .refresh_tokens
        .find(tenant_id, &old_hash)
        .await
        .map_err(|e| unavailable("looking up a refresh token", e))?;
    let Some((old, family)) = found else {
        return Err(invalid());
    };
    // RFC 6749 §10.4: bound to the client it was issued to.
    if family.client_id != client.client_id {
        return Err(invalid());
    }
    let now = service.clock.now();
    if old.rotated_at.is_some() || family.revoked_at.is_some() {
        return Err(refuse_reuse(service, client, &family, request_id, now).await);
    }
    if old.expires_at <= now || family.expires_at <= now {
        return Err(invalid());
    }
    // A user disabled or deleted since gets nothing, and the family ends (with its access
    // tokens) for good.
    if let Some(user) = family.subject.as_deref()
        && !service.user_active(tenant, user).await?
    {
        service.revoke_family(tenant_id, family.id, now).await?;
        return Err(invalid());
    }
    // RFC 6749 §6: narrower is fine, wider is not; the refresh token keeps the family's scope.
    let scope = requested_scope(params, &family.scope)?;
    let subject = family
        .subject
        .as_deref()
        .unwrap_or(client.client_id.as_str());
    // A client's own refresh family (no user) gets none: its subject is not a user id.
    let app = service.app_claims(tenant, client, subject).await?;
    let access = service
        .mint_access_token(tenant, client, subject, &scope, &app)
        .await?;
    let token = fresh_token()?;
    let next = RefreshToken {
        token_hash: hash(&token),
        family_id: family.id,
        tenant_id,
        generation: old.generation.saturating_add(1),
        issued_at: now,
        expires_at: family.expires_at,
        rotated_at: None,
        access_token_jti: Some(access.jti.clone()),
        access_token_expires_at: Some(access.expires_at),
    };
    let outcome = service
        .refresh_tokens
        .rotate(tenant_id, &old_hash, &next, now)
        .await
        .map_err(|e| unavailable("rotating a refresh token", e))?;
    match outcome {
        RotateOutcome::Rotated => Ok(TokenResponse::new(access, Some(token), &scope)),
        // Another request rotated it (or revoked the family) a moment ago: one is a replay.
        RotateOutcome::AlreadyUsed => {
            Err(refuse_reuse(service, client, &family, request_id, now).await)
        }
        RotateOutcome::Unknown => Err(invalid()),
    }
}

/// RFC 9700 §4.14.2: a rotated-out token came back (or its family is revoked), so the whole
/// family and its access tokens are revoked. The replay is recorded once, by the request that
/// found the family still live. Answers the error for the client.
async fn refuse_reuse(
    service: &TokenService,
    client: &AuthenticatedClient,
    family: &RefreshTokenFamily,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> OAuthError {
    if let Err(e) = service
        .revoke_family(family.tenant_id, family.id, now)
        .await
    {
        return e;
    }
    if family.revoked_at.is_none() {
        service
            .audit_refresh_reuse(
                family.tenant_id,
                client,
                family.id,
                family.subject.as_deref(),
                request_id,
            )
            .await;
    }
    tracing::warn!(client_id = %client.client_id, family = %family.id, "refresh token reused; family revoked");
    invalid()
}
