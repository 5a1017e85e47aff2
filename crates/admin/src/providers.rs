//! Upstream identity-provider use-cases: create, read, list, change, delete. The upstream
//! client secret is write-only: sealed with the master key on the way in, never shown.

use keyward_authz::AdminAction;
use keyward_core::{DisplayName, Scope, TenantId, TenantSlug};
use keyward_federation::{IdentityProvider, ProviderKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::client_metadata::https_url;
use crate::error::{AdminError, Fields};
use crate::service::{Admin, Caller, PageView, snapshot};
use crate::version::Version;

/// An identity provider as the API shows it: never the upstream client secret.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderView {
    pub id: Uuid,
    /// Names the provider in URLs (`/federation/{alias}/start`).
    pub alias: String,
    pub display_name: String,
    /// `oidc` or `oauth2`.
    pub kind: String,
    pub issuer_url: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub scopes: Vec<String>,
    pub claim_mapping: Value,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ProviderView {
    pub fn version(&self) -> Version {
        Version::of(&self.id.to_string(), self.updated_at)
    }
}

impl From<&IdentityProvider> for ProviderView {
    fn from(p: &IdentityProvider) -> Self {
        Self {
            id: p.id,
            alias: p.alias.to_string(),
            display_name: p.display_name.to_string(),
            kind: p.kind.as_str().to_owned(),
            issuer_url: p.issuer_url.clone(),
            client_id: p.client_id.clone(),
            has_client_secret: p.client_secret_sealed.is_some(),
            scopes: p.scopes.clone(),
            claim_mapping: p.claim_mapping.clone(),
            enabled: p.enabled,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A new provider, or (every field optional) a change of one.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// Required on create; cannot change.
    pub alias: Option<String>,
    pub display_name: Option<String>,
    /// `oidc` (default) or `oauth2`.
    pub kind: Option<String>,
    pub issuer_url: Option<String>,
    pub client_id: Option<String>,
    /// Write-only; an empty string removes it.
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub claim_mapping: Option<Value>,
    pub enabled: Option<bool>,
}

fn target(alias: &TenantSlug) -> String {
    format!("provider:{alias}")
}

fn sealing_context(tenant: TenantId, alias: &TenantSlug) -> String {
    format!("idp:{tenant}:{alias}")
}

impl Admin {
    /// Applies `input` onto `p`, collecting every invalid field.
    fn apply_provider(
        &self,
        p: &mut IdentityProvider,
        input: &ProviderInput,
    ) -> Result<(), AdminError> {
        let mut errors = Fields::default();
        if let Some(name) = &input.display_name
            && let Some(name) = errors.take("display_name", DisplayName::parse(name))
        {
            p.display_name = name;
        }
        if let Some(kind) = &input.kind
            && let Some(kind) = errors.take("kind", kind.parse::<ProviderKind>())
        {
            p.kind = kind;
        }
        if let Some(url) = &input.issuer_url {
            if let Some(url) = https_url("issuer_url", Some(url), &mut errors) {
                p.issuer_url = url;
            } else if url.is_empty() {
                errors.push("issuer_url", "is required");
            }
        }
        if let Some(id) = &input.client_id {
            if id.is_empty() || id.len() > 255 || id.chars().any(char::is_control) {
                errors.push(
                    "client_id",
                    "must be 1 to 255 characters without control characters",
                );
            } else {
                p.client_id = id.clone();
            }
        }
        if let Some(scopes) = &input.scopes
            && let Some(scope) = errors.take("scopes", Scope::from_tokens(scopes))
        {
            p.scopes = scope.tokens().map(str::to_owned).collect();
        }
        if let Some(mapping) = &input.claim_mapping {
            if mapping.is_object() {
                p.claim_mapping = mapping.clone();
            } else {
                errors.push("claim_mapping", "must be a JSON object");
            }
        }
        if let Some(enabled) = input.enabled {
            p.enabled = enabled;
        }
        if p.issuer_url.is_empty() {
            errors.push("issuer_url", "is required");
        }
        if p.client_id.is_empty() {
            errors.push("client_id", "is required");
        }
        errors.finish()?;
        match input.client_secret.as_deref() {
            None => {}
            Some("") => p.client_secret_sealed = None,
            Some(secret) => {
                let context = sealing_context(p.tenant_id, &p.alias);
                let sealed = self
                    .ports
                    .master
                    .seal(secret.as_bytes(), &context)
                    .map_err(|e| AdminError::Internal(e.to_string()))?;
                p.client_secret_sealed = Some(sealed);
            }
        }
        Ok(())
    }

    pub async fn create_provider(
        &self,
        caller: &Caller,
        tenant: &str,
        input: &ProviderInput,
    ) -> Result<ProviderView, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ProviderCreate)
            .await?;
        let mut errors = Fields::default();
        let alias = match &input.alias {
            Some(a) => errors.take("alias", TenantSlug::parse(a)),
            None => {
                errors.push("alias", "is required");
                None
            }
        };
        let name = errors.take(
            "display_name",
            DisplayName::parse(input.display_name.as_deref().unwrap_or_default()),
        );
        errors.finish()?;
        let (Some(alias), Some(name)) = (alias, name) else {
            return Err(AdminError::Internal("provider fields".into()));
        };
        let now = self.ports.clock.now();
        let mut provider = IdentityProvider {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            alias,
            display_name: name,
            kind: ProviderKind::Oidc,
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret_sealed: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            claim_mapping: Value::Object(serde_json::Map::new()),
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        self.apply_provider(&mut provider, input)?;
        let work = self.begin().await?;
        work.providers()
            .create(&provider)
            .await
            .map_err(|e| match e {
                keyward_core::StoreError::Conflict(_) => AdminError::Conflict(format!(
                    "provider {:?} already exists",
                    provider.alias.as_str()
                )),
                other => other.into(),
            })?;
        let view = ProviderView::from(&provider);
        self.commit(
            work,
            caller,
            &permit,
            target(&provider.alias),
            None,
            snapshot(&view),
        )
        .await?;
        Ok(view)
    }

    async fn find_provider(
        &self,
        tenant: TenantId,
        alias: &str,
    ) -> Result<IdentityProvider, AdminError> {
        let alias = TenantSlug::parse(alias).map_err(|_| AdminError::NotFound)?;
        self.ports
            .providers
            .get(tenant, &alias)
            .await?
            .ok_or(AdminError::NotFound)
    }

    pub async fn provider_view(
        &self,
        caller: &Caller,
        tenant: &str,
        alias: &str,
    ) -> Result<ProviderView, AdminError> {
        let (tenant, _permit) = self
            .permit(caller, tenant, AdminAction::ProviderRead)
            .await?;
        Ok(ProviderView::from(
            &self.find_provider(tenant.id, alias).await?,
        ))
    }

    /// Sorted by alias; the cursor is the last alias seen.
    pub async fn list_providers(
        &self,
        caller: &Caller,
        tenant: &str,
        limit: Option<u64>,
        after: Option<String>,
    ) -> Result<PageView<ProviderView>, AdminError> {
        let (tenant, _permit) = self
            .permit(caller, tenant, AdminAction::ProviderRead)
            .await?;
        let request = crate::service::page_request(limit, after);
        let all = self.ports.providers.list(tenant.id).await?;
        let rest: Vec<IdentityProvider> = all
            .into_iter()
            .filter(|p| {
                request
                    .after
                    .as_deref()
                    .is_none_or(|a| p.alias.as_str() > a)
            })
            .take(
                usize::try_from(request.limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
            )
            .collect();
        let page = keyward_core::Page::from_overfetch(rest, request.limit, |p| p.alias.to_string());
        Ok(PageView::from_page(page, |p| ProviderView::from(p)))
    }

    pub async fn update_provider(
        &self,
        caller: &Caller,
        tenant: &str,
        alias: &str,
        input: &ProviderInput,
        if_match: Option<&str>,
    ) -> Result<ProviderView, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ProviderUpdate)
            .await?;
        let mut provider = self.find_provider(tenant.id, alias).await?;
        let before = ProviderView::from(&provider);
        before.version().check(if_match)?;
        if input
            .alias
            .as_deref()
            .is_some_and(|a| a != provider.alias.as_str())
        {
            return Err(AdminError::invalid(
                "alias",
                "cannot change; create a new provider",
            ));
        }
        self.apply_provider(&mut provider, input)?;
        provider.updated_at = self.ports.clock.now();
        let work = self.begin().await?;
        work.providers().update(&provider).await?;
        let after = ProviderView::from(&provider);
        self.commit(
            work,
            caller,
            &permit,
            target(&provider.alias),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        Ok(after)
    }

    pub async fn delete_provider(
        &self,
        caller: &Caller,
        tenant: &str,
        alias: &str,
        if_match: Option<&str>,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::ProviderDelete)
            .await?;
        let provider = self.find_provider(tenant.id, alias).await?;
        let before = ProviderView::from(&provider);
        before.version().check(if_match)?;
        let work = self.begin().await?;
        work.providers().delete(tenant.id, &provider.alias).await?;
        self.commit(
            work,
            caller,
            &permit,
            target(&provider.alias),
            snapshot(&before),
            None,
        )
        .await
    }
}
