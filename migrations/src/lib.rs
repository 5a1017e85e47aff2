//! keyward-migrations: the schema of Keyward's durable store, as sea-orm-migration steps
//! written with the schema builder, so one definition serves SQLite and PostgreSQL. It owns
//! table shapes (and the conversion of existing rows a change of shape or meaning needs): no
//! business rules, and no dependency on any other Keyward crate.
//! keyward-store runs the [`Migrator`] under a lock so that nodes starting together do not race.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_core_tables;
mod m20261124_000002_protocol_tables;
mod m20261203_000020_session_id_hashes;
mod m20261203_000030_admin_tokens;
mod m20261204_000040_revoked_access_tokens;

/// The session-id hash of migration 20 and the migration itself, for keyward-store's tests
/// (which check the hash agrees with keyward-identity's and that rows are converted).
#[doc(hidden)]
pub mod session_id_hashes {
    pub use crate::m20261203_000020_session_id_hashes::{
        Migration, SESSION_ID_DOMAIN, stored_session_id,
    };
}

/// Every migration, oldest first. Applied migrations are recorded in `seaql_migrations`,
/// so running the migrator again is a no-op.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_core_tables::Migration),
            Box::new(m20261124_000002_protocol_tables::Migration),
            Box::new(m20261203_000020_session_id_hashes::Migration),
            Box::new(m20261203_000030_admin_tokens::Migration),
            Box::new(m20261204_000040_revoked_access_tokens::Migration),
        ]
    }
}
