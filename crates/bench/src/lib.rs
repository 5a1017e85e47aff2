//! keyward-bench drives any OAuth 2.0 / OpenID Connect server through its standard endpoints
//! only (discovery, token, introspection, JWKS) and reports throughput, latency percentiles and
//! errors — plus one Keyward-specific scenario, full-login, which signs in through Keyward's
//! hosted pages by scraping them (see [`login`]). It is responsible for generating bounded load against loopback targets and for
//! summarising what it saw; it may not depend on any Keyward crate, so that the same tool measures
//! Keyward and the servers it is compared with on equal terms.

pub mod config;
pub mod endpoints;
pub mod login;
pub mod prepared;
pub mod report;
pub mod runner;
pub mod scenario;

pub use config::{Args, Config, ConfigError};
