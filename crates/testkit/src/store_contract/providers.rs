//! The `IdentityProviderStore` and `LinkedIdentityStore` contracts: providers kept field for
//! field and unique by alias within a tenant, listed by alias, links unique per upstream
//! subject, deleting a provider takes its links, and nothing visible or changeable across
//! tenants.

use chrono::Duration;
use keyward_core::{Clock, DisplayName, StoreError, TenantId, TenantSlug, TenantStore, UserId};
use keyward_federation::{
    IdentityProvider, IdentityProviderStore, LinkedIdentity, LinkedIdentityStore,
};
use keyward_identity::UserStore;
use serde_json::json;
use uuid::Uuid;

use super::tenants::seed_tenant;
use super::users::user;
use crate::FixedClock;

/// An enabled OIDC provider with `alias`, created at the fixed clock's time.
pub fn provider(tenant: TenantId, alias: &str) -> IdentityProvider {
    let now = FixedClock::new().now();
    IdentityProvider {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        alias: TenantSlug::parse(alias).unwrap(),
        display_name: DisplayName::parse(&format!("Sign in with {alias}")).unwrap(),
        kind: keyward_federation::ProviderKind::Oidc,
        issuer_url: format!("https://{alias}.idp.test"),
        client_id: format!("keyward-at-{alias}"),
        client_secret_sealed: Some(vec![1, 2, 3, 0, 255]),
        scopes: vec!["openid".to_owned(), "email".to_owned()],
        claim_mapping: json!({"email": "mail", "name": {"from": "displayName"}}),
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

/// A link of `subject` at `provider` to `user`, made at the fixed clock's time.
pub fn link(tenant: TenantId, provider: Uuid, subject: &str, user: UserId) -> LinkedIdentity {
    LinkedIdentity {
        tenant_id: tenant,
        provider_id: provider,
        subject: subject.to_owned(),
        user_id: user,
        created_at: FixedClock::new().now(),
    }
}

fn alias(s: &str) -> TenantSlug {
    TenantSlug::parse(s).unwrap()
}

/// A tenant holding one user and one provider.
async fn seeded<S>(s: &S, slug: &str) -> (TenantId, UserId, IdentityProvider)
where
    S: TenantStore + UserStore + IdentityProviderStore,
{
    let tenant = seed_tenant(s, slug).await;
    let u = user(tenant.id, "ada", None);
    UserStore::create(s, &u).await.unwrap();
    let p = provider(tenant.id, "google");
    IdentityProviderStore::create(s, &p).await.unwrap();
    (tenant.id, u.id, p)
}

pub async fn provider_round_trips_every_field<S: TenantStore + IdentityProviderStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let mut full = provider(tenant.id, "google");
    full.updated_at += Duration::microseconds(5);
    let bare = IdentityProvider {
        kind: keyward_federation::ProviderKind::OAuth2,
        client_secret_sealed: None,
        scopes: vec![],
        claim_mapping: json!({}),
        enabled: false,
        ..provider(tenant.id, "github")
    };
    IdentityProviderStore::create(s, &full).await.unwrap();
    IdentityProviderStore::create(s, &bare).await.unwrap();
    assert_eq!(
        IdentityProviderStore::get(s, tenant.id, &full.alias)
            .await
            .unwrap(),
        Some(full)
    );
    assert_eq!(
        IdentityProviderStore::get(s, tenant.id, &bare.alias)
            .await
            .unwrap(),
        Some(bare)
    );
    assert_eq!(
        IdentityProviderStore::get(s, tenant.id, &alias("nope"))
            .await
            .unwrap(),
        None
    );
}

pub async fn provider_alias_is_unique_within_a_tenant_only<S>(s: &S)
where
    S: TenantStore + IdentityProviderStore,
{
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    IdentityProviderStore::create(s, &provider(a.id, "google"))
        .await
        .unwrap();
    assert!(matches!(
        IdentityProviderStore::create(s, &provider(a.id, "google")).await,
        Err(StoreError::Conflict(_))
    ));
    IdentityProviderStore::create(s, &provider(b.id, "google"))
        .await
        .unwrap();
}

pub async fn providers_list_by_alias<S: TenantStore + IdentityProviderStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    for a in ["okta", "azure", "google"] {
        IdentityProviderStore::create(s, &provider(tenant.id, a))
            .await
            .unwrap();
    }
    let listed: Vec<String> = IdentityProviderStore::list(s, tenant.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.alias.to_string())
        .collect();
    assert_eq!(listed, ["azure", "google", "okta"]);
}

pub async fn provider_update_replaces_fields_and_answers_not_found_when_absent<S>(s: &S)
where
    S: TenantStore + IdentityProviderStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let p = provider(tenant.id, "google");
    IdentityProviderStore::create(s, &p).await.unwrap();
    IdentityProviderStore::create(s, &provider(tenant.id, "okta"))
        .await
        .unwrap();
    let changed = IdentityProvider {
        alias: alias("gsuite"),
        display_name: DisplayName::parse("Workspace").unwrap(),
        kind: keyward_federation::ProviderKind::OAuth2,
        issuer_url: "https://other.idp.test".to_owned(),
        client_id: "other".to_owned(),
        client_secret_sealed: None,
        scopes: vec!["profile".to_owned()],
        claim_mapping: json!({"sub": "id"}),
        enabled: false,
        updated_at: p.updated_at + Duration::hours(1),
        ..p.clone()
    };
    IdentityProviderStore::update(s, &changed).await.unwrap();
    assert_eq!(
        IdentityProviderStore::get(s, tenant.id, &alias("gsuite"))
            .await
            .unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        IdentityProviderStore::get(s, tenant.id, &alias("google"))
            .await
            .unwrap(),
        None
    );

    let taken = IdentityProvider {
        alias: alias("okta"),
        ..changed.clone()
    };
    assert!(matches!(
        IdentityProviderStore::update(s, &taken).await,
        Err(StoreError::Conflict(_))
    ));
    let missing = provider(tenant.id, "missing");
    assert!(matches!(
        IdentityProviderStore::update(s, &missing).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        IdentityProviderStore::delete(s, tenant.id, &alias("missing")).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn linked_identity_round_trips_and_is_unique_per_subject<S>(s: &S)
where
    S: TenantStore + UserStore + IdentityProviderStore + LinkedIdentityStore,
{
    let (tenant, ada, p) = seeded(s, "acme").await;
    let grace = user(tenant, "grace", None);
    UserStore::create(s, &grace).await.unwrap();
    let mut first = link(tenant, p.id, "sub-1", ada);
    first.created_at += Duration::microseconds(1);
    let second = LinkedIdentity {
        created_at: first.created_at + Duration::seconds(1),
        ..link(tenant, p.id, "sub-2", ada)
    };
    s.link(&first).await.unwrap();
    s.link(&second).await.unwrap();
    assert!(
        matches!(
            s.link(&link(tenant, p.id, "sub-1", grace.id)).await,
            Err(StoreError::Conflict(_))
        ),
        "one upstream subject links to one user"
    );
    assert_eq!(
        s.find(tenant, p.id, "sub-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(s.find(tenant, p.id, "sub-9").await.unwrap(), None);
    assert_eq!(
        s.list_for_user(tenant, ada).await.unwrap(),
        vec![first, second]
    );
    assert_eq!(s.list_for_user(tenant, grace.id).await.unwrap(), vec![]);

    s.unlink(tenant, p.id, "sub-1").await.unwrap();
    assert_eq!(s.find(tenant, p.id, "sub-1").await.unwrap(), None);
    assert!(matches!(
        s.unlink(tenant, p.id, "sub-1").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn provider_delete_removes_its_linked_identities<S>(s: &S)
where
    S: TenantStore + UserStore + IdentityProviderStore + LinkedIdentityStore,
{
    let (tenant, ada, p) = seeded(s, "acme").await;
    let other = provider(tenant, "okta");
    IdentityProviderStore::create(s, &other).await.unwrap();
    s.link(&link(tenant, p.id, "sub-1", ada)).await.unwrap();
    s.link(&link(tenant, other.id, "sub-1", ada)).await.unwrap();
    IdentityProviderStore::delete(s, tenant, &p.alias)
        .await
        .unwrap();
    assert_eq!(s.find(tenant, p.id, "sub-1").await.unwrap(), None);
    assert_eq!(
        s.list_for_user(tenant, ada).await.unwrap(),
        vec![link(tenant, other.id, "sub-1", ada)]
    );
    assert_eq!(
        IdentityProviderStore::get(s, tenant, &p.alias)
            .await
            .unwrap(),
        None
    );
}

pub async fn providers_and_links_are_isolated_between_tenants<S>(s: &S)
where
    S: TenantStore + UserStore + IdentityProviderStore + LinkedIdentityStore,
{
    let (a, ada, p) = seeded(s, "tenant-a").await;
    let (b, bob, b_provider) = seeded(s, "tenant-b").await;
    let l = link(a, p.id, "sub-1", ada);
    s.link(&l).await.unwrap();

    // Providers: B sees only its own, and cannot change or delete A's.
    assert_eq!(
        IdentityProviderStore::list(s, b).await.unwrap(),
        vec![b_provider.clone()]
    );
    let through_b = IdentityProvider {
        tenant_id: b,
        enabled: false,
        alias: alias("hijack"),
        ..p.clone()
    };
    assert!(matches!(
        IdentityProviderStore::update(s, &through_b).await,
        Err(StoreError::NotFound)
    ));
    IdentityProviderStore::delete(s, b, &p.alias).await.unwrap(); // B's own "google"
    assert_eq!(
        IdentityProviderStore::get(s, a, &p.alias).await.unwrap(),
        Some(p.clone())
    );

    // Links: not readable, listable, creatable or removable through B.
    assert_eq!(s.find(b, p.id, "sub-1").await.unwrap(), None);
    assert_eq!(s.list_for_user(b, ada).await.unwrap(), vec![]);
    assert!(matches!(
        s.unlink(b, p.id, "sub-1").await,
        Err(StoreError::NotFound)
    ));
    assert!(
        s.link(&link(b, p.id, "sub-2", bob)).await.is_err(),
        "B links to A's provider"
    );
    assert!(
        s.link(&link(a, p.id, "sub-3", bob)).await.is_err(),
        "A links B's user"
    );
    assert_eq!(s.list_for_user(a, ada).await.unwrap(), vec![l]);
    assert_eq!(s.list_for_user(b, bob).await.unwrap(), vec![]);
}
