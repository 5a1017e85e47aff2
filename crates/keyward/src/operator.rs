//! The local operator: whoever runs `keyward` on the platform's database and master key. The
//! CLI's commands and `serve --dev`'s seeding make their changes here, through the admin
//! use-cases the admin API calls, as [`Actor::Operator`] (audited as `operator:local`).
//! Validation, audit snapshots, announcements to running nodes and key-retirement rules
//! therefore exist once, in keyward-admin; a command only parses its arguments and prints.

use std::future::Future;

use keyward_admin::{
    Admin, AdminError, Caller, ClientInput, CreatedClient, PageView, RoleAssignmentInput,
    RotationView, TenantInput, UserInput, UserView,
};
use keyward_authz::{Actor, AdminRole};
use keyward_core::{ClientId, PageRequest, Tenant, TenantSlug, UserId};
use keyward_oauth::admin_api::ADMIN_SCOPE;
use serde_json::Value;

use crate::failure::Failure;
use crate::startup::Platform;

/// The admin use-cases over the platform, and the local operator calling them.
pub struct Operator {
    pub platform: Platform,
    pub admin: Admin,
    pub caller: Caller,
}

impl Operator {
    /// The use-cases wired as `serve` wires them; changes are announced to running nodes.
    pub async fn new(platform: &Platform) -> Result<Self, Failure> {
        let authorizer = crate::admin_service::authorizer(platform).await?;
        Ok(Self {
            platform: platform.clone(),
            admin: crate::admin_service::service(platform, authorizer),
            caller: Caller::new(Actor::Operator, None),
        })
    }

    /// Every item of a paged list, fetching the largest pages.
    pub async fn all<T, F, Fut>(&self, mut page: F) -> Result<Vec<T>, AdminError>
    where
        F: FnMut(Option<u64>, Option<String>) -> Fut,
        Fut: Future<Output = Result<PageView<T>, AdminError>>,
    {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let batch = page(Some(PageRequest::MAX_LIMIT), after).await?;
            all.extend(batch.items);
            match batch.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }
}

impl Operator {
    /// Creates a tenant with its first signing keys (the display name defaults to the slug).
    pub async fn create_tenant(&self, slug: &str, name: Option<&str>) -> Result<Tenant, Failure> {
        let input = TenantInput {
            slug: slug.to_owned(),
            display_name: name.unwrap_or(slug).to_owned(),
        };
        let view = self
            .admin
            .create_tenant(&self.caller, &input)
            .await
            .map_err(|e| failure(e, || missing_tenant(slug)))?;
        self.platform.tenant(&view.slug).await
    }

    /// Validates and stores a client of tenant `slug`; answers it with its one-time secret.
    pub async fn create_client(
        &self,
        slug: &str,
        input: &ClientInput,
    ) -> Result<CreatedClient, Failure> {
        self.admin
            .create_client(&self.caller, slug, input)
            .await
            .map_err(|e| failure(e, || missing_tenant(slug)))
    }

    /// Adds `scope` to a client's registered scopes (no change if it has it).
    pub async fn add_client_scope(
        &self,
        slug: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<(), Failure> {
        let client = self
            .admin
            .client_view(&self.caller, slug, client_id)
            .await
            .map_err(|e| failure(e, || missing_client(slug, client_id)))?;
        if client.scopes.iter().any(|s| s == scope) {
            return Ok(());
        }
        let mut scopes = client.scopes.clone();
        scopes.push(scope.to_owned());
        let patch = keyward_admin::ClientPatch {
            scopes: Some(scopes),
            ..Default::default()
        };
        self.admin
            .update_client(&self.caller, slug, client_id, &patch, None)
            .await
            .map_err(|e| failure(e, || missing_client(slug, client_id)))?;
        Ok(())
    }

    /// Replaces a secret-based client's secret; answers the new one.
    pub async fn rotate_client_secret(
        &self,
        slug: &str,
        client_id: &str,
    ) -> Result<String, Failure> {
        self.admin
            .rotate_client_secret(&self.caller, slug, client_id)
            .await
            .map_err(|e| failure(e, || missing_client(slug, client_id)))?
            .client_secret
            .ok_or_else(|| Failure::Internal("the rotation answered no secret".to_owned()))
    }

    /// Creates a user of tenant `slug`, its password (if any) hashed under the tenant's policy.
    pub async fn create_user(
        &self,
        slug: &str,
        username: &str,
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<UserView, Failure> {
        let input = UserInput {
            username: username.to_owned(),
            email: email.map(str::to_owned),
            password: password.map(str::to_owned),
        };
        self.admin
            .create_user(&self.caller, slug, &input)
            .await
            .map_err(|e| failure(e, || missing_tenant(slug)))
    }

    /// Rotates every algorithm's keys of tenant `slug`; answers what `keys rotate --json`
    /// prints (the admin API's report, with the tenant) and the report.
    pub async fn rotate_keys(&self, slug: &str) -> Result<(Value, RotationView), Failure> {
        let slug = self.platform.tenant(slug).await?.slug;
        let report = self
            .admin
            .rotate_keys(&self.caller, slug.as_str())
            .await
            .map_err(|e| failure(e, || missing_tenant(slug.as_str())))?;
        let mut value = serde_json::to_value(&report)
            .map_err(|e| Failure::Internal(format!("the rotation report: {e}")))?;
        value["tenant"] = Value::from(slug.as_str());
        Ok((value, report))
    }

    /// Grants `role` to `actor` in tenant `slug` (platform-admin: everywhere), audited there;
    /// every node reloads its policy.
    pub async fn grant(&self, actor: &Actor, role: AdminRole, slug: &str) -> Result<(), Failure> {
        let input = RoleAssignmentInput {
            subject: actor.subject(),
            role: role.as_str().to_owned(),
        };
        self.admin
            .assign_role(&self.caller, slug, &input, true)
            .await
            .map_err(|e| failure(e, || missing_tenant(slug)))?;
        Ok(())
    }

    /// A client_credentials client of the system tenant holding `role` (in tenant `slug` for
    /// the tenant roles). Answers its client id, its secret (once) and its actor.
    pub async fn create_service_account(
        &self,
        name: &str,
        role: AdminRole,
        slug: &str,
    ) -> Result<(String, String, Actor), Failure> {
        let input = ClientInput {
            name: name.to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            // It may ask for admin API tokens (keyward-oauth's `admin_api`).
            scopes: vec![ADMIN_SCOPE.to_owned()],
            ..Default::default()
        };
        let created = self.create_client(TenantSlug::SYSTEM, &input).await?;
        let secret = created
            .client_secret
            .ok_or_else(|| Failure::Internal("the service account got no secret".to_owned()))?;
        let system = self.platform.tenant(TenantSlug::SYSTEM).await?;
        let client_id = ClientId::parse(&created.client.client_id)
            .map_err(|e| Failure::Internal(format!("the new client's id: {e}")))?;
        let actor = Actor::ServiceAccount {
            tenant: system.id,
            client_id,
        };
        self.grant(&actor, role, slug).await?;
        Ok((created.client.client_id, secret, actor))
    }

    /// A platform admin in the system tenant: a user with a password, granted platform-admin.
    pub async fn create_platform_admin(
        &self,
        username: &str,
        email: Option<&str>,
        password: &str,
    ) -> Result<(UserView, Actor), Failure> {
        let user = self
            .create_user(TenantSlug::SYSTEM, username, email, Some(password))
            .await?;
        let actor = Actor::User(UserId::from_uuid(user.id));
        self.grant(&actor, AdminRole::PlatformAdmin, TenantSlug::SYSTEM)
            .await?;
        Ok((user, actor))
    }
}

pub fn missing_tenant(slug: &str) -> String {
    format!("tenant {slug:?} does not exist")
}

pub fn missing_client(slug: &str, client_id: &str) -> String {
    format!("client {client_id:?} does not exist in tenant {slug}")
}

/// What a use-case's error means on the command line; `missing` says what was not found.
pub fn failure(e: AdminError, missing: impl FnOnce() -> String) -> Failure {
    match e {
        AdminError::NotFound => Failure::NotFound(missing()),
        AdminError::Invalid(fields) => Failure::Invalid(
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AdminError::Conflict(what) => Failure::Conflict(what),
        AdminError::Stale => Failure::Conflict("changed by someone else meanwhile".to_owned()),
        AdminError::Denied(denied) => Failure::Internal(format!("refused: {denied}")),
        AdminError::Store(why) => Failure::Unavailable(format!("database error: {why}")),
        AdminError::Internal(why) => Failure::Internal(why),
    }
}
