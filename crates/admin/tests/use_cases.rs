//! The admin use-cases over a real (SQLite) store and an in-memory policy: the isolation
//! matrix, read-only viewers, audit events without secrets, stale writes and field errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use async_trait::async_trait;
use casbin::MemoryAdapter;
use keyward_admin::{
    Admin, AdminError, AdminPorts, Announcer, AuditQuery, Caller, ClientInput, ClientPatch,
    PasswordInput, PermissionView, ProviderInput, RoleAssignmentInput, SessionLogout, TenantInput,
    TenantPatch, UserInput, UserPatch,
};
use keyward_authz::{Actor, Authorizer, TenantRole};
use keyward_core::{ClientId, MasterKey, SystemClock, TenantId, UserId};
use keyward_identity::{EndedSession, PasswordHasher, Sessions};
use keyward_oauth::client_secret::ClientSecretHasher;
use keyward_testkit::db::TestDb;

struct Silent;

#[async_trait]
impl Announcer for Silent {
    async fn tenant_changed(&self, _: TenantId) {}
    async fn client_changed(&self, _: TenantId, _: &ClientId) {}
    async fn keys_changed(&self, _: TenantId) {}
}

/// Records the sessions whose end the admin announces (back-channel logout in production).
#[derive(Default)]
struct LoggedOut(std::sync::Mutex<Vec<UserId>>);

#[async_trait]
impl SessionLogout for LoggedOut {
    async fn session_ended(&self, _: &keyward_core::Tenant, ended: &EndedSession) {
        self.0.lock().unwrap().push(ended.session.user_id);
    }
}

impl LoggedOut {
    fn lock_len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

struct Fixture {
    admin: Admin,
    logged_out: Arc<LoggedOut>,
    root: Caller,
    /// Where browser sessions live (shared with the admin service).
    sessions: Sessions,
    _db: TestDb,
}

fn caller(actor: Actor) -> Caller {
    Caller::new(actor, Some("req-1".into()))
}

async fn fixture() -> Fixture {
    let db = TestDb::sqlite().await;
    let store = Arc::new(db.store.clone());
    let authorizer = Arc::new(Authorizer::new(MemoryAdapter::default()).await.unwrap());
    let root = Actor::User(UserId::generate());
    let _ = authorizer.grant_platform_admin(&root).await.unwrap();
    let master = MasterKey::generate().unwrap();
    let cache = Arc::new(keyward_cache::MemoryStore::new());
    let admin = Admin::new(AdminPorts {
        transactions: store.clone(),
        authorizer,
        tenants: store.clone(),
        clients: store.clone(),
        users: store.clone(),
        keys: store.clone(),
        providers: store.clone(),
        consents: store.clone(),
        refresh_tokens: store.clone(),
        audit: store,
        cache: cache.clone(),
        announcer: Arc::new(Silent),
        secrets: ClientSecretHasher::new(&master).unwrap(),
        passwords: PasswordHasher::recommended().unwrap(),
        master,
        clock: Arc::new(SystemClock),
        outbound: keyward_core::OutboundRule::default(),
    });
    let logged_out = Arc::new(LoggedOut::default());
    let admin = admin.with_session_logout(logged_out.clone());
    Fixture {
        admin,
        logged_out,
        root: caller(root),
        sessions: Sessions::new(cache),
        _db: db,
    }
}

/// A tenant with one client and one user, made by the platform admin.
struct Seeded {
    slug: String,
    client_id: String,
    user_id: String,
    /// The public id of the user's browser session.
    sid: String,
}

async fn seed(f: &Fixture, slug: &str) -> Seeded {
    let input = TenantInput {
        slug: slug.into(),
        display_name: slug.to_uppercase(),
    };
    f.admin.create_tenant(&f.root, &input).await.unwrap();
    let client = f
        .admin
        .create_client(
            &f.root,
            slug,
            &ClientInput {
                name: "svc".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let user = f
        .admin
        .create_user(
            &f.root,
            slug,
            &UserInput {
                username: "alice".into(),
                email: None,
                password: None,
            },
        )
        .await
        .unwrap();
    f.admin
        .create_provider(&f.root, slug, &provider("upstream"))
        .await
        .unwrap();
    let tenant = f.admin.tenant_view(&f.root, slug).await.unwrap();
    let consent = keyward_oauth::Consent {
        tenant_id: TenantId::from_uuid(tenant.id),
        user_id: UserId::from_uuid(user.id),
        client_id: ClientId::parse(&client.client.client_id).unwrap(),
        scopes: keyward_core::Scope::parse("openid profile").unwrap(),
        granted_at: chrono::Utc::now(),
    };
    keyward_oauth::ConsentStore::upsert(&f._db.store, &consent)
        .await
        .unwrap();
    let session = f
        .sessions
        .create(
            consent.tenant_id,
            consent.user_id,
            vec![keyward_core::Amr::Pwd],
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    Seeded {
        slug: slug.into(),
        client_id: client.client.client_id,
        user_id: user.id.to_string(),
        sid: session.session.sid(),
    }
}

async fn member(f: &Fixture, slug: &str, role: &str) -> Caller {
    let actor = Actor::User(UserId::generate());
    let input = RoleAssignmentInput {
        subject: actor.subject(),
        role: role.into(),
    };
    f.admin
        .assign_role(&f.root, slug, &input, true)
        .await
        .unwrap();
    caller(actor)
}

/// Runs every admin operation against `t` as `who`: (name, is a write, outcome).
async fn every_operation(
    f: &Fixture,
    who: &Caller,
    t: &Seeded,
) -> Vec<(&'static str, bool, Result<(), AdminError>)> {
    let a = &f.admin;
    let s = t.slug.as_str();
    vec![
        ("tenant.read", false, ok(a.tenant_view(who, s).await)),
        (
            "tenant.update",
            true,
            ok(a.update_tenant(
                who,
                s,
                &TenantPatch {
                    display_name: Some("X".into()),
                    settings: None,
                },
                None,
            )
            .await),
        ),
        (
            "client.list",
            false,
            ok(a.list_clients(who, s, None, None).await),
        ),
        (
            "client.read",
            false,
            ok(a.client_view(who, s, &t.client_id).await),
        ),
        (
            "client.create",
            true,
            ok(a.create_client(
                who,
                s,
                &ClientInput {
                    name: "x".into(),
                    ..Default::default()
                },
            )
            .await),
        ),
        (
            "client.update",
            true,
            ok(a.update_client(
                who,
                s,
                &t.client_id,
                &ClientPatch {
                    first_party: Some(true),
                    ..Default::default()
                },
                None,
            )
            .await),
        ),
        (
            "client.rotate_secret",
            true,
            ok(a.rotate_client_secret(who, s, &t.client_id).await),
        ),
        (
            "user.list",
            false,
            ok(a.list_users(who, s, None, None, None).await),
        ),
        (
            "user.read",
            false,
            ok(a.user_view(who, s, &t.user_id).await),
        ),
        (
            "user.create",
            true,
            ok(a.create_user(
                who,
                s,
                &UserInput {
                    username: format!("u{}", uuid_suffix()),
                    email: None,
                    password: None,
                },
            )
            .await),
        ),
        (
            "user.update",
            true,
            ok(a.update_user(
                who,
                s,
                &t.user_id,
                &UserPatch {
                    disabled: Some(false),
                    ..Default::default()
                },
                None,
            )
            .await),
        ),
        (
            "user.set_password",
            true,
            ok(a.set_user_password(
                who,
                s,
                &t.user_id,
                &PasswordInput {
                    password: "a-long-password".into(),
                },
            )
            .await),
        ),
        ("key.read", false, ok(a.list_keys(who, s).await)),
        (
            "audit.read",
            false,
            ok(a.list_audit_events(who, s, AuditQuery::default()).await),
        ),
        (
            "role.read",
            false,
            ok(a.list_role_assignments(who, s).await),
        ),
        (
            "provider.list",
            false,
            ok(a.list_providers(who, s, None, None).await),
        ),
        (
            "provider.read",
            false,
            ok(a.provider_view(who, s, "upstream").await),
        ),
        (
            "provider.create",
            true,
            ok(
                a.create_provider(who, s, &provider(&format!("p{}", uuid_suffix())))
                    .await,
            ),
        ),
        (
            "provider.update",
            true,
            ok(a.update_provider(
                who,
                s,
                "upstream",
                &ProviderInput {
                    enabled: Some(false),
                    ..Default::default()
                },
                None,
            )
            .await),
        ),
        (
            "provider.delete",
            true,
            ok(a.delete_provider(who, s, "upstream", None).await),
        ),
        ("role.read (app)", false, ok(a.list_app_roles(who, s).await)),
        (
            "role.create (app permission)",
            true,
            ok(
                a.grant_app_permission(who, s, "editor", &perm("write"), true)
                    .await,
            ),
        ),
        (
            "role.create (second permission)",
            true,
            ok(
                a.grant_app_permission(who, s, "editor", &perm("read"), true)
                    .await,
            ),
        ),
        (
            "role.update (revoke permission)",
            true,
            ok(
                a.grant_app_permission(who, s, "editor", &perm("write"), false)
                    .await,
            ),
        ),
        (
            "role.assign (app)",
            true,
            ok(a.assign_app_role(who, s, &t.user_id, "editor", true).await),
        ),
        (
            "role.read (user app roles)",
            false,
            ok(a.list_user_app_roles(who, s, &t.user_id).await),
        ),
        (
            "role.assign (unassign app)",
            true,
            ok(a.assign_app_role(who, s, &t.user_id, "editor", false).await),
        ),
        (
            "role.delete (app)",
            true,
            ok(a.delete_app_role(who, s, "editor").await),
        ),
        (
            "user.consents",
            false,
            ok(a.list_user_consents(who, s, &t.user_id).await),
        ),
        (
            "user.revoke_consents",
            true,
            ok(a.revoke_user_consent(who, s, &t.user_id, &t.client_id)
                .await),
        ),
        (
            "user.sessions",
            false,
            ok(a.list_user_sessions(who, s, &t.user_id).await),
        ),
        (
            "user.revoke_sessions (one)",
            true,
            ok(a.revoke_user_session(who, s, &t.user_id, &t.sid).await),
        ),
        (
            "user.revoke_sessions",
            true,
            ok(a.revoke_user_sessions(who, s, &t.user_id).await),
        ),
        (
            "role.assign",
            true,
            ok(a.assign_role(
                who,
                s,
                &RoleAssignmentInput {
                    subject: Actor::User(UserId::generate()).subject(),
                    role: "tenant-viewer".into(),
                },
                true,
            )
            .await),
        ),
        (
            "user.delete",
            true,
            ok(a.delete_user(who, s, &t.user_id, None).await),
        ),
        (
            "client.delete",
            true,
            ok(a.delete_client(who, s, &t.client_id, None).await),
        ),
    ]
}

fn provider(alias: &str) -> ProviderInput {
    ProviderInput {
        alias: Some(alias.into()),
        display_name: Some("Upstream".into()),
        issuer_url: Some("https://idp.test".into()),
        client_id: Some("rp".into()),
        client_secret: Some("upstream-secret".into()),
        ..Default::default()
    }
}

fn perm(action: &str) -> PermissionView {
    PermissionView {
        resource: "document".into(),
        action: action.into(),
    }
}

fn ok<T>(r: Result<T, AdminError>) -> Result<(), AdminError> {
    r.map(|_| ())
}

fn uuid_suffix() -> String {
    UserId::generate().to_string()[..8].to_owned()
}

#[tokio::test]
async fn tenant_admin_of_a_can_do_nothing_in_b() {
    let f = fixture().await;
    let _a = seed(&f, "tenant-a").await;
    let b = seed(&f, "tenant-b").await;
    let admin_a = member(&f, "tenant-a", "tenant-admin").await;
    for (name, _, outcome) in every_operation(&f, &admin_a, &b).await {
        assert!(
            matches!(outcome, Err(AdminError::Denied(_) | AdminError::NotFound)),
            "{name}: {outcome:?}"
        );
    }
    let created = f
        .admin
        .create_tenant(
            &admin_a,
            &TenantInput {
                slug: "tenant-c".into(),
                display_name: "C".into(),
            },
        )
        .await;
    assert!(
        matches!(created, Err(AdminError::Denied(_))),
        "tenant-admin created a tenant"
    );
    // Its own tenant it fully administers.
    let a = Seeded {
        slug: "tenant-a".into(),
        ..b_ids(&f, "tenant-a").await
    };
    for (name, _, outcome) in every_operation(&f, &admin_a, &a).await {
        assert!(outcome.is_ok(), "{name} in its own tenant: {outcome:?}");
    }
}

async fn b_ids(f: &Fixture, slug: &str) -> Seeded {
    let client = f
        .admin
        .list_clients(&f.root, slug, None, None)
        .await
        .unwrap()
        .items
        .remove(0);
    let user = f
        .admin
        .list_users(&f.root, slug, None, None, None)
        .await
        .unwrap()
        .items
        .remove(0);
    let sid = f
        .admin
        .list_user_sessions(&f.root, slug, &user.id.to_string())
        .await
        .unwrap()
        .items
        .remove(0)
        .sid;
    Seeded {
        slug: slug.into(),
        client_id: client.client_id,
        user_id: user.id.to_string(),
        sid,
    }
}

#[tokio::test]
async fn tenant_viewer_reads_but_cannot_write() {
    let f = fixture().await;
    let a = seed(&f, "viewed").await;
    let viewer = member(&f, "viewed", "tenant-viewer").await;
    for (name, write, outcome) in every_operation(&f, &viewer, &a).await {
        if write {
            assert!(
                matches!(outcome, Err(AdminError::Denied(_))),
                "viewer could {name}: {outcome:?}"
            );
        } else {
            assert!(outcome.is_ok(), "viewer could not {name}: {outcome:?}");
        }
    }
}

#[tokio::test]
async fn platform_admin_can_do_everything_and_every_mutation_is_audited_without_secrets() {
    let f = fixture().await;
    let a = seed(&f, "audited").await;
    for (name, _, outcome) in every_operation(&f, &f.root, &a).await {
        assert!(
            outcome.is_ok(),
            "platform admin could not {name}: {outcome:?}"
        );
    }
    let events = f
        .admin
        .list_audit_events(
            &f.root,
            "audited",
            AuditQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = events.items.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "tenant.create",
        "tenant.update",
        "client.create",
        "client.update",
        "client.rotate_secret",
        "client.delete",
        "user.create",
        "user.update",
        "user.set_password",
        "user.delete",
        "role.assign",
        "provider.create",
        "provider.update",
        "provider.delete",
        "user.revoke_consents",
        "user.revoke_sessions",
    ] {
        assert!(
            actions.contains(&action),
            "no audit event for {action}: {actions:?}"
        );
    }
    for e in &events.items {
        assert_eq!(e.actor, f.root.actor.subject());
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        let text = format!(
            "{} {}",
            serde_json::json!(e.before),
            serde_json::json!(e.after)
        );
        for secret in [
            "secret_hash",
            "\"client_secret\":",
            "password_hash",
            "\"password\":",
            "$argon2",
            "upstream-secret",
            "hmac-sha256$",
        ] {
            assert!(
                !text.contains(secret),
                "{} leaks {secret}: {text}",
                e.action
            );
        }
    }
    assert_eq!(
        f.logged_out.lock_len(),
        1,
        "the ended session's clients are told"
    );
    let update = events
        .items
        .iter()
        .find(|e| e.action == "tenant.update")
        .unwrap();
    assert_eq!(update.before.as_ref().unwrap()["display_name"], "AUDITED");
    assert_eq!(update.after.as_ref().unwrap()["display_name"], "X");
}

#[tokio::test]
async fn stale_if_match_is_refused_and_current_one_accepted() {
    let f = fixture().await;
    let a = seed(&f, "versioned").await;
    let user = f
        .admin
        .user_view(&f.root, "versioned", &a.user_id)
        .await
        .unwrap();
    let tag = format!("\"{}\"", user.version().as_str());
    let patch = UserPatch {
        disabled: Some(true),
        ..Default::default()
    };
    f.admin
        .update_user(&f.root, "versioned", &a.user_id, &patch, Some(&tag))
        .await
        .unwrap();
    let again = f
        .admin
        .update_user(&f.root, "versioned", &a.user_id, &patch, Some(&tag))
        .await;
    assert!(matches!(again, Err(AdminError::Stale)), "{again:?}");
    let deleted = f
        .admin
        .delete_user(&f.root, "versioned", &a.user_id, Some(&tag))
        .await;
    assert!(matches!(deleted, Err(AdminError::Stale)), "{deleted:?}");
}

#[tokio::test]
async fn invalid_input_reports_every_field() {
    let f = fixture().await;
    seed(&f, "fields").await;
    let bad = ClientInput {
        name: String::new(),
        redirect_uris: vec!["not a uri".into()],
        jwks_uri: Some("ftp://x".into()),
        ..Default::default()
    };
    let Err(AdminError::Invalid(errors)) = f.admin.create_client(&f.root, "fields", &bad).await
    else {
        panic!("accepted")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for field in ["name", "redirect_uri", "jwks_uri"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    let Err(AdminError::Invalid(errors)) = f
        .admin
        .create_user(
            &f.root,
            "fields",
            &UserInput {
                username: String::new(),
                email: Some("nope".into()),
                password: Some("short".into()),
            },
        )
        .await
    else {
        panic!("accepted")
    };
    assert_eq!(errors.len(), 3, "{errors:?}");
    let dup = f
        .admin
        .create_tenant(
            &f.root,
            &TenantInput {
                slug: "fields".into(),
                display_name: "F".into(),
            },
        )
        .await;
    assert!(matches!(dup, Err(AdminError::Conflict(_))), "{dup:?}");
}

#[tokio::test]
async fn lists_page_with_cursors() {
    let f = fixture().await;
    seed(&f, "paged").await;
    for i in 0..4 {
        f.admin
            .create_user(
                &f.root,
                "paged",
                &UserInput {
                    username: format!("user{i}"),
                    email: None,
                    password: None,
                },
            )
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = f
            .admin
            .list_users(&f.root, "paged", None, Some(2), after)
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|u| u.username));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["alice", "user0", "user1", "user2", "user3"]);
    let found = f
        .admin
        .list_users(&f.root, "paged", Some("USER2".into()), None, None)
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
}

#[tokio::test]
async fn role_assignment_takes_effect_and_revocation_removes_it() {
    let f = fixture().await;
    seed(&f, "roles").await;
    let who = member(&f, "roles", "tenant-viewer").await;
    assert!(f.admin.tenant_view(&who, "roles").await.is_ok());
    let input = RoleAssignmentInput {
        subject: who.actor.subject(),
        role: "tenant-viewer".into(),
    };
    f.admin
        .assign_role(&f.root, "roles", &input, false)
        .await
        .unwrap();
    assert!(matches!(
        f.admin.tenant_view(&who, "roles").await,
        Err(AdminError::Denied(_))
    ));
    let _ = TenantRole::Admin;
}
