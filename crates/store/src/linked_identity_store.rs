//! `LinkedIdentityStore` on SQL. A link must stay inside one tenant: the foreign keys only
//! say the user and provider exist somewhere, so `link` checks that both are the tenant's.

use async_trait::async_trait;
use keyward_core::{StoreError, TenantId, UserId};
use keyward_federation::{LinkedIdentity, LinkedIdentityStore};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::connect::{SqlStore, map_db_err};
use crate::entity::{identity_provider, linked_identity as link, user};

#[async_trait]
impl LinkedIdentityStore for SqlStore {
    /// `NotFound` if the user or the provider is not in `link.tenant_id`. The check needs no
    /// transaction: a row never changes tenant, and a parent deleted meanwhile fails the
    /// foreign key instead.
    async fn link(&self, link: &LinkedIdentity) -> Result<(), StoreError> {
        let tenant = link.tenant_id.as_uuid();
        let users = user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant))
            .filter(user::Column::Id.eq(link.user_id.as_uuid()))
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        let providers = identity_provider::Entity::find()
            .filter(identity_provider::Column::TenantId.eq(tenant))
            .filter(identity_provider::Column::Id.eq(link.provider_id))
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        if users == 0 || providers == 0 {
            return Err(StoreError::NotFound);
        }
        let row = link::ActiveModel {
            tenant_id: Set(tenant),
            provider_id: Set(link.provider_id),
            subject: Set(link.subject.clone()),
            user_id: Set(link.user_id.as_uuid()),
            created_at: Set(link.created_at),
        };
        link::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn find(
        &self,
        tenant: TenantId,
        provider: Uuid,
        subject: &str,
    ) -> Result<Option<LinkedIdentity>, StoreError> {
        let row = link::Entity::find()
            .filter(link::Column::TenantId.eq(tenant.as_uuid()))
            .filter(link::Column::ProviderId.eq(provider))
            .filter(link::Column::Subject.eq(subject))
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(row.map(to_link))
    }

    /// Oldest link first.
    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<LinkedIdentity>, StoreError> {
        let rows = link::Entity::find()
            .filter(link::Column::TenantId.eq(tenant.as_uuid()))
            .filter(link::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(link::Column::CreatedAt)
            .order_by_asc(link::Column::ProviderId)
            .order_by_asc(link::Column::Subject)
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(rows.into_iter().map(to_link).collect())
    }

    async fn unlink(
        &self,
        tenant: TenantId,
        provider: Uuid,
        subject: &str,
    ) -> Result<(), StoreError> {
        let deleted = link::Entity::delete_many()
            .filter(link::Column::TenantId.eq(tenant.as_uuid()))
            .filter(link::Column::ProviderId.eq(provider))
            .filter(link::Column::Subject.eq(subject))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn to_link(row: link::Model) -> LinkedIdentity {
    LinkedIdentity {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        provider_id: row.provider_id,
        subject: row.subject,
        user_id: UserId::from_uuid(row.user_id),
        created_at: row.created_at,
    }
}
