//! keyward-admin: the admin use-cases (tenants, clients, users, admin roles, keys, audit),
//! each one `permit -> validate -> port call`, shared by the admin API and the CLI (which
//! calls them as the local operator, `Actor::Operator`). Every
//! use-case asks keyward-authz for a `Permit` itself — callers never authorize by URL — and
//! every mutation appends an audit event with before/after snapshots that carry no secret.
//! It may use the other core crates and never actix-web, sea-orm, redis, lettre or leptos.
//! Users' browser sessions are listed and ended here too (`sessions`), through
//! keyward-identity's per-user index; back-channel logout of an ended session is a port.

mod announce;
mod app_roles;
mod audit;
mod client_metadata;
mod clients;
mod consents;
mod error;
mod keys;
mod providers;
mod roles;
mod service;
mod sessions;
mod tenant_settings;
mod tenants;
mod users;
mod version;

pub use announce::Announcer;
pub use app_roles::{AppRoleInput, AppRoleView, PermissionView};
pub use audit::{AuditEventView, AuditQuery};
pub use clients::{ClientInput, ClientPatch, ClientView, CreatedClient};
pub use consents::ConsentView;
pub use error::{AdminError, FieldError};
pub use keys::{AlgRotationView, KeyView, RetiredKeyView, RotationView};
pub use providers::{ProviderInput, ProviderView};
pub use roles::{RoleAssignmentInput, RoleAssignmentView};
pub use service::{Admin, AdminPorts, AdminTransactions, AdminWork, Caller, PageView};
pub use sessions::{SessionLogout, SessionView};
pub use tenant_settings::{BrandingPatch, SettingsPatch};
pub use tenants::{TenantInput, TenantPatch, TenantView};
pub use users::{PasswordInput, UserInput, UserPatch, UserView};
pub use version::Version;
