//! `keyward admin create|service-account`: the first platform administrator and service
//! accounts for automation, both in the `system` tenant, through the admin use-cases as the
//! local operator.

use keyward_admin::{ClientInput, RoleAssignmentInput};
use keyward_authz::Actor;
use keyward_core::{ClientId, TenantSlug};
use keyward_oauth::admin_api::ADMIN_SCOPE;
use serde_json::json;

use super::operator::{Operator, failure};
use crate::cli::{AdminCommand, AdminRoleArg};
use crate::failure::Failure;
use crate::output::print;

pub async fn run(operator: &Operator, command: AdminCommand) -> Result<(), Failure> {
    let platform = &operator.platform;
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
            let password = super::user::read_password()?;
            let user = super::user::create(
                operator,
                TenantSlug::SYSTEM,
                &username,
                email.as_deref(),
                Some(&password),
            )
            .await?;
            let actor = Actor::User(keyward_core::UserId::from_uuid(user.id));
            grant(
                operator,
                &actor,
                AdminRoleArg::PlatformAdmin,
                TenantSlug::SYSTEM,
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
            let scope_tenant = match (&role, &tenant) {
                (AdminRoleArg::PlatformAdmin, _) => TenantSlug::SYSTEM.to_owned(),
                (_, Some(slug)) => platform.tenant(slug).await?.slug.to_string(),
                (_, None) => {
                    return Err(Failure::Invalid(
                        "--tenant is required for tenant-admin and tenant-viewer".to_owned(),
                    ));
                }
            };
            let (client, secret, actor) =
                create_service_account(operator, &name, role, &scope_tenant).await?;
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

/// A client_credentials client of the system tenant holding `role` (in tenant `slug` for the
/// tenant roles). Answers its client id, its secret (once) and its actor.
pub async fn create_service_account(
    operator: &Operator,
    name: &str,
    role: AdminRoleArg,
    slug: &str,
) -> Result<(String, String, Actor), Failure> {
    let input = ClientInput {
        name: name.to_owned(),
        grant_types: vec!["client_credentials".to_owned()],
        // It may ask for admin API tokens (keyward-oauth's `admin_api`).
        scopes: vec![ADMIN_SCOPE.to_owned()],
        ..Default::default()
    };
    let created = super::client::create(operator, TenantSlug::SYSTEM, &input).await?;
    let secret = created
        .client_secret
        .ok_or_else(|| Failure::Internal("the service account got no secret".to_owned()))?;
    let system = operator.platform.tenant(TenantSlug::SYSTEM).await?;
    let client_id = ClientId::parse(&created.client.client_id)
        .map_err(|e| Failure::Internal(format!("the new client's id: {e}")))?;
    let actor = Actor::ServiceAccount {
        tenant: system.id,
        client_id,
    };
    grant(operator, &actor, role, slug).await?;
    Ok((created.client.client_id, secret, actor))
}

/// Grants `role` to `actor` in tenant `slug` (platform-admin: everywhere), audited there;
/// every node reloads its policy.
pub async fn grant(
    operator: &Operator,
    actor: &Actor,
    role: AdminRoleArg,
    slug: &str,
) -> Result<(), Failure> {
    let input = RoleAssignmentInput {
        subject: actor.subject(),
        role: role.as_str().to_owned(),
    };
    operator
        .admin
        .assign_role(&operator.caller, slug, &input, true)
        .await
        .map_err(|e| failure(e, || format!("tenant {slug:?} does not exist")))?;
    Ok(())
}
