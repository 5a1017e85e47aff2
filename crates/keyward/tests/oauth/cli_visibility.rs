//! Changes made with the command line, in a process of its own, reach a `keyward serve`
//! already running on the same embedded database within about a second, though no message
//! crosses between the two processes (each has its own in-memory cache): every node compares
//! the database's change counters with what it loaded, every `resync_interval_secs` (1 s).

use std::time::Duration;

use serde_json::Value;

use crate::server::{Creds, Server};

/// How long a CLI change may take to reach the running server.
const WITHIN: Duration = Duration::from_secs(3);

async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(
        crate::eventually(WITHIN, check).await,
        "{what}: not visible to the running server after {WITHIN:?}"
    );
}

async fn token_status(server: &Server, tenant: &str, creds: &Creds, scope: Option<&str>) -> u16 {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    server
        .post(tenant, "token", Some(creds), &form)
        .await
        .status()
        .as_u16()
}

async fn kids(server: &Server, tenant: &str) -> Vec<String> {
    let jwks: Value = server
        .http
        .get(format!("{}/jwks", server.issuer(tenant)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn cli_changes_reach_a_running_embedded_server_within_seconds() {
    let server = Server::plain().await;
    server.tenant("acme");
    let old = server.client("acme", &["--grant-type", "client_credentials"]);
    // The server now holds the client and the tenant's keys in its caches.
    assert_eq!(token_status(&server, "acme", &old, None).await, 200);
    let keys_before = kids(&server, "acme").await;

    // A new client secret.
    let rotated = server.env.json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &old.id,
        "--json",
    ]);
    let new = Creds {
        id: old.id.clone(),
        secret: rotated["client_secret"].as_str().unwrap().to_owned(),
    };
    eventually("a rotated client secret", || async {
        token_status(&server, "acme", &new, None).await == 200
            && token_status(&server, "acme", &old, None).await == 401
    })
    .await;

    // New signing keys.
    server
        .env
        .json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    eventually("rotated signing keys", || async {
        kids(&server, "acme").await != keys_before
    })
    .await;

    // A platform-admin service account: its role is a policy rule.
    let account = server
        .env
        .json(&["admin", "service-account", "--name", "ops", "--json"]);
    let account = Creds {
        id: account["client_id"].as_str().unwrap().to_owned(),
        secret: account["client_secret"].as_str().unwrap().to_owned(),
    };
    eventually("a new platform admin", || async {
        let res = server
            .post(
                "system",
                "token",
                Some(&account),
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "keyward:admin"),
                ],
            )
            .await;
        if res.status() != 200 {
            return false;
        }
        let body: Value = res.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap_or_default().to_owned();
        server
            .http
            .get(format!("{}/admin/api/v1/tenants", server.base))
            .bearer_auth(token)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}
