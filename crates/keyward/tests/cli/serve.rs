//! `keyward serve --dev` as a user runs it: operational endpoints, the demo tenant's JWKS,
//! the console, and the CLI working on the same database as the running server.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Env;

struct Server {
    child: Child,
    base: String,
}

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

async fn start(env: &mut Env, args: &[&str]) -> Server {
    let port = free_port();
    env.set("KEYWARD_LISTEN", &format!("127.0.0.1:{port}"));
    let child = env
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if reqwest::get(format!("{}/healthz", server.base))
            .await
            .is_ok()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn dev_server_serves_operations_endpoints_and_the_demo_tenant() {
    let mut env = Env::embedded();
    let server = start(&mut env, &["serve", "--dev"]).await;
    let http = reqwest::Client::new();

    let health = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        health.headers().contains_key("x-request-id"),
        "every response has a request id"
    );

    let ready = http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(ready["checks"]["cache"], "ok");

    let echoed = http
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-123");

    let jwks = http
        .get(format!("{}/t/demo/jwks", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    let jwks: Value = jwks.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(
        keys.len(),
        6,
        "the active key and the published next key of ES256, RS256 and EdDSA"
    );
    for alg in ["ES256", "RS256", "EdDSA"] {
        assert_eq!(keys.iter().filter(|k| k["alg"] == alg).count(), 2, "{alg}");
    }
    for key in keys {
        assert!(key["kid"].is_string() && key["use"] == "sig", "{key}");
        assert!(key.get("d").is_none(), "never a private part");
    }

    let missing = http
        .get(format!("{}/t/nope/jwks", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert!(missing.headers().contains_key("x-request-id"));

    let console = http
        .get(format!("{}/admin/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 200);
    assert!(console.text().await.unwrap().contains("Keyward"));

    let metrics = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("/healthz"),
        "metrics are labelled by route: {metrics}"
    );
    assert!(
        metrics.contains("/t/{tenant}/jwks"),
        "route patterns, not raw paths"
    );
    assert!(
        !metrics.contains("/t/demo/jwks"),
        "raw paths would explode cardinality"
    );

    // The CLI works on the same database as the running server.
    let tenants = env.json(&["tenant", "list", "--json"]);
    let slugs: Vec<&str> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&"demo"), "{slugs:?}");
    let clients = env.json(&["client", "list", "--tenant", "demo", "--json"]);
    let grants: Vec<String> = clients
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["grant_types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap().to_owned())
        })
        .collect();
    for flow in [
        "authorization_code",
        "implicit",
        "client_credentials",
        "password",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        assert!(
            grants.iter().any(|g| g == flow),
            "demo has a client for {flow}"
        );
    }
    assert_eq!(
        env.json(&["user", "list", "--tenant", "demo", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn dev_seed_survives_a_restart_without_duplicates() {
    let mut env = Env::embedded();
    drop(start(&mut env, &["serve", "--dev"]).await);
    let first = env.json(&["client", "list", "--tenant", "demo", "--json"]);
    drop(start(&mut env, &["serve", "--dev"]).await);
    let second = env.json(&["client", "list", "--tenant", "demo", "--json"]);
    assert_eq!(
        first.as_array().unwrap().len(),
        second.as_array().unwrap().len()
    );
}

#[tokio::test]
async fn server_on_postgres_and_redis_is_ready() {
    let Some(mut env) = Env::postgres().await else {
        return;
    };
    let server = start(&mut env, &["serve"]).await;
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    drop(server);
    env.cleanup().await;
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut env = Env::embedded();
    env.set("KEYWARD_LISTEN", &taken.local_addr().unwrap().to_string());
    crate::harness::assert_fails(&env.run(&["serve"]), 2, "KEYWARD_LISTEN");
}
