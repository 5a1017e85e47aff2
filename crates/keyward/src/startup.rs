//! The platform every command and the server start from: configuration, the database
//! (migrated, master key checked, `system` tenant present), the cache and the hashers, and the
//! protocol engine wired over them. The server's composition root, `application`, builds on it.

use std::path::Path;

use crate::config::EMBEDDED_DATABASE_FILE;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use keyward_core::{
    AuditRecorder, Clock, DisplayName, EphemeralStore, MasterKey, PlatformStore, SystemClock,
    Tenant, TenantSlug, TenantStore,
};
use keyward_identity::{HashingQueue, PasswordHasher, PasswordLogin, QueueLimits, ThrottleLimits};
use keyward_oauth::app_claims::AppClaims;
use keyward_oauth::authorize::AuthorizationEndpoint;
use keyward_oauth::claims::UserClaims;
use keyward_oauth::client_secret::ClientSecretHasher;
use keyward_oauth::directory::Directory;
use keyward_oauth::interaction::InteractionLimit;
use keyward_oauth::keyring::KeyRing;
use keyward_oauth::userinfo::UserInfoEndpoint;
use keyward_oauth::{TokenService, TokenServicePorts};
use keyward_store::SqlStore;

use crate::config::{Config, redact};
use crate::failure::Failure;
use crate::serve::jwks_fetcher::HttpJwksFetcher;
use crate::serve::resource_owner::PasswordGrantOwners;
use crate::serve::user_claims::IdentityClaims;

/// Longer than the pool's own 5 s acquire timeout, so its error (with the cause) comes first.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Everything a command or the server needs, connected and checked.
#[derive(Clone)]
pub struct Platform {
    pub config: Config,
    pub store: SqlStore,
    pub cache: Arc<dyn EphemeralStore>,
    pub master: MasterKey,
    pub secrets: ClientSecretHasher,
    pub passwords: PasswordHasher,
    pub clock: Arc<dyn Clock>,
}

impl Platform {
    /// The guarded HTTP client for requests made on a client's behalf.
    pub fn outbound_http(&self) -> Result<crate::serve::outbound::OutboundHttp, Failure> {
        let rule = keyward_core::OutboundRule::new(self.config.outbound_allow_private);
        crate::serve::outbound::OutboundHttp::new(rule)
            .map_err(|e| Failure::Internal(format!("HTTP client: {e}")))
    }

    /// Connects the database and cache, applies migrations, checks the master key and makes
    /// sure the `system` tenant exists.
    pub async fn start(config: Config) -> Result<Self, Failure> {
        if config.is_embedded_database() {
            private_data_files(&config.data_dir).map_err(|e| {
                Failure::Config(format!(
                    "KEYWARD_DATA_DIR: cannot prepare {}: {e}",
                    config.data_dir.display()
                ))
            })?;
        }
        let master = resolve_master_key(&config)?;
        let store = connect_database(&config.database_url, config.postgres_tuning()).await?;
        store.migrate().await.map_err(|e| {
            Failure::Unavailable(format!("migrating {}: {e}", redact(&config.database_url)))
        })?;
        check_master_key(&store, &master).await?;
        let cache = connect_cache(config.redis_url.as_deref(), &config.redis_prefix).await?;
        let secrets = ClientSecretHasher::new(&master)
            .map_err(|e| Failure::Internal(format!("deriving the client-secret key: {e}")))?;
        let passwords = PasswordHasher::recommended()
            .map_err(|e| Failure::Internal(format!("password hasher: {e}")))?;
        let platform = Self {
            config,
            store,
            cache,
            master,
            secrets,
            passwords,
            clock: Arc::new(SystemClock),
        };
        platform.ensure_system_tenant().await?;
        Ok(platform)
    }

    /// The platform's own tenant, which will hold its administrators.
    async fn ensure_system_tenant(&self) -> Result<(), Failure> {
        let slug =
            TenantSlug::parse(TenantSlug::SYSTEM).map_err(|e| Failure::Internal(e.to_string()))?;
        if TenantStore::by_slug(&self.store, &slug)
            .await
            .map_err(|e| Failure::store("system tenant", e))?
            .is_some()
        {
            return Ok(());
        }
        let name =
            DisplayName::parse("Keyward platform").map_err(|e| Failure::Internal(e.to_string()))?;
        let tenant = Tenant::new(slug, name, Utc::now());
        match TenantStore::create(&self.store, &tenant).await {
            Ok(()) => self.provision_keys(&tenant).await,
            // Another node created it at the same moment.
            Err(keyward_core::StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(Failure::store("system tenant", e)),
        }
    }

    /// Gives the system tenant an active and a next signing key for every algorithm.
    async fn provision_keys(&self, tenant: &Tenant) -> Result<(), Failure> {
        let alg = tenant.settings.signing_alg;
        keyward_oauth::key_rotation::ensure_keys(
            &self.store,
            tenant.id,
            alg,
            &self.master,
            self.clock.now(),
        )
        .await
        .map_err(|e| Failure::Internal(format!("creating signing keys: {e}")))?;
        Ok(())
    }

    /// Looks a tenant up by slug, with a message fit for the command line.
    pub async fn tenant(&self, slug: &str) -> Result<Tenant, Failure> {
        let parsed = TenantSlug::parse(slug).map_err(|e| Failure::Invalid(e.to_string()))?;
        TenantStore::by_slug(&self.store, &parsed)
            .await
            .map_err(|e| Failure::store("looking up the tenant", e))?
            .ok_or_else(|| Failure::NotFound(format!("tenant {slug:?} does not exist")))
    }
}

async fn connect_database(
    url: &str,
    tuning: keyward_store::PostgresTuning,
) -> Result<SqlStore, Failure> {
    let unreachable = |why: String| {
        Failure::Unavailable(format!(
            "cannot reach the database at {}: {why}",
            redact(url)
        ))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, SqlStore::connect_with(url, tuning)).await {
        Ok(Ok(store)) => {
            store.ping().await.map_err(|e| unreachable(e.to_string()))?;
            Ok(store)
        }
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

async fn connect_cache(
    url: Option<&str>,
    prefix: &str,
) -> Result<Arc<dyn EphemeralStore>, Failure> {
    let Some(url) = url else {
        return Ok(Arc::new(keyward_cache::MemoryStore::new()));
    };
    let unreachable =
        |why: String| Failure::Unavailable(format!("cannot reach Redis at {}: {why}", redact(url)));
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        keyward_cache::RedisStore::connect(url, prefix),
    )
    .await
    {
        Ok(Ok(redis)) => Ok(Arc::new(redis)),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// The configured key, else the key file in the data directory, else (embedded database
/// only) a new key written there with a warning.
fn resolve_master_key(config: &Config) -> Result<MasterKey, Failure> {
    if let Some(key) = &config.master_key {
        return Ok(key.clone());
    }
    let path = config.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Config(format!(
                "KEYWARD_MASTER_KEY: cannot read {}: {e}",
                path.display()
            ))
        })?;
        return MasterKey::from_base64(&text)
            .map_err(|e| Failure::Config(format!("KEYWARD_MASTER_KEY: {}: {e}", path.display())));
    }
    if !config.is_embedded_database() {
        return Err(Failure::Config(
            "KEYWARD_MASTER_KEY: not set; it is required with an external database \
             (generate one with `openssl rand -base64 32`)"
                .to_owned(),
        ));
    }
    let key = MasterKey::generate().map_err(|e| Failure::Internal(e.to_string()))?;
    write_secret_file(&path, &key.to_base64()).map_err(|e| {
        Failure::Config(format!(
            "KEYWARD_DATA_DIR: cannot write {}: {e}",
            path.display()
        ))
    })?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key for the embedded database; back it up — without it the \
         signing keys stored in this database cannot be opened. Set KEYWARD_MASTER_KEY in production."
    );
    Ok(key)
}

/// The embedded default's data directory (created 0700) and database file (0600; SQLite gives
/// its -wal and -shm files the same mode). The file is created empty before SQLite opens it, so
/// it is never readable by others, and an existing file readable by group or others (made by
/// an older release) is narrowed to 0600.
fn private_data_files(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    let db = dir.join(EMBEDDED_DATABASE_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(&db)?);
    #[cfg(unix)]
    for name in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("{EMBEDDED_DATABASE_FILE}{name}"));
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            tracing::warn!(path = %path.display(), "narrowed a data file readable by others to 0600");
        }
    }
    Ok(())
}

fn write_secret_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// Refuses to start with a master key other than the one that sealed this database's secrets.
async fn check_master_key(store: &SqlStore, master: &MasterKey) -> Result<(), Failure> {
    let wrong = || {
        Failure::Config(
            "KEYWARD_MASTER_KEY: this is not the key that encrypted this database's secrets"
                .to_owned(),
        )
    };
    if let Some(stored) = store
        .meta(MASTER_KEY_CHECK)
        .await
        .map_err(|e| Failure::store("master key check", e))?
    {
        return master.verify_check_value(&stored).map_err(|_| wrong());
    }
    let check = master
        .check_value()
        .map_err(|e| Failure::Internal(e.to_string()))?;
    if !store
        .put_meta_if_absent(MASTER_KEY_CHECK, &check)
        .await
        .map_err(|e| Failure::store("master key check", e))?
    {
        // Another node wrote its check value first: ours must match it.
        let stored = store
            .meta(MASTER_KEY_CHECK)
            .await
            .map_err(|e| Failure::store("master key check", e))?;
        return master
            .verify_check_value(&stored.unwrap_or_default())
            .map_err(|_| wrong());
    }
    Ok(())
}

/// The protocol engine as the server runs it: in-process caches in front of the stores.
pub struct Protocol {
    pub directory: Arc<Directory>,
    pub keys: Arc<KeyRing>,
    pub tokens: Arc<TokenService>,
    /// `/authorize` and `/authorize/resume`: consents from the store, claims from identity.
    pub authorize: Arc<AuthorizationEndpoint>,
    pub userinfo: Arc<UserInfoEndpoint>,
    /// Users' claims and whether they are still enabled, from identity.
    pub users: Arc<dyn UserClaims>,
    /// The one throttled password check of the node, for the password grant and the sign-in
    /// page alike: one set of counters (in the cache) and one hashing queue.
    pub login: Arc<PasswordLogin>,
}

impl Platform {
    /// Wires the token service: tenants and clients through the directory cache, keys through
    /// the key ring, passwords through identity's throttled login, client JWKS over HTTPS.
    /// `app_claims` answers the opt-in `roles` / `permissions` claims.
    pub fn protocol(
        &self,
        app_claims: Arc<dyn AppClaims>,
        audit: Arc<dyn AuditRecorder>,
    ) -> Result<Protocol, Failure> {
        let store = Arc::new(self.store.clone());
        let directory = Arc::new(Directory::new(
            self.config.public_url.clone(),
            store.clone(),
            store.clone(),
        ));
        let keys = Arc::new(KeyRing::new(
            store.clone(),
            self.master.clone(),
            self.clock.clone(),
        ));
        let queue = HashingQueue::new(QueueLimits::new(
            self.config.password_hash_queue,
            self.config.password_hash_queue_per_tenant,
        ));
        let login = Arc::new(
            PasswordLogin::new(
                store.clone(),
                self.passwords.clone(),
                self.cache.clone(),
                ThrottleLimits::default(),
                queue,
            )
            .map_err(|e| Failure::Internal(format!("password login: {e}")))?,
        );
        let fetcher = HttpJwksFetcher::new(self.outbound_http()?);
        let claims: Arc<dyn UserClaims> = Arc::new(IdentityClaims(store.clone()));
        let tokens = Arc::new(
            TokenService::new(TokenServicePorts {
                directory: directory.clone(),
                keys: keys.clone(),
                refresh_tokens: store.clone(),
                cache: self.cache.clone(),
                resource_owners: Arc::new(PasswordGrantOwners(login.clone())),
                jwks_fetcher: Arc::new(fetcher),
                users: claims.clone(),
                secrets: self.secrets.clone(),
                clock: self.clock.clone(),
            })
            .with_app_claims(app_claims)
            .with_audit(audit),
        );
        let interaction_limit = InteractionLimit {
            per_address: self.config.interaction_limit,
            ..InteractionLimit::default()
        };
        let authorize = Arc::new(
            AuthorizationEndpoint::new(tokens.clone(), store, claims.clone())
                .with_interaction_limit(interaction_limit),
        );
        let userinfo = Arc::new(UserInfoEndpoint::new(tokens.clone(), claims.clone()));
        Ok(Protocol {
            directory,
            keys,
            tokens,
            authorize,
            userinfo,
            users: claims,
            login,
        })
    }
}

/// The database and the cache, each checked with its own `timeout`, at the same time, so one
/// that hangs is named alone.
pub async fn readiness(
    store: &SqlStore,
    cache: &dyn keyward_core::CacheHealth,
    timeout: Duration,
) -> Vec<(&'static str, Result<(), String>)> {
    async fn within<E: std::fmt::Display>(
        timeout: Duration,
        check: impl std::future::Future<Output = Result<(), E>>,
    ) -> Result<(), String> {
        match tokio::time::timeout(timeout, check).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer in {} ms", timeout.as_millis())),
        }
    }
    let (db, cache) = tokio::join!(
        within(timeout, PlatformStore::ping(store)),
        within(timeout, cache.ping()),
    );
    vec![("database", db), ("cache", cache)]
}
