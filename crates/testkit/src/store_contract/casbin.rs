//! The Casbin adapter contract, driven through a real `casbin::Enforcer` with an
//! RBAC-with-domains model (the shape Keyward's authorization uses): rules added, removed and
//! saved through one enforcer are what a fresh enforcer loads; duplicates and missing rules are
//! reported, never half-applied; a filtered load reads one domain only.
//!
//! Each function takes a factory of adapters over one and the same storage, so "a fresh
//! enforcer" really re-reads what was stored.

use casbin::Adapter;
use casbin::prelude::*;

/// RBAC with domains: subjects get roles per domain (tenant).
pub const RBAC_WITH_DOMAINS: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"#;

fn rule(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

fn rules(list: &[&[&str]]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = list.iter().map(|r| rule(r)).collect();
    out.sort();
    out
}

async fn enforcer<A: Adapter + 'static>(adapter: A) -> Enforcer {
    let model = DefaultModel::from_str(RBAC_WITH_DOMAINS).await.unwrap();
    Enforcer::new(model, adapter).await.unwrap()
}

fn sorted(mut v: Vec<Vec<String>>) -> Vec<Vec<String>> {
    v.sort();
    v
}

/// Policy and grouping rules as a fresh enforcer loads them.
async fn stored<A: Adapter + 'static>(adapter: A) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let e = enforcer(adapter).await;
    (sorted(e.get_policy()), sorted(e.get_grouping_policy()))
}

pub async fn casbin_rules_added_through_an_enforcer_persist<A, F>(adapter: F)
where
    A: Adapter + 'static,
    F: Fn() -> A,
{
    let mut e = enforcer(adapter()).await;
    assert!(
        e.add_policy(rule(&["admin", "acme", "users", "write"]))
            .await
            .unwrap()
    );
    assert!(
        !e.add_policy(rule(&["admin", "acme", "users", "write"]))
            .await
            .unwrap(),
        "duplicate"
    );
    assert!(
        e.add_policies(vec![
            rule(&["viewer", "acme", "users", "read"]),
            rule(&["admin", "globex", "users", "write"]),
        ])
        .await
        .unwrap()
    );
    assert!(
        e.add_grouping_policy(rule(&["alice", "admin", "acme"]))
            .await
            .unwrap()
    );
    assert!(
        e.add_grouping_policy(rule(&["bob", "viewer", "acme"]))
            .await
            .unwrap()
    );

    let fresh = enforcer(adapter()).await;
    assert!(fresh.enforce(("alice", "acme", "users", "write")).unwrap());
    assert!(
        !fresh
            .enforce(("alice", "globex", "users", "write"))
            .unwrap(),
        "role is per domain"
    );
    assert!(fresh.enforce(("bob", "acme", "users", "read")).unwrap());
    assert!(!fresh.enforce(("bob", "acme", "users", "write")).unwrap());
    assert_eq!(
        (
            sorted(fresh.get_policy()),
            sorted(fresh.get_grouping_policy())
        ),
        (
            rules(&[
                &["admin", "acme", "users", "write"],
                &["admin", "globex", "users", "write"],
                &["viewer", "acme", "users", "read"],
            ]),
            rules(&[&["alice", "admin", "acme"], &["bob", "viewer", "acme"]]),
        )
    );
}

pub async fn casbin_removals_through_an_enforcer_persist<A, F>(adapter: F)
where
    A: Adapter + 'static,
    F: Fn() -> A,
{
    let mut e = enforcer(adapter()).await;
    e.add_policies(vec![
        rule(&["admin", "acme", "users", "write"]),
        rule(&["admin", "acme", "clients", "write"]),
        rule(&["viewer", "acme", "users", "read"]),
        rule(&["admin", "globex", "users", "write"]),
        rule(&["admin", "globex", "clients", "write"]),
        rule(&["auditor", "acme", "audit", "read"]),
    ])
    .await
    .unwrap();
    e.add_grouping_policies(vec![
        rule(&["alice", "admin", "acme"]),
        rule(&["alice", "admin", "globex"]),
        rule(&["bob", "viewer", "acme"]),
    ])
    .await
    .unwrap();

    assert!(
        e.remove_policy(rule(&["viewer", "acme", "users", "read"]))
            .await
            .unwrap()
    );
    assert!(
        !e.remove_policy(rule(&["viewer", "acme", "users", "read"]))
            .await
            .unwrap(),
        "gone"
    );
    assert!(
        e.remove_policies(vec![
            rule(&["admin", "acme", "clients", "write"]),
            rule(&["auditor", "acme", "audit", "read"]),
        ])
        .await
        .unwrap()
    );
    assert!(
        e.remove_filtered_policy(1, rule(&["globex"]))
            .await
            .unwrap(),
        "a whole domain"
    );
    assert!(
        e.remove_filtered_grouping_policy(0, rule(&["alice", "", "globex"]))
            .await
            .unwrap()
    );

    assert_eq!(
        stored(adapter()).await,
        (
            rules(&[&["admin", "acme", "users", "write"]]),
            rules(&[&["alice", "admin", "acme"], &["bob", "viewer", "acme"]]),
        )
    );
}

pub async fn casbin_save_policy_replaces_the_stored_rules<A, F>(adapter: F)
where
    A: Adapter + 'static,
    F: Fn() -> A,
{
    let mut e = enforcer(adapter()).await;
    e.enable_auto_save(false);
    e.add_policy(rule(&["admin", "acme", "users", "write"]))
        .await
        .unwrap();
    e.add_policy(rule(&["viewer", "acme", "users", "read"]))
        .await
        .unwrap();
    e.add_grouping_policy(rule(&["alice", "admin", "acme"]))
        .await
        .unwrap();
    assert_eq!(
        stored(adapter()).await,
        (vec![], vec![]),
        "nothing stored before the save"
    );
    e.save_policy().await.unwrap();
    assert_eq!(
        stored(adapter()).await,
        (
            rules(&[
                &["admin", "acme", "users", "write"],
                &["viewer", "acme", "users", "read"]
            ]),
            rules(&[&["alice", "admin", "acme"]]),
        )
    );

    e.remove_policy(rule(&["viewer", "acme", "users", "read"]))
        .await
        .unwrap();
    e.add_policy(rule(&["admin", "acme", "clients", "write"]))
        .await
        .unwrap();
    e.save_policy().await.unwrap();
    let fresh = enforcer(adapter()).await;
    assert_eq!(
        (
            sorted(fresh.get_policy()),
            sorted(fresh.get_grouping_policy())
        ),
        (
            rules(&[
                &["admin", "acme", "clients", "write"],
                &["admin", "acme", "users", "write"]
            ]),
            rules(&[&["alice", "admin", "acme"]]),
        )
    );
    assert!(
        fresh
            .enforce(("alice", "acme", "clients", "write"))
            .unwrap()
    );
}

pub async fn casbin_filtered_load_reads_one_domain<A, F>(adapter: F)
where
    A: Adapter + 'static,
    F: Fn() -> A,
{
    let mut e = enforcer(adapter()).await;
    e.add_policies(vec![
        rule(&["admin", "acme", "users", "write"]),
        rule(&["admin", "globex", "users", "write"]),
    ])
    .await
    .unwrap();
    e.add_grouping_policies(vec![
        rule(&["alice", "admin", "acme"]),
        rule(&["alice", "admin", "globex"]),
    ])
    .await
    .unwrap();

    let mut filtered = enforcer(adapter()).await;
    filtered
        .load_filtered_policy(Filter {
            p: vec!["", "acme"],
            g: vec!["", "", "acme"],
        })
        .await
        .unwrap();
    assert!(filtered.is_filtered());
    assert_eq!(
        filtered.get_policy(),
        rules(&[&["admin", "acme", "users", "write"]])
    );
    assert_eq!(
        filtered.get_grouping_policy(),
        rules(&[&["alice", "admin", "acme"]])
    );
    assert!(
        filtered
            .enforce(("alice", "acme", "users", "write"))
            .unwrap()
    );
    assert!(
        !filtered
            .enforce(("alice", "globex", "users", "write"))
            .unwrap()
    );
}

pub async fn casbin_adapter_never_half_applies_a_batch<A, F>(adapter: F)
where
    A: Adapter + 'static,
    F: Fn() -> A,
{
    let mut a = adapter();
    let one = rule(&["admin", "acme", "users", "write"]);
    let two = rule(&["viewer", "acme", "users", "read"]);
    assert!(a.add_policy("p", "p", one.clone()).await.unwrap());
    assert!(
        !a.add_policy("p", "p", one.clone()).await.unwrap(),
        "duplicate reported"
    );
    assert!(
        !a.add_policies("p", "p", vec![two.clone(), one.clone()])
            .await
            .unwrap()
    );
    assert_eq!(
        stored(adapter()).await.0,
        vec![one.clone()],
        "no part of a refused batch"
    );
    assert!(
        !a.remove_policies("p", "p", vec![one.clone(), two.clone()])
            .await
            .unwrap()
    );
    assert_eq!(
        stored(adapter()).await.0,
        vec![one.clone()],
        "no part of a refused removal"
    );
    assert!(
        !a.remove_filtered_policy("p", "p", 0, vec![String::new()])
            .await
            .unwrap()
    );
    assert!(!a.is_filtered());
    a.clear_policy().await.unwrap();
    assert_eq!(stored(adapter()).await, (vec![], vec![]));
}
