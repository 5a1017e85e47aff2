//! keyward-testkit (dev-only): port contract suites that every backend runs, fresh isolated
//! databases and Redis prefixes for them, a fixed clock, and (feature `app`)
//! the in-process test app that end-to-end tests start the real server with. Never a dependency of
//! production code, so it may panic: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "app")]
pub mod app;
pub mod cache_contract;
pub mod clock;
pub mod db;
pub mod store_contract;

pub use clock::FixedClock;
