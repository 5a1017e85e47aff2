//! `ConsentStore` on SQL: one row per (tenant, user, client), written with an upsert so a new
//! grant replaces the old one in a single statement, without a read-modify-write race.

use async_trait::async_trait;
use keyward_core::{ClientId, Scope, StoreError, TenantId, UserId};
use keyward_oauth::{Consent, ConsentStore};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::connect::{SqlStore, map_db_err};
use crate::entity::{consent, user};

#[async_trait]
impl ConsentStore for SqlStore {
    /// The user must belong to `consent.tenant_id` (`NotFound` otherwise): the foreign key
    /// alone would accept a user of another tenant.
    async fn upsert(&self, consent: &Consent) -> Result<(), StoreError> {
        let user_in_tenant = user::Entity::find()
            .filter(user::Column::TenantId.eq(consent.tenant_id.as_uuid()))
            .filter(user::Column::Id.eq(consent.user_id.as_uuid()))
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        if user_in_tenant == 0 {
            return Err(StoreError::NotFound);
        }
        let row = consent::ActiveModel {
            tenant_id: Set(consent.tenant_id.as_uuid()),
            user_id: Set(consent.user_id.as_uuid()),
            client_id: Set(consent.client_id.as_str().to_owned()),
            scopes: Set(consent.scopes.to_string()),
            granted_at: Set(consent.granted_at),
        };
        consent::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    consent::Column::TenantId,
                    consent::Column::UserId,
                    consent::Column::ClientId,
                ])
                .update_columns([consent::Column::Scopes, consent::Column::GrantedAt])
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn find(
        &self,
        tenant: TenantId,
        user: UserId,
        client: &ClientId,
    ) -> Result<Option<Consent>, StoreError> {
        let row = consent::Entity::find()
            .filter(consent::Column::TenantId.eq(tenant.as_uuid()))
            .filter(consent::Column::UserId.eq(user.as_uuid()))
            .filter(consent::Column::ClientId.eq(client.as_str()))
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        row.map(to_consent).transpose()
    }

    /// Sorted by client id, so the account page lists them stably.
    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Consent>, StoreError> {
        consent::Entity::find()
            .filter(consent::Column::TenantId.eq(tenant.as_uuid()))
            .filter(consent::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(consent::Column::ClientId)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(to_consent)
            .collect()
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        user: UserId,
        client: &ClientId,
    ) -> Result<(), StoreError> {
        let deleted = consent::Entity::delete_many()
            .filter(consent::Column::TenantId.eq(tenant.as_uuid()))
            .filter(consent::Column::UserId.eq(user.as_uuid()))
            .filter(consent::Column::ClientId.eq(client.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn to_consent(row: consent::Model) -> Result<Consent, StoreError> {
    let corrupt = |e: keyward_core::ParseError| StoreError::Corrupt(format!("consents: {e}"));
    Ok(Consent {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        client_id: ClientId::parse(&row.client_id).map_err(corrupt)?,
        scopes: Scope::parse(&row.scopes).map_err(corrupt)?,
        granted_at: row.granted_at,
    })
}
