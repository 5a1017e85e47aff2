//! keyward-admin: the admin use-cases (tenants, clients, users, roles, providers, keys,
//! audit), each one `permit -> validate -> port call`, shared by the admin API and the
//! console. It may use the other core crates and never actix-web, sea-orm, redis, lettre or
//! leptos.
//!
//! Status: the command line drives tenants, clients, users and keys directly through the
//! ports today (crates/keyward/src/commands); those flows move here, behind keyward-authz's
//! permit, with the admin-plane issue.
