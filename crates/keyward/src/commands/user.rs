//! `keyward user create|set-password|list`, through the admin use-cases as the local
//! operator.

use std::io::BufRead;

use keyward_admin::{PasswordInput, UserView};
use serde_json::{Value, json};

use crate::cli::UserCommand;
use crate::failure::Failure;
use crate::operator::{Operator, failure, missing_tenant};
use crate::output::print;

pub async fn run(operator: &Operator, command: UserCommand) -> Result<(), Failure> {
    match command {
        UserCommand::Create {
            tenant,
            username,
            email,
            password_stdin,
            out,
        } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let user = operator
                .create_user(&slug, &username, email.as_deref(), password.as_deref())
                .await?;
            print(out.json, &describe(&slug, &user), || {
                format!("created user {} ({})", user.username, user.id)
            });
        }
        UserCommand::SetPassword {
            tenant,
            username,
            password_stdin: _,
            out,
        } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            let password = read_password()?;
            let user = find(operator, &slug, &username).await?;
            let id = user.id.to_string();
            operator
                .admin
                .set_user_password(&operator.caller, &slug, &id, &PasswordInput { password })
                .await
                .map_err(|e| failure(e, || missing_user(&slug, &username)))?;
            print(
                out.json,
                &json!({ "id": user.id, "username": user.username, "password_set": true }),
                || format!("password set for {}", user.username),
            );
        }
        UserCommand::List {
            tenant,
            search,
            out,
        } => {
            let slug = existing_tenant(operator, &tenant.tenant).await?;
            let users = list_all(operator, &slug, search).await?;
            let value = Value::Array(users.iter().map(|u| describe(&slug, u)).collect());
            print(out.json, &value, || {
                users
                    .iter()
                    .map(|u| {
                        let email = u.email.as_deref().unwrap_or("-");
                        format!("{:<36} {:<24} {}", u.id, u.username, email)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending.
pub(crate) fn read_password() -> Result<String, Failure> {
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

/// The user of tenant `slug` named `username` (exactly; the search also matches parts).
async fn find(operator: &Operator, slug: &str, username: &str) -> Result<UserView, Failure> {
    let wanted =
        keyward_core::Username::parse(username).map_err(|e| Failure::Invalid(e.to_string()))?;
    list_all(operator, slug, Some(wanted.as_str().to_owned()))
        .await?
        .into_iter()
        .find(|u| u.username == wanted.as_str())
        .ok_or_else(|| Failure::NotFound(missing_user(slug, username)))
}

async fn list_all(
    operator: &Operator,
    slug: &str,
    search: Option<String>,
) -> Result<Vec<UserView>, Failure> {
    operator
        .all(|limit, after| {
            operator
                .admin
                .list_users(&operator.caller, slug, search.clone(), limit, after)
        })
        .await
        .map_err(|e| failure(e, || missing_tenant(slug)))
}

async fn existing_tenant(operator: &Operator, slug: &str) -> Result<String, Failure> {
    Ok(operator.platform.tenant(slug).await?.slug.to_string())
}

fn missing_user(slug: &str, username: &str) -> String {
    format!("user {username:?} does not exist in tenant {slug}")
}

/// The user's description: never the password hash.
fn describe(slug: &str, u: &UserView) -> Value {
    json!({
        "tenant": slug,
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "email_verified": u.email_verified,
        "disabled": u.disabled,
        "has_password": u.has_password,
        "created_at": u.created_at,
    })
}
