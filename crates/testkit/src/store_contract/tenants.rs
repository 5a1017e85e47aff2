//! The `TenantStore` contract: unique slugs, slug-ordered pages, updates and deletes that
//! answer `NotFound` for a missing tenant, and deletes that take everything the tenant owns.

use chrono::Duration;
use keyward_core::tenant::Branding;
use keyward_core::{
    AuditFilter, AuditLog, Clock, DisplayName, PageRequest, StoreError, Tenant, TenantSettings,
    TenantSlug, TenantStore,
};
use keyward_identity::{UserQuery, UserStore};
use keyward_oauth::ClientStore;

use crate::FixedClock;

/// A tenant with the given slug, created in `s` at the fixed clock's time.
pub async fn seed_tenant<S: TenantStore + ?Sized>(s: &S, slug: &str) -> Tenant {
    let tenant = Tenant::new(
        TenantSlug::parse(slug).unwrap(),
        DisplayName::parse(&format!("Tenant {slug}")).unwrap(),
        FixedClock::new().now(),
    );
    s.create(&tenant).await.unwrap();
    tenant
}

/// Settings unlike the defaults in every field, so a lost field shows up.
pub fn unusual_settings() -> TenantSettings {
    TenantSettings {
        access_token_ttl_secs: 61,
        refresh_token_ttl_secs: 62,
        id_token_ttl_secs: 63,
        password_grant_enabled: true,
        pkce_required: true,
        signing_alg: keyward_core::SigningAlg::EdDsa,
        password_min_length: 14,
        allow_http_redirect_uris: true,
        branding: Branding {
            logo_url: Some("https://cdn.test/logo.png".to_owned()),
            primary_color: Some("#123456".to_owned()),
            background_color: Some("#fefefe".to_owned()),
        },
    }
}

pub async fn tenant_round_trips_every_field<S: TenantStore>(s: &S) {
    let clock = FixedClock::new();
    let mut tenant = Tenant::new(
        TenantSlug::parse("acme").unwrap(),
        DisplayName::parse("Acme Ltd — Ünïcode").unwrap(),
        clock.now(),
    );
    tenant.settings = unusual_settings();
    // Microseconds are the finest precision both backends keep.
    tenant.updated_at = clock.now() + Duration::microseconds(123_456);
    s.create(&tenant).await.unwrap();

    assert_eq!(s.by_id(tenant.id).await.unwrap().as_ref(), Some(&tenant));
    assert_eq!(
        s.by_slug(&tenant.slug).await.unwrap().as_ref(),
        Some(&tenant)
    );
    assert_eq!(
        s.by_id(keyward_core::TenantId::generate()).await.unwrap(),
        None
    );
    assert_eq!(
        s.by_slug(&TenantSlug::parse("nobody").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn tenant_slug_is_unique<S: TenantStore>(s: &S) {
    seed_tenant(s, "acme").await;
    let again = Tenant::new(
        TenantSlug::parse("acme").unwrap(),
        DisplayName::parse("Another Acme").unwrap(),
        FixedClock::new().now(),
    );
    assert!(matches!(
        s.create(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.by_id(again.id).await.unwrap(), None);
}

pub async fn tenant_list_pages_by_slug<S: TenantStore>(s: &S) {
    for slug in ["delta", "alpha", "echo", "charlie", "bravo"] {
        seed_tenant(s, slug).await;
    }
    let first = s.list(&PageRequest::first(2)).await.unwrap();
    let slugs = |p: &keyward_core::Page<Tenant>| {
        p.items
            .iter()
            .map(|t| t.slug.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(slugs(&first), ["alpha", "bravo"]);
    assert_eq!(first.next.as_deref(), Some("bravo"));

    let second = s
        .list(&PageRequest::after(first.next.unwrap(), 2))
        .await
        .unwrap();
    assert_eq!(slugs(&second), ["charlie", "delta"]);

    let last = s
        .list(&PageRequest::after(second.next.unwrap(), 2))
        .await
        .unwrap();
    assert_eq!(slugs(&last), ["echo"]);
    assert_eq!(last.next, None);

    let exact = s.list(&PageRequest::first(5)).await.unwrap();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next, None, "no cursor when nothing follows");
}

pub async fn tenant_update_replaces_name_and_settings<S: TenantStore>(s: &S) {
    let clock = FixedClock::new();
    let mut tenant = seed_tenant(s, "acme").await;
    clock.advance(Duration::seconds(90));
    tenant.display_name = DisplayName::parse("Acme Renamed").unwrap();
    tenant.settings = unusual_settings();
    tenant.updated_at = clock.now();
    s.update(&tenant).await.unwrap();
    assert_eq!(s.by_id(tenant.id).await.unwrap(), Some(tenant));
}

pub async fn tenant_update_or_delete_of_missing_tenant_is_not_found<S: TenantStore>(s: &S) {
    let ghost = Tenant::new(
        TenantSlug::parse("ghost").unwrap(),
        DisplayName::parse("Ghost").unwrap(),
        FixedClock::new().now(),
    );
    assert!(matches!(s.update(&ghost).await, Err(StoreError::NotFound)));
    assert!(matches!(
        s.delete(ghost.id).await,
        Err(StoreError::NotFound)
    ));

    let tenant = seed_tenant(s, "acme").await;
    s.delete(tenant.id).await.unwrap();
    assert_eq!(s.by_id(tenant.id).await.unwrap(), None);
    assert_eq!(s.by_slug(&tenant.slug).await.unwrap(), None);
    assert!(matches!(
        s.delete(tenant.id).await,
        Err(StoreError::NotFound)
    ));
}

/// Deleting a tenant deletes its users, clients and audit events. To tell a real delete from
/// a row merely hidden by the tenant filter, the tenant is re-created with the same id.
pub async fn tenant_delete_cascades<S>(s: &S)
where
    S: TenantStore + UserStore + ClientStore + AuditLog,
{
    let tenant = seed_tenant(s, "doomed").await;
    let other = seed_tenant(s, "survivor").await;
    for t in [&tenant, &other] {
        UserStore::create(s, &super::users::user(t.id, "ada", Some("ada@example.com")))
            .await
            .unwrap();
        ClientStore::create(s, &super::clients::client(t.id, "app"))
            .await
            .unwrap();
        s.append(&[super::audit::event(
            t.id,
            "user:1",
            "client.create",
            "client:app",
        )])
        .await
        .unwrap();
    }

    TenantStore::delete(s, tenant.id).await.unwrap();
    TenantStore::create(s, &tenant).await.unwrap();

    let everything = PageRequest::default();
    let users = UserStore::list(s, tenant.id, &UserQuery::default(), &everything)
        .await
        .unwrap();
    assert!(users.items.is_empty(), "users survived their tenant");
    assert!(
        ClientStore::list(s, tenant.id, &everything)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let audit = AuditLog::list(s, tenant.id, &AuditFilter::default(), &everything)
        .await
        .unwrap();
    assert!(audit.items.is_empty(), "audit events survived their tenant");

    let users = UserStore::list(s, other.id, &UserQuery::default(), &everything)
        .await
        .unwrap();
    assert_eq!(users.items.len(), 1, "another tenant's users were deleted");
    assert_eq!(
        ClientStore::list(s, other.id, &everything)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let audit = AuditLog::list(s, other.id, &AuditFilter::default(), &everything)
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);
}
