//! RFC 6749 §4.1.2 / §4.2.2 and OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5: the successful
//! authorization response — a code, an access token, an ID token, as the response type asks.

use keyward_core::Scope;

use super::AuthenticatedSubject;
use super::error::AuthorizeError;
use super::request::AuthorizationRequest;
use crate::authorization_code::{self, AuthorizationCode};
use crate::claims::{UserClaims, released};
use crate::client::Client;
use crate::directory::TenantEntry;
use crate::id_token::{self, Authentication, IdTokenContents};
use crate::token_service::{TokenService, unavailable};

/// Issues what `request.response_type` asks for, as response parameters (without `state` and
/// `iss`, which the caller adds to every response).
pub(super) async fn issue(
    tokens: &TokenService,
    users: &dyn UserClaims,
    tenant: &TenantEntry,
    client: &Client,
    request: &AuthorizationRequest,
    subject: &AuthenticatedSubject,
) -> Result<Vec<(String, String)>, AuthorizeError> {
    let now = tokens.clock.now();
    let user_id = subject.user_id.to_string();
    let who = Authentication {
        user_id: user_id.clone(),
        auth_time: Some(subject.auth_time),
        amr: subject.amr.clone(),
        acr: subject.acr.clone(),
        sid: Some(subject.sid.clone()),
    };
    let mut params = Vec::new();
    let rt = request.response_type;
    let code = if rt.code {
        let grant = AuthorizationCode {
            tenant_id: tenant.tenant.id,
            client_id: client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            scope: request.scope.clone(),
            user_id: user_id.clone(),
            session_id: Some(subject.session_id.clone()),
            sid: who.sid.clone(),
            auth_time: who.auth_time,
            amr: who.amr.clone(),
            acr: who.acr.clone(),
            issued_at: now,
        };
        let code = authorization_code::issue(tokens.cache.as_ref(), &grant).await?;
        params.push(("code".to_owned(), code.clone()));
        Some(code)
    } else {
        None
    };
    let app = tokens.app_claims(tenant, client, &user_id).await?;
    let access = if rt.token {
        let access = tokens
            .mint_access_token(tenant, client, &user_id, &request.scope, &app)
            .await?;
        params.push(("access_token".to_owned(), access.token.clone()));
        params.push(("token_type".to_owned(), "Bearer".to_owned()));
        params.push(("expires_in".to_owned(), access.expires_in.to_string()));
        Some(access)
    } else {
        None
    };
    if rt.id_token {
        // OIDC Core §5.4: with no access token to call userinfo, the claims go in the ID token.
        let mut claims = if access.is_none() {
            standard_claims(users, tenant, subject, &request.scope).await?
        } else {
            serde_json::Map::new()
        };
        claims.extend(app);
        let keys = tokens.tenant_keys(tenant.tenant.id).await?;
        let signer = id_token::signer(tenant, client, &keys)?;
        let contents = IdTokenContents {
            nonce: request.nonce.as_deref(),
            access_token: access.as_ref().map(|a| a.token.as_str()),
            code: code.as_deref(),
            claims,
        };
        params.push((
            "id_token".to_owned(),
            id_token::mint(signer, tenant, client, &who, &contents, now)?,
        ));
    }
    Ok(params)
}

async fn standard_claims(
    users: &dyn UserClaims,
    tenant: &TenantEntry,
    subject: &AuthenticatedSubject,
    scope: &Scope,
) -> Result<serde_json::Map<String, serde_json::Value>, AuthorizeError> {
    let claims = users
        .claims(tenant.tenant.id, subject.user_id)
        .await
        .map_err(|e| unavailable("reading the user's claims", e))?;
    Ok(claims.map(|c| released(&c, scope)).unwrap_or_default())
}
