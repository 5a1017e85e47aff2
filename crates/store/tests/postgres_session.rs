//! Finding 23 of the security review: every PostgreSQL connection has a statement timeout and
//! TCP keepalive, configurable. Runs when KEYWARD_TEST_DATABASE_URL names a PostgreSQL server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use keyward_store::{PostgresTuning, SqlStore};
use keyward_testkit::db::TestDb;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn show(store: &SqlStore, setting: &str) -> String {
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SHOW {setting}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", setting).unwrap()
}

#[tokio::test]
async fn postgres_connections_have_a_statement_timeout_and_keepalive() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("KEYWARD_TEST_DATABASE_URL not set: PostgreSQL session settings not checked");
        return;
    };
    let url = db.url().unwrap().to_owned();

    let defaults = SqlStore::connect(&url).await.unwrap();
    assert_eq!(show(&defaults, "statement_timeout").await, "30s");
    if url.contains("127.0.0.1") || url.contains("localhost") {
        assert_eq!(show(&defaults, "tcp_keepalives_idle").await, "60");
    }

    let tuned = SqlStore::connect_with(
        &url,
        PostgresTuning {
            statement_timeout: Some(Duration::from_millis(300)),
            keepalive_idle: Some(Duration::from_secs(20)),
        },
    )
    .await
    .unwrap();
    assert_eq!(show(&tuned, "statement_timeout").await, "300ms");
    let slow = tuned
        .connection()
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_sleep(2)",
        ))
        .await;
    let err = slow.expect_err("a statement past the timeout is cancelled");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    // Migrations lift the timeout for their own transaction.
    tuned.migrate().await.unwrap();
    db.cleanup().await;
}
