//! `SigningKeyStore` on SQL. Algorithm and status are stored by name; a name this build does
//! not know makes the row `Corrupt` rather than guessing a key's purpose.

use async_trait::async_trait;
use keyward_core::{StoreError, TenantId};
use keyward_oauth::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::connect::{DIRECTORY_VERSION_KEY, SqlStore, map_db_err};
use crate::entity::signing_key;

#[async_trait]
impl SigningKeyStore for SqlStore {
    async fn insert(&self, key: &SigningKey) -> Result<(), StoreError> {
        let row = signing_key::ActiveModel {
            tenant_id: Set(key.tenant_id.as_uuid()),
            kid: Set(key.kid.clone()),
            alg: Set(key.alg.as_str().to_owned()),
            status: Set(key.status.as_str().to_owned()),
            private_sealed: Set(key.private_sealed.clone()),
            public_jwk: Set(key.public_jwk.clone()),
            created_at: Set(key.created_at),
            activated_at: Set(key.activated_at),
            retired_at: Set(key.retired_at),
            publish_until: Set(key.publish_until),
        };
        signing_key::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    /// Oldest first; the kid breaks ties between keys created in the same instant.
    async fn list(&self, tenant: TenantId) -> Result<Vec<SigningKey>, StoreError> {
        signing_key::Entity::find()
            .filter(signing_key::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(signing_key::Column::CreatedAt)
            .order_by_asc(signing_key::Column::Kid)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(to_signing_key)
            .collect()
    }

    /// Only the lifecycle columns change: the key material and algorithm of a kid are
    /// immutable, since tokens already signed under that kid depend on them.
    async fn update(&self, key: &SigningKey) -> Result<(), StoreError> {
        let updated = signing_key::Entity::update_many()
            .col_expr(
                signing_key::Column::Status,
                Expr::value(key.status.as_str()),
            )
            .col_expr(
                signing_key::Column::ActivatedAt,
                Expr::value(key.activated_at),
            )
            .col_expr(signing_key::Column::RetiredAt, Expr::value(key.retired_at))
            .col_expr(
                signing_key::Column::PublishUntil,
                Expr::value(key.publish_until),
            )
            .filter(signing_key::Column::TenantId.eq(key.tenant_id.as_uuid()))
            .filter(signing_key::Column::Kid.eq(key.kid.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    async fn delete(&self, tenant: TenantId, kid: &str) -> Result<(), StoreError> {
        let deleted = signing_key::Entity::delete_many()
            .filter(signing_key::Column::TenantId.eq(tenant.as_uuid()))
            .filter(signing_key::Column::Kid.eq(kid))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }
}

fn to_signing_key(row: signing_key::Model) -> Result<SigningKey, StoreError> {
    let corrupt = |e: keyward_core::ParseError| StoreError::Corrupt(format!("signing_keys: {e}"));
    Ok(SigningKey {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        alg: row.alg.parse::<SigningAlg>().map_err(corrupt)?,
        status: row.status.parse::<KeyStatus>().map_err(corrupt)?,
        kid: row.kid,
        private_sealed: row.private_sealed,
        public_jwk: row.public_jwk,
        created_at: row.created_at,
        activated_at: row.activated_at,
        retired_at: row.retired_at,
        publish_until: row.publish_until,
    })
}
