//! The core tables: tenants, platform facts, users, clients and the audit log.
//!
//! Timestamps are `timestamp with time zone` (text on SQLite, where chrono writes RFC 3339 in
//! UTC, which sorts correctly as text). JSON documents are `jsonb` on PostgreSQL and text on
//! SQLite. Every tenant-owned table references `tenants` with `ON DELETE CASCADE`, so deleting a
//! tenant deletes everything it owns in one statement.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, json_binary, json_binary_null, pk_uuid, string, string_null, string_uniq, text,
    text_null, timestamp_with_time_zone, uuid,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    DisplayName,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlatformMeta {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Username,
    UsernameCanonical,
    Email,
    EmailCanonical,
    EmailVerified,
    PasswordHash,
    Disabled,
    Claims,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    TenantId,
    ClientId,
    Name,
    SecretHash,
    RedirectUris,
    PostLogoutRedirectUris,
    GrantTypes,
    Scopes,
    AuthMethod,
    Public,
    FirstParty,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    Actor,
    Action,
    Target,
    Before,
    After,
    RequestId,
    At,
}

/// A foreign key from `table.tenant_id` to `tenants.id` that deletes with the tenant.
fn tenant_fk(name: &str, table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on every backend (SQLite DDL is transactional too), so a crash halfway
    /// never leaves a schema that the migration table does not describe.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .if_not_exists()
                    .col(pk_uuid(Tenants::Id))
                    .col(string_uniq(Tenants::Slug))
                    .col(string(Tenants::DisplayName))
                    .col(json_binary(Tenants::Settings))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlatformMeta::Table)
                    .if_not_exists()
                    .col(string(PlatformMeta::Key).primary_key())
                    .col(text(PlatformMeta::Value))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_uuid(Users::Id))
                    .col(uuid(Users::TenantId))
                    .col(string(Users::Username))
                    .col(string(Users::UsernameCanonical))
                    .col(string_null(Users::Email))
                    .col(string_null(Users::EmailCanonical))
                    .col(boolean(Users::EmailVerified))
                    .col(text_null(Users::PasswordHash))
                    .col(boolean(Users::Disabled))
                    .col(json_binary(Users::Claims))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(&mut tenant_fk("fk_users_tenant", Users::Table))
                    .to_owned(),
            )
            .await?;
        // Uniqueness is per tenant and case-insensitive: the store writes the lowercase form.
        // Several users may lack an e-mail: NULLs never collide in a unique index.
        manager
            .create_index(
                Index::create()
                    .name("ux_users_tenant_username")
                    .table(Users::Table)
                    .col(Users::TenantId)
                    .col(Users::UsernameCanonical)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_tenant_email")
                    .table(Users::Table)
                    .col(Users::TenantId)
                    .col(Users::EmailCanonical)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .if_not_exists()
                    .col(uuid(Clients::TenantId))
                    .col(string(Clients::ClientId))
                    .col(string(Clients::Name))
                    .col(text_null(Clients::SecretHash))
                    .col(json_binary(Clients::RedirectUris))
                    .col(json_binary(Clients::PostLogoutRedirectUris))
                    .col(json_binary(Clients::GrantTypes))
                    .col(text(Clients::Scopes))
                    .col(string(Clients::AuthMethod))
                    .col(boolean(Clients::Public))
                    .col(boolean(Clients::FirstParty))
                    .col(json_binary(Clients::Settings))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .col(timestamp_with_time_zone(Clients::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Clients::TenantId)
                            .col(Clients::ClientId),
                    )
                    .foreign_key(&mut tenant_fk("fk_clients_tenant", Clients::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(pk_uuid(AuditEvents::Id))
                    .col(uuid(AuditEvents::TenantId))
                    .col(string(AuditEvents::Actor))
                    .col(string(AuditEvents::Action))
                    .col(string(AuditEvents::Target))
                    .col(json_binary_null(AuditEvents::Before))
                    .col(json_binary_null(AuditEvents::After))
                    .col(string_null(AuditEvents::RequestId))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .foreign_key(&mut tenant_fk("fk_audit_events_tenant", AuditEvents::Table))
                    .to_owned(),
            )
            .await?;
        // The audit list reads one tenant's events newest first by their UUIDv7 id.
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_tenant_id")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TenantId)
                    .col(AuditEvents::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
            PlatformMeta::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
