//! `keyward keys rotate|list`, through the admin use-cases as the local operator.

use serde_json::{Value, json};

use crate::cli::KeysCommand;
use crate::failure::Failure;
use crate::operator::{Operator, failure, missing_tenant};
use crate::output::print;

pub async fn run(operator: &Operator, command: KeysCommand) -> Result<(), Failure> {
    match command {
        KeysCommand::Rotate { tenant, out } => {
            let (value, report) = operator.rotate_keys(&tenant.tenant).await?;
            print(out.json, &value, || {
                report
                    .algs
                    .iter()
                    .map(|a| {
                        format!(
                            "{:<6} active key: {}\n{:<6} next key:   {} (published, signs after the next rotation)",
                            a.alg, a.active_kid, "", a.next_kid
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        KeysCommand::List { tenant, out } => {
            let slug = operator.platform.tenant(&tenant.tenant).await?.slug;
            let keys = operator
                .admin
                .list_keys(&operator.caller, slug.as_str())
                .await
                .map_err(|e| failure(e, || missing_tenant(slug.as_str())))?
                .items;
            let rows: Vec<Value> = keys
                .iter()
                .map(|k| {
                    json!({
                        "kid": k.kid,
                        "alg": k.alg,
                        "status": k.status,
                        "published": k.published,
                        "created_at": k.created_at,
                        "activated_at": k.activated_at,
                        "retired_at": k.retired_at,
                        "publish_until": k.publish_until,
                    })
                })
                .collect();
            print(out.json, &Value::Array(rows), || {
                keys.iter()
                    .map(|k| format!("{:<20} {:<6} {}", k.kid, k.alg, k.status))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}
