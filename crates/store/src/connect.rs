//! Connecting to the database, running migrations, and mapping database errors.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::StoreError;
use keyward_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
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
///
/// [`SqlStore::begin`] gives a store whose every port call runs in one transaction (the
/// admin use-cases write a change and its audit event that way); [`SqlStore::commit`] ends
/// it. Dropping it uncommitted rolls back.
#[derive(Clone, Debug)]
pub struct SqlStore {
    /// Where statements go: the pool, or this store's transaction.
    pub(crate) db: Db,
    /// The pool itself, also for a transaction's store (the migrator, the Casbin adapter).
    pub(crate) pool: DatabaseConnection,
    /// PostgreSQL only: the audit writer's own connections (see [`audit_pool`]); `None` on
    /// SQLite and inside a transaction (whose events go with its other statements).
    pub(crate) audit: Option<PgPool>,
}

/// The pool, or one transaction on it. Store code runs its statements on `&self.db` either
/// way; a transaction begun on a transaction is a savepoint.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Pool(DatabaseConnection),
    Tx(Arc<DatabaseTransaction>),
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Db::Pool(c) => c.get_database_backend(),
            Db::Tx(t) => t.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Db::Pool(c) => c.execute_raw(stmt).await,
            Db::Tx(t) => t.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Db::Pool(c) => c.execute_unprepared(sql).await,
            Db::Tx(t) => t.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Db::Pool(c) => c.query_one_raw(stmt).await,
            Db::Tx(t) => t.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Db::Pool(c) => c.query_all_raw(stmt).await,
            Db::Tx(t) => t.query_all_raw(stmt).await,
        }
    }
}

impl Db {
    /// A transaction on the pool, or a savepoint in this transaction.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        match self {
            Db::Pool(c) => c.begin().await,
            Db::Tx(t) => t.begin().await,
        }
    }

    /// [`Db::begin`] with options; inside a transaction the options are the outer one's.
    pub(crate) async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        match self {
            Db::Pool(c) => c.begin_with_options(options).await,
            Db::Tx(t) => t.begin().await,
        }
    }

    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        match self {
            Db::Pool(c) => c.ping().await,
            Db::Tx(t) => t.execute_unprepared("SELECT 1").await.map(|_| ()),
        }
    }
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
        Ok(SqlStore {
            db: Db::Pool(db.clone()),
            pool: db,
            audit,
        })
    }

    /// A store whose every port call runs in one new transaction, until [`SqlStore::commit`].
    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so it
    /// never fails half-way for a writer that came in between.
    pub async fn begin(&self) -> Result<SqlStore, StoreError> {
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(map_db_err)?;
        Ok(SqlStore {
            db: Db::Tx(Arc::new(txn)),
            pool: self.pool.clone(),
            audit: None,
        })
    }

    /// Commits a store from [`SqlStore::begin`] (a store on the pool has nothing to commit).
    /// Fails, rolling back, while a clone of this store is still alive.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.db {
            Db::Pool(_) => Ok(()),
            Db::Tx(txn) => match Arc::try_unwrap(txn) {
                Ok(txn) => txn.commit().await.map_err(map_db_err),
                Err(_) => Err(StoreError::Backend(
                    "a transaction was committed while a copy of it was in use".to_owned(),
                )),
            },
        }
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
                Migrator::up(&self.pool, None).await.map_err(map_db_err)
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
        self.pool.close().await.map_err(map_db_err)
    }

    /// The underlying connection, for the migrator and the Casbin adapter.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.pool
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

/// An admin change and its audit event in one transaction (keyward-admin's port).
struct SqlWork(SqlStore);

#[async_trait::async_trait]
impl keyward_admin::AdminWork for SqlWork {
    fn tenants(&self) -> &dyn keyward_core::TenantStore {
        &self.0
    }
    fn clients(&self) -> &dyn keyward_oauth::ClientStore {
        &self.0
    }
    fn users(&self) -> &dyn keyward_identity::UserStore {
        &self.0
    }
    fn keys(&self) -> &dyn keyward_oauth::SigningKeyStore {
        &self.0
    }
    fn providers(&self) -> &dyn keyward_federation::IdentityProviderStore {
        &self.0
    }
    fn consents(&self) -> &dyn keyward_oauth::ConsentStore {
        &self.0
    }
    fn refresh_tokens(&self) -> &dyn keyward_oauth::RefreshTokenStore {
        &self.0
    }
    fn audit(&self) -> &dyn keyward_core::AuditLog {
        &self.0
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await
    }
}

#[async_trait::async_trait]
impl keyward_admin::AdminTransactions for SqlStore {
    async fn begin_work(&self) -> Result<Box<dyn keyward_admin::AdminWork>, StoreError> {
        Ok(Box::new(SqlWork(self.begin().await?)))
    }
}

/// `platform_meta` keys counting changes that nodes keep in memory, so a node can tell it
/// missed one whatever messages it got: policies (the Casbin rules) and the directory
/// (tenants, clients, signing keys). A write counts up its key in its own transaction when
/// it is part of one (the admin use-cases, the CLI), otherwise right after.
pub const POLICY_VERSION_KEY: &str = "policy_version";
pub const DIRECTORY_VERSION_KEY: &str = "directory_version";

/// Counts up `key` (a constant of this module) in `platform_meta`, creating it at 1.
pub(crate) async fn count_up(conn: &impl ConnectionTrait, key: &'static str) -> Result<(), DbErr> {
    let sql = format!(
        "INSERT INTO platform_meta (\"key\", \"value\") VALUES ('{key}', '1') \
         ON CONFLICT (\"key\") DO UPDATE SET \"value\" = \
         CAST(CAST(platform_meta.\"value\" AS BIGINT) + 1 AS TEXT)"
    );
    conn.execute_unprepared(&sql).await.map(|_| ())
}

/// The change counters as one node read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeVersions {
    pub policy: i64,
    pub directory: i64,
}

impl SqlStore {
    /// Counts up `key` on this store's connection (inside its transaction, if any).
    pub(crate) async fn count_change(&self, key: &'static str) -> Result<(), StoreError> {
        count_up(&self.db, key).await.map_err(map_db_err)
    }

    /// Both change counters, in one query (0 before the first change).
    pub async fn change_versions(&self) -> Result<ChangeVersions, StoreError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = crate::entity::platform_meta::Entity::find()
            .filter(
                crate::entity::platform_meta::Column::Key
                    .is_in([POLICY_VERSION_KEY, DIRECTORY_VERSION_KEY]),
            )
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let mut versions = ChangeVersions::default();
        for row in rows {
            let n: i64 = row.value.parse().map_err(|_| {
                StoreError::Corrupt(format!(
                    "platform_meta.{} is not a number: {}",
                    row.key, row.value
                ))
            })?;
            match row.key.as_str() {
                POLICY_VERSION_KEY => versions.policy = n,
                _ => versions.directory = n,
            }
        }
        Ok(versions)
    }
}
