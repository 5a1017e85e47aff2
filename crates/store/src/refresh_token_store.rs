//! `RefreshTokenStore` on SQL (RFC 9700 §4.14 rotation with replay detection).
//!
//! Rotation is decided by the database, not by a read in the application: one conditional
//! `UPDATE … WHERE rotated_at IS NULL`, with the successor's `INSERT` in the same transaction
//! (on PostgreSQL the same statement). Two requests presenting the same token race on that
//! row; PostgreSQL re-checks the condition after the winner commits, and SQLite lets one
//! writer in at a time, so exactly one sees a row affected.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{ClientId, Scope, StoreError, TenantId};
use keyward_oauth::{RefreshToken, RefreshTokenFamily, RefreshTokenStore, RotateOutcome};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqliteTransactionMode, Statement,
    TransactionOptions,
};
use uuid::Uuid;

use crate::connect::{SqlStore, map_db_err};
use crate::entity::{
    refresh_token, refresh_token_family as family, revoked_access_token as revoked,
};

#[async_trait]
impl RefreshTokenStore for SqlStore {
    /// Stores the family and its first token together, or neither. `Conflict` also when
    /// `first` does not belong to `family` (same id and tenant), which would orphan the chain.
    async fn create_family(
        &self,
        family: &RefreshTokenFamily,
        first: &RefreshToken,
    ) -> Result<(), StoreError> {
        if first.family_id != family.id || first.tenant_id != family.tenant_id {
            return Err(StoreError::Conflict(
                "the first refresh token does not belong to its family".to_owned(),
            ));
        }
        let txn = self.db.begin().await.map_err(map_db_err)?;
        family::Entity::insert(family_row(family))
            .exec_without_returning(&txn)
            .await
            .map_err(map_db_err)?;
        refresh_token::Entity::insert(token_row(first))
            .exec_without_returning(&txn)
            .await
            .map_err(map_db_err)?;
        txn.commit().await.map_err(map_db_err)
    }

    async fn find(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, RefreshTokenFamily)>, StoreError> {
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TenantId.eq(tenant.as_uuid()))
            .filter(refresh_token::Column::TokenHash.eq(token_hash))
            .find_also_related(family::Entity)
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        match row {
            None => Ok(None),
            Some((token, Some(fam))) if fam.tenant_id == token.tenant_id => {
                Ok(Some((to_token(token), to_family(fam)?)))
            }
            Some(_) => Err(StoreError::Corrupt(
                "refresh_tokens: token without a family in its tenant".to_owned(),
            )),
        }
    }

    /// `Conflict` (and nothing changes) when `next` is not of the same tenant and family as
    /// the token it replaces.
    async fn rotate(
        &self,
        tenant: TenantId,
        old_hash: &str,
        next: &RefreshToken,
        at: DateTime<Utc>,
    ) -> Result<RotateOutcome, StoreError> {
        if next.tenant_id != tenant {
            return Err(StoreError::Conflict(
                "the next refresh token belongs to another tenant".to_owned(),
            ));
        }
        let rotated = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                rotate_in_one_statement(self, tenant, old_hash, next, at).await?
            }
            _ => rotate_in_transaction(self, tenant, old_hash, next, at).await?,
        };
        if rotated {
            return Ok(RotateOutcome::Rotated);
        }
        // Nothing changed. Why can be read afterwards without a race: a token's `rotated_at`
        // and its family's `revoked_at`, once set, are never cleared, so a token that could not
        // be rotated a moment ago still cannot.
        let old_family = refresh_token::Entity::find()
            .select_only()
            .column(refresh_token::Column::FamilyId)
            .filter(refresh_token::Column::TenantId.eq(tenant.as_uuid()))
            .filter(refresh_token::Column::TokenHash.eq(old_hash))
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        match old_family {
            Some(family) if family != next.family_id => Err(StoreError::Conflict(
                "the next refresh token belongs to another family".to_owned(),
            )),
            Some(_) => Ok(RotateOutcome::AlreadyUsed),
            None => Ok(RotateOutcome::Unknown),
        }
    }

    /// Keeps the first revocation time when called again, and still answers the live access
    /// tokens, so a retried revocation is harmless. `NotFound` if the family is not in this
    /// tenant.
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let txn = begin_write(self).await?;
        let revoked = family::Entity::update_many()
            .col_expr(family::Column::RevokedAt, Expr::value(Some(at)))
            .filter(family::Column::TenantId.eq(tenant.as_uuid()))
            .filter(family::Column::Id.eq(family_id))
            .filter(family::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        if revoked.rows_affected == 0 {
            let exists = family::Entity::find()
                .filter(family::Column::TenantId.eq(tenant.as_uuid()))
                .filter(family::Column::Id.eq(family_id))
                .count(&txn)
                .await
                .map_err(map_db_err)?;
            if exists == 0 {
                txn.rollback().await.map_err(map_db_err)?;
                return Err(StoreError::NotFound);
            }
        }
        let live = live_access_tokens(
            &txn,
            tenant,
            refresh_token::Column::FamilyId.eq(family_id),
            at,
        )
        .await?;
        txn.commit().await.map_err(map_db_err)?;
        Ok(live)
    }

    async fn revoke_subject(
        &self,
        tenant: TenantId,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let txn = begin_write(self).await?;
        family::Entity::update_many()
            .col_expr(family::Column::RevokedAt, Expr::value(Some(at)))
            .filter(family::Column::TenantId.eq(tenant.as_uuid()))
            .filter(family::Column::Subject.eq(subject))
            .filter(family::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        let families = Query::select()
            .column(family::Column::Id)
            .from(family::Entity)
            .and_where(family::Column::TenantId.eq(tenant.as_uuid()))
            .and_where(family::Column::Subject.eq(subject))
            .to_owned();
        let live = live_access_tokens(
            &txn,
            tenant,
            refresh_token::Column::FamilyId.in_subquery(families),
            at,
        )
        .await?;
        txn.commit().await.map_err(map_db_err)?;
        Ok(live)
    }

    /// Tokens go with their family through the cascading foreign key.
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = family::Entity::delete_many()
            .filter(family::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(deleted.rows_affected)
    }
}

/// PostgreSQL: marks the old token rotated and stores its successor in one statement, which
/// is its own transaction — one round trip instead of four (BEGIN, UPDATE, INSERT, COMMIT).
/// The refresh benchmark is bound by round trips: PostgreSQL's profile showed a third of the
/// machine's CPU in loopback send/receive. Two requests presenting the same token race on the
/// old row: the loser waits for the winner's commit, re-checks `rotated_at IS NULL` and
/// matches nothing, so it inserts nothing. The family condition is part of the `UPDATE`, so
/// a token of a revoked family, or of a family other than `next`'s, is not rotated. The family
/// row is read `FOR SHARE`: a revocation that has written it makes the rotation wait and then
/// fail, and a rotation in flight makes the revocation wait, so the revocation's list of live
/// access tokens includes the successor's (READ COMMITTED alone let a successor slip in).
async fn rotate_in_one_statement(
    store: &SqlStore,
    tenant: TenantId,
    old_hash: &str,
    next: &RefreshToken,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const ROTATE: &str = "\
        WITH rotated AS ( \
            UPDATE refresh_tokens SET rotated_at = $1 \
            WHERE tenant_id = $2 AND token_hash = $3 AND family_id = $4 AND rotated_at IS NULL \
              AND EXISTS (SELECT 1 FROM refresh_token_families \
                          WHERE id = $4 AND tenant_id = $2 AND revoked_at IS NULL \
                          FOR SHARE) \
            RETURNING family_id) \
        INSERT INTO refresh_tokens (token_hash, family_id, tenant_id, generation, issued_at, \
                                    expires_at, rotated_at, access_token_jti, \
                                    access_token_expires_at) \
        SELECT $5, family_id, $2, $6, $7, $8, NULL, $9, $10 FROM rotated";
    let values: [sea_orm::Value; 10] = [
        at.into(),
        tenant.as_uuid().into(),
        old_hash.into(),
        next.family_id.into(),
        next.token_hash.as_str().into(),
        next.generation.into(),
        next.issued_at.into(),
        next.expires_at.into(),
        next.access_token_jti.clone().into(),
        next.access_token_expires_at.into(),
    ];
    let done = store
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            ROTATE,
            values,
        ))
        .await
        .map_err(map_db_err)?;
    Ok(done.rows_affected() == 1)
}

/// SQLite (one writer at a time, in process): the conditional `UPDATE` and the `INSERT` in an
/// IMMEDIATE transaction.
async fn rotate_in_transaction(
    store: &SqlStore,
    tenant: TenantId,
    old_hash: &str,
    next: &RefreshToken,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = begin_write(store).await?;
    let live_families = Query::select()
        .column(family::Column::Id)
        .from(family::Entity)
        .and_where(family::Column::TenantId.eq(tenant.as_uuid()))
        .and_where(family::Column::RevokedAt.is_null())
        .to_owned();
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(Some(at)))
        .filter(refresh_token::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_token::Column::TokenHash.eq(old_hash))
        .filter(refresh_token::Column::FamilyId.eq(next.family_id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::FamilyId.in_subquery(live_families))
        .exec(&txn)
        .await
        .map_err(map_db_err)?;
    if marked.rows_affected == 0 {
        txn.rollback().await.map_err(map_db_err)?;
        return Ok(false);
    }
    refresh_token::Entity::insert(token_row(next))
        .exec_without_returning(&txn)
        .await
        .map_err(map_db_err)?;
    txn.commit().await.map_err(map_db_err)?;
    Ok(true)
}

/// A transaction that writes: on SQLite it takes the write lock at `BEGIN` (IMMEDIATE), so
/// its reads after the first write never hit a stale snapshot; PostgreSQL ignores the mode.
/// The access tokens (jti, expiry) still live at `at` that were issued with `tenant`'s
/// refresh tokens of the families `families` selects, oldest first.
async fn live_access_tokens(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    families: sea_orm::sea_query::SimpleExpr,
    at: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let live: Vec<(Option<String>, Option<DateTime<Utc>>)> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::AccessTokenJti)
        .column(refresh_token::Column::AccessTokenExpiresAt)
        .filter(refresh_token::Column::TenantId.eq(tenant.as_uuid()))
        .filter(families)
        .filter(refresh_token::Column::AccessTokenJti.is_not_null())
        .filter(refresh_token::Column::AccessTokenExpiresAt.gt(at))
        .order_by_asc(refresh_token::Column::IssuedAt)
        .order_by_asc(refresh_token::Column::Generation)
        .into_tuple()
        .all(txn)
        .await
        .map_err(map_db_err)?;
    Ok(live
        .into_iter()
        .filter_map(|(jti, exp)| Some((jti?, exp?)))
        .collect())
}

async fn begin_write(store: &SqlStore) -> Result<DatabaseTransaction, StoreError> {
    store
        .db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
        .map_err(map_db_err)
}

fn family_row(f: &RefreshTokenFamily) -> family::ActiveModel {
    family::ActiveModel {
        id: Set(f.id),
        tenant_id: Set(f.tenant_id.as_uuid()),
        client_id: Set(f.client_id.as_str().to_owned()),
        subject: Set(f.subject.clone()),
        scope: Set(f.scope.to_string()),
        session_id: Set(f.session_id.clone()),
        auth_time: Set(f.auth_time),
        created_at: Set(f.created_at),
        expires_at: Set(f.expires_at),
        revoked_at: Set(f.revoked_at),
    }
}

fn token_row(t: &RefreshToken) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        token_hash: Set(t.token_hash.clone()),
        family_id: Set(t.family_id),
        tenant_id: Set(t.tenant_id.as_uuid()),
        generation: Set(t.generation),
        issued_at: Set(t.issued_at),
        expires_at: Set(t.expires_at),
        rotated_at: Set(t.rotated_at),
        access_token_jti: Set(t.access_token_jti.clone()),
        access_token_expires_at: Set(t.access_token_expires_at),
    }
}

fn to_family(row: family::Model) -> Result<RefreshTokenFamily, StoreError> {
    let corrupt =
        |e: keyward_core::ParseError| StoreError::Corrupt(format!("refresh_token_families: {e}"));
    Ok(RefreshTokenFamily {
        id: row.id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        client_id: ClientId::parse(&row.client_id).map_err(corrupt)?,
        subject: row.subject,
        scope: Scope::parse(&row.scope).map_err(corrupt)?,
        session_id: row.session_id,
        auth_time: row.auth_time,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    })
}

fn to_token(row: refresh_token::Model) -> RefreshToken {
    RefreshToken {
        token_hash: row.token_hash,
        family_id: row.family_id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        generation: row.generation,
        issued_at: row.issued_at,
        expires_at: row.expires_at,
        rotated_at: row.rotated_at,
        access_token_jti: row.access_token_jti,
        access_token_expires_at: row.access_token_expires_at,
    }
}

#[async_trait]
impl keyward_oauth::RevokedAccessTokens for SqlStore {
    async fn record_revoked(
        &self,
        tenant: TenantId,
        tokens: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        if tokens.is_empty() {
            return Ok(());
        }
        let rows = tokens.iter().map(|(jti, expires_at)| revoked::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            jti: Set(jti.clone()),
            expires_at: Set(*expires_at),
        });
        revoked::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([revoked::Column::TenantId, revoked::Column::Jti])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn live_revoked(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, String, DateTime<Utc>)>, StoreError> {
        let rows = revoked::Entity::find()
            .filter(revoked::Column::ExpiresAt.gt(now))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| (TenantId::from_uuid(r.tenant_id), r.jti, r.expires_at))
            .collect())
    }

    async fn purge_revoked(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = revoked::Entity::delete_many()
            .filter(revoked::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(deleted.rows_affected)
    }
}
