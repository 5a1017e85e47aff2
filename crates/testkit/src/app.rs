//! The real server in the test's own process: `keyward::application::Application` built and
//! run on a listener bound to 127.0.0.1:0, on SQLite + memory (a fresh data directory) or on a
//! fresh PostgreSQL database with its own Redis key prefix. Tenants, clients and users are
//! seeded in-process through the same functions the CLI calls, so no subprocess is started.
//! Tests of the binary itself (its output, its exit codes, a restart of the process) keep
//! driving `keyward` as a child process.

use std::collections::HashMap;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use clap::Parser;
use keyward::application::Application;
use keyward::cli::{Cli, Command};
use keyward::config::Config;
use keyward::seed::Seeded;
use keyward::startup::Platform;
use serde_json::Value;
use tempfile::TempDir;

use crate::db::TestDb;

/// POSTs `form` to `url`, with HTTP Basic credentials when `creds` are given.
pub async fn post_form(
    http: &reqwest::Client,
    url: &str,
    creds: Option<&Creds>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http.post(url).form(form);
    if let Some(c) = creds {
        request = request.basic_auth(&c.id, Some(&c.secret));
    }
    request.send().await.unwrap()
}

/// A client's id and (for secret-based clients) secret.
#[derive(Debug, Clone)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

/// A test master key (only ever used by tests).
const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub struct TestApp {
    pub base: String,
    pub platform: Platform,
    pub seeded: Option<Seeded>,
    pub http: reqwest::Client,
    /// `"sqlite+memory"` or `"postgres+redis"` (or `"postgres+memory"`), for messages.
    pub backend: &'static str,
    handle: ServerHandle,
    /// The data directory; `None` on a second node, which shares its first node's.
    dir: Option<TempDir>,
    data_path: std::path::PathBuf,
    db: Option<TestDb>,
    /// The `KEYWARD_*` variables this node was configured with, for restarts and more nodes.
    vars: HashMap<String, String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; the future only waits for it to complete.
        drop(self.handle.stop(false));
    }
}

/// How a test app is configured: extra `KEYWARD_*` variables, and whether `--dev` seeds.
#[derive(Default, Clone)]
pub struct Options {
    pub vars: Vec<(String, String)>,
    pub dev: bool,
}

impl Options {
    pub fn dev() -> Self {
        Self {
            dev: true,
            ..Self::default()
        }
    }

    /// Lets the server call relying parties on loopback (back-channel receivers and JWK Sets
    /// the test serves on 127.0.0.1): `KEYWARD_OUTBOUND_ALLOW_PRIVATE=true`.
    pub fn loopback_relying_parties(self) -> Self {
        self.var("KEYWARD_OUTBOUND_ALLOW_PRIVATE", "true")
    }

    pub fn var(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.to_owned(), value.to_owned()));
        self
    }
}

impl TestApp {
    /// The app on the backends this run tests against: PostgreSQL + Redis when
    /// `KEYWARD_TEST_DATABASE_URL` (and `KEYWARD_TEST_REDIS_URL`) are set, else SQLite +
    /// memory. No tenant but `system`; seed with [`TestApp::tenant`], [`TestApp::client`] and
    /// [`TestApp::user`].
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    /// [`TestApp::spawn`] with `options`.
    pub async fn spawn_with(options: Options) -> Self {
        match Self::postgres(options.clone()).await {
            Some(app) => app,
            None => Self::embedded(options).await,
        }
    }

    /// `serve --dev` on SQLite + memory: the seeded `demo` tenant (password grant enabled).
    pub async fn dev() -> Self {
        Self::embedded(Options::dev()).await
    }

    /// [`TestApp::dev`] with extra `KEYWARD_*` variables.
    pub async fn dev_with(vars: &[(&str, &str)]) -> Self {
        let mut options = Options::dev();
        for (key, value) in vars {
            options = options.var(key, value);
        }
        Self::embedded(options).await
    }

    /// `serve` on SQLite + memory, with no tenant but `system`.
    pub async fn plain() -> Self {
        Self::embedded(Options::default()).await
    }

    /// The embedded default with `options`.
    pub async fn embedded(options: Options) -> Self {
        Self::start(options, None).await
    }

    /// The same on PostgreSQL (and Redis, when `KEYWARD_TEST_REDIS_URL` is set); `None`
    /// without `KEYWARD_TEST_DATABASE_URL`.
    pub async fn postgres(options: Options) -> Option<Self> {
        let db = TestDb::postgres().await?;
        Some(Self::start(options, Some(db)).await)
    }

    /// The app on every backend this run has: SQLite + memory, then PostgreSQL + Redis.
    pub async fn every_backend(options: Options) -> Vec<Self> {
        let mut apps = vec![Self::embedded(options.clone()).await];
        if let Some(app) = Self::postgres(options).await {
            apps.push(app);
        }
        apps
    }

    async fn start(options: Options, db: Option<TestDb>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("KEYWARD_DATA_DIR".into(), dir.path().display().to_string());
        let mut backend = "sqlite+memory";
        if let Some(db) = &db {
            vars.insert("KEYWARD_DATABASE_URL".into(), db.url().unwrap().to_owned());
            vars.insert("KEYWARD_MASTER_KEY".into(), MASTER_KEY.into());
            backend = "postgres+memory";
            if let Ok(redis) = std::env::var("KEYWARD_TEST_REDIS_URL") {
                vars.insert("KEYWARD_REDIS_URL".into(), redis);
                vars.insert(
                    "KEYWARD_REDIS_PREFIX".into(),
                    crate::cache_contract::fresh_prefix(),
                );
                backend = "postgres+redis";
            }
        }
        for (k, v) in options.vars {
            vars.insert(k, v);
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut app = Self::boot(vars, listener, backend, None, options.dev).await;
        app.dir = Some(dir);
        app.db = db;
        app
    }

    /// A node configured by `vars`, serving on `listener`; `seed` runs `--dev`'s seeding
    /// before the node answers (as `serve --dev` does), else `seeded` is what it holds.
    async fn boot(
        mut vars: HashMap<String, String>,
        listener: TcpListener,
        backend: &'static str,
        mut seeded: Option<Seeded>,
        seed: bool,
    ) -> Self {
        process_log::install();
        let addr = listener.local_addr().unwrap();
        vars.insert("KEYWARD_LISTEN".into(), addr.to_string());
        let config = Config::load(None, None, |k| vars.get(k).cloned()).unwrap();
        let data_path = config.data_dir.clone();
        let app = Application::build(config).await.unwrap();
        if seed {
            seeded = Some(app.seed_demo().await.unwrap());
        }
        let platform = app.platform().clone();
        let running = app.run(listener, Some(2)).unwrap();
        let handle = running.handle();
        tokio::spawn(running.await_end());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: format!("http://{addr}"),
            platform,
            seeded,
            http,
            backend,
            handle,
            dir: None,
            data_path,
            db: None,
            vars,
        }
    }

    /// Another node on this app's database and data directory, on its own port. Its cache is
    /// its own (memory, or Redis under another prefix): none of this node's messages reach it,
    /// as if every one of them were lost.
    pub async fn second_node(&self) -> Self {
        let mut vars = self.vars.clone();
        if vars.contains_key("KEYWARD_REDIS_PREFIX") {
            vars.insert(
                "KEYWARD_REDIS_PREFIX".into(),
                crate::cache_contract::fresh_prefix(),
            );
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::boot(vars, listener, self.backend, self.seeded.clone(), false).await
    }

    /// Another node sharing all of this node's state: the same database and data directory
    /// and, with Redis, the same keys and channels (a cluster behind a load balancer). On the
    /// memory cache it shares only the database, like [`TestApp::second_node`].
    pub async fn peer(&self) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::boot(
            self.vars.clone(),
            listener,
            self.backend,
            self.seeded.clone(),
            false,
        )
        .await
    }

    /// Stops this node and starts it again on the same configuration, data and port: what an
    /// embedded node keeps in memory is gone, what it stored is not.
    pub async fn restart(mut self) -> Self {
        self.handle.stop(true).await;
        let addr: std::net::SocketAddr = self.base.trim_start_matches("http://").parse().unwrap();
        let listener = TcpListener::bind(addr).unwrap();
        let mut next = Self::boot(
            self.vars.clone(),
            listener,
            self.backend,
            self.seeded.take(),
            false,
        )
        .await;
        next.dir = self.dir.take();
        next.db = self.db.take();
        next
    }

    /// Empties this node's Redis keys (as `FLUSHDB` would); `false` on the memory cache.
    pub async fn flush_cache(&self) -> bool {
        let Some(url) = &self.platform.config.redis_url else {
            return false;
        };
        let redis = keyward_cache::RedisStore::connect(url, &self.platform.config.redis_prefix)
            .await
            .unwrap();
        redis.purge_prefix().await.unwrap();
        true
    }

    /// Stops the server, and drops the PostgreSQL database and the Redis keys it made.
    pub async fn cleanup(mut self) {
        self.handle.stop(false).await;
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
        if let Some(url) = &self.platform.config.redis_url
            && let Ok(redis) =
                keyward_cache::RedisStore::connect(url, &self.platform.config.redis_prefix).await
        {
            let _ = redis.purge_prefix().await;
        }
    }

    /// The data directory (`KEYWARD_DATA_DIR`) of this app.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_path
    }

    pub fn issuer(&self, tenant: &str) -> String {
        format!("{}/t/{tenant}", self.base)
    }

    /// The demo client `--dev` seeded whose name starts with `name`.
    pub fn demo_client(&self, name: &str) -> Creds {
        let client = self
            .seeded
            .as_ref()
            .and_then(|s| s.client(name))
            .unwrap_or_else(|| panic!("no demo client {name}"));
        Creds {
            id: client.client_id.clone(),
            secret: client.secret.clone().unwrap_or_default(),
        }
    }

    /// The platform-admin service account `--dev` seeded.
    pub fn admin_client(&self) -> Creds {
        let admin = &self.seeded.as_ref().expect("a --dev app").admin;
        Creds {
            id: admin.client_id.clone(),
            secret: admin.secret.clone().unwrap_or_default(),
        }
    }

    /// The admin use-cases on this app's database, called as the local operator (as the CLI
    /// calls them).
    pub async fn operator(&self) -> keyward::operator::Operator {
        keyward::operator::Operator::new(&self.platform)
            .await
            .unwrap()
    }

    /// Creates a tenant (with its keys), as `keyward tenant create` does.
    pub async fn tenant(&self, slug: &str) {
        self.operator()
            .await
            .create_tenant(slug, None)
            .await
            .unwrap();
    }

    /// [`TestApp::tenant`] with a display name, as `keyward tenant create SLUG --name NAME`.
    pub async fn tenant_named(&self, slug: &str, name: &str) {
        self.operator()
            .await
            .create_tenant(slug, Some(name))
            .await
            .unwrap();
    }

    /// Registers a client as `keyward client create ARGS --json` does, answering its JSON.
    pub async fn register(&self, args: &[&str]) -> Value {
        let mut argv = vec!["keyward", "client", "create"];
        argv.extend_from_slice(args);
        let Command::Client(command) = Cli::try_parse_from(&argv).unwrap().command else {
            unreachable!("a client command");
        };
        keyward::commands::client::register_from(&self.operator().await, command)
            .await
            .unwrap()
    }

    /// Rotates `tenant`'s signing keys as `keyward keys rotate --tenant T --json` does,
    /// answering its JSON.
    pub async fn rotate_keys(&self, tenant: &str) -> Value {
        self.operator().await.rotate_keys(tenant).await.unwrap().0
    }

    /// The app's database, as its nodes see it.
    pub fn store(&self) -> keyward_store::SqlStore {
        self.platform.store.clone()
    }

    /// What every app of this test process logged so far (the server's tracing output at
    /// `info`, as `keyward serve` writes it to stderr). The log is shared by the apps of the
    /// process: it answers "did anything ever log X", not "what did this app log".
    pub fn log(&self) -> String {
        process_log::text()
    }

    /// Registers a client as `keyward client create --tenant T --name "test client" EXTRA`.
    pub async fn client(&self, tenant: &str, extra: &[&str]) -> Creds {
        let created = self.try_client(tenant, extra).await.unwrap();
        Creds {
            id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// [`TestApp::client`], answering the registration's failure instead of panicking.
    pub async fn try_client(
        &self,
        tenant: &str,
        extra: &[&str],
    ) -> Result<Value, keyward::failure::Failure> {
        let mut args = vec![
            "keyward",
            "client",
            "create",
            "--tenant",
            tenant,
            "--name",
            "test client",
        ];
        args.extend_from_slice(extra);
        let Command::Client(command) = Cli::try_parse_from(&args).unwrap().command else {
            unreachable!("a client command");
        };
        keyward::commands::client::register_from(&self.operator().await, command).await
    }

    /// Creates a user with a password; answers its id.
    pub async fn user(&self, tenant: &str, username: &str, password: &str) -> String {
        self.user_with_email(tenant, username, None, password).await
    }

    /// [`TestApp::user`] with an email address.
    pub async fn user_with_email(
        &self,
        tenant: &str,
        username: &str,
        email: Option<&str>,
        password: &str,
    ) -> String {
        let user = self
            .operator()
            .await
            .create_user(tenant, username, email, Some(password))
            .await
            .unwrap();
        user.id.to_string()
    }

    /// A platform-admin access token for the admin API (from the seeded service account, which
    /// asks for the admin scope).
    pub async fn admin_token(&self) -> String {
        let body = self
            .token(
                "system",
                &self.admin_client(),
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "keyward:admin"),
                ],
            )
            .await;
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// POSTs a form to `{issuer}/{endpoint}` with HTTP Basic credentials.
    pub async fn post(
        &self,
        tenant: &str,
        endpoint: &str,
        creds: Option<&Creds>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        post_form(
            &self.http,
            &format!("{}/{endpoint}", self.issuer(tenant)),
            creds,
            form,
        )
        .await
    }

    /// A token response's JSON, asserting success.
    pub async fn token(&self, tenant: &str, creds: &Creds, form: &[(&str, &str)]) -> Value {
        let res = self.post(tenant, "token", Some(creds), form).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Whether introspection at `tenant` by `creds` calls `token` active.
    pub async fn active(&self, tenant: &str, creds: &Creds, token: &str) -> bool {
        let res = self
            .post(tenant, "introspect", Some(creds), &[("token", token)])
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["active"] == true
    }
}

/// The test process's log: the tracing output of every app it runs, kept in memory.
mod process_log {
    use std::io::Write;
    use std::sync::{Arc, Mutex, OnceLock};

    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Captures the process's tracing output, with the binary's default filter, from the
    /// first app on. A subscriber the test set itself is kept.
    pub fn install() {
        LOG.get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer = Buffer(buffer.clone());
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn",
                ))
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .try_init();
            buffer
        });
    }

    pub fn text() -> String {
        LOG.get()
            .map(|log| String::from_utf8_lossy(&log.lock().unwrap()).into_owned())
            .unwrap_or_default()
    }
}
