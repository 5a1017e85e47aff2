//! The `identity_providers` table: upstream providers of a tenant, unique by (tenant, alias).
//! Scopes and the claim mapping are JSON so their shape can grow without a migration.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub alias: String,
    pub display_name: String,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub issuer_url: String,
    pub client_id: String,
    /// Sealed with the master key; absent for providers that need no secret.
    #[sea_orm(column_type = "Blob", nullable)]
    pub client_secret_sealed: Option<Vec<u8>>,
    /// A JSON array of scope strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub scopes: Json,
    /// A JSON object mapping upstream claims onto local ones.
    #[sea_orm(column_type = "JsonBinary")]
    pub claim_mapping: Json,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
    #[sea_orm(has_many = "super::linked_identity::Entity")]
    LinkedIdentity,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::linked_identity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LinkedIdentity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
