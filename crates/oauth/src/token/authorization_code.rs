//! RFC 6749 §4.1.3: the authorization code grant, with PKCE (RFC 7636 §4.5–4.6). The code must
//! come back from the client it was issued to, with the same redirect URI; a replayed code is
//! `invalid_grant` and revokes the tokens its first use issued (§4.1.2). Returns an ID token
//! when `openid` was granted (OIDC Core §3.1.3.3) and a refresh token when the client may use
//! refresh tokens and `offline_access` was granted.

use keyward_core::GrantType;

use crate::authorization_code::{self, Redeemed, UsedCode};
use crate::client_authentication::AuthenticatedClient;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::id_token::{self, IdTokenContents};
use crate::params::FormParams;
use crate::token::TokenResponse;
use crate::token::password::OFFLINE_ACCESS;
use crate::token::refresh_token::{SessionOrigin, hash, issue_family_in_session};
use crate::token_service::{TokenService, unavailable};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
}

/// RFC 6749 §4.1.3
pub(crate) async fn exchange(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    params: &FormParams,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let tenant_id = tenant.tenant.id;
    let grant = match authorization_code::redeem(service.cache.as_ref(), tenant_id, code).await? {
        Redeemed::Fresh(grant) => grant,
        Redeemed::Replayed(used) => {
            revoke_first_use(service, tenant, &used).await?;
            tracing::warn!(client_id = %client.client_id, "authorization code reused; its tokens were revoked");
            return Err(invalid());
        }
        Redeemed::Unknown => return Err(invalid()),
    };
    if grant.client_id != client.client_id {
        return Err(invalid());
    }
    // RFC 6749 §4.1.3: required, and identical, when the authorization request had one (it
    // always has: the code records the URI the response went to).
    if params.get("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let verifier = params.get("code_verifier");
    match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(v)) if challenge.verify(v) => {}
        (Some(_), _) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "the authorization request had no code_challenge",
            ));
        }
        (None, None) => {}
    }
    // A user disabled or deleted since the code was issued gets nothing.
    if !service.user_active(tenant, &grant.user_id).await? {
        return Err(invalid());
    }
    let now = service.clock.now();
    let scope = grant.scope.clone();
    let app = service.app_claims(tenant, client, &grant.user_id).await?;
    let access = service
        .mint_access_token(tenant, client, &grant.user_id, &scope, &app)
        .await?;
    let refresh = if scope.contains(OFFLINE_ACCESS)
        && client.grant_types.contains(&GrantType::RefreshToken)
    {
        let subject = Some(grant.user_id.clone());
        let origin = SessionOrigin {
            session_id: grant.session_id.clone(),
            auth_time: grant.auth_time,
        };
        Some(
            issue_family_in_session(
                service,
                tenant,
                client,
                subject,
                &scope,
                &access,
                now,
                Some(origin),
            )
            .await?,
        )
    } else {
        None
    };
    let used = UsedCode {
        access_token_jti: Some(access.jti.clone()),
        access_token_expires_at: Some(access.expires_at),
        refresh_token_hash: refresh.as_deref().map(hash),
    };
    authorization_code::mark_used(service.cache.as_ref(), tenant_id, code, &used).await?;
    if authorization_code::replayed_meanwhile(service.cache.as_ref(), tenant_id, code).await? {
        revoke_first_use(service, tenant, &used).await?;
        tracing::warn!(client_id = %client.client_id, "authorization code replayed during its first use; its tokens were revoked");
        return Err(invalid());
    }
    let id_token = if scope.contains("openid") {
        let keys = service.tenant_keys(tenant_id).await?;
        let signer = id_token::signer(tenant, client, &keys)?;
        let contents = IdTokenContents {
            nonce: grant.nonce.as_deref(),
            access_token: Some(&access.token),
            claims: app,
            ..Default::default()
        };
        Some(id_token::mint(
            signer,
            tenant,
            client,
            &grant.authentication(),
            &contents,
            now,
        )?)
    } else {
        None
    };
    let mut response = TokenResponse::new(access, refresh, &scope);
    response.id_token = id_token;
    Ok(response)
}

/// Revokes the access token and the refresh-token family the first use of a code issued.
async fn revoke_first_use(
    service: &TokenService,
    tenant: &TenantEntry,
    used: &UsedCode,
) -> Result<(), OAuthError> {
    let tenant_id = tenant.tenant.id;
    let now = service.clock.now();
    if let (Some(jti), Some(exp)) = (&used.access_token_jti, used.access_token_expires_at) {
        service
            .revoke_access_tokens(tenant_id, &[(jti.clone(), exp)], now)
            .await?;
    }
    if let Some(refresh_hash) = &used.refresh_token_hash {
        let found = service
            .refresh_tokens
            .find(tenant_id, refresh_hash)
            .await
            .map_err(|e| unavailable("looking up a refresh token", e))?;
        if let Some((_, family)) = found {
            service.revoke_family(tenant_id, family.id, now).await?;
        }
    }
    Ok(())
}
