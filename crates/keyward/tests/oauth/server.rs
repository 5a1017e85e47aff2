//! A running `keyward serve` child process in a fresh data directory, for the few tests about
//! the binary itself: what it prints, and the CLI and a server in separate processes. Every
//! other end-to-end test runs the application in process (`crate::app::TestApp`).

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Env;

pub struct Server {
    child: Child,
    pub base: String,
    pub env: Env,
    args: Vec<String>,
    pub http: reqwest::Client,
}

pub use keyward_testkit::app::Creds;

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// `keyward serve --dev`: the `demo` tenant, with the password grant enabled.
    pub async fn dev() -> Self {
        Self::start(Env::embedded(), &["serve", "--dev"]).await
    }

    /// `keyward serve` on the embedded default, with no tenant but `system`.
    pub async fn plain() -> Self {
        Self::start(Env::embedded(), &["serve"]).await
    }

    async fn start(mut env: Env, args: &[&str]) -> Self {
        let port = free_port();
        env.set("KEYWARD_LISTEN", &format!("127.0.0.1:{port}"));
        let stderr = std::fs::File::create(env.dir.path().join("stderr.log")).unwrap();
        let child = env
            .command(args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            env,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            http,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self
                .http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server did not come up: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server and starts it again on the same data directory and port.
    pub async fn restart(mut self) -> Self {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let stderr = std::fs::File::create(self.env.dir.path().join("stderr.log")).unwrap();
        self.child = self
            .env
            .command(&args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        self.wait_ready().await;
        self
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.env.dir.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn issuer(&self, tenant: &str) -> String {
        format!("{}/t/{tenant}", self.base)
    }

    /// The id and secret `serve --dev` printed for the demo client whose name starts with `name`.
    pub fn demo_client(&self, name: &str) -> Creds {
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {log}"));
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .map(str::to_owned)
                .unwrap_or_default()
        };
        Creds {
            id: field("client_id="),
            secret: field("client_secret="),
        }
    }

    pub fn tenant(&self, slug: &str) {
        self.env.json(&["tenant", "create", slug, "--json"]);
    }

    /// Registers a client with the CLI; `extra` are more `client create` flags.
    pub fn client(&self, tenant: &str, extra: &[&str]) -> Creds {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            tenant,
            "--name",
            "test client",
            "--json",
        ];
        args.extend_from_slice(extra);
        let created = self.env.json(&args);
        Creds {
            id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// POSTs a form to `{issuer}/{endpoint}` with HTTP Basic credentials.
    pub async fn post(
        &self,
        tenant: &str,
        endpoint: &str,
        creds: Option<&Creds>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        keyward_testkit::app::post_form(
            &self.http,
            &format!("{}/{endpoint}", self.issuer(tenant)),
            creds,
            form,
        )
        .await
    }
}

/// Asserts an RFC 6749 §5.2 error response and returns its headers.
pub async fn assert_error(
    res: reqwest::Response,
    status: u16,
    code: &str,
) -> reqwest::header::HeaderMap {
    let headers = res.headers().clone();
    assert_eq!(res.status(), status, "expected {code}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string());
    headers
}
