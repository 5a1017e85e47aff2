//! `keyward client create|list|delete|rotate-secret`.

use keyward_core::ephemeral::channel;
use keyward_core::{ClientId, PageRequest, Tenant};
use keyward_oauth::client_registration::{
    ClientRegistration, RegistrationError, RegistrationRules, register_with,
};
use keyward_oauth::{Client, ClientSettings, ClientStore};
use serde_json::{Value, json};

use crate::cli::ClientCommand;
use crate::failure::Failure;
use crate::output::print;
use crate::startup::Platform;

/// Tells every node to drop its cached copy of a client; a node that misses it re-reads when
/// its entry expires.
async fn announce(platform: &Platform, tenant: &Tenant, client_id: &str) {
    let message = format!("{}:{client_id}", tenant.id);
    if let Err(e) = platform.cache.publish(channel::CLIENTS, &message).await {
        tracing::warn!(error = %e, "could not announce the client change to other nodes");
    }
}

pub async fn run(platform: &Platform, command: ClientCommand) -> Result<(), Failure> {
    match command {
        command @ ClientCommand::Create { .. } => {
            let json = command.json();
            let value = register_from(platform, command).await?;
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
            let tenant = platform.tenant(&tenant.tenant).await?;
            let clients = list_all(platform, &tenant).await?;
            let value = Value::Array(clients.iter().map(|c| describe(&tenant, c)).collect());
            print(out.json, &value, || {
                clients
                    .iter()
                    .map(|c| {
                        let grants: Vec<_> = c.grant_types.iter().map(|g| g.as_str()).collect();
                        format!("{:<24} {:<24} {}", c.client_id, c.name, grants.join(","))
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
            let tenant = platform.tenant(&tenant.tenant).await?;
            let client = find(platform, &tenant, &client_id).await?;
            let work = super::audit::begin(platform).await?;
            ClientStore::delete(&work, tenant.id, &client.client_id)
                .await
                .map_err(|e| Failure::store("deleting the client", e))?;
            let before = describe(&tenant, &client);
            super::audit::record(
                platform,
                work,
                tenant.id,
                "client.delete",
                format!("client:{client_id}"),
                Some(before),
                None,
            )
            .await?;
            announce(platform, &tenant, &client_id).await;
            print(out.json, &json!({ "deleted": client_id }), || {
                format!("deleted client {client_id}")
            });
        }
        ClientCommand::RotateSecret {
            tenant,
            client_id,
            out,
        } => {
            let tenant = platform.tenant(&tenant.tenant).await?;
            let secret = rotate_secret(platform, &tenant, &client_id).await?;
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
pub async fn register_from(platform: &Platform, command: ClientCommand) -> Result<Value, Failure> {
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
    let tenant = platform.tenant(&tenant.tenant).await?;
    let reg = ClientRegistration {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        auth_method,
        public,
        first_party,
    };
    let settings = ClientSettings {
        role_claims,
        permission_claims,
        ..Default::default()
    };
    let (client, secret) = create_with(platform, &tenant, &reg, settings).await?;
    let mut value = describe(&tenant, &client);
    value["client_secret"] = secret.map_or(Value::Null, Value::String);
    Ok(value)
}

/// Validates and stores a client; returns it with its one-time secret.
pub async fn create(
    platform: &Platform,
    tenant: &Tenant,
    reg: &ClientRegistration,
) -> Result<(Client, Option<String>), Failure> {
    create_with(platform, tenant, reg, ClientSettings::default()).await
}

/// Registers a client with the given less-used metadata.
pub async fn create_with(
    platform: &Platform,
    tenant: &Tenant,
    reg: &ClientRegistration,
    settings: ClientSettings,
) -> Result<(Client, Option<String>), Failure> {
    let rules = RegistrationRules::of(&tenant.settings);
    let mut registered = register_with(
        tenant.id,
        reg,
        rules,
        &platform.secrets,
        platform.clock.now(),
    )
    .map_err(|e| match e {
        RegistrationError::Invalid(errors) => Failure::Invalid(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        RegistrationError::Secret(e) => Failure::Internal(e.to_string()),
    })?;
    // The admin API's scope is for clients of the system tenant alone.
    keyward_oauth::admin_api::check_registration(&tenant.slug, &registered.client.scopes)
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    registered.client.settings = settings;
    let work = super::audit::begin(platform).await?;
    ClientStore::create(&work, &registered.client)
        .await
        .map_err(|e| Failure::store("registering the client", e))?;
    let after = describe(tenant, &registered.client);
    let target = format!("client:{}", registered.client.client_id);
    super::audit::record(
        platform,
        work,
        tenant.id,
        "client.create",
        target,
        None,
        Some(after),
    )
    .await?;
    // A node may remember that this client id did not exist.
    announce(platform, tenant, registered.client.client_id.as_str()).await;
    Ok((registered.client, registered.secret))
}

/// Adds `scope` to a client's registered scopes (no change if it has it).
pub async fn add_scope(
    platform: &Platform,
    tenant: &Tenant,
    client_id: &str,
    scope: &str,
) -> Result<(), Failure> {
    let mut client = find(platform, tenant, client_id).await?;
    if client.scopes.contains(scope) {
        return Ok(());
    }
    let mut tokens: Vec<String> = client.scopes.tokens().map(str::to_owned).collect();
    tokens.push(scope.to_owned());
    client.scopes =
        keyward_core::Scope::from_tokens(&tokens).map_err(|e| Failure::Invalid(e.to_string()))?;
    keyward_oauth::admin_api::check_registration(&tenant.slug, &client.scopes)
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let before = describe(tenant, &find(platform, tenant, client_id).await?);
    client.updated_at = platform.clock.now();
    let work = super::audit::begin(platform).await?;
    ClientStore::update(&work, &client)
        .await
        .map_err(|e| Failure::store("changing the client's scopes", e))?;
    super::audit::record(
        platform,
        work,
        tenant.id,
        "client.update",
        format!("client:{client_id}"),
        Some(before),
        Some(describe(tenant, &client)),
    )
    .await?;
    announce(platform, tenant, client_id).await;
    Ok(())
}

/// Replaces a secret-based client's secret; returns the new one.
pub async fn rotate_secret(
    platform: &Platform,
    tenant: &Tenant,
    client_id: &str,
) -> Result<String, Failure> {
    let mut client = find(platform, tenant, client_id).await?;
    if !client.auth_method.uses_secret() {
        return Err(Failure::Invalid(format!(
            "client {client_id} authenticates with {}, not with a client secret",
            client.auth_method
        )));
    }
    let (secret, hash) = platform
        .secrets
        .generate()
        .map_err(|e| Failure::Internal(e.to_string()))?;
    client.secret_hash = Some(hash);
    client.updated_at = platform.clock.now();
    let work = super::audit::begin(platform).await?;
    ClientStore::update(&work, &client)
        .await
        .map_err(|e| Failure::store("rotating the secret", e))?;
    super::audit::record(
        platform,
        work,
        tenant.id,
        "client.rotate_secret",
        format!("client:{client_id}"),
        None,
        None,
    )
    .await?;
    announce(platform, tenant, client_id).await;
    Ok(secret)
}

async fn find(platform: &Platform, tenant: &Tenant, client_id: &str) -> Result<Client, Failure> {
    let id = ClientId::parse(client_id).map_err(|e| Failure::Invalid(e.to_string()))?;
    ClientStore::get(&platform.store, tenant.id, &id)
        .await
        .map_err(|e| Failure::store("looking up the client", e))?
        .ok_or_else(|| {
            Failure::NotFound(format!(
                "client {client_id:?} does not exist in tenant {}",
                tenant.slug
            ))
        })
}

async fn list_all(platform: &Platform, tenant: &Tenant) -> Result<Vec<Client>, Failure> {
    let mut all = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let batch = ClientStore::list(&platform.store, tenant.id, &page)
            .await
            .map_err(|e| Failure::store("listing clients", e))?;
        all.extend(batch.items);
        match batch.next {
            Some(cursor) => page = PageRequest::after(cursor, PageRequest::MAX_LIMIT),
            None => return Ok(all),
        }
    }
}

/// The client's public description: never the secret or its hash.
fn describe(tenant: &Tenant, c: &Client) -> Value {
    json!({
        "tenant": tenant.slug,
        "client_id": c.client_id,
        "name": c.name,
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "grant_types": c.grant_types,
        "scope": c.scopes,
        "auth_method": c.auth_method,
        "public": c.public,
        "first_party": c.first_party,
        "role_claims": c.settings.role_claims,
        "permission_claims": c.settings.permission_claims,
        "created_at": c.created_at,
    })
}
