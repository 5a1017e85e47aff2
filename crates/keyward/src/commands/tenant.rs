//! `keyward tenant create|list`, through the admin use-cases as the local operator.

use keyward_admin::TenantView;
use serde_json::{Value, json};

use crate::cli::TenantCommand;
use crate::failure::Failure;
use crate::operator::{Operator, failure};
use crate::output::print;

pub async fn run(operator: &Operator, command: TenantCommand) -> Result<(), Failure> {
    let platform = &operator.platform;
    match command {
        TenantCommand::Create { slug, name, out } => {
            let tenant = operator.create_tenant(&slug, name.as_deref()).await?;
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

fn describe(operator: &Operator, t: &TenantView) -> Value {
    json!({
        "id": t.id,
        "slug": t.slug,
        "name": t.display_name,
        "issuer": operator.platform.config.issuer(&t.slug),
        "created_at": t.created_at,
    })
}
