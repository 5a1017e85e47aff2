//! Fresh, isolated databases for tests: an in-memory SQLite always, and a brand-new PostgreSQL
//! database when `KEYWARD_TEST_DATABASE_URL` names a server. Every test gets its own database,
//! so tests never share rows and can run in any order and in parallel.
//!
//! A configured backend that cannot be reached panics instead of being skipped: a green run
//! must mean the tests really ran on every backend that was asked for.

use keyward_store::SqlStore;
use tempfile::TempDir;
use url::Url;

/// The variable naming a PostgreSQL server (any database on it) to create test databases on.
pub const DATABASE_URL_VAR: &str = "KEYWARD_TEST_DATABASE_URL";

/// A fresh database with a store connected to it. Call [`TestDb::cleanup`] at the end of the
/// test; a panicking test leaves its database behind (PostgreSQL names start `keyward_t_`).
pub struct TestDb {
    pub store: SqlStore,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The database vanishes with its only connection.
    Memory,
    /// The database file lives in this directory, removed on drop.
    File { dir: TempDir, url: String },
    /// `name` was created on the server at `admin_url` and is dropped at cleanup.
    Postgres {
        admin_url: String,
        url: String,
        name: String,
    },
}

impl TestDb {
    /// A fresh in-memory SQLite database, migrated.
    pub async fn sqlite() -> TestDb {
        let store = SqlStore::connect("sqlite::memory:")
            .await
            .expect("open in-memory SQLite");
        store.migrate().await.expect("migrate in-memory SQLite");
        TestDb {
            store,
            cleanup: Cleanup::Memory,
        }
    }

    /// `None` unless `KEYWARD_TEST_DATABASE_URL` is set; else a fresh database on that server,
    /// migrated.
    pub async fn postgres() -> Option<TestDb> {
        let db = Self::postgres_unmigrated().await?;
        db.store
            .migrate()
            .await
            .expect("migrate the PostgreSQL test database");
        Some(db)
    }

    /// SQLite, plus PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![Self::sqlite().await];
        dbs.extend(Self::postgres().await);
        dbs
    }

    /// Fresh databases with no schema at all, for testing the migrator itself: a SQLite file
    /// in a temporary directory (so several pools can open it), plus PostgreSQL when configured.
    pub async fn all_unmigrated() -> Vec<TestDb> {
        let mut dbs = vec![Self::sqlite_file_unmigrated().await];
        dbs.extend(Self::postgres_unmigrated().await);
        dbs
    }

    /// A second, independent pool on the same database, as a second node would open.
    /// Panics for in-memory SQLite, which no other pool can see.
    pub async fn connect_again(&self) -> SqlStore {
        let url = match &self.cleanup {
            Cleanup::Memory => panic!("an in-memory SQLite database cannot be opened twice"),
            Cleanup::File { url, .. } | Cleanup::Postgres { url, .. } => url,
        };
        SqlStore::connect(url)
            .await
            .expect("open a second pool on the test database")
    }

    /// The URL another process can open this database with (`None` for in-memory SQLite).
    pub fn url(&self) -> Option<&str> {
        match &self.cleanup {
            Cleanup::Memory => None,
            Cleanup::File { url, .. } | Cleanup::Postgres { url, .. } => Some(url),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.store.backend_name()
    }

    /// Closes the pool and drops the database.
    pub async fn cleanup(self) {
        self.store.close().await.expect("close the test store");
        match self.cleanup {
            Cleanup::Memory => {}
            Cleanup::File { dir, .. } => drop(dir),
            Cleanup::Postgres {
                admin_url, name, ..
            } => {
                let admin = connect_admin(&admin_url).await;
                execute(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await;
                admin
                    .close()
                    .await
                    .expect("close the PostgreSQL admin connection");
            }
        }
    }

    async fn sqlite_file_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("keyward.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = SqlStore::connect(&url).await.expect("open SQLite file");
        TestDb {
            store,
            cleanup: Cleanup::File { dir, url },
        }
    }

    async fn postgres_unmigrated() -> Option<TestDb> {
        let admin_url = std::env::var(DATABASE_URL_VAR)
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!("keyward_t_{}", uuid::Uuid::new_v4().simple());
        let admin = connect_admin(&admin_url).await;
        execute(&admin, &format!("CREATE DATABASE \"{name}\"")).await;
        admin
            .close()
            .await
            .expect("close the PostgreSQL admin connection");

        let mut url = Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let store = SqlStore::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open the fresh PostgreSQL database {name}: {e}"));
        Some(TestDb {
            store,
            cleanup: Cleanup::Postgres {
                admin_url,
                url,
                name,
            },
        })
    }
}

async fn connect_admin(admin_url: &str) -> SqlStore {
    SqlStore::connect(admin_url).await.unwrap_or_else(|e| {
        panic!(
            "{DATABASE_URL_VAR} is set but the PostgreSQL server cannot be reached ({e}); \
             unset it to run the tests on SQLite only"
        )
    })
}

async fn execute(store: &SqlStore, sql: &str) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    store
        .connection()
        .execute_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
