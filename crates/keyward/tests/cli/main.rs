//! The `keyward` binary driven as users script it: every command, its `--json` output, and
//! its error exits. Each test gets its own data directory (and, when
//! KEYWARD_TEST_DATABASE_URL is set, the PostgreSQL variants their own database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod commands;
mod config_errors;
mod harness;
mod serve;
