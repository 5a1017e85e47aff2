//! keyward-store: the durable adapter. sea-orm entities and the implementations of the
//! storage ports declared by keyward-core, keyward-oauth, keyward-identity and
//! keyward-federation, plus Casbin's policy adapter, on SQLite (embedded default) and
//! PostgreSQL (production) through one code path. Every query on a tenant-owned table is
//! scoped by the tenant id it is given. It holds no business rules.

mod connect;
pub mod entity;

mod audit_log;
mod casbin_adapter;
mod client_store;
mod consent_store;
mod identity_provider_store;
mod linked_identity_store;
mod platform_store;
mod refresh_token_store;
mod signing_key_store;
mod tenant_store;
mod user_store;

pub use casbin_adapter::SqlCasbinAdapter;
pub use connect::{ChangeVersions, PostgresTuning, SqlStore};
