//! `keyward keys rotate|list`.

use keyward_oauth::key_rotation::{published, rotate};
use keyward_oauth::{SigningAlg, SigningKeyStore};
use serde_json::{Value, json};

use crate::cli::KeysCommand;
use crate::failure::Failure;
use crate::output::print;
use crate::startup::Platform;

pub async fn run(platform: &Platform, command: KeysCommand) -> Result<(), Failure> {
    match command {
        KeysCommand::Rotate { tenant, out } => {
            let (value, report) = rotate_keys(platform, &tenant.tenant).await?;
            print(out.json, &value, || {
                report
                    .algs
                    .iter()
                    .map(|a| {
                        format!(
                            "{:<6} active key: {}\n{:<6} next key:   {} (published, signs after the next rotation)",
                            a.alg.as_str(),
                            a.active_kid,
                            "",
                            a.next_kid
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        KeysCommand::List { tenant, out } => {
            let tenant = platform.tenant(&tenant.tenant).await?;
            let keys = SigningKeyStore::list(&platform.store, tenant.id)
                .await
                .map_err(|e| Failure::store("listing keys", e))?;
            let now = platform.clock.now();
            let published: Vec<_> = published(&keys, now)
                .iter()
                .map(|k| k.kid.clone())
                .collect();
            let rows: Vec<Value> = keys
                .iter()
                .map(|k| {
                    json!({
                        "kid": k.kid,
                        "alg": k.alg.as_str(),
                        "status": k.status.as_str(),
                        "published": published.contains(&k.kid),
                        "created_at": k.created_at,
                        "activated_at": k.activated_at,
                        "retired_at": k.retired_at,
                        "publish_until": k.publish_until,
                    })
                })
                .collect();
            print(out.json, &Value::Array(rows), || {
                keys.iter()
                    .map(|k| format!("{:<20} {:<6} {}", k.kid, k.alg.as_str(), k.status.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// `keyward keys rotate --tenant SLUG`: rotates every alg's keys of the tenant, audited and
/// announced; answers the report as the `--json` output shows it.
pub async fn rotate_keys(
    platform: &Platform,
    slug: &str,
) -> Result<(Value, keyward_oauth::key_rotation::RotationReport), Failure> {
    let tenant = platform.tenant(slug).await?;
    let alg = tenant
        .settings
        .signing_alg
        .parse::<SigningAlg>()
        .map_err(|e| Failure::Invalid(format!("tenant setting signing_alg: {e}")))?;
    let window = super::tenant::retirement_window(&tenant);
    let work = super::audit::begin(platform).await?;
    let report = rotate(
        &work,
        tenant.id,
        alg,
        &platform.master,
        platform.clock.now(),
        window,
    )
    .await
    .map_err(|e| Failure::Internal(format!("rotating keys: {e}")))?;
    let retired = report
        .retired
        .as_ref()
        .map(|(kid, until)| json!({ "kid": kid, "published_until": until }));
    // Top-level kids are the tenant's default alg; `algs` has every alg's rotation.
    let algs: Vec<Value> = report
        .algs
        .iter()
        .map(|a| {
            let retired = a.retired.as_ref().map(|(kid, until)| json!({ "kid": kid, "published_until": until }));
            json!({ "alg": a.alg.as_str(), "active_kid": a.active_kid, "next_kid": a.next_kid, "retired": retired })
        })
        .collect();
    let value = json!({
        "tenant": tenant.slug,
        "default_alg": report.default_alg.as_str(),
        "active_kid": report.active_kid,
        "next_kid": report.next_kid,
        "retired": retired,
        "algs": algs,
        "removed": report.removed,
    });
    super::audit::record(
        platform,
        work,
        tenant.id,
        "keys.rotate",
        format!("tenant:{}", tenant.slug),
        None,
        Some(value.clone()),
    )
    .await?;
    // Nodes drop their cached keys; a node that misses this re-reads on its next expiry.
    if let Err(e) = platform
        .cache
        .publish(
            keyward_core::ephemeral::channel::KEYS,
            &tenant.id.to_string(),
        )
        .await
    {
        tracing::warn!(error = %e, "could not announce the key rotation to other nodes");
    }
    Ok((value, report))
}
