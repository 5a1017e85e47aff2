//! `keyward keys rotate|list`, through the admin use-cases as the local operator.

use keyward_admin::RotationView;
use serde_json::{Value, json};

use super::operator::{Operator, failure};
use crate::cli::KeysCommand;
use crate::failure::Failure;
use crate::output::print;

pub async fn run(operator: &Operator, command: KeysCommand) -> Result<(), Failure> {
    match command {
        KeysCommand::Rotate { tenant, out } => {
            let (value, report) = rotate_keys(operator, &tenant.tenant).await?;
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
                .map_err(|e| failure(e, || format!("tenant {slug:?} does not exist")))?
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

/// `keyward keys rotate --tenant SLUG`: rotates every algorithm's keys of the tenant;
/// answers what `--json` prints (the admin API's report, with the tenant) and the report.
pub async fn rotate_keys(
    operator: &Operator,
    slug: &str,
) -> Result<(Value, RotationView), Failure> {
    let slug = operator.platform.tenant(slug).await?.slug;
    let report = operator
        .admin
        .rotate_keys(&operator.caller, slug.as_str())
        .await
        .map_err(|e| failure(e, || format!("tenant {slug:?} does not exist")))?;
    let mut value = serde_json::to_value(&report)
        .map_err(|e| Failure::Internal(format!("the rotation report: {e}")))?;
    value["tenant"] = Value::from(slug.as_str());
    Ok((value, report))
}
