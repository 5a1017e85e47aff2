//! Bad configuration, unreachable dependencies and a wrong master key: one line, exit 2.

use crate::harness::{Env, assert_fails};

#[test]
fn a_bad_value_names_its_environment_variable() {
    let mut env = Env::embedded();
    env.set("KEYWARD_LISTEN", "not-an-address");
    assert_fails(&env.run(&["tenant", "list"]), 2, "KEYWARD_LISTEN");
    let mut env = Env::embedded();
    env.set("KEYWARD_DATABASE_URL", "mysql://x");
    assert_fails(&env.run(&["tenant", "list"]), 2, "KEYWARD_DATABASE_URL");
    let mut env = Env::embedded();
    env.set("KEYWARD_MASTER_KEY", "too-short");
    assert_fails(&env.run(&["tenant", "list"]), 2, "KEYWARD_MASTER_KEY");
}

#[test]
fn an_unknown_key_in_the_config_file_is_refused() {
    let env = Env::embedded();
    let file = env.dir.path().join("keyward.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite::memory:\"\n",
    )
    .unwrap();
    assert_fails(
        &env.run(&["--config", file.to_str().unwrap(), "tenant", "list"]),
        2,
        "databse_url",
    );
    std::fs::write(&file, "listen = 12\n").unwrap();
    assert_fails(
        &env.run(&["--config", file.to_str().unwrap(), "tenant", "list"]),
        2,
        "keyward.toml",
    );
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let mut env = Env::embedded();
    env.set(
        "KEYWARD_DATABASE_URL",
        "postgres://keyward:hunter2@127.0.0.1:1/keyward",
    );
    env.set(
        "KEYWARD_MASTER_KEY",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    );
    let out = env.run(&["tenant", "list"]);
    assert_fails(&out, 2, "127.0.0.1:1");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("hunter2"),
        "password leaked"
    );
}

#[test]
fn an_unreachable_redis_is_named() {
    let mut env = Env::embedded();
    env.set("KEYWARD_REDIS_URL", "redis://127.0.0.1:1");
    assert_fails(&env.run(&["tenant", "list"]), 2, "redis://127.0.0.1:1");
}

#[test]
fn an_external_database_needs_a_master_key() {
    let mut env = Env::embedded();
    env.set("KEYWARD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/x");
    assert_fails(&env.run(&["tenant", "list"]), 2, "KEYWARD_MASTER_KEY");
}

#[test]
fn a_wrong_master_key_is_refused_at_start() {
    let mut env = Env::embedded();
    assert!(env.run(&["migrate"]).status.success());
    assert!(
        env.dir.path().join("master.key").exists(),
        "embedded start generates a master key"
    );
    env.set(
        "KEYWARD_MASTER_KEY",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    );
    assert_fails(&env.run(&["tenant", "list"]), 2, "KEYWARD_MASTER_KEY");
}

#[test]
fn usage_errors_exit_with_2() {
    let env = Env::embedded();
    let out = env.run(&["tenant", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["client", "create", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(2), "--name is required");
}
