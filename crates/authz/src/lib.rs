//! keyward-authz: authorization, kept apart from authentication. Casbin behind a typed facade:
//! (actor, tenant, action, resource) -> Permit or Denied, with the tenant as the Casbin
//! domain; policy management; the decision API for applications. It knows actors, tenants,
//! actions and resources — never passwords, sessions or tokens — so it may use keyward-core
//! and casbin, never keyward-oauth, keyward-identity, actix-web, sea-orm, redis, lettre or
//! leptos.
//!
//! Status: the policy table and its sea-orm-backed Casbin adapter exist (keyward-store); the
//! facade, the built-in admin roles and the decision API arrive with the admin-plane issue.
