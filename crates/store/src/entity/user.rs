//! The `users` table. The canonical (lowercase) username and e-mail sit beside the entered
//! forms because uniqueness and look-up are case-insensitive on both backends.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub username_canonical: String,
    pub email: Option<String>,
    pub email_canonical: Option<String>,
    pub email_verified: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub disabled: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub claims: Json,
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
