//! Connecting to the database, running migrations, and mapping database errors.

use keyward_core::StoreError;
use sea_orm::{DatabaseConnection, DbErr};

/// The durable store: one sea-orm connection pool on SQLite or PostgreSQL. It implements
/// every durable port; each port's implementation lives in its own module.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(crate) db: DatabaseConnection,
}

impl SqlStore {
    /// The underlying connection, for the migrator and the Casbin adapter.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// Maps a sea-orm error onto the port's error: unique violations become `Conflict`,
/// the rest `Backend` (the message goes to logs, never to a client).
pub(crate) fn map_db_err(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => StoreError::Conflict(msg),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) => StoreError::Conflict(msg),
        _ => StoreError::Backend(err.to_string()),
    }
}
