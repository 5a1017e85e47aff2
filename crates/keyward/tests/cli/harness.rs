//! Running the binary in an isolated environment.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The variables the binary reads; removed from the inherited environment so a developer's
/// shell cannot leak into a test.
const KEYWARD_VARS: &[&str] = &[
    "KEYWARD_LISTEN",
    "KEYWARD_PUBLIC_URL",
    "KEYWARD_DATA_DIR",
    "KEYWARD_DATABASE_URL",
    "KEYWARD_REDIS_URL",
    "KEYWARD_MASTER_KEY",
    "KEYWARD_LOG_FORMAT",
    "KEYWARD_CONFIG",
    "KEYWARD_OUTBOUND_ALLOW_PRIVATE",
];

pub struct Env {
    pub dir: TempDir,
    pub vars: Vec<(String, String)>,
    /// Keeps a PostgreSQL test database alive (and drops it) with the environment.
    pub db: Option<keyward_testkit::db::TestDb>,
}

impl Env {
    /// The embedded default in a fresh data directory.
    pub fn embedded() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The test relying parties (back-channel receivers, JWK Sets) listen on loopback.
        let vars = vec![
            (
                "KEYWARD_DATA_DIR".to_owned(),
                dir.path().display().to_string(),
            ),
            (
                "KEYWARD_OUTBOUND_ALLOW_PRIVATE".to_owned(),
                "true".to_owned(),
            ),
        ];
        Self {
            dir,
            vars,
            db: None,
        }
    }

    /// A fresh PostgreSQL database (and Redis, when configured), if the test variables are set.
    pub async fn postgres() -> Option<Self> {
        let db = keyward_testkit::db::TestDb::postgres().await?;
        let mut env = Self::embedded();
        env.set(
            "KEYWARD_DATABASE_URL",
            db.url().expect("a postgres test database has a URL"),
        );
        env.set(
            "KEYWARD_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        if let Ok(redis) = std::env::var("KEYWARD_TEST_REDIS_URL") {
            env.set("KEYWARD_REDIS_URL", &redis);
        }
        env.db = Some(db);
        Some(env)
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_owned(), value.to_owned()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
        for var in KEYWARD_VARS {
            cmd.env_remove(var);
        }
        cmd.args(args)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the keyward binary starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command that must succeed and print exactly one JSON value on stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        self.json_with_stdin(args, "")
    }

    pub fn json_with_stdin(&self, args: &[&str], stdin: &str) -> Value {
        let out = self.run_with_stdin(args, stdin);
        assert_success(&out, args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} printed something other than one JSON value ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// The database this environment's commands use.
    pub async fn store(&self) -> keyward_store::SqlStore {
        let url = self
            .vars
            .iter()
            .find(|(k, _)| k == "KEYWARD_DATABASE_URL")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                format!("sqlite://{}/keyward.db?mode=rwc", self.dir.path().display())
            });
        keyward_store::SqlStore::connect(&url).await.unwrap()
    }

    pub async fn cleanup(self) {
        if let Some(db) = self.db {
            db.cleanup().await;
        }
    }
}

pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "{args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts the exit code and that stderr says `needle` on one `error:` line.
pub fn assert_fails(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    assert!(
        line.contains(needle),
        "{line:?} does not mention {needle:?}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout when failing");
}
