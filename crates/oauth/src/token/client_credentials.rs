//! RFC 6749 §4.4: the client credentials grant. The client acts on its own behalf: `sub` is its
//! client id, and it never gets a refresh token (§4.4.3).

use crate::client_authentication::AuthenticatedClient;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::params::FormParams;
use crate::token::{TokenResponse, requested_client_scope};
use crate::token_service::TokenService;

/// RFC 6749 §4.4.2
pub(crate) async fn exchange(
    service: &TokenService,
    tenant: &TenantEntry,
    client: &AuthenticatedClient,
    params: &FormParams,
) -> Result<TokenResponse, OAuthError> {
    let scope = requested_client_scope(tenant, client, params)?;
    let access = service
        .mint_access_token(
            tenant,
            client,
            client.client_id.as_str(),
            &scope,
            &serde_json::Map::new(),
        )
        .await?;
    Ok(TokenResponse::new(access, None, &scope))
}
