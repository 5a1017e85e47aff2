//! The protocol tables: signing keys, consents, refresh-token families and tokens, upstream
//! identity providers with their linked identities, and Casbin's policy rules.
//!
//! Same conventions as the core tables: timestamps are `timestamp with time zone`, JSON is
//! `jsonb` on PostgreSQL, and every tenant-owned table references `tenants` with
//! `ON DELETE CASCADE`. Rows that only make sense with their parent (tokens of a family, links
//! of a provider or user) cascade from that parent too, so the store never has to clean up
//! orphans by hand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    blob, blob_null, boolean, integer, json_binary, pk_auto, pk_uuid, string, string_null, text,
    timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    TenantId,
    Kid,
    Alg,
    Status,
    PrivateSealed,
    PublicJwk,
    CreatedAt,
    ActivatedAt,
    RetiredAt,
    PublishUntil,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    TenantId,
    UserId,
    ClientId,
    Scopes,
    GrantedAt,
}

#[derive(DeriveIden)]
enum RefreshTokenFamilies {
    Table,
    Id,
    TenantId,
    ClientId,
    Subject,
    Scope,
    SessionId,
    AuthTime,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    FamilyId,
    TenantId,
    Generation,
    IssuedAt,
    ExpiresAt,
    RotatedAt,
    AccessTokenJti,
    AccessTokenExpiresAt,
}

#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    Id,
    TenantId,
    Alias,
    DisplayName,
    Kind,
    IssuerUrl,
    ClientId,
    ClientSecretSealed,
    Scopes,
    ClaimMapping,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LinkedIdentities {
    Table,
    TenantId,
    ProviderId,
    Subject,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CasbinRule {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}

/// A foreign key from `table.column` to `parent.id` that deletes with the parent.
fn cascade_fk(
    name: &str,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    parent: impl IntoIden + 'static,
    parent_id: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(parent, parent_id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key from `table.tenant_id` to `tenants.id` that deletes with the tenant.
fn tenant_fk(name: &str, table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    cascade_fk(
        name,
        table,
        Alias::new("tenant_id"),
        Tenants::Table,
        Tenants::Id,
    )
}

/// An index over `cols` of `table`, skipped if it exists.
fn index<T, C>(name: &str, table: T, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIndexColumn,
{
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for col in cols {
        index.col(col);
    }
    index
}

/// A unique index over `cols` of `table`, skipped if it exists.
fn unique_index<T, C>(
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIndexColumn,
{
    index(name, table, cols).unique().to_owned()
}

/// A Casbin rule field: never NULL, so the unique index over all fields treats an unused
/// field as a value and a rule cannot be stored twice.
fn rule_field(col: CasbinRule) -> ColumnDef {
    string(col).default("").take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing, like the core tables.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_signing_keys(manager).await?;
        create_consents(manager).await?;
        create_refresh_tokens(manager).await?;
        create_identity_providers(manager).await?;
        create_casbin_rule(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CasbinRule::Table.into_iden(),
            LinkedIdentities::Table.into_iden(),
            IdentityProviders::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            RefreshTokenFamilies::Table.into_iden(),
            Consents::Table.into_iden(),
            SigningKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_signing_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SigningKeys::Table)
                .if_not_exists()
                .col(uuid(SigningKeys::TenantId))
                .col(string(SigningKeys::Kid))
                .col(string(SigningKeys::Alg))
                .col(string(SigningKeys::Status))
                .col(blob(SigningKeys::PrivateSealed))
                .col(text(SigningKeys::PublicJwk))
                .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(SigningKeys::ActivatedAt))
                .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                .col(timestamp_with_time_zone_null(SigningKeys::PublishUntil))
                .primary_key(
                    Index::create()
                        .col(SigningKeys::TenantId)
                        .col(SigningKeys::Kid),
                )
                .foreign_key(&mut tenant_fk("fk_signing_keys_tenant", SigningKeys::Table))
                .to_owned(),
        )
        .await
}

async fn create_consents(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Consents::Table)
                .if_not_exists()
                .col(uuid(Consents::TenantId))
                .col(uuid(Consents::UserId))
                .col(string(Consents::ClientId))
                .col(text(Consents::Scopes))
                .col(timestamp_with_time_zone(Consents::GrantedAt))
                .primary_key(
                    Index::create()
                        .col(Consents::TenantId)
                        .col(Consents::UserId)
                        .col(Consents::ClientId),
                )
                .foreign_key(&mut tenant_fk("fk_consents_tenant", Consents::Table))
                .foreign_key(&mut cascade_fk(
                    "fk_consents_user",
                    Consents::Table,
                    Consents::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await
}

async fn create_refresh_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RefreshTokenFamilies::Table)
                .if_not_exists()
                .col(pk_uuid(RefreshTokenFamilies::Id))
                .col(uuid(RefreshTokenFamilies::TenantId))
                .col(string(RefreshTokenFamilies::ClientId))
                .col(string_null(RefreshTokenFamilies::Subject))
                .col(text(RefreshTokenFamilies::Scope))
                .col(string_null(RefreshTokenFamilies::SessionId))
                .col(timestamp_with_time_zone_null(
                    RefreshTokenFamilies::AuthTime,
                ))
                .col(timestamp_with_time_zone(RefreshTokenFamilies::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokenFamilies::ExpiresAt))
                .col(timestamp_with_time_zone_null(
                    RefreshTokenFamilies::RevokedAt,
                ))
                .foreign_key(&mut tenant_fk(
                    "fk_refresh_token_families_tenant",
                    RefreshTokenFamilies::Table,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            "ix_refresh_token_families_tenant",
            RefreshTokenFamilies::Table,
            [RefreshTokenFamilies::TenantId],
        ))
        .await?;
    // The purge deletes by expiry across every tenant.
    manager
        .create_index(index(
            "ix_refresh_token_families_expires_at",
            RefreshTokenFamilies::Table,
            [RefreshTokenFamilies::ExpiresAt],
        ))
        .await?;

    manager
        .create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .if_not_exists()
                .col(string(RefreshTokens::TokenHash).primary_key())
                .col(uuid(RefreshTokens::FamilyId))
                .col(uuid(RefreshTokens::TenantId))
                .col(integer(RefreshTokens::Generation))
                .col(timestamp_with_time_zone(RefreshTokens::IssuedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RotatedAt))
                .col(string_null(RefreshTokens::AccessTokenJti))
                .col(timestamp_with_time_zone_null(
                    RefreshTokens::AccessTokenExpiresAt,
                ))
                .foreign_key(&mut cascade_fk(
                    "fk_refresh_tokens_family",
                    RefreshTokens::Table,
                    RefreshTokens::FamilyId,
                    RefreshTokenFamilies::Table,
                    RefreshTokenFamilies::Id,
                ))
                .foreign_key(&mut tenant_fk(
                    "fk_refresh_tokens_tenant",
                    RefreshTokens::Table,
                ))
                .to_owned(),
        )
        .await?;
    // Revoking a family reads all of its tokens.
    manager
        .create_index(index(
            "ix_refresh_tokens_family",
            RefreshTokens::Table,
            [RefreshTokens::FamilyId],
        ))
        .await
}

async fn create_identity_providers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(IdentityProviders::Table)
                .if_not_exists()
                .col(pk_uuid(IdentityProviders::Id))
                .col(uuid(IdentityProviders::TenantId))
                .col(string(IdentityProviders::Alias))
                .col(string(IdentityProviders::DisplayName))
                .col(string(IdentityProviders::Kind))
                .col(text(IdentityProviders::IssuerUrl))
                .col(string(IdentityProviders::ClientId))
                .col(blob_null(IdentityProviders::ClientSecretSealed))
                .col(json_binary(IdentityProviders::Scopes))
                .col(json_binary(IdentityProviders::ClaimMapping))
                .col(boolean(IdentityProviders::Enabled))
                .col(timestamp_with_time_zone(IdentityProviders::CreatedAt))
                .col(timestamp_with_time_zone(IdentityProviders::UpdatedAt))
                .foreign_key(&mut tenant_fk(
                    "fk_identity_providers_tenant",
                    IdentityProviders::Table,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(unique_index(
            "ux_identity_providers_tenant_alias",
            IdentityProviders::Table,
            [IdentityProviders::TenantId, IdentityProviders::Alias],
        ))
        .await?;

    manager
        .create_table(
            Table::create()
                .table(LinkedIdentities::Table)
                .if_not_exists()
                .col(uuid(LinkedIdentities::TenantId))
                .col(uuid(LinkedIdentities::ProviderId))
                .col(string(LinkedIdentities::Subject))
                .col(uuid(LinkedIdentities::UserId))
                .col(timestamp_with_time_zone(LinkedIdentities::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(LinkedIdentities::TenantId)
                        .col(LinkedIdentities::ProviderId)
                        .col(LinkedIdentities::Subject),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_linked_identities_tenant",
                    LinkedIdentities::Table,
                ))
                .foreign_key(&mut cascade_fk(
                    "fk_linked_identities_provider",
                    LinkedIdentities::Table,
                    LinkedIdentities::ProviderId,
                    IdentityProviders::Table,
                    IdentityProviders::Id,
                ))
                .foreign_key(&mut cascade_fk(
                    "fk_linked_identities_user",
                    LinkedIdentities::Table,
                    LinkedIdentities::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
    // An account page lists the links of one user.
    manager
        .create_index(index(
            "ix_linked_identities_tenant_user",
            LinkedIdentities::Table,
            [LinkedIdentities::TenantId, LinkedIdentities::UserId],
        ))
        .await
}

/// Casbin's own layout (`ptype`, `v0`..`v5`), so policies stay portable to other adapters.
async fn create_casbin_rule(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CasbinRule::Table)
                .if_not_exists()
                .col(pk_auto(CasbinRule::Id))
                .col(string(CasbinRule::Ptype))
                .col(rule_field(CasbinRule::V0))
                .col(rule_field(CasbinRule::V1))
                .col(rule_field(CasbinRule::V2))
                .col(rule_field(CasbinRule::V3))
                .col(rule_field(CasbinRule::V4))
                .col(rule_field(CasbinRule::V5))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(unique_index(
            "ux_casbin_rule",
            CasbinRule::Table,
            [
                CasbinRule::Ptype,
                CasbinRule::V0,
                CasbinRule::V1,
                CasbinRule::V2,
                CasbinRule::V3,
                CasbinRule::V4,
                CasbinRule::V5,
            ],
        ))
        .await
}
