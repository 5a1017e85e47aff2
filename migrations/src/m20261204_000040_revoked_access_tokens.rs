//! Revoked access tokens are kept in the database until each would have expired, so a
//! revocation survives a restart of an embedded node and a flush of Redis (the cache's
//! revoked set stays the fast check; every node refills it from this table). One row per
//! (tenant, jti); the purge deletes by expiry.
//!
//! The down migration drops the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, timestamp_with_time_zone, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RevokedAccessTokens {
    Table,
    TenantId,
    Jti,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevokedAccessTokens::Table)
                    .if_not_exists()
                    .col(uuid(RevokedAccessTokens::TenantId))
                    .col(string(RevokedAccessTokens::Jti))
                    .col(timestamp_with_time_zone(RevokedAccessTokens::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(RevokedAccessTokens::TenantId)
                            .col(RevokedAccessTokens::Jti),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_revoked_access_tokens_tenant")
                            .from(RevokedAccessTokens::Table, RevokedAccessTokens::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_revoked_access_tokens_expires_at")
                    .table(RevokedAccessTokens::Table)
                    .col(RevokedAccessTokens::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(RevokedAccessTokens::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
