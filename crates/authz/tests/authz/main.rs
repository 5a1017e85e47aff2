#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Single-node tests have nobody to announce policy changes to.
#![allow(unused_must_use)]
//! keyward-authz behaviour, in one test binary: the admin plane (deny by default, the built-in
//! roles, the tenant isolation matrix), the application plane (batched AuthZEN evaluation,
//! tenant isolation), persistence on every configured database, and propagation between two
//! nodes through every configured cache.

mod admin;
mod application;
mod fixture;
mod persistence;
mod propagation;
