//! Client use-cases: register, read, list, change, delete, rotate the secret. Validation is
//! keyward-oauth's `client_registration::register`, the same the CLI uses, plus the metadata
//! it does not cover (jwks, jwks_uri, backchannel_logout_uri).

use keyward_authz::AdminAction;
use keyward_core::ClientId;
use keyward_oauth::Client;
use keyward_oauth::admin_api::ADMIN_SCOPE;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client_metadata::validate;
use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, page_request, snapshot};
use crate::version::Version;

/// A client as the API shows it: never its secret or the secret's hash.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    pub auth_method: String,
    pub public: bool,
    pub first_party: bool,
    pub jwks: Option<Value>,
    pub jwks_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Whether its user tokens carry a `roles` claim (the user's application roles).
    pub role_claims: bool,
    /// Whether its user tokens carry a `permissions` claim (`resource:action`).
    pub permission_claims: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ClientView {
    pub fn version(&self) -> Version {
        Version::of(&self.client_id, self.updated_at)
    }
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            client_id: c.client_id.to_string(),
            name: c.name.to_string(),
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            post_logout_redirect_uris: c
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            scopes: c.scopes.tokens().map(str::to_owned).collect(),
            auth_method: c.auth_method.as_str().to_owned(),
            public: c.public,
            first_party: c.first_party,
            jwks: c.settings.jwks.clone(),
            jwks_uri: c.settings.jwks_uri.clone(),
            backchannel_logout_uri: c.settings.backchannel_logout_uri.clone(),
            role_claims: c.settings.role_claims,
            permission_claims: c.settings.permission_claims,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new client's metadata (RFC 7591 names).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub name: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub auth_method: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub first_party: bool,
    /// A JWK Set (`{"keys": [...]}`) for private_key_jwt.
    pub jwks: Option<Value>,
    /// An https URL of the client's JWK Set.
    pub jwks_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Opt in to a `roles` claim in user tokens.
    #[serde(default)]
    pub role_claims: bool,
    /// Opt in to a `permissions` claim in user tokens.
    #[serde(default)]
    pub permission_claims: bool,
}

/// A partial change of a client: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub auth_method: Option<String>,
    pub public: Option<bool>,
    pub first_party: Option<bool>,
    /// `null` keeps the JWK Set; `{}` removes it.
    pub jwks: Option<Value>,
    /// An empty string removes it.
    pub jwks_uri: Option<String>,
    /// An empty string removes it.
    pub backchannel_logout_uri: Option<String>,
    pub role_claims: Option<bool>,
    pub permission_claims: Option<bool>,
}

/// A registered client and, for secret-based clients, the secret to show once.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown once; only its keyed hash is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

fn target(id: &ClientId) -> String {
    format!("client:{id}")
}

impl Admin {
    pub async fn create_client(
        &self,
        caller: &Caller,
        tenant: &str,
        input: &ClientInput,
    ) -> Result<CreatedClient, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ClientCreate)
            .await?;
        let registered = validate(self, &tenant, input)?;
        self.may_grant_admin_scope(caller, &tenant, None, &registered.client)
            .await?;
        let work = self.begin().await?;
        work.clients().create(&registered.client).await?;
        let view = ClientView::from(&registered.client);
        self.commit(
            work,
            caller,
            &permit,
            target(&registered.client.client_id),
            None,
            snapshot(&view),
        )
        .await?;
        self.ports
            .announcer
            .client_changed(tenant.id, &registered.client.client_id)
            .await;
        Ok(CreatedClient {
            client: view,
            client_secret: registered.secret,
        })
    }

    /// A client that gains the admin scope (keyward-oauth's `admin_api`) can get admin API
    /// tokens for whoever uses it: handing that out is a platform decision, taken by the same
    /// permission as granting platform-admin. A tenant-admin of the system tenant may not.
    async fn may_grant_admin_scope(
        &self,
        caller: &Caller,
        tenant: &keyward_core::Tenant,
        current: Option<&Client>,
        next: &Client,
    ) -> Result<(), AdminError> {
        let had = current.is_some_and(|c| c.scopes.contains(ADMIN_SCOPE));
        if had || !next.scopes.contains(ADMIN_SCOPE) {
            return Ok(());
        }
        self.ports
            .authorizer
            .permit(
                &caller.actor,
                tenant.id,
                AdminAction::RoleGrantPlatformAdmin,
            )
            .await?;
        Ok(())
    }

    async fn find_client(
        &self,
        tenant: keyward_core::TenantId,
        id: &str,
    ) -> Result<Client, AdminError> {
        let id = ClientId::parse(id).map_err(|_| AdminError::NotFound)?;
        self.ports
            .clients
            .get(tenant, &id)
            .await?
            .ok_or(AdminError::NotFound)
    }

    pub async fn client_view(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
    ) -> Result<ClientView, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::ClientRead).await?;
        Ok(ClientView::from(&self.find_client(tenant.id, id).await?))
    }

    pub async fn list_clients(
        &self,
        caller: &Caller,
        tenant: &str,
        limit: Option<u64>,
        after: Option<String>,
    ) -> Result<PageView<ClientView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::ClientRead).await?;
        let page = self
            .ports
            .clients
            .list(tenant.id, &page_request(limit, after))
            .await?;
        Ok(PageView::from_page(page, |c| ClientView::from(c)))
    }

    /// Changes a client; answers a new secret when the change moves it to a secret-based
    /// authentication method it had no secret for.
    pub async fn update_client(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        patch: &ClientPatch,
        if_match: Option<&str>,
    ) -> Result<CreatedClient, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ClientUpdate)
            .await?;
        let current = self.find_client(tenant.id, id).await?;
        let before = ClientView::from(&current);
        before.version().check(if_match)?;
        let merged = ClientInput {
            name: patch.name.clone().unwrap_or_else(|| before.name.clone()),
            redirect_uris: patch
                .redirect_uris
                .clone()
                .unwrap_or_else(|| before.redirect_uris.clone()),
            post_logout_redirect_uris: patch
                .post_logout_redirect_uris
                .clone()
                .unwrap_or_else(|| before.post_logout_redirect_uris.clone()),
            grant_types: patch
                .grant_types
                .clone()
                .unwrap_or_else(|| before.grant_types.clone()),
            scopes: patch
                .scopes
                .clone()
                .unwrap_or_else(|| before.scopes.clone()),
            auth_method: Some(
                patch
                    .auth_method
                    .clone()
                    .unwrap_or_else(|| before.auth_method.clone()),
            ),
            public: patch.public.unwrap_or(before.public),
            first_party: patch.first_party.unwrap_or(before.first_party),
            jwks: patch.jwks.clone().or_else(|| before.jwks.clone()),
            jwks_uri: patch.jwks_uri.clone().or_else(|| before.jwks_uri.clone()),
            backchannel_logout_uri: patch
                .backchannel_logout_uri
                .clone()
                .or_else(|| before.backchannel_logout_uri.clone()),
            role_claims: patch.role_claims.unwrap_or(before.role_claims),
            permission_claims: patch.permission_claims.unwrap_or(before.permission_claims),
        };
        let validated = validate(self, &tenant, &merged)?.client;
        self.may_grant_admin_scope(caller, &tenant, Some(&current), &validated)
            .await?;
        let mut secret = None;
        let secret_hash = match (validated.auth_method.uses_secret(), &current.secret_hash) {
            (false, _) => None,
            (true, Some(hash)) => Some(hash.clone()),
            (true, None) => {
                let (s, hash) = self
                    .ports
                    .secrets
                    .generate()
                    .map_err(|e| AdminError::Internal(e.to_string()))?;
                secret = Some(s);
                Some(hash)
            }
        };
        let changed = Client {
            client_id: current.client_id.clone(),
            secret_hash,
            created_at: current.created_at,
            updated_at: self.ports.clock.now(),
            settings: keyward_oauth::ClientSettings {
                jwks: validated.settings.jwks,
                jwks_uri: validated.settings.jwks_uri,
                backchannel_logout_uri: validated.settings.backchannel_logout_uri,
                role_claims: validated.settings.role_claims,
                permission_claims: validated.settings.permission_claims,
                ..current.settings.clone()
            },
            ..validated
        };
        let work = self.begin().await?;
        work.clients().update(&changed).await?;
        let after = ClientView::from(&changed);
        self.commit(
            work,
            caller,
            &permit,
            target(&changed.client_id),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        self.ports
            .announcer
            .client_changed(tenant.id, &changed.client_id)
            .await;
        Ok(CreatedClient {
            client: after,
            client_secret: secret,
        })
    }

    pub async fn delete_client(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ClientDelete)
            .await?;
        let current = self.find_client(tenant.id, id).await?;
        let before = ClientView::from(&current);
        before.version().check(if_match)?;
        let work = self.begin().await?;
        work.clients().delete(tenant.id, &current.client_id).await?;
        self.commit(
            work,
            caller,
            &permit,
            target(&current.client_id),
            snapshot(&before),
            None,
        )
        .await?;
        self.ports
            .announcer
            .client_changed(tenant.id, &current.client_id)
            .await;
        Ok(())
    }

    /// Issues a new secret; the old one stops working at once.
    pub async fn rotate_client_secret(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
    ) -> Result<CreatedClient, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ClientRotateSecret)
            .await?;
        let mut client = self.find_client(tenant.id, id).await?;
        if !client.auth_method.uses_secret() {
            return Err(AdminError::invalid(
                "auth_method",
                format!(
                    "the client authenticates with {}, not with a client secret",
                    client.auth_method
                ),
            ));
        }
        let before = ClientView::from(&client);
        let (secret, hash) = self
            .ports
            .secrets
            .generate()
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        client.secret_hash = Some(hash);
        client.updated_at = self.ports.clock.now();
        let work = self.begin().await?;
        work.clients().update(&client).await?;
        let after = ClientView::from(&client);
        self.commit(
            work,
            caller,
            &permit,
            target(&client.client_id),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        self.ports
            .announcer
            .client_changed(tenant.id, &client.client_id)
            .await;
        Ok(CreatedClient {
            client: after,
            client_secret: Some(secret),
        })
    }
}
