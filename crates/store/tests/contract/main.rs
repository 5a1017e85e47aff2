//! The durable-port contract suites (from keyward-testkit) run against every backend:
//! SQLite always, PostgreSQL when KEYWARD_TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod core_ports;
mod protocol_ports;
