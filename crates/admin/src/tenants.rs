//! Tenant use-cases: create (platform admins only), read, list, change name and settings.

use keyward_authz::AdminAction;
use keyward_core::{DisplayName, Tenant, TenantSlug};
use keyward_oauth::key_rotation::ensure_keys;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AdminError, Fields};
use crate::service::{Admin, Caller, PageView, page_request, snapshot};
use crate::tenant_settings::{SettingsPatch, SettingsView, apply};
use crate::version::Version;

/// A tenant as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantView {
    pub id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub settings: SettingsView,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TenantView {
    pub fn version(&self) -> Version {
        Version::of(&self.id.to_string(), self.updated_at)
    }
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id.as_uuid(),
            slug: t.slug.to_string(),
            display_name: t.display_name.to_string(),
            settings: SettingsView::from(&t.settings),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantInput {
    /// 1–63 of `a-z`, `0-9` and `-`; the issuer is `{public_url}/t/{slug}`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    )]
    pub slug: String,
    /// 1–200 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: String,
}

/// A partial change of a tenant: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    /// 1–200 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub display_name: Option<String>,
    pub settings: Option<SettingsPatch>,
}

fn target(t: &Tenant) -> String {
    format!("tenant:{}", t.slug)
}

impl Admin {
    /// Creates a tenant with its signing keys. Platform admins only. Generating the RS256 key
    /// runs a prime search on the calling thread (tens of milliseconds in release builds).
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        input: &TenantInput,
    ) -> Result<TenantView, AdminError> {
        let mut errors = Fields::default();
        let slug = errors.take("slug", TenantSlug::parse(&input.slug));
        let name = errors.take("display_name", DisplayName::parse(&input.display_name));
        let tenant = match (slug, name) {
            (Some(slug), Some(name)) => Some(Tenant::new(slug, name, self.ports.clock.now())),
            _ => None,
        };
        // The permit comes first, so that someone who may not create tenants learns nothing
        // about the input; the id it names is the new tenant's.
        let probe = tenant
            .as_ref()
            .map_or_else(keyward_core::TenantId::generate, |t| t.id);
        let permit = self
            .ports
            .authorizer
            .permit(&caller.actor, probe, AdminAction::TenantCreate)
            .await?;
        errors.finish()?;
        let tenant = tenant.ok_or_else(|| AdminError::Internal("tenant not built".into()))?;
        // The tenant, its signing keys and the audit event: all of them or none.
        let work = self.begin().await?;
        work.tenants().create(&tenant).await.map_err(|e| match e {
            keyward_core::StoreError::Conflict(_) => {
                AdminError::Conflict(format!("tenant {:?} already exists", tenant.slug.as_str()))
            }
            other => other.into(),
        })?;
        let alg = tenant.settings.signing_alg;
        ensure_keys(
            work.keys(),
            tenant.id,
            alg,
            &self.ports.master,
            self.ports.clock.now(),
        )
        .await
        .map_err(|e| AdminError::Internal(format!("creating signing keys: {e}")))?;
        let view = TenantView::from(&tenant);
        self.commit(
            work,
            caller,
            &permit,
            target(&tenant),
            None,
            snapshot(&view),
        )
        .await?;
        self.ports.announcer.tenant_changed(tenant.id).await;
        Ok(view)
    }

    pub async fn tenant_view(&self, caller: &Caller, slug: &str) -> Result<TenantView, AdminError> {
        let (tenant, _permit) = self.permit(caller, slug, AdminAction::TenantRead).await?;
        Ok(TenantView::from(&tenant))
    }

    /// The tenants the caller may read, sorted by slug.
    pub async fn list_tenants(
        &self,
        caller: &Caller,
        limit: Option<u64>,
        after: Option<String>,
    ) -> Result<PageView<TenantView>, AdminError> {
        let mut request = page_request(limit, after);
        let want = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        // Scan pages until `want` readable tenants are found; the cursor is the last slug
        // examined, so a caller who sees few tenants still pages through them all.
        loop {
            let page = self.ports.tenants.list(&request).await?;
            for tenant in &page.items {
                let readable = self
                    .ports
                    .authorizer
                    .permit(&caller.actor, tenant.id, AdminAction::TenantRead)
                    .await
                    .is_ok();
                if readable {
                    items.push(TenantView::from(tenant));
                    if items.len() == want {
                        // Possibly the very last tenant: then the next page is empty.
                        let next = Some(tenant.slug.to_string());
                        return Ok(PageView { items, next });
                    }
                }
            }
            match page.next {
                Some(next) => request = keyward_core::PageRequest::after(next, request.limit),
                None => return Ok(PageView { items, next: None }),
            }
        }
    }

    pub async fn update_tenant(
        &self,
        caller: &Caller,
        slug: &str,
        patch: &TenantPatch,
        if_match: Option<&str>,
    ) -> Result<TenantView, AdminError> {
        let (tenant, permit) = self.permit(caller, slug, AdminAction::TenantUpdate).await?;
        let before = TenantView::from(&tenant);
        before.version().check(if_match)?;
        let mut changed = tenant.clone();
        let mut errors = Fields::default();
        if let Some(name) = &patch.display_name
            && let Some(name) = errors.take("display_name", DisplayName::parse(name))
        {
            changed.display_name = name;
        }
        if let Some(settings) = &patch.settings {
            apply(&mut changed.settings, settings, &mut errors);
        }
        errors.finish()?;
        changed.updated_at = self.ports.clock.now();
        let work = self.begin().await?;
        work.tenants().update(&changed).await?;
        let after = TenantView::from(&changed);
        self.commit(
            work,
            caller,
            &permit,
            target(&changed),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        self.ports.announcer.tenant_changed(changed.id).await;
        Ok(after)
    }
}
