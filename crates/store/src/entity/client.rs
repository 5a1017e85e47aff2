//! The `clients` table, keyed by (tenant, client id): the same client id may exist in two
//! tenants. List-valued metadata is stored as JSON arrays of strings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub secret_hash: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub redirect_uris: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub post_logout_redirect_uris: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub grant_types: Json,
    /// The space-delimited scope string (RFC 6749 §3.3).
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    pub auth_method: String,
    pub public: bool,
    pub first_party: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
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
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
