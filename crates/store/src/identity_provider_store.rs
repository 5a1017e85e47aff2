//! `IdentityProviderStore` on SQL. A provider is addressed by alias in its tenant; the row's
//! id stays fixed so an update may rename the alias without breaking linked identities.

use async_trait::async_trait;
use keyward_core::{DisplayName, StoreError, TenantId, TenantSlug};
use keyward_federation::{IdentityProvider, IdentityProviderStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::connect::{SqlStore, map_db_err};
use crate::entity::identity_provider as idp;

#[async_trait]
impl IdentityProviderStore for SqlStore {
    async fn create(&self, provider: &IdentityProvider) -> Result<(), StoreError> {
        let row = idp::ActiveModel {
            id: Set(provider.id),
            tenant_id: Set(provider.tenant_id.as_uuid()),
            alias: Set(provider.alias.as_str().to_owned()),
            display_name: Set(provider.display_name.as_str().to_owned()),
            kind: Set(provider.kind.as_str().to_owned()),
            issuer_url: Set(provider.issuer_url.clone()),
            client_id: Set(provider.client_id.clone()),
            client_secret_sealed: Set(provider.client_secret_sealed.clone()),
            scopes: Set(scopes_json(&provider.scopes)),
            claim_mapping: Set(provider.claim_mapping.clone()),
            enabled: Set(provider.enabled),
            created_at: Set(provider.created_at),
            updated_at: Set(provider.updated_at),
        };
        idp::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn get(
        &self,
        tenant: TenantId,
        alias: &TenantSlug,
    ) -> Result<Option<IdentityProvider>, StoreError> {
        idp::Entity::find()
            .filter(idp::Column::TenantId.eq(tenant.as_uuid()))
            .filter(idp::Column::Alias.eq(alias.as_str()))
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(to_provider)
            .transpose()
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<IdentityProvider>, StoreError> {
        idp::Entity::find()
            .filter(idp::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(idp::Column::Alias)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(to_provider)
            .collect()
    }

    /// Matches on (tenant, id) and replaces everything but those and `created_at`;
    /// `Conflict` if the new alias is taken in the tenant.
    async fn update(&self, provider: &IdentityProvider) -> Result<(), StoreError> {
        let updated = idp::Entity::update_many()
            .col_expr(idp::Column::Alias, Expr::value(provider.alias.as_str()))
            .col_expr(
                idp::Column::DisplayName,
                Expr::value(provider.display_name.as_str()),
            )
            .col_expr(idp::Column::Kind, Expr::value(provider.kind.as_str()))
            .col_expr(
                idp::Column::IssuerUrl,
                Expr::value(provider.issuer_url.as_str()),
            )
            .col_expr(
                idp::Column::ClientId,
                Expr::value(provider.client_id.as_str()),
            )
            .col_expr(
                idp::Column::ClientSecretSealed,
                Expr::value(provider.client_secret_sealed.clone()),
            )
            .col_expr(
                idp::Column::Scopes,
                Expr::value(scopes_json(&provider.scopes)),
            )
            .col_expr(
                idp::Column::ClaimMapping,
                Expr::value(provider.claim_mapping.clone()),
            )
            .col_expr(idp::Column::Enabled, Expr::value(provider.enabled))
            .col_expr(idp::Column::UpdatedAt, Expr::value(provider.updated_at))
            .filter(idp::Column::TenantId.eq(provider.tenant_id.as_uuid()))
            .filter(idp::Column::Id.eq(provider.id))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Linked identities of the provider go with it through the cascading foreign key.
    async fn delete(&self, tenant: TenantId, alias: &TenantSlug) -> Result<(), StoreError> {
        let deleted = idp::Entity::delete_many()
            .filter(idp::Column::TenantId.eq(tenant.as_uuid()))
            .filter(idp::Column::Alias.eq(alias.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn scopes_json(scopes: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        scopes
            .iter()
            .map(|s| serde_json::Value::String(s.clone()))
            .collect(),
    )
}

fn to_provider(row: idp::Model) -> Result<IdentityProvider, StoreError> {
    let corrupt =
        |e: keyward_core::ParseError| StoreError::Corrupt(format!("identity_providers: {e}"));
    let scopes: Vec<String> = serde_json::from_value(row.scopes)
        .map_err(|e| StoreError::Corrupt(format!("identity_providers: scopes: {e}")))?;
    Ok(IdentityProvider {
        id: row.id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        alias: TenantSlug::parse(&row.alias).map_err(corrupt)?,
        display_name: DisplayName::parse(&row.display_name).map_err(corrupt)?,
        kind: row.kind.parse().map_err(corrupt)?,
        issuer_url: row.issuer_url,
        client_id: row.client_id,
        client_secret_sealed: row.client_secret_sealed,
        scopes,
        claim_mapping: row.claim_mapping,
        enabled: row.enabled,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
