//! `keyward tenant create|list`, through the admin use-cases as the local operator.

use keyward_admin::{TenantInput, TenantView};
use keyward_core::Tenant;
use serde_json::{Value, json};

use super::operator::{Operator, failure};
use crate::cli::TenantCommand;
use crate::failure::Failure;
use crate::output::print;

pub async fn run(operator: &Operator, command: TenantCommand) -> Result<(), Failure> {
    let platform = &operator.platform;
    match command {
        TenantCommand::Create { slug, name, out } => {
            let tenant = create(operator, &slug, name.as_deref()).await?;
            let value = describe(operator, &TenantView::from(&tenant));
            print(out.json, &value, || {
                format!(
                    "created tenant {} — issuer {}",
                    tenant.slug,
                    platform.config.issuer(tenant.slug.as_str())
                )
            });
        }
        TenantCommand::List { out } => {
            let tenants = operator
                .all(|limit, after| operator.admin.list_tenants(&operator.caller, limit, after))
                .await
                .map_err(|e| failure(e, || "no tenants".to_owned()))?;
            let value = Value::Array(tenants.iter().map(|t| describe(operator, t)).collect());
            print(out.json, &value, || {
                tenants
                    .iter()
                    .map(|t| {
                        format!(
                            "{:<24} {:<32} {}",
                            t.slug,
                            t.display_name,
                            platform.config.issuer(&t.slug)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// Creates a tenant with its first signing keys (the display name defaults to the slug).
pub async fn create(
    operator: &Operator,
    slug: &str,
    name: Option<&str>,
) -> Result<Tenant, Failure> {
    let input = TenantInput {
        slug: slug.to_owned(),
        display_name: name.unwrap_or(slug).to_owned(),
    };
    let view = operator
        .admin
        .create_tenant(&operator.caller, &input)
        .await
        .map_err(|e| failure(e, || format!("tenant {slug:?} does not exist")))?;
    operator.platform.tenant(&view.slug).await
}

fn describe(operator: &Operator, t: &TenantView) -> Value {
    json!({
        "id": t.id,
        "slug": t.slug,
        "name": t.display_name,
        "issuer": operator.platform.config.issuer(&t.slug),
        "created_at": t.created_at,
    })
}
