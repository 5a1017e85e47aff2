//! `refresh_token_families.session_id` held the browser session's id — the secret its cookie
//! carries — in clear, so anyone able to read the database could present a live session. It
//! now holds the session's stored id, a one-way hash of that secret (keyward-identity's
//! `session::stored_id`); this migration hashes the rows written before. The formula is
//! repeated here because migrations depend on no Keyward crate; keyward-store's tests check
//! that both agree. The down migration keeps the hashes: the secrets cannot be recovered, and
//! nothing needs them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshTokenFamilies {
    Table,
    SessionId,
}

/// The stored id of the session whose cookie carries `secret`: base64url(SHA-256 of a
/// domain label and the secret). Must stay identical to keyward-identity's `stored_id`.
pub fn stored_session_id(secret: &str) -> String {
    let mut input = Vec::with_capacity(SESSION_ID_DOMAIN.len() + secret.len());
    input.extend_from_slice(SESSION_ID_DOMAIN.as_bytes());
    input.extend_from_slice(secret.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The domain label of [`stored_session_id`] (keyward-identity's `STORED_ID_DOMAIN`).
pub const SESSION_ID_DOMAIN: &str = "keyward/browser-session/stored-id/v1\0";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let distinct = Query::select()
            .distinct()
            .column(RefreshTokenFamilies::SessionId)
            .from(RefreshTokenFamilies::Table)
            .and_where(Expr::col(RefreshTokenFamilies::SessionId).is_not_null())
            .to_owned();
        let rows = db.query_all(&distinct).await?;
        for row in rows {
            let secret: String = row.try_get("", "session_id")?;
            let update = Query::update()
                .table(RefreshTokenFamilies::Table)
                .value(RefreshTokenFamilies::SessionId, stored_session_id(&secret))
                .and_where(Expr::col(RefreshTokenFamilies::SessionId).eq(secret))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
