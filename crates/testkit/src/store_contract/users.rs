//! The `UserStore` contract: usernames and e-mail addresses unique per tenant regardless of
//! case, look-ups and search that ignore case, canonical-username pages, `NotFound` and
//! `Conflict` where the port promises them, and nothing visible across tenants.

use chrono::Duration;
use keyward_core::{
    Clock, Email, PageRequest, StoreError, TenantId, TenantStore, UserId, Username,
};
use keyward_identity::{NewUser, User, UserQuery, UserStore};
use serde_json::json;

use super::tenants::seed_tenant;
use crate::FixedClock;

/// A user in `tenant`, created at the fixed clock's time.
pub fn user(tenant: TenantId, username: &str, email: Option<&str>) -> User {
    User::new(
        tenant,
        NewUser {
            username: Username::parse(username).unwrap(),
            email: email.map(|e| Email::parse(e).unwrap()),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        },
        FixedClock::new().now(),
    )
}

async fn usernames<S: UserStore>(s: &S, tenant: TenantId, search: Option<&str>) -> Vec<String> {
    let query = UserQuery {
        search: search.map(str::to_owned),
    };
    let page = UserStore::list(s, tenant, &query, &PageRequest::default())
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|u| u.username.to_string())
        .collect()
}

pub async fn user_round_trips_every_field<S: TenantStore + UserStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let mut u = user(tenant.id, "Ada.Lovelace", Some("Ada@Example.COM"));
    u.email_verified = true;
    u.disabled = true;
    u.claims = json!({"name": "Ada", "address": {"country": "GB"}, "phone_number_verified": false});
    u.updated_at += Duration::microseconds(1);
    UserStore::create(s, &u).await.unwrap();
    assert_eq!(s.get(tenant.id, u.id).await.unwrap().as_ref(), Some(&u));

    let bare = user(tenant.id, "grace", None);
    let bare = User {
        password_hash: None,
        ..bare
    };
    UserStore::create(s, &bare).await.unwrap();
    assert_eq!(s.get(tenant.id, bare.id).await.unwrap(), Some(bare));
    assert_eq!(s.get(tenant.id, UserId::generate()).await.unwrap(), None);
}

pub async fn user_lookups_ignore_case<S: TenantStore + UserStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let u = user(tenant.id, "Ada", Some("Ada@Example.com"));
    UserStore::create(s, &u).await.unwrap();
    let found = s
        .by_username(tenant.id, &Username::parse("aDA").unwrap())
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(|f| f.id), Some(u.id));
    assert_eq!(
        found.map(|f| f.username.to_string()).as_deref(),
        Some("Ada"),
        "entered form kept"
    );
    let found = s
        .by_email(tenant.id, &Email::parse("ada@EXAMPLE.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.id), Some(u.id));
    assert_eq!(
        s.by_username(tenant.id, &Username::parse("ad").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.by_email(tenant.id, &Email::parse("x@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn username_is_unique_per_tenant_ignoring_case<S: TenantStore + UserStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    UserStore::create(s, &user(a.id, "Ada", None))
        .await
        .unwrap();
    let clash = user(a.id, "aDa", None);
    assert!(matches!(
        UserStore::create(s, &clash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get(a.id, clash.id).await.unwrap(), None);
    UserStore::create(s, &user(b.id, "ada", None))
        .await
        .unwrap();
}

pub async fn email_is_unique_per_tenant_ignoring_case<S: TenantStore + UserStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    UserStore::create(s, &user(a.id, "ada", Some("ada@example.com")))
        .await
        .unwrap();
    let clash = user(a.id, "ada2", Some("ADA@example.com"));
    assert!(matches!(
        UserStore::create(s, &clash).await,
        Err(StoreError::Conflict(_))
    ));
    UserStore::create(s, &user(b.id, "ada", Some("ada@example.com")))
        .await
        .unwrap();
    // Any number of users may have no e-mail at all.
    UserStore::create(s, &user(a.id, "no-mail-1", None))
        .await
        .unwrap();
    UserStore::create(s, &user(a.id, "no-mail-2", None))
        .await
        .unwrap();
}

pub async fn user_list_pages_by_canonical_username<S: TenantStore + UserStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    for name in ["delta", "Alpha", "echo", "CHARLIE", "bravo"] {
        UserStore::create(s, &user(tenant.id, name, None))
            .await
            .unwrap();
    }
    let q = UserQuery::default();
    let first = UserStore::list(s, tenant.id, &q, &PageRequest::first(2))
        .await
        .unwrap();
    let names = |p: &keyward_core::Page<User>| {
        p.items
            .iter()
            .map(|u| u.username.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&first), ["Alpha", "bravo"]);
    assert_eq!(first.next.as_deref(), Some("bravo"));
    let second = UserStore::list(
        s,
        tenant.id,
        &q,
        &PageRequest::after(first.next.unwrap(), 2),
    )
    .await
    .unwrap();
    assert_eq!(names(&second), ["CHARLIE", "delta"]);
    assert_eq!(
        second.next.as_deref(),
        Some("delta"),
        "the cursor is the canonical username"
    );
    let last = UserStore::list(
        s,
        tenant.id,
        &q,
        &PageRequest::after(second.next.unwrap(), 2),
    )
    .await
    .unwrap();
    assert_eq!(names(&last), ["echo"]);
    assert_eq!(last.next, None);
}

pub async fn user_search_is_a_case_insensitive_substring<S: TenantStore + UserStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    UserStore::create(
        s,
        &user(tenant.id, "Ada_Lovelace", Some("ada@analytical.example")),
    )
    .await
    .unwrap();
    UserStore::create(s, &user(tenant.id, "grace", Some("Grace@Navy.example")))
        .await
        .unwrap();
    UserStore::create(s, &user(tenant.id, "adaxlovelace", None))
        .await
        .unwrap();
    UserStore::create(s, &user(tenant.id, "percent%user", None))
        .await
        .unwrap();

    assert_eq!(
        usernames(s, tenant.id, Some("LOVE")).await,
        ["Ada_Lovelace", "adaxlovelace"]
    );
    assert_eq!(
        usernames(s, tenant.id, Some("navy")).await,
        ["grace"],
        "matches the e-mail"
    );
    assert_eq!(
        usernames(s, tenant.id, Some("ANALYTICAL")).await,
        ["Ada_Lovelace"]
    );
    // LIKE wildcards in the needle are literal characters.
    assert_eq!(usernames(s, tenant.id, Some("a_l")).await, ["Ada_Lovelace"]);
    assert_eq!(usernames(s, tenant.id, Some("%")).await, ["percent%user"]);
    assert_eq!(
        usernames(s, tenant.id, Some("\\")).await,
        Vec::<String>::new()
    );
    assert!(usernames(s, tenant.id, Some("nobody")).await.is_empty());
    assert_eq!(
        usernames(s, tenant.id, Some("")).await.len(),
        4,
        "an empty search is no filter"
    );
}

pub async fn user_update_replaces_fields_and_keeps_uniqueness<S: TenantStore + UserStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let clock = FixedClock::new();
    let mut u = user(tenant.id, "ada", Some("ada@example.com"));
    let other = user(tenant.id, "grace", Some("grace@example.com"));
    UserStore::create(s, &u).await.unwrap();
    UserStore::create(s, &other).await.unwrap();

    clock.advance(Duration::minutes(5));
    u.username = Username::parse("Countess").unwrap();
    u.email = Some(Email::parse("countess@example.com").unwrap());
    u.email_verified = true;
    u.password_hash = None;
    u.disabled = true;
    u.claims = json!({"given_name": "Augusta"});
    u.updated_at = clock.now();
    UserStore::update(s, &u).await.unwrap();
    assert_eq!(s.get(tenant.id, u.id).await.unwrap().as_ref(), Some(&u));
    assert_eq!(
        s.by_username(tenant.id, &Username::parse("ada").unwrap())
            .await
            .unwrap(),
        None
    );
    assert!(
        s.by_username(tenant.id, &Username::parse("countess").unwrap())
            .await
            .unwrap()
            .is_some()
    );

    let mut taken_name = u.clone();
    taken_name.username = Username::parse("GRACE").unwrap();
    assert!(matches!(
        UserStore::update(s, &taken_name).await,
        Err(StoreError::Conflict(_))
    ));
    let mut taken_mail = u.clone();
    taken_mail.email = Some(Email::parse("Grace@example.com").unwrap());
    assert!(matches!(
        UserStore::update(s, &taken_mail).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get(tenant.id, u.id).await.unwrap(), Some(u));
}

pub async fn user_password_hash_and_delete_answer_not_found_when_absent<S>(s: &S)
where
    S: TenantStore + UserStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let clock = FixedClock::new();
    let u = user(tenant.id, "ada", None);
    UserStore::create(s, &u).await.unwrap();
    clock.advance(Duration::seconds(3));
    s.set_password_hash(tenant.id, u.id, "$argon2id$new", clock.now())
        .await
        .unwrap();
    let stored = s.get(tenant.id, u.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(stored.updated_at, clock.now());
    assert_eq!(stored.created_at, u.created_at);

    let ghost = UserId::generate();
    let missing = s
        .set_password_hash(tenant.id, ghost, "x", clock.now())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
    let ghost_user = user(tenant.id, "ghost", None);
    assert!(matches!(
        UserStore::update(s, &ghost_user).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        UserStore::delete(s, tenant.id, ghost).await,
        Err(StoreError::NotFound)
    ));

    UserStore::delete(s, tenant.id, u.id).await.unwrap();
    assert_eq!(s.get(tenant.id, u.id).await.unwrap(), None);
    assert!(matches!(
        UserStore::delete(s, tenant.id, u.id).await,
        Err(StoreError::NotFound)
    ));
}

/// A user of tenant A can be neither read, listed, searched, updated nor deleted through B.
pub async fn users_are_isolated_between_tenants<S: TenantStore + UserStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let u = user(a.id, "ada", Some("ada@example.com"));
    UserStore::create(s, &u).await.unwrap();

    assert_eq!(s.get(b.id, u.id).await.unwrap(), None);
    assert_eq!(s.by_username(b.id, &u.username).await.unwrap(), None);
    assert_eq!(
        s.by_email(b.id, u.email.as_ref().unwrap()).await.unwrap(),
        None
    );
    assert!(usernames(s, b.id, None).await.is_empty());
    assert!(usernames(s, b.id, Some("ada")).await.is_empty());

    let hijack = User {
        tenant_id: b.id,
        disabled: true,
        ..u.clone()
    };
    assert!(matches!(
        UserStore::update(s, &hijack).await,
        Err(StoreError::NotFound)
    ));
    let reset = s
        .set_password_hash(b.id, u.id, "stolen", FixedClock::new().now())
        .await;
    assert!(matches!(reset, Err(StoreError::NotFound)));
    assert!(matches!(
        UserStore::delete(s, b.id, u.id).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        s.get(a.id, u.id).await.unwrap(),
        Some(u),
        "tenant A's user was changed"
    );
}
