//! The `refresh_tokens` table: only the hash of a token is stored, so a database leak does not
//! leak usable tokens. `tenant_id` is repeated from the family so every look-up can be scoped
//! by tenant without a join.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub family_id: Uuid,
    pub tenant_id: Uuid,
    pub generation: i32,
    pub issued_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set exactly once, by the rotation that won.
    pub rotated_at: Option<DateTimeUtc>,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::refresh_token_family::Entity",
        from = "Column::FamilyId",
        to = "super::refresh_token_family::Column::Id",
        on_delete = "Cascade"
    )]
    Family,
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
}

impl Related<super::refresh_token_family::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Family.def()
    }
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
