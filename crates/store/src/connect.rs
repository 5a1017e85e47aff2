//! Connecting to the database, running migrations, and mapping database errors.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use keyward_core::StoreError;
use keyward_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// The key of the PostgreSQL advisory lock that serialises migrations across nodes
/// ("keyward" in ASCII, so it is recognisable in `pg_locks`).
const MIGRATION_LOCK_KEY: i64 = 0x6b_6579_7761_7264;

/// How long a SQLite connection waits for another writer before failing with "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle this long is pinged before it is handed out (one dropped by the
/// server or a proxy is replaced); a busy one is not — pinging on every checkout, sea-orm's
/// default, costs a round trip per statement outside a transaction.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// The durable store: one sea-orm connection pool on SQLite or PostgreSQL. It implements
/// every durable port; each port's implementation lives in its own module.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(crate) db: DatabaseConnection,
    /// PostgreSQL only: the audit writer's own connections (see [`audit_pool`]); `None` on
    /// SQLite.
    pub(crate) audit: Option<PgPool>,
}

impl SqlStore {
    /// Opens a pool for `sqlite://PATH?mode=rwc`, `sqlite::memory:` or `postgres://...`.
    ///
    /// Statement logging is off: sqlx would log every statement at INFO, drowning the
    /// request log. SQLite gets foreign keys (the cascades depend on them), a busy timeout,
    /// and WAL for files so readers do not block the writer. An in-memory database lives only
    /// as long as a connection to it, and each connection would see its own: so it gets
    /// exactly one connection that never idles out or expires.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        Self::connect_with(url, PostgresTuning::default()).await
    }

    /// [`SqlStore::connect`] with PostgreSQL session settings (ignored on SQLite).
    pub async fn connect_with(url: &str, tuning: PostgresTuning) -> Result<SqlStore, StoreError> {
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false)
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
        if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            opts.map_sqlx_sqlite_opts(move |o| {
                let o = o.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT);
                if in_memory {
                    o
                } else {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                }
            });
            if in_memory {
                opts.max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None::<Duration>)
                    .max_lifetime(None::<Duration>);
            } else {
                opts.max_connections(8).min_connections(1);
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            opts.max_connections(16)
                .connect_timeout(Duration::from_secs(5))
                .acquire_timeout(Duration::from_secs(5))
                .map_sqlx_postgres_opts(move |o| tuning.apply(o));
        } else {
            return Err(StoreError::Backend(
                "unsupported database URL: expected sqlite:// or postgres://".to_owned(),
            ));
        }
        let db = Database::connect(opts).await.map_err(map_db_err)?;
        let audit = match db.get_database_backend() {
            DbBackend::Postgres => Some(audit_pool(url, tuning)?),
            _ => None,
        };
        Ok(SqlStore { db, audit })
    }

    /// Applies pending migrations. Idempotent, and safe when several nodes start at once.
    ///
    /// PostgreSQL: everything runs in one transaction holding a transaction-scoped advisory
    /// lock, so the lock and the migration share one connection and the lock is released by
    /// the commit or rollback, whatever happens. PostgreSQL DDL is transactional, so a failed
    /// migration leaves nothing behind. SQLite: an exclusive lock on a file next to the
    /// database serialises migrators across processes (an in-memory database needs none).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let txn = self.db.begin().await.map_err(map_db_err)?;
                // Waiting for another node's migration and the migration itself may take
                // longer than a request's statement timeout: lifted for this transaction only.
                txn.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SET LOCAL statement_timeout = 0",
                ))
                .await
                .map_err(map_db_err)?;
                txn.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"),
                ))
                .await
                .map_err(map_db_err)?;
                Migrator::up(&txn, None).await.map_err(map_db_err)?;
                txn.commit().await.map_err(map_db_err)
            }
            _ => {
                let _lock = match self.sqlite_file().await? {
                    Some(path) => Some(lock_exclusive(lock_path_for(path)).await?),
                    None => None,
                };
                Migrator::up(&self.db, None).await.map_err(map_db_err)
                // `_lock` drops here, releasing the file lock.
            }
        }
    }

    /// `"sqlite"` or `"postgres"`, for logs and diagnostics.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Postgres => "postgres",
            DbBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(self) -> Result<(), StoreError> {
        if let Some(audit) = &self.audit {
            audit.close().await;
        }
        self.db.close().await.map_err(map_db_err)
    }

    /// The underlying connection, for the migrator and the Casbin adapter.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The path of the main SQLite database file, or `None` when it lives in memory.
    async fn sqlite_file(&self) -> Result<Option<PathBuf>, StoreError> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            ))
            .await
            .map_err(map_db_err)?;
        let file: Option<String> = match row {
            Some(row) => row.try_get("", "file").map_err(map_db_err)?,
            None => None,
        };
        Ok(file.filter(|f| !f.is_empty()).map(PathBuf::from))
    }
}

/// Batches of audit events on PostgreSQL go through up to two connections of their own,
/// opened when first needed, so the audit writer never competes with requests for the main
/// pool's connections.
fn audit_pool(url: &str, tuning: PostgresTuning) -> Result<PgPool, StoreError> {
    let options = tuning.apply(
        PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database URL: {e}")))?
            .application_name("keyward-audit"),
    );
    Ok(PgPoolOptions::new()
        .max_connections(2)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options))
}

/// Session settings of every PostgreSQL connection, sent in the startup packet so they hold
/// from the first statement: `statement_timeout` (a statement running longer is cancelled by
/// the server, so a stuck query cannot hold a connection and a request forever) and the
/// server's TCP keepalive for the connection (`tcp_keepalives_idle` / `_interval`, so the server
/// drops connections of a node that vanished). sqlx has no client-side keepalive option; a
/// connection idle for 30 s is pinged before use instead (`test_before_acquire_if_idle_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresTuning {
    /// `None`: no timeout (`statement_timeout = 0`).
    pub statement_timeout: Option<Duration>,
    /// `None`: the server's defaults.
    pub keepalive_idle: Option<Duration>,
}

impl PostgresTuning {
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_KEEPALIVE_IDLE: Duration = Duration::from_secs(60);

    fn apply(self, options: PgConnectOptions) -> PgConnectOptions {
        let mut settings = vec![(
            "statement_timeout",
            format!("{}ms", self.statement_timeout.map_or(0, |t| t.as_millis())),
        )];
        if let Some(idle) = self.keepalive_idle {
            let secs = idle.as_secs().max(1);
            settings.push(("tcp_keepalives_idle", secs.to_string()));
            settings.push(("tcp_keepalives_interval", (secs / 4).max(1).to_string()));
        }
        options.options(settings)
    }
}

impl Default for PostgresTuning {
    fn default() -> Self {
        Self {
            statement_timeout: Some(Self::DEFAULT_STATEMENT_TIMEOUT),
            keepalive_idle: Some(Self::DEFAULT_KEEPALIVE_IDLE),
        }
    }
}

/// The migration lock file sits beside the database, so every process opening that database
/// agrees on it.
fn lock_path_for(db_file: PathBuf) -> PathBuf {
    let mut name = db_file.into_os_string();
    name.push(".migrate-lock");
    PathBuf::from(name)
}

/// Takes an exclusive advisory lock on `path`, released when the returned file is dropped.
/// Blocking waits happen on the blocking pool, so a migrator waiting for another one in the
/// same process does not stall the async runtime that the holder needs to finish.
async fn lock_exclusive(path: PathBuf) -> Result<std::fs::File, StoreError> {
    let locked = tokio::task::spawn_blocking(move || {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("migration lock task failed: {e}")))?;
    locked.map_err(|e| StoreError::Backend(format!("cannot take the migration lock: {e}")))
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

/// A stored row that no longer parses into its domain type: reported, never a panic.
pub(crate) fn corrupt(table: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table}: {detail}"))
}
