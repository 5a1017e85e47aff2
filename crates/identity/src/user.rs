//! End users and their storage port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{Email, Page, PageRequest, StoreError, TenantId, UserId, Username};

/// A user as stored. `password_hash` is a PHC string (Argon2id); never logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub username: Username,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub disabled: bool,
    /// OIDC standard claims (name, given_name, address, phone_number, ...) as a JSON object.
    pub claims: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What creating a user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Option<Email>,
    pub password_hash: Option<String>,
}

impl User {
    pub fn new(tenant: TenantId, new: NewUser, now: DateTime<Utc>) -> Self {
        Self {
            id: UserId::generate(),
            tenant_id: tenant,
            username: new.username,
            email: new.email,
            email_verified: false,
            password_hash: new.password_hash,
            disabled: false,
            claims: serde_json::Value::Object(serde_json::Map::new()),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Filters for listing users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Case-insensitive substring of the username or e-mail.
    pub search: Option<String>,
}

/// Durable users, always addressed through their tenant. Usernames and e-mail addresses are
/// unique per tenant, case-insensitively.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// `Conflict` when the username or e-mail is taken in this tenant.
    async fn create(&self, user: &User) -> Result<(), StoreError>;
    async fn get(&self, tenant: TenantId, id: UserId) -> Result<Option<User>, StoreError>;
    async fn by_username(
        &self,
        tenant: TenantId,
        username: &Username,
    ) -> Result<Option<User>, StoreError>;
    async fn by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>, StoreError>;
    /// Sorted by username (canonical form); the cursor is the last canonical username seen.
    async fn list(
        &self,
        tenant: TenantId,
        query: &UserQuery,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError>;
    /// Replaces every field but the ids and `created_at`; `NotFound` if absent in `user.tenant_id`,
    /// `Conflict` on a taken username or e-mail.
    async fn update(&self, user: &User) -> Result<(), StoreError>;
    /// `NotFound` if absent in this tenant.
    async fn set_password_hash(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// `NotFound` if absent in this tenant.
    async fn delete(&self, tenant: TenantId, id: UserId) -> Result<(), StoreError>;
}
