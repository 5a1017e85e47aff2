//! sea-orm entities, one file per table. Tenant-owned tables carry `tenant_id`.

pub mod audit_event;
pub mod casbin_rule;
pub mod client;
pub mod consent;
pub mod identity_provider;
pub mod linked_identity;
pub mod platform_meta;
pub mod refresh_token;
pub mod refresh_token_family;
pub mod revoked_access_token;
pub mod signing_key;
pub mod tenant;
pub mod user;
