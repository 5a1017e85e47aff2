//! RFC 6749 §3.2: the token endpoint. It parses the form, authenticates the client, checks that
//! the client may use the requested grant, and hands over to the grant's module. Adding a grant
//! (authorization_code, device_code) is a new module here and one arm in [`TokenService::token`].

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod password;
pub mod refresh_token;

use std::net::IpAddr;

use keyward_core::{GrantType, Scope};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::access_token::{self, MintedAccessToken};
use crate::admin_api;
use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::{ErrorCode, OAuthError};
use crate::params::FormParams;
use crate::token_service::TokenService;

/// A request to a tenant's token, introspection or revocation endpoint, as the HTTP layer
/// extracted it.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRequest<'a> {
    /// The tenant slug from the path.
    pub tenant: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `application/x-www-form-urlencoded` body.
    pub body: &'a [u8],
    /// The peer address, for throttling.
    pub remote_ip: Option<IpAddr>,
    /// The request's X-Request-Id, recorded with its audit events.
    pub request_id: Option<&'a str>,
}

/// RFC 6749 §5.1: a successful token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OIDC Core §3.1.3.3: present when `openid` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// What the audit event records of the access token; never sent.
    #[serde(skip)]
    pub(crate) issued: Issued,
}

/// The access token's `sub` and `jti`, for the `token.issue` audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Issued {
    pub subject: String,
    pub jti: String,
}

impl TokenResponse {
    pub(crate) fn new(
        access: MintedAccessToken,
        refresh_token: Option<String>,
        scope: &Scope,
    ) -> Self {
        Self {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            refresh_token,
            scope: (!scope.is_empty()).then(|| scope.to_string()),
            id_token: None,
            issued: Issued {
                subject: access.subject,
                jti: access.jti,
            },
        }
    }
}

impl TokenService {
    /// RFC 6749 §3.2: answers a token request.
    pub async fn token(&self, request: EndpointRequest<'_>) -> Result<TokenResponse, OAuthError> {
        let tenant = self.tenant(request.tenant).await?;
        let params = FormParams::parse(request.body)?;
        let client = self
            .authenticate_client(&tenant, request.authorization, &params)
            .await?;
        let grant = params.require("grant_type")?;
        let unsupported = || {
            OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "the grant type is not supported",
            )
        };
        let grant_type: GrantType = grant.parse().map_err(|_| unsupported())?;
        if grant_type.as_str() != grant {
            return Err(unsupported());
        }
        if !client.grant_types.contains(&grant_type) {
            return Err(OAuthError::unauthorized_client(
                "the client is not allowed to use this grant type",
            ));
        }
        let answer = match grant_type {
            GrantType::ClientCredentials => {
                client_credentials::exchange(self, &tenant, &client, &params).await
            }
            GrantType::Password => {
                password::exchange(self, &tenant, &client, &params, request.remote_ip).await
            }
            GrantType::RefreshToken => {
                refresh_token::exchange(self, &tenant, &client, &params, request.request_id).await
            }
            GrantType::AuthorizationCode => {
                authorization_code::exchange(self, &tenant, &client, &params).await
            }
            GrantType::DeviceCode => device_code::exchange(self, &tenant, &client, &params).await,
            GrantType::Implicit => Err(unsupported()),
        };
        if let Ok(response) = &answer {
            self.audit_issued(&tenant, &client, grant_type, response, request.request_id)
                .await;
        }
        answer
    }

    /// Mints an access token with the tenant's active key; `app` holds the opt-in
    /// `roles` / `permissions` claims (empty for client_credentials).
    pub(crate) async fn mint_access_token(
        &self,
        tenant: &TenantEntry,
        client: &Client,
        subject: &str,
        scope: &Scope,
        app: &Map<String, Value>,
    ) -> Result<MintedAccessToken, OAuthError> {
        let keys = self.tenant_keys(tenant.tenant.id).await?;
        let signer = access_token::signer(tenant, &keys)?;
        access_token::mint(
            signer,
            tenant,
            client,
            subject,
            scope,
            app,
            self.clock.now(),
        )
    }
}

/// RFC 6749 §3.3: the requested scope, which must lie within `allowed`; when the request names
/// none, the whole of `allowed` (the refresh token's scope: RFC 6749 §6).
pub(crate) fn requested_scope(params: &FormParams, allowed: &Scope) -> Result<Scope, OAuthError> {
    let Some(raw) = params.get("scope") else {
        return Ok(allowed.clone());
    };
    parse_within(raw, allowed)
}

/// The scope a new grant of `client` asks for (client_credentials, password, device
/// authorization): within the client's registered scopes; when it names none, all of them but
/// the admin scope, which is only granted on request (`admin_api`). An RFC 8707 `resource`
/// naming the admin API asks for the admin scope; any other resource must be one of the
/// client's registered audiences.
pub(crate) fn requested_client_scope(
    tenant: &TenantEntry,
    client: &Client,
    params: &FormParams,
) -> Result<Scope, OAuthError> {
    let resource = params.get("resource");
    let for_admin_api = resource.is_some() && resource == tenant.admin_audience.as_deref();
    if let Some(resource) = resource
        && !for_admin_api
        && !client.settings.audiences.iter().any(|a| a == resource)
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "the resource is not one this client's tokens may be for",
        ));
    }
    let scope = match params.get("scope") {
        Some(raw) => parse_within(raw, &client.scopes)?,
        None if for_admin_api => parse_within(admin_api::ADMIN_SCOPE, &client.scopes)?,
        None => admin_api::without_admin(&client.scopes),
    };
    granted_in(tenant, &scope)?;
    if for_admin_api && !scope.contains(admin_api::ADMIN_SCOPE) {
        return Err(OAuthError::invalid_scope(
            "tokens for the admin API need the keyward:admin scope",
        ));
    }
    Ok(scope)
}

/// Refuses the admin scope outside the system tenant, whatever a client registered.
pub(crate) fn granted_in(tenant: &TenantEntry, scope: &Scope) -> Result<(), OAuthError> {
    if scope.contains(admin_api::ADMIN_SCOPE) && tenant.admin_audience.is_none() {
        return Err(OAuthError::invalid_scope(
            "keyward:admin is granted by the system tenant only",
        ));
    }
    Ok(())
}

fn parse_within(raw: &str, allowed: &Scope) -> Result<Scope, OAuthError> {
    let scope =
        Scope::parse(raw).map_err(|_| OAuthError::invalid_scope("the scope is malformed"))?;
    if !scope.is_subset(allowed) {
        return Err(OAuthError::invalid_scope(
            "the requested scope exceeds what the client may be granted",
        ));
    }
    Ok(scope)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
