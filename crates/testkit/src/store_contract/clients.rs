//! The `ClientStore` contract: client ids unique within a tenant (but free across tenants),
//! every registered field kept as given, client-id pages, `NotFound` for absent clients, and
//! nothing visible across tenants.

use chrono::Duration;
use keyward_core::{
    ClientId, Clock, DisplayName, GrantType, PageRequest, RedirectUri, Scope, StoreError, TenantId,
    TenantStore, TokenEndpointAuthMethod,
};
use keyward_oauth::{Client, ClientSettings, ClientStore};
use serde_json::json;

use super::tenants::seed_tenant;
use crate::FixedClock;

/// A confidential authorization-code client in `tenant`, created at the fixed clock's time.
pub fn client(tenant: TenantId, id: &str) -> Client {
    let now = FixedClock::new().now();
    Client {
        tenant_id: tenant,
        client_id: ClientId::parse(id).unwrap(),
        name: DisplayName::parse(&format!("App {id}")).unwrap(),
        secret_hash: Some("hmac-sha256:abcdef".to_owned()),
        redirect_uris: vec![RedirectUri::parse("https://rp.test/cb").unwrap()],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: Scope::parse("openid profile").unwrap(),
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        public: false,
        first_party: false,
        settings: ClientSettings::default(),
        created_at: now,
        updated_at: now,
    }
}

/// Settings unlike the defaults in every field, so a lost field shows up.
fn unusual_settings() -> ClientSettings {
    ClientSettings {
        audiences: vec!["https://api.test".to_owned(), "urn:billing".to_owned()],
        jwks: Some(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc"}]})),
        jwks_uri: Some("https://rp.test/jwks".to_owned()),
        backchannel_logout_uri: Some("https://rp.test/logout".to_owned()),
        id_token_signed_response_alg: Some(keyward_core::SigningAlg::EdDsa),
        access_token_ttl_secs: Some(120),
        refresh_token_ttl_secs: Some(3600),
        subject_type: Some(keyward_oauth::subject::SubjectType::Pairwise),
        role_claims: true,
        permission_claims: true,
    }
}

fn ids(page: &keyward_core::Page<Client>) -> Vec<String> {
    page.items.iter().map(|c| c.client_id.to_string()).collect()
}

pub async fn client_round_trips_every_field<S: TenantStore + ClientStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let mut c = client(tenant.id, "svc:Reporting-1");
    c.redirect_uris = vec![
        RedirectUri::parse("https://rp.test/cb?x=1").unwrap(),
        RedirectUri::parse("http://127.0.0.1:8080/callback").unwrap(),
    ];
    c.post_logout_redirect_uris = vec![RedirectUri::parse("https://rp.test/bye").unwrap()];
    c.grant_types = GrantType::ALL.to_vec();
    c.scopes = Scope::parse("openid email offline_access api:read").unwrap();
    c.auth_method = TokenEndpointAuthMethod::PrivateKeyJwt;
    c.secret_hash = None;
    c.first_party = true;
    c.settings = unusual_settings();
    c.updated_at += Duration::microseconds(999_999);
    ClientStore::create(s, &c).await.unwrap();
    assert_eq!(
        ClientStore::get(s, tenant.id, &c.client_id)
            .await
            .unwrap()
            .as_ref(),
        Some(&c)
    );

    let mut public = client(tenant.id, "spa");
    public.public = true;
    public.secret_hash = None;
    public.auth_method = TokenEndpointAuthMethod::None;
    public.scopes = Scope::default();
    public.grant_types = vec![];
    public.redirect_uris = vec![];
    ClientStore::create(s, &public).await.unwrap();
    assert_eq!(
        ClientStore::get(s, tenant.id, &public.client_id)
            .await
            .unwrap(),
        Some(public)
    );
    assert_eq!(
        ClientStore::get(s, tenant.id, &ClientId::parse("nope").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn client_id_is_unique_within_a_tenant_only<S: TenantStore + ClientStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    ClientStore::create(s, &client(a.id, "app")).await.unwrap();
    let clash = client(a.id, "app");
    assert!(matches!(
        ClientStore::create(s, &clash).await,
        Err(StoreError::Conflict(_))
    ));
    let elsewhere = Client {
        name: DisplayName::parse("B's app").unwrap(),
        ..client(b.id, "app")
    };
    ClientStore::create(s, &elsewhere).await.unwrap();
    let id = ClientId::parse("app").unwrap();
    assert_eq!(
        ClientStore::get(s, b.id, &id).await.unwrap(),
        Some(elsewhere)
    );
    assert_eq!(
        ClientStore::get(s, a.id, &id).await.unwrap(),
        Some(client(a.id, "app"))
    );
}

pub async fn client_list_pages_by_client_id<S: TenantStore + ClientStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    for id in ["delta", "alpha", "echo", "charlie", "bravo"] {
        ClientStore::create(s, &client(tenant.id, id))
            .await
            .unwrap();
    }
    let first = ClientStore::list(s, tenant.id, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(ids(&first), ["alpha", "bravo"]);
    assert_eq!(first.next.as_deref(), Some("bravo"));
    let second = ClientStore::list(s, tenant.id, &PageRequest::after(first.next.unwrap(), 2))
        .await
        .unwrap();
    assert_eq!(ids(&second), ["charlie", "delta"]);
    let last = ClientStore::list(s, tenant.id, &PageRequest::after(second.next.unwrap(), 2))
        .await
        .unwrap();
    assert_eq!(ids(&last), ["echo"]);
    assert_eq!(last.next, None);
}

pub async fn client_update_replaces_every_field_but_ids_and_created_at<S>(s: &S)
where
    S: TenantStore + ClientStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let clock = FixedClock::new();
    let mut c = client(tenant.id, "app");
    ClientStore::create(s, &c).await.unwrap();

    clock.advance(Duration::hours(1));
    c.name = DisplayName::parse("Renamed").unwrap();
    c.secret_hash = Some("hmac-sha256:rotated".to_owned());
    c.redirect_uris = vec![RedirectUri::parse("https://new.test/cb").unwrap()];
    c.post_logout_redirect_uris = vec![RedirectUri::parse("https://new.test/out").unwrap()];
    c.grant_types = vec![GrantType::ClientCredentials];
    c.scopes = Scope::parse("api:write").unwrap();
    c.auth_method = TokenEndpointAuthMethod::ClientSecretPost;
    c.public = true;
    c.first_party = true;
    c.settings = unusual_settings();
    c.updated_at = clock.now();
    ClientStore::update(s, &c).await.unwrap();
    assert_eq!(
        ClientStore::get(s, tenant.id, &c.client_id)
            .await
            .unwrap()
            .as_ref(),
        Some(&c)
    );

    let moved = Client {
        created_at: clock.now(),
        ..c.clone()
    };
    ClientStore::update(s, &moved).await.unwrap();
    let stored = ClientStore::get(s, tenant.id, &c.client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.created_at, c.created_at,
        "update must not change created_at"
    );
}

pub async fn client_update_and_delete_answer_not_found_when_absent<S>(s: &S)
where
    S: TenantStore + ClientStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let ghost = client(tenant.id, "ghost");
    assert!(matches!(
        ClientStore::update(s, &ghost).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        ClientStore::delete(s, tenant.id, &ghost.client_id).await,
        Err(StoreError::NotFound)
    ));

    let c = client(tenant.id, "app");
    ClientStore::create(s, &c).await.unwrap();
    ClientStore::delete(s, tenant.id, &c.client_id)
        .await
        .unwrap();
    assert_eq!(
        ClientStore::get(s, tenant.id, &c.client_id).await.unwrap(),
        None
    );
    assert!(matches!(
        ClientStore::delete(s, tenant.id, &c.client_id).await,
        Err(StoreError::NotFound)
    ));
}

/// A client of tenant A can be neither read, listed, updated nor deleted through tenant B.
pub async fn clients_are_isolated_between_tenants<S: TenantStore + ClientStore>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let c = client(a.id, "app");
    ClientStore::create(s, &c).await.unwrap();

    assert_eq!(ClientStore::get(s, b.id, &c.client_id).await.unwrap(), None);
    assert!(
        ClientStore::list(s, b.id, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let hijack = Client {
        tenant_id: b.id,
        redirect_uris: vec![RedirectUri::parse("https://evil.test/cb").unwrap()],
        ..c.clone()
    };
    assert!(matches!(
        ClientStore::update(s, &hijack).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        ClientStore::delete(s, b.id, &c.client_id).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        ClientStore::get(s, a.id, &c.client_id).await.unwrap(),
        Some(c),
        "tenant A's client was changed"
    );
}
