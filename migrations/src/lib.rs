//! keyward-migrations: the schema of Keyward's durable store, as sea-orm-migration steps
//! written with the schema builder, so one definition serves SQLite and PostgreSQL. It owns
//! table shapes only: no business rules, and no dependency on any other Keyward crate.
//! keyward-store runs the [`Migrator`] under a lock so that nodes starting together do not race.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_core_tables;
mod m20261124_000002_protocol_tables;

/// Every migration, oldest first. Applied migrations are recorded in `seaql_migrations`,
/// so running the migrator again is a no-op.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_core_tables::Migration),
            Box::new(m20261124_000002_protocol_tables::Migration),
        ]
    }
}
