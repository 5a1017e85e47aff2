//! `UserStore` on SQL: the `users` table. The lowercase forms of username and e-mail are
//! written beside the entered forms, so case-insensitive uniqueness is an ordinary unique
//! index on both backends, and look-ups and search use the same columns.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{Email, Page, PageRequest, StoreError, TenantId, UserId, Username};
use keyward_identity::{User, UserQuery, UserStore};
use sea_orm::sea_query::{Condition, Expr, LikeExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::connect::{SqlStore, corrupt, map_db_err};
use crate::entity::user;

const TABLE: &str = "users";

fn to_domain(row: user::Model) -> Result<User, StoreError> {
    let email = row
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| corrupt(TABLE, e))?;
    Ok(User {
        id: UserId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        username: Username::parse(&row.username).map_err(|e| corrupt(TABLE, e))?,
        email,
        email_verified: row.email_verified,
        password_hash: row.password_hash,
        disabled: row.disabled,
        claims: row.claims,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_row(u: &User) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(u.id.as_uuid()),
        tenant_id: Set(u.tenant_id.as_uuid()),
        username: Set(u.username.as_str().to_owned()),
        username_canonical: Set(u.username.canonical()),
        email: Set(u.email.as_ref().map(|e| e.as_str().to_owned())),
        email_canonical: Set(u.email.as_ref().map(Email::canonical)),
        email_verified: Set(u.email_verified),
        password_hash: Set(u.password_hash.clone()),
        disabled: Set(u.disabled),
        claims: Set(u.claims.clone()),
        created_at: Set(u.created_at),
        updated_at: Set(u.updated_at),
    }
}

/// A LIKE pattern matching `needle` anywhere, with the wildcards `%` and `_` (and the escape
/// character itself) taken literally, so a search for "a_b" does not match "axb".
fn contains_pattern(needle: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

impl SqlStore {
    async fn user_where(
        &self,
        tenant: TenantId,
        cond: Condition,
    ) -> Result<Option<User>, StoreError> {
        let row = user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant.as_uuid()))
            .filter(cond)
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        row.map(to_domain).transpose()
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create(&self, u: &User) -> Result<(), StoreError> {
        user::Entity::insert(to_row(u))
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn get(&self, tenant: TenantId, id: UserId) -> Result<Option<User>, StoreError> {
        self.user_where(
            tenant,
            Condition::all().add(user::Column::Id.eq(id.as_uuid())),
        )
        .await
    }

    async fn by_username(
        &self,
        tenant: TenantId,
        username: &Username,
    ) -> Result<Option<User>, StoreError> {
        let cond = Condition::all().add(user::Column::UsernameCanonical.eq(username.canonical()));
        self.user_where(tenant, cond).await
    }

    async fn by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>, StoreError> {
        let cond = Condition::all().add(user::Column::EmailCanonical.eq(email.canonical()));
        self.user_where(tenant, cond).await
    }

    async fn list(
        &self,
        tenant: TenantId,
        query: &UserQuery,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let mut select = user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(user::Column::UsernameCanonical);
        if let Some(needle) = query.search.as_deref().filter(|s| !s.is_empty()) {
            let pattern = contains_pattern(needle);
            select = select.filter(
                Condition::any()
                    .add(user::Column::UsernameCanonical.like(pattern.clone()))
                    .add(user::Column::EmailCanonical.like(pattern)),
            );
        }
        if let Some(after) = &page.after {
            select = select.filter(user::Column::UsernameCanonical.gt(after.as_str()));
        }
        let rows = select
            .limit(page.limit.saturating_add(1))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let users = rows
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(users, page.limit, |u| {
            u.username.canonical()
        }))
    }

    async fn update(&self, u: &User) -> Result<(), StoreError> {
        let done = user::Entity::update_many()
            .col_expr(user::Column::Username, Expr::value(u.username.as_str()))
            .col_expr(
                user::Column::UsernameCanonical,
                Expr::value(u.username.canonical()),
            )
            .col_expr(
                user::Column::Email,
                Expr::value(u.email.as_ref().map(|e| e.as_str().to_owned())),
            )
            .col_expr(
                user::Column::EmailCanonical,
                Expr::value(u.email.as_ref().map(Email::canonical)),
            )
            .col_expr(user::Column::EmailVerified, Expr::value(u.email_verified))
            .col_expr(
                user::Column::PasswordHash,
                Expr::value(u.password_hash.clone()),
            )
            .col_expr(user::Column::Disabled, Expr::value(u.disabled))
            .col_expr(user::Column::Claims, Expr::value(u.claims.clone()))
            .col_expr(user::Column::UpdatedAt, Expr::value(u.updated_at))
            .filter(user::Column::TenantId.eq(u.tenant_id.as_uuid()))
            .filter(user::Column::Id.eq(u.id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_password_hash(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .col_expr(user::Column::UpdatedAt, Expr::value(at))
            .filter(user::Column::TenantId.eq(tenant.as_uuid()))
            .filter(user::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete(&self, tenant: TenantId, id: UserId) -> Result<(), StoreError> {
        let done = user::Entity::delete_many()
            .filter(user::Column::TenantId.eq(tenant.as_uuid()))
            .filter(user::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
