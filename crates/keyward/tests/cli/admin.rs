//! `keyward admin create|service-account`: the first platform admin and service accounts.

use crate::harness::{Env, assert_fails};

#[test]
fn admin_create_makes_a_platform_admin_in_the_system_tenant() {
    let env = Env::embedded();
    let created = env.json_with_stdin(
        &[
            "admin",
            "create",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
            "--json",
        ],
        "a-long-password\n",
    );
    assert_eq!(created["role"], "platform-admin");
    assert!(created["subject"].as_str().unwrap().starts_with("user:"));
    let users = env.json(&["user", "list", "--tenant", "system", "--json"]);
    assert!(users.to_string().contains("root@example.com"), "{users}");
    assert!(
        !users.to_string().contains("argon2"),
        "the hash is never printed"
    );

    assert_fails(
        &env.run(&["admin", "create", "--username", "other"]),
        2,
        "--password-stdin",
    );
    assert_fails(
        &env.run_with_stdin(
            &["admin", "create", "--username", "short", "--password-stdin"],
            "abc\n",
        ),
        2,
        "password",
    );
    assert_fails(
        &env.run_with_stdin(
            &["admin", "create", "--username", "root", "--password-stdin"],
            "a-long-password\n",
        ),
        1,
        "already exists",
    );
}

#[test]
fn service_account_prints_its_secret_once_and_needs_a_tenant_for_tenant_roles() {
    let env = Env::embedded();
    env.json(&["tenant", "create", "acme", "--json"]);
    let bot = env.json(&[
        "admin",
        "service-account",
        "--name",
        "acme bot",
        "--role",
        "tenant-viewer",
        "--tenant",
        "acme",
        "--json",
    ]);
    assert_eq!(bot["role"], "tenant-viewer");
    assert_eq!(bot["tenant"], "acme");
    assert_eq!(bot["client_secret"].as_str().unwrap().len(), 43);
    assert!(
        bot["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/t/system/token")
    );
    let clients = env.json(&["client", "list", "--tenant", "system", "--json"]);
    assert!(
        clients
            .to_string()
            .contains(bot["client_id"].as_str().unwrap())
    );
    assert!(
        !clients
            .to_string()
            .contains(bot["client_secret"].as_str().unwrap())
    );

    assert_fails(
        &env.run(&[
            "admin",
            "service-account",
            "--name",
            "x",
            "--role",
            "tenant-admin",
        ]),
        2,
        "--tenant",
    );
    assert_fails(
        &env.run(&[
            "admin",
            "service-account",
            "--name",
            "x",
            "--role",
            "tenant-admin",
            "--tenant",
            "nope",
        ]),
        1,
        "does not exist",
    );
    assert_fails(
        &env.run(&["admin", "service-account", "--name", "x", "--role", "root"]),
        2,
        "root",
    );
}
