//! `keyward tenant create|list`.

use chrono::Duration;
use keyward_core::{DisplayName, PageRequest, Tenant, TenantSlug, TenantStore};
use keyward_oauth::SigningAlg;
use keyward_oauth::key_rotation::ensure_keys;
use serde_json::{Value, json};

use crate::cli::TenantCommand;
use crate::failure::Failure;
use crate::output::print;
use crate::startup::Platform;

pub async fn run(platform: &Platform, command: TenantCommand) -> Result<(), Failure> {
    match command {
        TenantCommand::Create { slug, name, out } => {
            let tenant = create(platform, &slug, name.as_deref()).await?;
            let value = describe(platform, &tenant);
            print(out.json, &value, || {
                format!(
                    "created tenant {} — issuer {}",
                    tenant.slug,
                    platform.config.issuer(tenant.slug.as_str())
                )
            });
        }
        TenantCommand::List { out } => {
            let tenants = list_all(platform).await?;
            let value = Value::Array(tenants.iter().map(|t| describe(platform, t)).collect());
            print(out.json, &value, || {
                tenants
                    .iter()
                    .map(|t| {
                        format!(
                            "{:<24} {:<32} {}",
                            t.slug,
                            t.display_name,
                            platform.config.issuer(t.slug.as_str())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// Creates a tenant with its first signing keys.
pub async fn create(
    platform: &Platform,
    slug: &str,
    name: Option<&str>,
) -> Result<Tenant, Failure> {
    let slug = TenantSlug::parse(slug).map_err(|e| Failure::Invalid(e.to_string()))?;
    let name = DisplayName::parse(name.unwrap_or(slug.as_str()))
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let tenant = Tenant::new(slug, name, platform.clock.now());
    // The tenant, its signing keys and the audit event: all of them or none.
    let work = super::audit::begin(platform).await?;
    TenantStore::create(&work, &tenant)
        .await
        .map_err(|e| match e {
            keyward_core::StoreError::Conflict(_) => {
                Failure::Conflict(format!("tenant {:?} already exists", tenant.slug.as_str()))
            }
            other => Failure::store("creating the tenant", other),
        })?;
    provision_keys_in(platform, &work, &tenant).await?;
    let after = describe(platform, &tenant);
    super::audit::record(
        platform,
        work,
        tenant.id,
        "tenant.create",
        format!("tenant:{}", tenant.slug),
        None,
        Some(after),
    )
    .await?;
    // A node may remember that this slug did not exist.
    if let Err(e) = platform
        .cache
        .publish(
            keyward_core::ephemeral::channel::TENANTS,
            &tenant.id.to_string(),
        )
        .await
    {
        tracing::warn!(error = %e, "could not announce the new tenant to other nodes");
    }
    Ok(tenant)
}

/// Gives a tenant an active and a next signing key for every algorithm (only what is missing).
pub async fn provision_keys(platform: &Platform, tenant: &Tenant) -> Result<(), Failure> {
    provision_keys_in(platform, &platform.store, tenant).await
}

/// [`provision_keys`] through `store` (a transaction of the caller's).
async fn provision_keys_in(
    platform: &Platform,
    store: &keyward_store::SqlStore,
    tenant: &Tenant,
) -> Result<(), Failure> {
    let alg = tenant
        .settings
        .signing_alg
        .parse::<SigningAlg>()
        .unwrap_or(SigningAlg::Es256);
    ensure_keys(
        store,
        tenant.id,
        alg,
        &platform.master,
        platform.clock.now(),
    )
    .await
    .map_err(|e| Failure::Internal(format!("creating signing keys: {e}")))?;
    Ok(())
}

pub async fn list_all(platform: &Platform) -> Result<Vec<Tenant>, Failure> {
    let mut all = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let batch = TenantStore::list(&platform.store, &page)
            .await
            .map_err(|e| Failure::store("listing tenants", e))?;
        all.extend(batch.items);
        match batch.next {
            Some(cursor) => page = PageRequest::after(cursor, PageRequest::MAX_LIMIT),
            None => return Ok(all),
        }
    }
}

fn describe(platform: &Platform, t: &Tenant) -> Value {
    json!({
        "id": t.id,
        "slug": t.slug,
        "name": t.display_name,
        "issuer": platform.config.issuer(t.slug.as_str()),
        "created_at": t.created_at,
    })
}

/// How long a retired key stays published: the longest lifetime of a token it may have signed.
pub fn retirement_window(tenant: &Tenant) -> Duration {
    let s = &tenant.settings;
    Duration::seconds(s.access_token_ttl_secs.max(s.id_token_ttl_secs).max(0))
}
