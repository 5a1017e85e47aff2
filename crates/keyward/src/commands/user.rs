//! `keyward user create|set-password|list`.

use std::io::BufRead;

use keyward_core::{Email, PageRequest, Tenant, Username};
use keyward_identity::{NewUser, User, UserQuery, UserStore};
use serde_json::{Value, json};

use crate::cli::UserCommand;
use crate::failure::Failure;
use crate::output::print;
use crate::startup::Platform;

pub async fn run(platform: &Platform, command: UserCommand) -> Result<(), Failure> {
    match command {
        UserCommand::Create {
            tenant,
            username,
            email,
            password_stdin,
            out,
        } => {
            let tenant = platform.tenant(&tenant.tenant).await?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let user = create(
                platform,
                &tenant,
                &username,
                email.as_deref(),
                password.as_deref(),
            )
            .await?;
            print(out.json, &describe(&tenant, &user), || {
                format!("created user {} ({})", user.username, user.id)
            });
        }
        UserCommand::SetPassword {
            tenant,
            username,
            password_stdin: _,
            out,
        } => {
            let tenant = platform.tenant(&tenant.tenant).await?;
            let password = read_password()?;
            let user = find(platform, &tenant, &username).await?;
            let hash = hash(platform, &tenant, &password)?;
            let work = super::audit::begin(platform).await?;
            UserStore::set_password_hash(&work, tenant.id, user.id, &hash, platform.clock.now())
                .await
                .map_err(|e| Failure::store("setting the password", e))?;
            super::audit::record(
                platform,
                work,
                tenant.id,
                "user.set_password",
                format!("user:{}", user.id),
                None,
                None,
            )
            .await?;
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
            let tenant = platform.tenant(&tenant.tenant).await?;
            let users = list_all(platform, &tenant, search).await?;
            let value = Value::Array(users.iter().map(|u| describe(&tenant, u)).collect());
            print(out.json, &value, || {
                users
                    .iter()
                    .map(|u| {
                        let email = u.email.as_ref().map(|e| e.as_str()).unwrap_or("-");
                        format!("{:<36} {:<24} {}", u.id, u.username, email)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// Creates a user, hashing the password (if any) under the tenant's password policy.
pub async fn create(
    platform: &Platform,
    tenant: &Tenant,
    username: &str,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<User, Failure> {
    let username = Username::parse(username).map_err(|e| Failure::Invalid(e.to_string()))?;
    let email = email
        .map(Email::parse)
        .transpose()
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let password_hash = password.map(|p| hash(platform, tenant, p)).transpose()?;
    let user = User::new(
        tenant.id,
        NewUser {
            username,
            email,
            password_hash,
        },
        platform.clock.now(),
    );
    let work = super::audit::begin(platform).await?;
    UserStore::create(&work, &user).await.map_err(|e| match e {
        keyward_core::StoreError::Conflict(_) => Failure::Conflict(
            "a user with this username or e-mail already exists in this tenant".to_owned(),
        ),
        other => Failure::store("creating the user", other),
    })?;
    let after = describe(tenant, &user);
    super::audit::record(
        platform,
        work,
        tenant.id,
        "user.create",
        format!("user:{}", user.id),
        None,
        Some(after),
    )
    .await?;
    Ok(user)
}

fn hash(platform: &Platform, tenant: &Tenant, password: &str) -> Result<String, Failure> {
    platform
        .passwords
        .hash(password, tenant.settings.password_min_length)
        .map_err(|e| Failure::Invalid(e.to_string()))
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

async fn find(platform: &Platform, tenant: &Tenant, username: &str) -> Result<User, Failure> {
    let parsed = Username::parse(username).map_err(|e| Failure::Invalid(e.to_string()))?;
    UserStore::by_username(&platform.store, tenant.id, &parsed)
        .await
        .map_err(|e| Failure::store("looking up the user", e))?
        .ok_or_else(|| {
            Failure::NotFound(format!(
                "user {username:?} does not exist in tenant {}",
                tenant.slug
            ))
        })
}

async fn list_all(
    platform: &Platform,
    tenant: &Tenant,
    search: Option<String>,
) -> Result<Vec<User>, Failure> {
    let query = UserQuery { search };
    let mut all = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let batch = UserStore::list(&platform.store, tenant.id, &query, &page)
            .await
            .map_err(|e| Failure::store("listing users", e))?;
        all.extend(batch.items);
        match batch.next {
            Some(cursor) => page = PageRequest::after(cursor, PageRequest::MAX_LIMIT),
            None => return Ok(all),
        }
    }
}

/// The user's description: never the password hash.
fn describe(tenant: &Tenant, u: &User) -> Value {
    json!({
        "tenant": tenant.slug,
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "email_verified": u.email_verified,
        "disabled": u.disabled,
        "has_password": u.password_hash.is_some(),
        "created_at": u.created_at,
    })
}
