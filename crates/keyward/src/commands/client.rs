//! `keyward client create|list|delete|rotate-secret`, through the admin use-cases as the
//! local operator.

use keyward_admin::{ClientInput, ClientView};
use serde_json::{Value, json};

use crate::cli::ClientCommand;
use crate::failure::Failure;
use crate::operator::{Operator, failure, missing_client, missing_tenant};
use crate::output::print;

pub async fn run(operator: &Operator, command: ClientCommand) -> Result<(), Failure> {
    match command {
        command @ ClientCommand::Create { .. } => {
            let json = command.json();
            let value = register_from(operator, command).await?;
            print(json, &value, || {
                let mut s = format!(
                    "client_id:     {}",
                    value["client_id"].as_str().unwrap_or_default()
                );
                if let Some(secret) = value["client_secret"].as_str() {
                    s.push_str(&format!(
                        "\nclient_secret: {secret}\n(shown once: store it now)"
                    ));
                }
                s
            });
        }
        ClientCommand::List { tenant, out } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            let clients = operator
                .all(|limit, after| {
                    operator
                        .admin
                        .list_clients(&operator.caller, &slug, limit, after)
                })
                .await
                .map_err(|e| failure(e, || missing_tenant(&slug)))?;
            let value = Value::Array(clients.iter().map(|c| describe(&slug, c)).collect());
            print(out.json, &value, || {
                clients
                    .iter()
                    .map(|c| {
                        format!(
                            "{:<24} {:<24} {}",
                            c.client_id,
                            c.name,
                            c.grant_types.join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ClientCommand::Delete {
            tenant,
            client_id,
            out,
        } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            operator
                .admin
                .delete_client(&operator.caller, &slug, &client_id, None)
                .await
                .map_err(|e| failure(e, || missing_client(&slug, &client_id)))?;
            print(out.json, &json!({ "deleted": client_id }), || {
                format!("deleted client {client_id}")
            });
        }
        ClientCommand::RotateSecret {
            tenant,
            client_id,
            out,
        } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            let secret = operator.rotate_client_secret(&slug, &client_id).await?;
            print(
                out.json,
                &json!({ "client_id": client_id, "client_secret": secret }),
                || {
                    format!(
                        "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)"
                    )
                },
            );
        }
    }
    Ok(())
}

/// `client create`: registers the client its arguments describe and answers what `--json`
/// prints (the client, with its one-time `client_secret`). Tests call it in-process.
pub async fn register_from(operator: &Operator, command: ClientCommand) -> Result<Value, Failure> {
    let ClientCommand::Create {
        tenant,
        name,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        auth_method,
        public,
        first_party,
        role_claims,
        permission_claims,
        out: _,
    } = command
    else {
        return Err(Failure::Invalid("not a client create command".to_owned()));
    };
    let slug = existing_tenant(operator, &tenant.tenant).await?;
    let input = ClientInput {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        auth_method,
        public,
        first_party,
        role_claims,
        permission_claims,
        ..Default::default()
    };
    let created = operator.create_client(&slug, &input).await?;
    let mut value = describe(&slug, &created.client);
    value["client_secret"] = created.client_secret.map_or(Value::Null, Value::String);
    Ok(value)
}

/// The slug of an existing tenant, or a failure that names the missing one.
async fn existing_tenant(operator: &Operator, slug: &str) -> Result<String, Failure> {
    Ok(operator.platform.tenant(slug).await?.slug.to_string())
}

/// The client's public description: never the secret or its hash.
fn describe(slug: &str, c: &ClientView) -> Value {
    json!({
        "tenant": slug,
        "client_id": c.client_id,
        "name": c.name,
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "grant_types": c.grant_types,
        "scope": c.scopes.join(" "),
        "auth_method": c.auth_method,
        "public": c.public,
        "first_party": c.first_party,
        "role_claims": c.role_claims,
        "permission_claims": c.permission_claims,
        "created_at": c.created_at,
    })
}
