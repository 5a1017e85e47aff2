//! `serve --dev`: a `demo` tenant with one user and a client for every flow, and a printout
//! of how to try them. Running it again keeps the data and issues fresh client secrets, so the
//! printed instructions always work.

use keyward_admin::{ClientInput, SettingsPatch, TenantPatch};
use keyward_core::{TenantSlug, TenantStore};
use keyward_oauth::ClientStore;
use keyward_oauth::admin_api::ADMIN_SCOPE;

use crate::failure::Failure;
use crate::operator::{Operator, failure};
use crate::startup::Platform;

pub const DEMO_TENANT: &str = "demo";
pub const DEMO_USER: &str = "demo";
/// Only ever used by `--dev`, which listens on loopback by default.
pub const DEMO_PASSWORD: &str = "demo-password";

struct DemoClient {
    name: &'static str,
    grant_types: &'static [&'static str],
    redirect_uri: Option<&'static str>,
    public: bool,
    first_party: bool,
    scopes: &'static [&'static str],
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "Demo web app (code + PKCE, confidential)",
        grant_types: &["authorization_code", "refresh_token"],
        redirect_uri: Some("http://127.0.0.1:3000/callback"),
        public: false,
        first_party: false,
        scopes: &[],
    },
    DemoClient {
        name: "Demo SPA (code + PKCE, public)",
        grant_types: &["authorization_code", "refresh_token"],
        redirect_uri: Some("http://127.0.0.1:3000/spa/callback"),
        public: true,
        first_party: true,
        scopes: &[],
    },
    DemoClient {
        name: "Demo implicit (id_token, form_post)",
        grant_types: &["implicit"],
        redirect_uri: Some("http://127.0.0.1:3000/form_post"),
        public: true,
        first_party: false,
        scopes: &["openid", "profile", "email"],
    },
    DemoClient {
        name: "Demo service (client credentials)",
        grant_types: &["client_credentials"],
        redirect_uri: None,
        public: false,
        first_party: false,
        scopes: &["api:read", "api:write"],
    },
    DemoClient {
        name: "Demo TV (device authorization)",
        grant_types: &[
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token",
        ],
        redirect_uri: None,
        public: true,
        first_party: false,
        scopes: &["openid", "profile", "offline_access"],
    },
    DemoClient {
        name: "Demo legacy (resource owner password)",
        grant_types: &["password", "refresh_token"],
        redirect_uri: None,
        public: false,
        first_party: true,
        scopes: &["openid", "profile", "email", "offline_access"],
    },
];

/// A client `--dev` made or refreshed, with its fresh secret (for secret-based clients).
#[derive(Debug, Clone)]
pub struct SeededClient {
    pub name: &'static str,
    pub client_id: String,
    pub secret: Option<String>,
}

/// What `--dev` seeded: the demo tenant's clients and the platform-admin service account.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub clients: Vec<SeededClient>,
    pub admin: SeededClient,
    try_url: String,
    try_device: String,
}

impl Seeded {
    /// The demo client whose name starts with `name`.
    pub fn client(&self, name: &str) -> Option<&SeededClient> {
        self.clients.iter().find(|c| c.name.starts_with(name))
    }

    /// Prints how to try the demo tenant and the admin API (stderr, like the logs).
    pub fn print(&self, platform: &Platform) {
        let line = |c: &SeededClient| {
            let mut line = format!("  {:<44} client_id={}", c.name, c.client_id);
            if let Some(secret) = &c.secret {
                line.push_str(&format!(" client_secret={secret}"));
            }
            line
        };
        let lines: Vec<String> = self.clients.iter().map(line).collect();
        let issuer = platform.config.issuer(DEMO_TENANT);
        let base = &platform.config.public_url;
        eprintln!(
            "\nKeyward dev mode — embedded SQLite in {data} and in-memory state.\n\
             \n  issuer   {issuer}\n  JWKS     {issuer}/jwks\n  health   {base}/healthz  {base}/readyz  {base}/metrics\n  console  {base}/admin/\n\
             \n  user     {DEMO_USER} / {DEMO_PASSWORD}\n\nclients (secrets are fresh on every --dev start):\n{clients}\n{try_url}{try_device}\
             \nTry: keyward tenant list --json\n     keyward client list --tenant demo\n\n{admin}\n",
            data = platform.config.data_dir.display(),
            clients = lines.join("\n"),
            try_url = self.try_url,
            try_device = self.try_device,
            admin = admin_instructions(platform, &self.admin),
        );
    }
}

/// Seeds (or refreshes) the demo tenant and the dev admin service account, through the
/// admin use-cases as the local operator (so each step is validated and audited).
pub async fn seed(platform: &Platform) -> Result<Seeded, Failure> {
    let operator = Operator::new(platform).await?;
    let slug = TenantSlug::parse(DEMO_TENANT).map_err(|e| Failure::Internal(e.to_string()))?;
    let existing = TenantStore::by_slug(&platform.store, &slug)
        .await
        .map_err(|e| Failure::store("demo tenant", e))?;
    let demo = match existing {
        Some(t) => t,
        None => {
            let t = operator.create_tenant(DEMO_TENANT, Some("Demo")).await?;
            let patch = TenantPatch {
                settings: Some(SettingsPatch {
                    password_grant_enabled: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            };
            operator
                .admin
                .update_tenant(&operator.caller, DEMO_TENANT, &patch, None)
                .await
                .map_err(|e| failure(e, || "the demo tenant vanished".to_owned()))?;
            operator
                .create_user(
                    DEMO_TENANT,
                    DEMO_USER,
                    Some("demo@example.com"),
                    Some(DEMO_PASSWORD),
                )
                .await?;
            t
        }
    };

    let existing = ClientStore::list(
        &platform.store,
        demo.id,
        &keyward_core::PageRequest::first(100),
    )
    .await
    .map_err(|e| Failure::store("demo clients", e))?
    .items;
    let mut clients = Vec::new();
    let mut try_url = String::new();
    let mut try_device = String::new();
    for spec in CLIENTS {
        let (client_id, secret) = match existing.iter().find(|c| c.name.as_str() == spec.name) {
            Some(c) if c.auth_method.uses_secret() => {
                let secret = operator
                    .rotate_client_secret(DEMO_TENANT, c.client_id.as_str())
                    .await?;
                (c.client_id.to_string(), Some(secret))
            }
            Some(c) => (c.client_id.to_string(), None),
            None => {
                let input = ClientInput {
                    name: spec.name.to_owned(),
                    redirect_uris: spec.redirect_uri.map(str::to_owned).into_iter().collect(),
                    grant_types: spec.grant_types.iter().map(|g| (*g).to_owned()).collect(),
                    scopes: spec.scopes.iter().map(|s| (*s).to_owned()).collect(),
                    public: spec.public,
                    first_party: spec.first_party,
                    ..Default::default()
                };
                let created = operator.create_client(DEMO_TENANT, &input).await?;
                (created.client.client_id, created.client_secret)
            }
        };
        if let (true, Some(redirect)) = (spec.public && spec.first_party, spec.redirect_uri) {
            // RFC 7636 Appendix B's verifier/challenge pair, so the URL can be pasted as is.
            try_url = format!(
                "\nSign in with code + PKCE ({name}):\n  {issuer}/authorize?response_type=code&client_id={client_id}\
                 &redirect_uri={redirect}&scope=openid+profile+email&state=demo&nonce=demo\
                 &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\n  \
                 then POST the code to {issuer}/token with client_id, redirect_uri and \
                 code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\n",
                name = spec.name,
                issuer = platform.config.issuer(DEMO_TENANT),
            );
        }
        if spec
            .grant_types
            .contains(&"urn:ietf:params:oauth:grant-type:device_code")
        {
            try_device = device_flow_instructions(&platform.config.issuer(DEMO_TENANT), &client_id);
        }
        clients.push(SeededClient {
            name: spec.name,
            client_id,
            secret,
        });
    }

    let admin = admin_credential(&operator).await?;
    Ok(Seeded {
        clients,
        admin,
        try_url,
        try_device,
    })
}

/// RFC 8628: how to try the device flow with the demo TV client (public, so no secret).
fn device_flow_instructions(issuer: &str, client_id: &str) -> String {
    format!(
        "\nTry the device flow (RFC 8628) as the demo TV:\n  \
         curl -s -d client_id={client_id} -d 'scope=openid profile offline_access' {issuer}/device_authorization\n  \
         then open the verification_uri_complete it answers ({issuer}/device?user_code=XXXX-XXXX), sign in and approve,\n  \
         and poll every 5 s: curl -s -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
         -d client_id={client_id} -d device_code=... {issuer}/token\n"
    )
}

/// The name of the platform-admin service account `--dev` keeps in the system tenant.
pub const DEV_ADMIN: &str = "Admin service account (dev)";

/// Makes sure the dev admin service account exists with a fresh secret.
async fn admin_credential(operator: &Operator) -> Result<SeededClient, Failure> {
    let platform = &operator.platform;
    let system = platform.tenant(TenantSlug::SYSTEM).await?;
    let existing = ClientStore::list(
        &platform.store,
        system.id,
        &keyward_core::PageRequest::first(500),
    )
    .await
    .map_err(|e| Failure::store("system clients", e))?
    .items
    .into_iter()
    .find(|c| c.name.as_str() == DEV_ADMIN);
    let (id, secret) = match existing {
        Some(c) => {
            let secret = operator
                .rotate_client_secret(TenantSlug::SYSTEM, c.client_id.as_str())
                .await?;
            // Seeded before admin tokens had their own scope: it may ask for it now.
            operator
                .add_client_scope(TenantSlug::SYSTEM, c.client_id.as_str(), ADMIN_SCOPE)
                .await?;
            let actor = keyward_authz::Actor::ServiceAccount {
                tenant: system.id,
                client_id: c.client_id.clone(),
            };
            if !operator.admin.authorizer().is_platform_admin(&actor).await {
                operator
                    .grant(
                        &actor,
                        keyward_authz::AdminRole::PlatformAdmin,
                        TenantSlug::SYSTEM,
                    )
                    .await?;
            }
            (c.client_id.to_string(), secret)
        }
        None => {
            let (id, secret, _) = operator
                .create_service_account(
                    DEV_ADMIN,
                    keyward_authz::AdminRole::PlatformAdmin,
                    TenantSlug::SYSTEM,
                )
                .await?;
            (id, secret)
        }
    };
    Ok(SeededClient {
        name: DEV_ADMIN,
        client_id: id,
        secret: Some(secret),
    })
}

/// How to call the admin API with the dev admin service account.
fn admin_instructions(platform: &Platform, admin: &SeededClient) -> String {
    let (id, secret) = (
        &admin.client_id,
        admin.secret.as_deref().unwrap_or_default(),
    );
    let base = &platform.config.public_url;
    let token_endpoint = format!("{}/token", platform.config.issuer(TenantSlug::SYSTEM));
    format!(
        "admin API {base}/admin/api/v1 (docs {base}/admin/api/docs/, OpenAPI {base}/admin/api/openapi.json)\n  \
         {DEV_ADMIN:<44} client_id={id} client_secret={secret}\n\
         \n  TOKEN=$(curl -s -u '{id}:{secret}' -d grant_type=client_credentials -d scope={ADMIN_SCOPE} {token_endpoint} \\\n      \
         | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\n  \
         curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/api/v1/tenants"
    )
}
