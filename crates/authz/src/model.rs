//! The Casbin model: two planes in one enforcer, never mixed.
//!
//! - **Admin plane** (`r`, `p`, `g`, `m`): RBAC with domains, the domain being a tenant id.
//!   A request is (subject, tenant, resource kind, action). Built-in roles hold permissions in
//!   the domain `*`, meaning "in whichever tenant the role is held"; a role held in the domain
//!   `*` (platform-admin) applies in every tenant.
//! - **Application plane** (`r2`, `p2`, `g2`, `m2`): each tenant's own roles for its end users,
//!   named `app:{name}`, with permissions on (resource, action) strings the tenant chooses. A
//!   request is (subject, tenant, resource type, `type:id`, action); a permission names either
//!   a resource type or one resource `type:id`. Roles and permissions match only in the tenant
//!   that defined them: there is no wildcard domain on this plane.
//!
//! Casbin shares one role manager between `g` and `g2`, so the planes are also kept apart by
//! name: admin roles are the fixed names of [`crate::AdminRole`], application roles always
//! start with `app:`, subjects with `user:` or `client:`, and no rule ever links one kind of
//! role to another.

/// The model text, loaded with `DefaultModel::from_str`.
pub(crate) const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act
r2 = sub, dom, typ, res, act

[policy_definition]
p = sub, dom, obj, act
p2 = sub, dom, obj, act

[role_definition]
g = _, _, _
g2 = _, _, _

[policy_effect]
e = some(where (p.eft == allow))
e2 = some(where (p.eft == allow))

[matchers]
m = (g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*")) && (p.dom == "*" || p.dom == r.dom) && r.obj == p.obj && r.act == p.act
m2 = g2(r2.sub, p2.sub, r2.dom) && r2.dom == p2.dom && (p2.obj == r2.typ || p2.obj == r2.res) && r2.act == p2.act
"#;

/// The domain of rules that hold in every tenant (admin plane only).
pub(crate) const EVERY_TENANT: &str = "*";

/// Admin-plane rule types.
pub(crate) const ADMIN_POLICY: &str = "p";
pub(crate) const ADMIN_GROUPING: &str = "g";

/// Application-plane rule types and the suffix of their request, effect and matcher.
pub(crate) const APP_POLICY: &str = "p2";
pub(crate) const APP_GROUPING: &str = "g2";
pub(crate) const APP_CONTEXT: &str = "2";

/// Every (section, rule type) the model defines, for snapshots.
pub(crate) const RULE_TYPES: [(&str, &str); 4] = [
    ("p", ADMIN_POLICY),
    ("p", APP_POLICY),
    ("g", ADMIN_GROUPING),
    ("g", APP_GROUPING),
];
