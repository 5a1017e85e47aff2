//! The real server in the test's own process: `keyward::serve::start` on a listener bound to
//! 127.0.0.1:0, on SQLite + memory (a fresh data directory) or, when the test variables are
//! set, on a fresh PostgreSQL database and its own Redis key prefix. Tenants, clients and
//! users are seeded in-process through the same functions the CLI calls, so no subprocess is
//! started. New end-to-end tests use this; `server::Server` (a `keyward serve` child process)
//! remains for the tests that need a restart of the binary.

use std::collections::HashMap;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use clap::Parser;
use keyward::cli::{Cli, Command};
use keyward::config::Config;
use keyward::seed::Seeded;
use keyward::startup::Platform;
use keyward_testkit::db::TestDb;
use serde_json::Value;
use tempfile::TempDir;

use crate::server::Creds;

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

    pub fn var(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.to_owned(), value.to_owned()));
        self
    }
}

impl TestApp {
    /// `serve --dev` on SQLite + memory: the seeded `demo` tenant (password grant enabled).
    pub async fn dev() -> Self {
        Self::embedded(Options::dev()).await
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
                    keyward_testkit::cache_contract::fresh_prefix(),
                );
                backend = "postgres+redis";
            }
        }
        for (k, v) in options.vars {
            vars.insert(k, v);
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut app = Self::boot(vars, listener, backend, None).await;
        app.seeded = if options.dev {
            Some(keyward::seed::seed(&app.platform).await.unwrap())
        } else {
            None
        };
        app.dir = Some(dir);
        app.db = db;
        app
    }

    /// A node configured by `vars`, serving on `listener`.
    async fn boot(
        mut vars: HashMap<String, String>,
        listener: TcpListener,
        backend: &'static str,
        seeded: Option<Seeded>,
    ) -> Self {
        let addr = listener.local_addr().unwrap();
        vars.insert("KEYWARD_LISTEN".into(), addr.to_string());
        let config = Config::load(None, None, |k| vars.get(k).cloned()).unwrap();
        let data_path = config.data_dir.clone();
        let platform = Platform::start(config).await.unwrap();
        let running = keyward::serve::start(platform.clone(), listener, Some(2))
            .await
            .unwrap();
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
                keyward_testkit::cache_contract::fresh_prefix(),
            );
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::boot(vars, listener, self.backend, self.seeded.clone()).await
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

    /// Creates a tenant (with its keys), as `keyward tenant create` does.
    pub async fn tenant(&self, slug: &str) {
        keyward::commands::tenant::create(&self.platform, slug, None)
            .await
            .unwrap();
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
        keyward::commands::client::register_from(&self.platform, command).await
    }

    /// Creates a user with a password; answers its id.
    pub async fn user(&self, tenant: &str, username: &str, password: &str) -> String {
        let tenant = self.platform.tenant(tenant).await.unwrap();
        let user = keyward::commands::user::create(
            &self.platform,
            &tenant,
            username,
            None,
            Some(password),
        )
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
        let mut request = self
            .http
            .post(format!("{}/{endpoint}", self.issuer(tenant)))
            .form(form);
        if let Some(c) = creds {
            request = request.basic_auth(&c.id, Some(&c.secret));
        }
        request.send().await.unwrap()
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

#[tokio::test]
async fn the_in_process_app_serves_tokens_and_seeds_clients_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let service = app.demo_client("Demo service");
        let body = app
            .token("demo", &service, &[("grant_type", "client_credentials")])
            .await;
        assert!(body["access_token"].is_string(), "{}: {body}", app.backend);
        app.tenant("acme").await;
        let client = app
            .client("acme", &["--grant-type", "client_credentials"])
            .await;
        let token = app
            .token("acme", &client, &[("grant_type", "client_credentials")])
            .await;
        let access = token["access_token"].as_str().unwrap();
        assert!(app.active("acme", &client, access).await, "{}", app.backend);
        let admin = app.admin_token().await;
        let res = app
            .http
            .get(format!("{}/admin/api/v1/tenants", app.base))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", app.backend);
        app.cleanup().await;
    }
}
