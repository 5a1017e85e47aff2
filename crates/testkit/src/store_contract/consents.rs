//! The `ConsentStore` contract: one consent per (tenant, user, client) that an upsert replaces,
//! users listed by client, `NotFound` where the port promises it, and nothing visible or
//! changeable across tenants.

use chrono::Duration;
use keyward_core::{ClientId, Clock, Scope, StoreError, TenantId, TenantStore, UserId};
use keyward_identity::UserStore;
use keyward_oauth::{Consent, ConsentStore};

use super::tenants::seed_tenant;
use super::users::user;
use crate::FixedClock;

/// A consent of `user` to `client` for `scopes`, granted at the fixed clock's time.
pub fn consent(tenant: TenantId, user: UserId, client: &str, scopes: &str) -> Consent {
    Consent {
        tenant_id: tenant,
        user_id: user,
        client_id: ClientId::parse(client).unwrap(),
        scopes: Scope::parse(scopes).unwrap(),
        granted_at: FixedClock::new().now(),
    }
}

/// A tenant with one user in it.
async fn tenant_with_user<S: TenantStore + UserStore>(s: &S, slug: &str) -> (TenantId, UserId) {
    let tenant = seed_tenant(s, slug).await;
    let u = user(tenant.id, "ada", None);
    UserStore::create(s, &u).await.unwrap();
    (tenant.id, u.id)
}

pub async fn consent_round_trips_every_field<S: TenantStore + UserStore + ConsentStore>(s: &S) {
    let (tenant, user) = tenant_with_user(s, "acme").await;
    let mut c = consent(tenant, user, "app-1", "openid profile email offline_access");
    c.granted_at += Duration::microseconds(7);
    s.upsert(&c).await.unwrap();
    let client = c.client_id.clone();
    assert_eq!(s.find(tenant, user, &client).await.unwrap(), Some(c));
    let other = ClientId::parse("app-2").unwrap();
    assert_eq!(s.find(tenant, user, &other).await.unwrap(), None);
}

pub async fn consent_upsert_replaces_the_previous_grant<S>(s: &S)
where
    S: TenantStore + UserStore + ConsentStore,
{
    let (tenant, user) = tenant_with_user(s, "acme").await;
    s.upsert(&consent(tenant, user, "app-1", "openid"))
        .await
        .unwrap();
    let mut wider = consent(tenant, user, "app-1", "openid profile");
    wider.granted_at += Duration::hours(1);
    s.upsert(&wider).await.unwrap();
    assert_eq!(
        s.find(tenant, user, &wider.client_id).await.unwrap(),
        Some(wider.clone())
    );
    assert_eq!(s.list_for_user(tenant, user).await.unwrap(), vec![wider]);
}

pub async fn consents_list_by_client_for_one_user<S>(s: &S)
where
    S: TenantStore + UserStore + ConsentStore,
{
    let (tenant, ada) = tenant_with_user(s, "acme").await;
    let grace = user(tenant, "grace", None);
    UserStore::create(s, &grace).await.unwrap();
    for client in ["zeta", "alpha", "mid"] {
        s.upsert(&consent(tenant, ada, client, "openid"))
            .await
            .unwrap();
    }
    s.upsert(&consent(tenant, grace.id, "alpha", "openid"))
        .await
        .unwrap();
    let listed: Vec<String> = s
        .list_for_user(tenant, ada)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id.to_string())
        .collect();
    assert_eq!(listed, ["alpha", "mid", "zeta"]);
    assert_eq!(
        s.list_for_user(tenant, UserId::generate()).await.unwrap(),
        vec![]
    );
}

pub async fn consent_revoke_removes_it_and_answers_not_found_when_absent<S>(s: &S)
where
    S: TenantStore + UserStore + ConsentStore,
{
    let (tenant, user) = tenant_with_user(s, "acme").await;
    let c = consent(tenant, user, "app-1", "openid");
    s.upsert(&c).await.unwrap();
    s.revoke(tenant, user, &c.client_id).await.unwrap();
    assert_eq!(s.find(tenant, user, &c.client_id).await.unwrap(), None);
    assert!(matches!(
        s.revoke(tenant, user, &c.client_id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn consents_go_with_their_user<S>(s: &S)
where
    S: TenantStore + UserStore + ConsentStore,
{
    let (tenant, user) = tenant_with_user(s, "acme").await;
    s.upsert(&consent(tenant, user, "app-1", "openid"))
        .await
        .unwrap();
    UserStore::delete(s, tenant, user).await.unwrap();
    assert_eq!(s.list_for_user(tenant, user).await.unwrap(), vec![]);
}

pub async fn consents_are_isolated_between_tenants<S>(s: &S)
where
    S: TenantStore + UserStore + ConsentStore,
{
    let (a, ada) = tenant_with_user(s, "tenant-a").await;
    let (b, _) = tenant_with_user(s, "tenant-b").await;
    let c = consent(a, ada, "app-1", "openid");
    s.upsert(&c).await.unwrap();

    assert_eq!(
        s.find(b, ada, &c.client_id).await.unwrap(),
        None,
        "read through B"
    );
    assert_eq!(
        s.list_for_user(b, ada).await.unwrap(),
        vec![],
        "listed through B"
    );
    let through_b = Consent {
        tenant_id: b,
        ..consent(b, ada, "app-1", "openid profile")
    };
    assert!(
        matches!(s.upsert(&through_b).await, Err(StoreError::NotFound)),
        "B cannot grant on behalf of A's user"
    );
    assert!(matches!(
        s.revoke(b, ada, &c.client_id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.find(a, ada, &c.client_id).await.unwrap(),
        Some(c),
        "A's consent unchanged"
    );
}
