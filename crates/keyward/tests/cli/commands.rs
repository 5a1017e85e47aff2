//! Every command's happy path and its failures, on SQLite and (when configured) PostgreSQL.

use serde_json::Value;

use crate::harness::{Env, assert_fails};

fn tenant_lifecycle(env: &Env) {
    let created = env.json(&["tenant", "create", "acme", "--name", "Acme Corp", "--json"]);
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["name"], "Acme Corp");
    assert!(created["issuer"].as_str().unwrap().ends_with("/t/acme"));

    let listed = env.json(&["tenant", "list", "--json"]);
    let slugs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(
        slugs.contains(&"acme") && slugs.contains(&"system"),
        "{slugs:?}"
    );

    assert_fails(
        &env.run(&["tenant", "create", "acme", "--json"]),
        1,
        "already exists",
    );
    assert_fails(&env.run(&["tenant", "create", "Not A Slug"]), 2, "slug");

    let keys = env.json(&["keys", "list", "--tenant", "acme", "--json"]);
    for alg in ["ES256", "RS256", "EdDSA"] {
        let statuses: Vec<&str> = keys
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["alg"] == alg)
            .map(|k| k["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == "active").count(),
            1,
            "{alg}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == "next").count(),
            1,
            "{alg}: {statuses:?}"
        );
    }
    assert_eq!(
        keys.as_array().unwrap().len(),
        6,
        "active + next for each of ES256, RS256, EdDSA"
    );
}

fn client_lifecycle(env: &Env) {
    env.json(&["tenant", "create", "acme", "--json"]);
    let svc = env.json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Billing job",
        "--scope",
        "api:read",
        "--json",
    ]);
    let client_id = svc["client_id"].as_str().unwrap().to_owned();
    let secret = svc["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256-bit secret");
    assert_eq!(
        svc["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(svc["auth_method"], "client_secret_basic");

    let spa = env.json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "SPA",
        "--public",
        "--first-party",
        "--redirect-uri",
        "https://spa.test/cb",
        "--grant-type",
        "authorization_code",
        "--json",
    ]);
    assert_eq!(spa["client_secret"], Value::Null);
    assert_eq!(spa["auth_method"], "none");
    assert_eq!(
        spa["redirect_uris"],
        serde_json::json!(["https://spa.test/cb"])
    );

    let listed = env.json(&["client", "list", "--tenant", "acme", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let text = listed.to_string();
    assert!(
        !text.contains(&secret) && !text.contains("secret_hash") && !text.contains("hmac"),
        "no secrets in listings"
    );

    let rotated = env.json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &client_id,
        "--json",
    ]);
    assert_ne!(rotated["client_secret"].as_str().unwrap(), secret);
    let spa_id = spa["client_id"].as_str().unwrap();
    assert_fails(
        &env.run(&["client", "rotate-secret", "--tenant", "acme", spa_id]),
        2,
        "not with a client secret",
    );

    let deleted = env.json(&["client", "delete", "--tenant", "acme", &client_id, "--json"]);
    assert_eq!(deleted["deleted"], client_id.as_str());
    assert_fails(
        &env.run(&["client", "delete", "--tenant", "acme", &client_id]),
        1,
        "does not exist",
    );
    assert_eq!(
        env.json(&["client", "list", "--tenant", "acme", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert_fails(
        &env.run(&["client", "create", "--tenant", "nope", "--name", "x"]),
        1,
        "does not exist",
    );
    assert_fails(
        &env.run(&[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "x",
            "--redirect-uri",
            "/relative",
        ]),
        2,
        "redirect_uri",
    );
    assert_fails(
        &env.run(&[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "x",
            "--grant-type",
            "magic",
        ]),
        2,
        "grant_type",
    );
}

fn user_lifecycle(env: &Env) {
    env.json(&["tenant", "create", "acme", "--json"]);
    let ada = env.json_with_stdin(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--username",
            "ada",
            "--email",
            "ada@example.com",
            "--password-stdin",
            "--json",
        ],
        "correct horse battery\n",
    );
    assert_eq!(ada["username"], "ada");
    assert_eq!(ada["has_password"], true);
    assert!(
        !ada.to_string().contains("argon2"),
        "no password hash in output"
    );

    let bob = env.json(&[
        "user",
        "create",
        "--tenant",
        "acme",
        "--username",
        "bob",
        "--json",
    ]);
    assert_eq!(bob["has_password"], false);

    let found = env.json(&[
        "user", "list", "--tenant", "acme", "--search", "EXAMPLE", "--json",
    ]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(
        env.json(&["user", "list", "--tenant", "acme", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let set = env.json_with_stdin(
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "bob",
            "--password-stdin",
            "--json",
        ],
        "another long password\n",
    );
    assert_eq!(set["password_set"], true);

    assert_fails(
        &env.run(&["user", "create", "--tenant", "acme", "--username", "ADA"]),
        1,
        "already exists",
    );
    assert_fails(
        &env.run_with_stdin(
            &[
                "user",
                "create",
                "--tenant",
                "acme",
                "--username",
                "eve",
                "--password-stdin",
            ],
            "short\n",
        ),
        2,
        "too short",
    );
    assert_fails(
        &env.run(&[
            "user",
            "create",
            "--tenant",
            "acme",
            "--username",
            "eve",
            "--email",
            "nope",
        ]),
        2,
        "email",
    );
    assert_fails(
        &env.run_with_stdin(
            &[
                "user",
                "set-password",
                "--tenant",
                "acme",
                "--username",
                "zed",
            ],
            "long enough pw\n",
        ),
        1,
        "does not exist",
    );
    assert_fails(
        &env.run(&[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "bob",
        ]),
        2,
        "no password",
    );
}

fn key_rotation(env: &Env) {
    env.json(&["tenant", "create", "acme", "--json"]);
    let before = env.json(&["keys", "list", "--tenant", "acme", "--json"]);
    let es256 = |status: &str| {
        before
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["status"] == status && k["alg"] == "ES256")
            .unwrap()["kid"]
            .clone()
    };
    let (next, active) = (es256("next"), es256("active"));

    let report = env.json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    assert_eq!(report["default_alg"], "ES256");
    assert_eq!(
        report["active_kid"], next,
        "the already-published next key signs now"
    );
    assert_eq!(report["retired"]["kid"], active);
    let algs: Vec<&str> = report["algs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["ES256", "RS256", "EdDSA"], "every algorithm rotates");
    let after = env.json(&["keys", "list", "--tenant", "acme", "--json"]);
    let old = after
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == active)
        .unwrap();
    assert_eq!(old["status"], "retired");
    assert_eq!(
        old["published"], true,
        "retired key stays published while its tokens live"
    );

    assert_fails(
        &env.run(&["keys", "rotate", "--tenant", "nope"]),
        1,
        "does not exist",
    );
}

fn migrate_twice(env: &Env) {
    for _ in 0..2 {
        let out = env.run(&["migrate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every change the CLI makes goes through the admin use-cases as the local operator: it is
/// audited as `operator:local`, with the same snapshots the admin API records.
#[tokio::test]
async fn cli_changes_are_audited_as_the_local_operator_with_the_admin_apis_snapshots() {
    use keyward_core::{AuditFilter, AuditLog, PageRequest, TenantSlug, TenantStore};

    let env = Env::embedded();
    env.json(&["tenant", "create", "acme", "--json"]);
    let client = env.json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Billing job",
        "--json",
    ]);
    let client_id = client["client_id"].as_str().unwrap();
    env.json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        client_id,
        "--json",
    ]);
    env.json_with_stdin(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--username",
            "ada",
            "--password-stdin",
            "--json",
        ],
        "a long password\n",
    );
    env.json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    env.json(&["client", "delete", "--tenant", "acme", client_id, "--json"]);

    let store = env.store().await;
    let acme = TenantStore::by_slug(&store, &TenantSlug::parse("acme").unwrap())
        .await
        .unwrap()
        .unwrap();
    let events = AuditLog::list(
        &store,
        acme.id,
        &AuditFilter::default(),
        &PageRequest::first(PageRequest::MAX_LIMIT),
    )
    .await
    .unwrap()
    .items;
    assert_eq!(events.len(), 6, "{events:#?}");
    for event in &events {
        assert_eq!(event.actor, "operator:local", "{event:#?}");
    }
    // The admin API's client view (with its version), never the CLI's own description.
    let created = events
        .iter()
        .find(|e| e.action == "client.create")
        .unwrap_or_else(|| panic!("no client.create in {events:#?}"));
    let after = created.after.as_ref().unwrap();
    assert_eq!(after["client_id"], client_id);
    assert!(after.get("updated_at").is_some(), "{after}");
    assert!(after.get("tenant").is_none(), "{after}");
}

macro_rules! on_every_backend {
    ($($name:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let env = Env::embedded();
            $scenario(&env);
            if let Some(env) = Env::postgres().await {
                $scenario(&env);
                env.cleanup().await;
            }
        }
    )*};
}

on_every_backend! {
    tenant_create_and_list_work_and_refuse_duplicates_and_bad_slugs => tenant_lifecycle,
    client_commands_show_secrets_once_and_refuse_bad_metadata => client_lifecycle,
    user_commands_hash_passwords_and_refuse_duplicates => user_lifecycle,
    keys_rotate_promotes_the_published_next_key => key_rotation,
    migrate_is_idempotent => migrate_twice,
}
