//! RFC 6749 §4.3: the resource owner password credentials grant. Off unless the tenant enables
//! it AND the client registered the grant. keyward-oauth never sees a user table: the
//! [`ResourceOwnerAuthenticator`] port checks the password and answers a subject.

use std::net::IpAddr;

use async_trait::async_trait;
use keyward_core::{GrantType, Tenant};

use crate::client_authentication::AuthenticatedClient;
use crate::directory::TenantEntry;
use crate::error::{ErrorCode, OAuthError};
use crate::params::FormParams;
use crate::token::{TokenResponse, requested_client_scope};
use crate::token_service::{TokenService, unavailable};

/// The scope that asks for a refresh token (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// When a client refused for a full password-hashing queue may try again (`Retry-After`).
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The resource owner a password belonged to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The `sub` of the tokens: the user's stable id.
    pub id: String,
}

/// Why a resource owner's credentials were refused. The same refusal covers an unknown user, a
/// wrong password, a disabled account and an account without a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordGrantRefusal {
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many recent failures for this username or from this address.
    #[error("too many failed attempts")]
    Throttled,
    /// Too many password checks in progress (at this tenant or in all): nothing was checked.
    #[error("too many sign-ins in progress")]
    Busy,
    /// A backend failed; the message is for logs.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Checks a resource owner's username (or e-mail) and password in a tenant.
#[async_trait]
pub trait ResourceOwnerAuthenticator: Send + Sync {
    async fn authenticate(
        &self,
        tenant: &Tenant,
        username: &str,
        password: &str,
        remote_ip: Option<IpAddr>,
    ) -> Result<Subject, PasswordGrantRefusal>;
}

/// RFC 6749 §4.3.2
pub(crate) async fn exchange(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    params: &FormParams,
    remote_ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    if !tenant.tenant.settings.password_grant_enabled {
        return Err(OAuthError::unauthorized_client(
            "the password grant is not enabled for this tenant",
        ));
    }
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scope = requested_client_scope(tenant, client, params)?;
    let subject = service
        .resource_owners
        .authenticate(&tenant.tenant, username, password, remote_ip)
        .await
        .map_err(|refusal| match refusal {
            PasswordGrantRefusal::InvalidCredentials => {
                OAuthError::invalid_grant("invalid username or password")
            }
            PasswordGrantRefusal::Throttled => {
                OAuthError::invalid_grant("too many failed attempts; try again later")
            }
            PasswordGrantRefusal::Busy => OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "too many sign-ins in progress; try again shortly",
            )
            .with_retry_after(BUSY_RETRY_AFTER_SECS),
            PasswordGrantRefusal::Unavailable(cause) => unavailable("checking a password", cause),
        })?;
    let app = service.app_claims(tenant, client, &subject.id).await?;
    let access = service
        .mint_access_token(tenant, client, &subject.id, &scope, &app)
        .await?;
    let refresh = if scope.contains(OFFLINE_ACCESS)
        && client.grant_types.contains(&GrantType::RefreshToken)
    {
        let now = service.clock.now();
        Some(
            super::refresh_token::issue_family(
                service,
                tenant,
                client,
                Some(subject.id.clone()),
                &scope,
                &access,
                now,
            )
            .await?,
        )
    } else {
        None
    };
    // Issue 4 item 8 / OIDC Core §3.1.3.3: an ID token when `openid` was granted.
    let id_token = if scope.contains("openid") {
        let now = service.clock.now();
        let keys = service.tenant_keys(tenant.tenant.id).await?;
        let signer = crate::id_token::signer(tenant, client, &keys)?;
        let who = crate::id_token::Authentication {
            user_id: subject.id.clone(),
            auth_time: Some(now),
            amr: vec![keyward_core::Amr::Pwd],
            ..Default::default()
        };
        let contents = crate::id_token::IdTokenContents {
            access_token: Some(&access.token),
            claims: app,
            ..Default::default()
        };
        Some(crate::id_token::mint(
            signer, tenant, client, &who, &contents, now,
        )?)
    } else {
        None
    };
    let mut response = TokenResponse::new(access, refresh, &scope);
    response.id_token = id_token;
    Ok(response)
}
