//! The command-line surface. Users script it: keep names and flags stable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a multi-tenant OAuth 2.0 / OpenID Connect identity platform"
)]
pub struct Cli {
    /// A TOML configuration file; environment variables override it.
    #[arg(long, global = true, env = "KEYWARD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, env = "KEYWARD_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the authorization server, admin API and console on one listener.
    Serve {
        /// Embedded defaults (SQLite + memory) and a seeded `demo` tenant to try every flow.
        #[arg(long)]
        dev: bool,
    },
    /// Apply database migrations (idempotent; also done by `serve`).
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage a tenant's clients (applications).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage a tenant's users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a tenant's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Platform administrators and service accounts (in the `system` tenant).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print one JSON value on stdout and nothing else.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TenantArg {
    /// The tenant's slug.
    #[arg(long, value_name = "SLUG")]
    pub tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with its first signing keys.
    Create {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and, once, its client_secret.
    Create {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long)]
        name: String,
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        #[arg(long = "grant-type", value_name = "G")]
        grant_types: Vec<String>,
        #[arg(long = "scope", value_name = "S")]
        scopes: Vec<String>,
        /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
        #[arg(long = "auth-method", value_name = "M")]
        auth_method: Option<String>,
        /// A client that cannot keep a secret (SPA, mobile, CLI); implies auth method none.
        #[arg(long)]
        public: bool,
        /// Trusted first-party application: no consent page.
        #[arg(long)]
        first_party: bool,
        /// Put the user's application roles in a `roles` claim of its user tokens.
        #[arg(long)]
        role_claims: bool,
        /// Put the user's application permissions in a `permissions` claim of its user tokens.
        #[arg(long)]
        permission_claims: bool,
        #[command(flatten)]
        out: Output,
    },
    /// List a tenant's clients.
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        out: Output,
    },
    /// Delete a client.
    Delete {
        #[command(flatten)]
        tenant: TenantArg,
        client_id: String,
        #[command(flatten)]
        out: Output,
    },
    /// Issue a new client secret; the old one stops working at once.
    RotateSecret {
        #[command(flatten)]
        tenant: TenantArg,
        client_id: String,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Set a user's password, read from the first line of standard input.
    SetPassword {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long)]
        username: String,
        /// Accepted for symmetry with `user create`; the password is always read from stdin.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        out: Output,
    },
    /// List users, optionally filtered by a substring of username or e-mail.
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Promote the published next key, retire the active one, publish a new next key.
    Rotate {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        out: Output,
    },
    /// List a tenant's signing keys (public parts only).
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user in the `system` tenant and make it a platform admin (the first admin).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Create a client_credentials client in the `system` tenant holding an admin role;
    /// prints its client_id and, once, its client_secret.
    ServiceAccount {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "platform-admin")]
        role: AdminRoleArg,
        /// The tenant a tenant-admin or tenant-viewer administers.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
        #[command(flatten)]
        out: Output,
    },
}

/// The built-in admin roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdminRoleArg {
    PlatformAdmin,
    TenantAdmin,
    TenantViewer,
}

impl From<AdminRoleArg> for keyward_authz::AdminRole {
    fn from(role: AdminRoleArg) -> Self {
        match role {
            AdminRoleArg::PlatformAdmin => Self::PlatformAdmin,
            AdminRoleArg::TenantAdmin => Self::TenantAdmin,
            AdminRoleArg::TenantViewer => Self::TenantViewer,
        }
    }
}

impl AdminRoleArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform-admin",
            Self::TenantAdmin => "tenant-admin",
            Self::TenantViewer => "tenant-viewer",
        }
    }
}

impl ClientCommand {
    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        match self {
            Self::Create { out, .. }
            | Self::List { out, .. }
            | Self::Delete { out, .. }
            | Self::RotateSecret { out, .. } => out.json,
        }
    }
}
