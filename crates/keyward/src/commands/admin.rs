//! `keyward admin create|service-account`: the first platform administrator and service
//! accounts for automation, both in the `system` tenant.

use std::io::BufRead;

use keyward_authz::{Actor, Authorizer, TenantRole};
use keyward_core::{TenantId, TenantSlug};
use keyward_oauth::admin_api::ADMIN_SCOPE;
use keyward_oauth::client_registration::ClientRegistration;
use serde_json::json;

use crate::admin_service::authorizer;
use crate::cli::{AdminCommand, AdminRoleArg};
use crate::failure::Failure;
use crate::output::print;
use crate::startup::Platform;

pub async fn run(platform: &Platform, command: AdminCommand) -> Result<(), Failure> {
    let authorizer = authorizer(platform).await?;
    match command {
        AdminCommand::Create {
            username,
            email,
            password_stdin,
            out,
        } => {
            if !password_stdin {
                return Err(Failure::Invalid(
                    "give the password on standard input with --password-stdin".to_owned(),
                ));
            }
            let password = read_password()?;
            let system = platform.tenant(TenantSlug::SYSTEM).await?;
            let user = super::user::create(
                platform,
                &system,
                &username,
                email.as_deref(),
                Some(&password),
            )
            .await?;
            let actor = Actor::User(user.id);
            grant(
                platform,
                &authorizer,
                &actor,
                AdminRoleArg::PlatformAdmin,
                system.id,
            )
            .await?;
            print(
                out.json,
                &json!({ "user_id": user.id, "username": user.username, "subject": actor.subject(), "role": "platform-admin" }),
                || {
                    format!(
                        "created platform admin {} ({})",
                        user.username,
                        actor.subject()
                    )
                },
            );
        }
        AdminCommand::ServiceAccount {
            name,
            role,
            tenant,
            out,
        } => {
            let system = platform.tenant(TenantSlug::SYSTEM).await?;
            let scope_tenant = match (&role, &tenant) {
                (AdminRoleArg::PlatformAdmin, _) => system.id,
                (_, Some(slug)) => platform.tenant(slug).await?.id,
                (_, None) => {
                    return Err(Failure::Invalid(
                        "--tenant is required for tenant-admin and tenant-viewer".to_owned(),
                    ));
                }
            };
            let (client, secret, actor) =
                create_service_account(platform, &authorizer, &name, role, scope_tenant).await?;
            let token_endpoint = format!("{}/token", platform.config.issuer(TenantSlug::SYSTEM));
            let value = json!({
                "client_id": client,
                "client_secret": secret,
                "subject": actor.subject(),
                "role": role.as_str(),
                "tenant": tenant,
                "token_endpoint": token_endpoint,
                "scope": ADMIN_SCOPE,
            });
            print(out.json, &value, || {
                format!(
                    "client_id:     {client}\nclient_secret: {secret}\n(shown once: store it now)\nrole:          {}\ntoken:         POST {token_endpoint} grant_type=client_credentials scope={ADMIN_SCOPE}",
                    role.as_str()
                )
            });
        }
    }
    Ok(())
}

/// A client_credentials client of the system tenant holding `role` (in `tenant` for the tenant
/// roles). Returns its client id, its secret (once) and its actor.
pub async fn create_service_account(
    platform: &Platform,
    authorizer: &Authorizer,
    name: &str,
    role: AdminRoleArg,
    tenant: TenantId,
) -> Result<(String, String, Actor), Failure> {
    let system = platform.tenant(TenantSlug::SYSTEM).await?;
    let reg = ClientRegistration {
        name: name.to_owned(),
        grant_types: vec!["client_credentials".to_owned()],
        // It may ask for admin API tokens (keyward-oauth's `admin_api`).
        scopes: vec![ADMIN_SCOPE.to_owned()],
        ..Default::default()
    };
    let (client, secret) = super::client::create(platform, &system, &reg).await?;
    let secret =
        secret.ok_or_else(|| Failure::Internal("the service account got no secret".to_owned()))?;
    let actor = Actor::ServiceAccount {
        tenant: system.id,
        client_id: client.client_id.clone(),
    };
    grant(platform, authorizer, &actor, role, tenant).await?;
    Ok((client.client_id.to_string(), secret, actor))
}

/// Grants `role` to `actor`, records it and tells every node to reload its policy.
pub async fn grant(
    platform: &Platform,
    authorizer: &Authorizer,
    actor: &Actor,
    role: AdminRoleArg,
    tenant: TenantId,
) -> Result<(), Failure> {
    let changed = match role {
        AdminRoleArg::PlatformAdmin => authorizer.grant_platform_admin(actor).await,
        AdminRoleArg::TenantAdmin => {
            authorizer
                .assign_role(actor, TenantRole::Admin, tenant)
                .await
        }
        AdminRoleArg::TenantViewer => {
            authorizer
                .assign_role(actor, TenantRole::Viewer, tenant)
                .await
        }
    }
    .map_err(|e| Failure::Unavailable(format!("storing the role: {e}")))?;
    if let Err(e) = changed.announce(platform.cache.as_ref()).await {
        tracing::warn!(error = %e, "could not announce the policy change to other nodes");
    }
    let after = json!({ "subject": actor.subject(), "role": role.as_str() });
    // A Casbin rule, stored by its adapter: the event is written right after it.
    super::audit::record(
        platform,
        platform.store.clone(),
        tenant,
        "role.assign",
        format!("role:{}", role.as_str()),
        None,
        Some(after),
    )
    .await
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Invalid(format!("reading the password from stdin: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(Failure::Invalid("no password on standard input".to_owned()));
    }
    Ok(password)
}
