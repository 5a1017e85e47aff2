//! User use-cases: create, read, search, change (profile, enable/disable), set the password,
//! delete. Password hashes never leave this module.

use keyward_authz::AdminAction;
use keyward_core::{Email, UserId, Username};
use keyward_identity::{NewUser, PasswordError, User, UserQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{AdminError, Fields};
use crate::service::{Admin, AdminWork, Caller, PageView, page_request, snapshot};
use crate::version::Version;

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub disabled: bool,
    /// Whether a password is set (the hash itself is never shown).
    pub has_password: bool,
    /// OIDC standard claims.
    pub claims: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl UserView {
    pub fn version(&self) -> Version {
        Version::of(&self.id.to_string(), self.updated_at)
    }
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_uuid(),
            username: u.username.to_string(),
            email: u.email.as_ref().map(ToString::to_string),
            email_verified: u.email_verified,
            disabled: u.disabled,
            has_password: u.password_hash.is_some(),
            claims: u.claims.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    pub email: Option<String>,
    /// At least the tenant's `password_min_length` characters; write-only.
    pub password: Option<String>,
}

/// A partial change of a user: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub username: Option<String>,
    /// An empty string removes the address.
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    /// Replaces the OIDC standard claims (a JSON object).
    pub claims: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    pub password: String,
}

fn target(id: UserId) -> String {
    format!("user:{id}")
}

fn hash_error(e: PasswordError) -> AdminError {
    match e {
        PasswordError::Hashing(why) => AdminError::Internal(why),
        other => AdminError::invalid("password", other.to_string()),
    }
}

impl Admin {
    pub async fn create_user(
        &self,
        caller: &Caller,
        tenant: &str,
        input: &UserInput,
    ) -> Result<UserView, AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::UserCreate).await?;
        let mut errors = Fields::default();
        let username = errors.take("username", Username::parse(&input.username));
        let email = match input.email.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => errors.take("email", Email::parse(e)),
            None => None,
        };
        let hash = match &input.password {
            Some(p) => match self
                .ports
                .passwords
                .hash(p, tenant.settings.password_min_length)
            {
                Ok(h) => Some(h),
                Err(PasswordError::Hashing(why)) => return Err(AdminError::Internal(why)),
                Err(e) => {
                    errors.push("password", e.to_string());
                    None
                }
            },
            None => None,
        };
        errors.finish()?;
        let username = username.ok_or_else(|| AdminError::Internal("username".into()))?;
        let user = User::new(
            tenant.id,
            NewUser {
                username,
                email,
                password_hash: hash,
            },
            self.ports.clock.now(),
        );
        let work = self.begin().await?;
        work.users().create(&user).await.map_err(|e| match e {
            keyward_core::StoreError::Conflict(_) => AdminError::Conflict(
                "a user with this username or e-mail already exists in this tenant".into(),
            ),
            other => other.into(),
        })?;
        let view = UserView::from(&user);
        self.commit(
            work,
            caller,
            &permit,
            target(user.id),
            None,
            snapshot(&view),
        )
        .await?;
        Ok(view)
    }

    /// What a user held ends with their access (disabled, deleted), in two steps. In the
    /// change's transaction: their refresh-token families and the access tokens issued with
    /// them (recorded revoked, and put in the revoked set).
    async fn revoke_user_grants(
        &self,
        work: &dyn AdminWork,
        tenant: &keyward_core::Tenant,
        user: UserId,
    ) -> Result<(), AdminError> {
        keyward_oauth::revoke::revoke_user_grants(
            work.refresh_tokens(),
            self.ports.cache.as_ref(),
            tenant.id,
            &user.to_string(),
            self.ports.clock.now(),
        )
        .await
        .map_err(|e| AdminError::Store(e.to_string()))
    }

    /// Once the change is committed: their browser sessions (their clients get a
    /// back-channel logout). The user's state is checked at every grant and session reuse
    /// as well, so a failure here leaves nothing usable — but it is reported, not hidden.
    async fn end_user_sessions(
        &self,
        tenant: &keyward_core::Tenant,
        user: UserId,
    ) -> Result<(), AdminError> {
        let ended = self
            .sessions
            .end_all_for_user(tenant.id, user)
            .await
            .map_err(|e| AdminError::Store(e.to_string()))?;
        for session in &ended {
            self.logged_out(tenant, session).await;
        }
        Ok(())
    }

    pub(crate) async fn find_user(
        &self,
        tenant: keyward_core::TenantId,
        id: &str,
    ) -> Result<User, AdminError> {
        let id: UserId = id.parse().map_err(|_| AdminError::NotFound)?;
        self.ports
            .users
            .get(tenant, id)
            .await?
            .ok_or(AdminError::NotFound)
    }

    pub async fn user_view(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
    ) -> Result<UserView, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::UserRead).await?;
        Ok(UserView::from(&self.find_user(tenant.id, id).await?))
    }

    /// Sorted by username; `search` matches a substring of the username or e-mail.
    pub async fn list_users(
        &self,
        caller: &Caller,
        tenant: &str,
        search: Option<String>,
        limit: Option<u64>,
        after: Option<String>,
    ) -> Result<PageView<UserView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::UserRead).await?;
        let query = UserQuery {
            search: search.filter(|s| !s.is_empty()),
        };
        let page = self
            .ports
            .users
            .list(tenant.id, &query, &page_request(limit, after))
            .await?;
        Ok(PageView::from_page(page, |u| UserView::from(u)))
    }

    pub async fn update_user(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        patch: &UserPatch,
        if_match: Option<&str>,
    ) -> Result<UserView, AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::UserUpdate).await?;
        let mut user = self.find_user(tenant.id, id).await?;
        let before = UserView::from(&user);
        before.version().check(if_match)?;
        let mut errors = Fields::default();
        if let Some(name) = &patch.username
            && let Some(name) = errors.take("username", Username::parse(name))
        {
            user.username = name;
        }
        if let Some(email) = &patch.email {
            if email.is_empty() {
                user.email = None;
                user.email_verified = false;
            } else if let Some(email) = errors.take("email", Email::parse(email)) {
                if user.email.as_ref() != Some(&email) {
                    user.email_verified = false;
                }
                user.email = Some(email);
            }
        }
        if let Some(v) = patch.email_verified {
            user.email_verified = v && user.email.is_some();
        }
        let disabling = patch.disabled == Some(true) && !user.disabled;
        if let Some(v) = patch.disabled {
            user.disabled = v;
        }
        if let Some(claims) = &patch.claims {
            if claims.is_object() {
                user.claims = claims.clone();
            } else {
                errors.push("claims", "must be a JSON object");
            }
        }
        errors.finish()?;
        user.updated_at = self.ports.clock.now();
        let work = self.begin().await?;
        work.users().update(&user).await.map_err(|e| match e {
            keyward_core::StoreError::Conflict(_) => AdminError::Conflict(
                "a user with this username or e-mail already exists in this tenant".into(),
            ),
            other => other.into(),
        })?;
        if disabling {
            self.revoke_user_grants(work.as_ref(), &tenant, user.id)
                .await?;
        }
        let after = UserView::from(&user);
        self.commit(
            work,
            caller,
            &permit,
            target(user.id),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        if disabling {
            self.end_user_sessions(&tenant, user.id).await?;
        }
        Ok(after)
    }

    /// Sets a new password; the audit event says that it changed, never what to.
    pub async fn set_user_password(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        input: &PasswordInput,
    ) -> Result<UserView, AdminError> {
        let (tenant, permit) = self
            .permit(caller, tenant, AdminAction::UserSetPassword)
            .await?;
        let mut user = self.find_user(tenant.id, id).await?;
        let before = UserView::from(&user);
        let hash = self
            .ports
            .passwords
            .hash(&input.password, tenant.settings.password_min_length)
            .map_err(hash_error)?;
        let now = self.ports.clock.now();
        let work = self.begin().await?;
        work.users()
            .set_password_hash(tenant.id, user.id, &hash, now)
            .await?;
        user.password_hash = Some(hash);
        user.updated_at = now;
        let after = UserView::from(&user);
        self.commit(
            work,
            caller,
            &permit,
            target(user.id),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        Ok(after)
    }

    pub async fn delete_user(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::UserDelete).await?;
        let user = self.find_user(tenant.id, id).await?;
        let before = UserView::from(&user);
        before.version().check(if_match)?;
        let work = self.begin().await?;
        work.users().delete(tenant.id, user.id).await?;
        self.revoke_user_grants(work.as_ref(), &tenant, user.id)
            .await?;
        self.commit(
            work,
            caller,
            &permit,
            target(user.id),
            snapshot(&before),
            None,
        )
        .await?;
        self.end_user_sessions(&tenant, user.id).await?;
        // Its admin and application roles go with it, on every node.
        match self.ports.authorizer.forget_user(user.id).await {
            Ok(changed) => {
                if let Err(e) = changed.announce(self.ports.cache.as_ref()).await {
                    tracing::warn!(error = %e, "could not announce the policy change to other nodes");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not remove the deleted user's roles"),
        }
        Ok(())
    }
}
