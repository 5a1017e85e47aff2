//! keyward-authz: authorization, kept apart from authentication. Casbin behind a typed facade:
//! (actor, tenant, action, resource) -> Permit or Denied, with the tenant as the Casbin
//! domain; policy management; the decision API for applications. It knows actors, tenants,
//! actions and resources — never passwords, sessions or tokens — so it may use keyward-core
//! and casbin, never keyward-oauth, keyward-identity, actix-web, sea-orm, redis, lettre or
//! leptos.
//!
//! Status: the admin plane (built-in roles platform-admin, tenant-admin and tenant-viewer,
//! deny by default, typed `Permit`s checked under a read lock), the application plane (each
//! tenant's roles and permissions, AuthZEN-shaped batched evaluation, roles and permissions
//! for token claims) and cross-node propagation (`Channel::Policy`, `follow`) are in place;
//! policies persist through keyward-store's Casbin adapter. The admin use-cases live in
//! keyward-admin; the decision API is served at `POST {issuer}/authz/check` by
//! keyward-auth-server, and the `roles` / `permissions` token claims are read through
//! keyward-oauth's `AppClaims` port, implemented by the binary.

mod action;
mod actor;
mod admin_roles;
mod application;
mod authorizer;
mod error;
mod evaluation;
mod model;
mod permit;
mod propagation;
mod role;

pub use action::{AdminAction, ResourceKind};
pub use actor::Actor;
pub use application::{AppPermission, AppRole};
pub use authorizer::Authorizer;
pub use error::AuthzError;
pub use evaluation::{
    Action, Decision, Evaluation, EvaluationsRequest, EvaluationsResponse, PartialEvaluation,
    Resource, Subject,
};
pub use permit::{Denied, Permit};
pub use propagation::{PolicyChanged, follow};
pub use role::{AdminRole, TenantRole};
