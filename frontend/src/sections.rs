//! The sections of the console: one list feeds both the navigation and the page texts, so a
//! link can never lead to a page that says something else.

/// One area of the console.
#[derive(Debug, PartialEq, Eq)]
pub struct Section {
    /// The path of the section's page, under `/admin/`.
    pub path: &'static str,
    /// The navigation label and page heading.
    pub title: &'static str,
    /// What the section will let an administrator do.
    pub purpose: &'static str,
}

pub const TENANTS: Section = Section {
    path: "/admin/tenants",
    title: "Tenants",
    purpose: "Create tenants, each with its own issuer, keys, users and settings.",
};

pub const CLIENTS: Section = Section {
    path: "/admin/clients",
    title: "Clients",
    purpose: "Register applications, their redirect URIs, grant types and secrets.",
};

pub const USERS: Section = Section {
    path: "/admin/users",
    title: "Users",
    purpose: "Find, create, disable and reset the end users of a tenant.",
};

pub const ROLES: Section = Section {
    path: "/admin/roles",
    title: "Roles",
    purpose: "Define roles and the permissions they grant within a tenant.",
};

pub const IDENTITY_PROVIDERS: Section = Section {
    path: "/admin/identity-providers",
    title: "Identity providers",
    purpose: "Connect upstream social and enterprise identity providers.",
};

pub const KEYS: Section = Section {
    path: "/admin/keys",
    title: "Keys",
    purpose: "Inspect and rotate the signing keys published in a tenant's JWKS.",
};

pub const AUDIT: Section = Section {
    path: "/admin/audit",
    title: "Audit",
    purpose: "Review who changed what, and when.",
};

/// Every section, in navigation order.
pub const ALL: [&Section; 7] = [
    &TENANTS,
    &CLIENTS,
    &USERS,
    &ROLES,
    &IDENTITY_PROVIDERS,
    &KEYS,
    &AUDIT,
];
