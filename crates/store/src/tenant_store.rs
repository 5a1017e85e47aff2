//! `TenantStore` on SQL: the `tenants` table. Deleting a tenant relies on the foreign keys'
//! `ON DELETE CASCADE` to remove everything it owns in the same statement.

use async_trait::async_trait;
use keyward_core::{
    DisplayName, Page, PageRequest, StoreError, Tenant, TenantId, TenantSlug, TenantStore,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::connect::{DIRECTORY_VERSION_KEY, SqlStore, corrupt, map_db_err};
use crate::entity::tenant;

const TABLE: &str = "tenants";

fn to_domain(row: tenant::Model) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId::from_uuid(row.id),
        slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt(TABLE, e))?,
        display_name: DisplayName::parse(&row.display_name).map_err(|e| corrupt(TABLE, e))?,
        settings: serde_json::from_value(row.settings).map_err(|e| corrupt(TABLE, e))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn settings_json(t: &Tenant) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(&t.settings)
        .map_err(|e| StoreError::Backend(format!("tenant settings do not serialise: {e}")))
}

#[async_trait]
impl TenantStore for SqlStore {
    async fn create(&self, t: &Tenant) -> Result<(), StoreError> {
        let row = tenant::ActiveModel {
            id: Set(t.id.as_uuid()),
            slug: Set(t.slug.as_str().to_owned()),
            display_name: Set(t.display_name.as_str().to_owned()),
            settings: Set(settings_json(t)?),
            created_at: Set(t.created_at),
            updated_at: Set(t.updated_at),
        };
        tenant::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    async fn by_id(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let row = tenant::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        row.map(to_domain).transpose()
    }

    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        let row = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.as_str()))
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        row.map(to_domain).transpose()
    }

    async fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let mut query = tenant::Entity::find().order_by_asc(tenant::Column::Slug);
        if let Some(after) = &page.after {
            query = query.filter(tenant::Column::Slug.gt(after.as_str()));
        }
        let rows = query
            .limit(page.limit.saturating_add(1))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let tenants = rows
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(tenants, page.limit, |t| {
            t.slug.as_str().to_owned()
        }))
    }

    async fn update(&self, t: &Tenant) -> Result<(), StoreError> {
        let done = tenant::Entity::update_many()
            .col_expr(
                tenant::Column::DisplayName,
                Expr::value(t.display_name.as_str()),
            )
            .col_expr(tenant::Column::Settings, Expr::value(settings_json(t)?))
            .col_expr(tenant::Column::UpdatedAt, Expr::value(t.updated_at))
            .filter(tenant::Column::Id.eq(t.id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    /// `NotFound` if the tenant is already gone, like every other delete.
    async fn delete(&self, id: TenantId) -> Result<(), StoreError> {
        let done = tenant::Entity::delete_many()
            .filter(tenant::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }
}
