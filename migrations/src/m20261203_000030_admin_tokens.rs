//! Admin API tokens have their own scope, `keyward:admin`, which only clients of the system
//! tenant registered for it may get (keyward-oauth's `admin_api`). Service accounts made
//! before had no scope at all and would lose the admin API: every system-tenant client that
//! holds an admin role (a Casbin `g` rule whose subject is `client:{system id}/{client id}`)
//! is registered for the scope here. Other clients — user-facing apps of the system tenant —
//! are left as they were: an operator grants them the scope deliberately.
//!
//! Disabling or deleting a user revokes every refresh-token family of that user, so the
//! families get an index over (tenant, subject).
//!
//! The down migration drops the index and keeps the scopes (harmless without the check).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The admin API's scope (keyward-oauth's `admin_api::ADMIN_SCOPE`).
pub const ADMIN_SCOPE: &str = "keyward:admin";
const SUBJECT_INDEX: &str = "ix_refresh_token_families_tenant_subject";

#[derive(DeriveIden)]
enum RefreshTokenFamilies {
    Table,
    TenantId,
    Subject,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    TenantId,
    ClientId,
    Scopes,
}

#[derive(DeriveIden)]
enum CasbinRule {
    Table,
    Ptype,
    V0,
}

/// `scopes` (space-delimited) with the admin scope added once.
pub fn with_admin_scope(scopes: &str) -> String {
    let mut tokens: Vec<&str> = scopes.split(' ').filter(|s| !s.is_empty()).collect();
    if !tokens.contains(&ADMIN_SCOPE) {
        tokens.push(ADMIN_SCOPE);
    }
    tokens.join(" ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(SUBJECT_INDEX)
                    .table(RefreshTokenFamilies::Table)
                    .col(RefreshTokenFamilies::TenantId)
                    .col(RefreshTokenFamilies::Subject)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let system = Query::select()
            .column(Tenants::Id)
            .from(Tenants::Table)
            .and_where(Expr::col(Tenants::Slug).eq("system"))
            .to_owned();
        let Some(row) = db.query_one(&system).await? else {
            return Ok(());
        };
        let system: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
        let prefix = format!("client:{system}/");
        let holders = Query::select()
            .distinct()
            .column(CasbinRule::V0)
            .from(CasbinRule::Table)
            .and_where(Expr::col(CasbinRule::Ptype).eq("g"))
            .and_where(Expr::col(CasbinRule::V0).like(format!("{prefix}%")))
            .to_owned();
        for row in db.query_all(&holders).await? {
            let subject: String = row.try_get("", "v0")?;
            let Some(client_id) = subject.strip_prefix(&prefix) else {
                continue;
            };
            let found = Query::select()
                .column(Clients::Scopes)
                .from(Clients::Table)
                .and_where(Expr::col(Clients::TenantId).eq(system))
                .and_where(Expr::col(Clients::ClientId).eq(client_id))
                .to_owned();
            let Some(client) = db.query_one(&found).await? else {
                continue;
            };
            let scopes: String = client.try_get("", "scopes")?;
            let update = Query::update()
                .table(Clients::Table)
                .value(Clients::Scopes, with_admin_scope(&scopes))
                .and_where(Expr::col(Clients::TenantId).eq(system))
                .and_where(Expr::col(Clients::ClientId).eq(client_id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SUBJECT_INDEX)
                    .table(RefreshTokenFamilies::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_scope_is_added_once() {
        assert_eq!(with_admin_scope(""), "keyward:admin");
        assert_eq!(with_admin_scope("api:read"), "api:read keyward:admin");
        assert_eq!(with_admin_scope("keyward:admin"), "keyward:admin");
    }
}
