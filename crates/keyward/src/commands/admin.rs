//! `keyward admin create|service-account`: the first platform administrator and service
//! accounts for automation, both in the `system` tenant, through the admin use-cases as the
//! local operator.

use keyward_core::TenantSlug;
use keyward_oauth::admin_api::ADMIN_SCOPE;
use serde_json::json;

use crate::cli::{AdminCommand, AdminRoleArg};
use crate::failure::Failure;
use crate::operator::Operator;
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
            let (user, actor) = operator
                .create_platform_admin(&username, email.as_deref(), &password)
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
            let (client, secret, actor) = operator
                .create_service_account(&name, role.into(), &scope_tenant)
                .await?;
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
