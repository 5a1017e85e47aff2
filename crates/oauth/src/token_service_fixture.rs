//! Fakes of every port the token service uses, a settable clock, and a builder, for this
//! crate's unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use keyward_core::{
    ClientId, Clock, DisplayName, EphemeralError, GrantType, Invalidations, MasterKey, Page,
    PageRequest, Scope, StoreError, Tenant, TenantId, TenantSlug, TenantStore,
    TokenEndpointAuthMethod,
};
use serde_json::Value;
use uuid::Uuid;

use crate::client::{Client, ClientSettings, ClientStore};
use crate::client_authentication::{JwksFetchError, JwksFetcher};
use crate::client_secret::ClientSecretHasher;
use crate::directory::Directory;
use crate::key_rotation::generate_key;
use crate::key_rotation::memory_store::MemoryKeys;
use crate::keyring::KeyRing;
use crate::refresh_token::{RefreshToken, RefreshTokenFamily, RefreshTokenStore, RotateOutcome};
use crate::signing_key::{KeyStatus, SigningAlg, SigningKeyStore};
use crate::token::EndpointRequest;
use crate::token::password::{PasswordGrantRefusal, ResourceOwnerAuthenticator, Subject};
use crate::token_service::{TokenService, TokenServicePorts};

pub const PUBLIC_URL: &str = "https://id.test";

pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

#[derive(Default)]
pub struct Tenants(pub Mutex<Vec<Tenant>>);

#[async_trait]
impl TenantStore for Tenants {
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(tenant.clone());
        Ok(())
    }
    async fn by_id(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.0.lock().unwrap().iter().find(|t| t.id == id).cloned())
    }
    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|t| &t.slug == slug)
            .cloned())
    }
    async fn list(&self, _: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        Ok(Page {
            items: vec![],
            next: None,
        })
    }
    async fn update(&self, _: &Tenant) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete(&self, _: TenantId) -> Result<(), StoreError> {
        Ok(())
    }
}

#[derive(Default)]
pub struct Clients(pub Mutex<Vec<Client>>);

#[async_trait]
impl ClientStore for Clients {
    async fn create(&self, client: &Client) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(client.clone());
        Ok(())
    }
    async fn get(&self, tenant: TenantId, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.tenant_id == tenant && &c.client_id == id)
            .cloned())
    }
    async fn list(&self, _: TenantId, _: &PageRequest) -> Result<Page<Client>, StoreError> {
        Ok(Page {
            items: vec![],
            next: None,
        })
    }
    async fn update(&self, _: &Client) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete(&self, _: TenantId, _: &ClientId) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The reference in-memory refresh-token store, with the port's rotation contract.
#[derive(Default)]
pub struct RefreshTokens {
    families: Mutex<Vec<RefreshTokenFamily>>,
    tokens: Mutex<Vec<RefreshToken>>,
    revoked: Mutex<Vec<(TenantId, String, DateTime<Utc>)>>,
}

#[async_trait]
impl crate::refresh_token::RevokedAccessTokens for RefreshTokens {
    async fn record_revoked(
        &self,
        tenant: TenantId,
        tokens: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let mut revoked = self.revoked.lock().unwrap();
        for (jti, exp) in tokens {
            if !revoked.iter().any(|(t, j, _)| *t == tenant && j == jti) {
                revoked.push((tenant, jti.clone(), *exp));
            }
        }
        Ok(())
    }
    async fn live_revoked(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, String, DateTime<Utc>)>, StoreError> {
        let revoked = self.revoked.lock().unwrap();
        Ok(revoked.iter().filter(|r| r.2 > now).cloned().collect())
    }
    async fn purge_revoked(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut revoked = self.revoked.lock().unwrap();
        let before = revoked.len();
        revoked.retain(|r| r.2 > now);
        Ok((before - revoked.len()) as u64)
    }
}

#[async_trait]
impl RefreshTokenStore for RefreshTokens {
    async fn create_family(
        &self,
        family: &RefreshTokenFamily,
        first: &RefreshToken,
    ) -> Result<(), StoreError> {
        self.families.lock().unwrap().push(family.clone());
        self.tokens.lock().unwrap().push(first.clone());
        Ok(())
    }
    async fn find(
        &self,
        tenant: TenantId,
        hash: &str,
    ) -> Result<Option<(RefreshToken, RefreshTokenFamily)>, StoreError> {
        let tokens = self.tokens.lock().unwrap();
        let Some(token) = tokens
            .iter()
            .find(|t| t.tenant_id == tenant && t.token_hash == hash)
        else {
            return Ok(None);
        };
        let families = self.families.lock().unwrap();
        let family = families
            .iter()
            .find(|f| f.id == token.family_id)
            .cloned()
            .unwrap();
        Ok(Some((token.clone(), family)))
    }
    async fn rotate(
        &self,
        tenant: TenantId,
        old: &str,
        next: &RefreshToken,
        at: DateTime<Utc>,
    ) -> Result<RotateOutcome, StoreError> {
        let families = self.families.lock().unwrap();
        let mut tokens = self.tokens.lock().unwrap();
        let Some(token) = tokens
            .iter_mut()
            .find(|t| t.tenant_id == tenant && t.token_hash == old)
        else {
            return Ok(RotateOutcome::Unknown);
        };
        let revoked = families
            .iter()
            .any(|f| f.id == token.family_id && f.revoked_at.is_some());
        if token.rotated_at.is_some() || revoked {
            return Ok(RotateOutcome::AlreadyUsed);
        }
        token.rotated_at = Some(at);
        tokens.push(next.clone());
        Ok(RotateOutcome::Rotated)
    }
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut families = self.families.lock().unwrap();
        let f = families
            .iter_mut()
            .find(|f| f.tenant_id == tenant && f.id == family)
            .ok_or(StoreError::NotFound)?;
        f.revoked_at.get_or_insert(at);
        let tokens = self.tokens.lock().unwrap();
        Ok(tokens
            .iter()
            .filter(|t| t.family_id == family)
            .filter_map(|t| Some((t.access_token_jti.clone()?, t.access_token_expires_at?)))
            .filter(|(_, exp)| *exp > at)
            .collect())
    }
    async fn revoke_subject(
        &self,
        tenant: TenantId,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut families = self.families.lock().unwrap();
        let mut ids = Vec::new();
        for f in families
            .iter_mut()
            .filter(|f| f.tenant_id == tenant && f.subject.as_deref() == Some(subject))
        {
            f.revoked_at.get_or_insert(at);
            ids.push(f.id);
        }
        let tokens = self.tokens.lock().unwrap();
        Ok(tokens
            .iter()
            .filter(|t| ids.contains(&t.family_id))
            .filter_map(|t| Some((t.access_token_jti.clone()?, t.access_token_expires_at?)))
            .filter(|(_, exp)| *exp > at)
            .collect())
    }
    async fn purge_expired(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
}

/// Values and revoked ids without expiry: tests advance the clock past token lifetimes, not
/// past cache TTLs.
#[derive(Default)]
pub struct Cache {
    values: Mutex<HashMap<String, Vec<u8>>>,
    revoked: Mutex<Vec<(String, String)>>,
}

impl Cache {
    /// Whether nothing at all is held.
    pub fn is_empty(&self) -> bool {
        self.values.lock().unwrap().is_empty() && self.revoked.lock().unwrap().is_empty()
    }
}

#[async_trait]
impl keyward_core::ShortLivedValues for Cache {
    async fn put(
        &self,
        key: &keyward_core::ValueKey,
        value: &[u8],
        _: StdDuration,
    ) -> Result<(), EphemeralError> {
        let key = key.as_str();
        self.values
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    async fn put_if_absent(
        &self,
        key: &keyward_core::ValueKey,
        value: &[u8],
        _: StdDuration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let mut values = self.values.lock().unwrap();
        if values.contains_key(key) {
            return Ok(false);
        }
        values.insert(key.to_owned(), value.to_vec());
        Ok(true)
    }
    async fn put_if_present(
        &self,
        key: &keyward_core::ValueKey,
        value: &[u8],
        _: StdDuration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let mut values = self.values.lock().unwrap();
        match values.get_mut(key) {
            Some(held) => {
                *held = value.to_vec();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn compare_and_swap(
        &self,
        key: &keyward_core::ValueKey,
        current: Option<&[u8]>,
        new: Option<&[u8]>,
        _: StdDuration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        let mut values = self.values.lock().unwrap();
        if values.get(key).map(Vec::as_slice) != current {
            return Ok(false);
        }
        match new {
            Some(value) => values.insert(key.to_owned(), value.to_vec()),
            None => values.remove(key),
        };
        Ok(true)
    }
    async fn get(&self, key: &keyward_core::ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        Ok(self.values.lock().unwrap().get(key).cloned())
    }
    async fn take(&self, key: &keyward_core::ValueKey) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        Ok(self.values.lock().unwrap().remove(key))
    }
    async fn delete(&self, key: &keyward_core::ValueKey) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        Ok(self.values.lock().unwrap().remove(key).is_some())
    }
}

#[async_trait]
impl keyward_core::Counters for Cache {
    async fn incr(
        &self,
        _: &keyward_core::CounterKey,
        _: StdDuration,
    ) -> Result<u64, EphemeralError> {
        Ok(1)
    }
    async fn decr(&self, _: &keyward_core::CounterKey) -> Result<(), EphemeralError> {
        Ok(())
    }
    async fn reset(&self, _: &keyward_core::CounterKey) -> Result<bool, EphemeralError> {
        Ok(false)
    }
}

#[async_trait]
impl keyward_core::RevokedSets for Cache {
    async fn revoke(
        &self,
        set: &keyward_core::RevokedSet,
        id: &str,
        _: StdDuration,
    ) -> Result<(), EphemeralError> {
        let set = set.as_str();
        self.revoked
            .lock()
            .unwrap()
            .push((set.to_owned(), id.to_owned()));
        Ok(())
    }
    async fn is_revoked(
        &self,
        set: &keyward_core::RevokedSet,
        id: &str,
    ) -> Result<bool, EphemeralError> {
        let set = set.as_str();
        Ok(self
            .revoked
            .lock()
            .unwrap()
            .iter()
            .any(|(s, i)| s == set && i == id))
    }
}

#[async_trait]
impl keyward_core::Broadcast for Cache {
    async fn publish(&self, _: keyward_core::Channel, _: &str) -> Result<(), EphemeralError> {
        Ok(())
    }
    async fn subscribe(&self, _: keyward_core::Channel) -> Result<Invalidations, EphemeralError> {
        Err(EphemeralError::Unavailable("no channels in tests".into()))
    }
}

#[async_trait]
impl keyward_core::CacheHealth for Cache {
    async fn ping(&self) -> Result<(), EphemeralError> {
        Ok(())
    }
}

/// The user id of the fixture's one resource owner (a user id, like every user grant's subject:
/// the token service checks that the user is still active).
pub const ADA: &str = "0190a3c2-0000-7000-8000-0000000000ad";

/// One resource owner: `ada` / `correct horse`, subject [`ADA`].
pub struct Owners;

#[async_trait]
impl ResourceOwnerAuthenticator for Owners {
    async fn authenticate(
        &self,
        _: &Tenant,
        username: &str,
        password: &str,
        _: Option<IpAddr>,
    ) -> Result<Subject, PasswordGrantRefusal> {
        match (username, password) {
            ("ada", "correct horse") => Ok(Subject { id: ADA.into() }),
            ("throttled", _) => Err(PasswordGrantRefusal::Throttled),
            _ => Err(PasswordGrantRefusal::InvalidCredentials),
        }
    }
}

/// JWK Sets by URI.
#[derive(Default)]
pub struct Fetcher(pub Mutex<HashMap<String, Arc<Value>>>);

#[async_trait]
impl JwksFetcher for Fetcher {
    async fn fetch(&self, uri: &str) -> Result<Arc<Value>, JwksFetchError> {
        self.0
            .lock()
            .unwrap()
            .get(uri)
            .cloned()
            .ok_or_else(|| JwksFetchError("not found".into()))
    }
}

/// Keeps every audit event the token service records.
#[derive(Default)]
pub struct Recorded(pub Mutex<Vec<keyward_core::AuditEvent>>);

#[async_trait]
impl keyward_core::AuditRecorder for Recorded {
    async fn record(&self, event: keyward_core::AuditEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorded {
    /// The actions recorded so far, oldest first.
    pub fn actions(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.action.clone())
            .collect()
    }
}

pub struct Fixture {
    pub service: TokenService,
    pub audit: Arc<Recorded>,
    pub clock: Arc<TestClock>,
    pub tenants: Arc<Tenants>,
    pub clients: Arc<Clients>,
    pub keys: Arc<MemoryKeys>,
    pub cache: Arc<Cache>,
    pub fetcher: Arc<Fetcher>,
    pub master: MasterKey,
    pub secrets: ClientSecretHasher,
}

/// Every user exists and is enabled.
pub struct ActiveUsers;

#[async_trait]
impl crate::claims::UserClaims for ActiveUsers {
    async fn claims(
        &self,
        _: TenantId,
        _: keyward_core::UserId,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(Some(serde_json::json!({})))
    }
}

impl Fixture {
    pub fn new() -> Self {
        let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
        let tenants = Arc::new(Tenants::default());
        let clients = Arc::new(Clients::default());
        let keys = Arc::new(MemoryKeys::default());
        let cache = Arc::new(Cache::default());
        let fetcher = Arc::new(Fetcher::default());
        let master = MasterKey::generate().unwrap();
        let secrets = ClientSecretHasher::new(&master).unwrap();
        let directory = Directory::new(PUBLIC_URL, tenants.clone(), clients.clone())
            .with_ttl(StdDuration::ZERO, StdDuration::ZERO);
        let service = TokenService::new(TokenServicePorts {
            directory: Arc::new(directory),
            keys: Arc::new(KeyRing::new(keys.clone(), master.clone(), clock.clone())),
            refresh_tokens: Arc::new(RefreshTokens::default()),
            cache: cache.clone(),
            resource_owners: Arc::new(Owners),
            jwks_fetcher: fetcher.clone(),
            users: Arc::new(ActiveUsers),
            secrets: secrets.clone(),
            clock: clock.clone(),
        });
        let audit = Arc::new(Recorded::default());
        let service = service.with_audit(audit.clone());
        Self {
            service,
            audit,
            clock,
            tenants,
            clients,
            keys,
            cache,
            fetcher,
            master,
            secrets,
        }
    }

    /// A tenant with an active and a next ES256 key.
    pub async fn tenant(&self, slug: &str, password_grant: bool) -> Tenant {
        let mut tenant = Tenant::new(
            TenantSlug::parse(slug).unwrap(),
            DisplayName::parse(slug).unwrap(),
            self.clock.now(),
        );
        tenant.settings.password_grant_enabled = password_grant;
        self.tenants.create(&tenant).await.unwrap();
        for status in [KeyStatus::Active, KeyStatus::Next] {
            let key = generate_key(
                tenant.id,
                SigningAlg::Es256,
                status,
                &self.master,
                self.clock.now(),
            )
            .unwrap();
            self.keys.insert(&key).await.unwrap();
        }
        tenant
    }

    /// A confidential client with the given method, grants and scope; returns it and its secret.
    pub async fn client(
        &self,
        tenant: &Tenant,
        method: TokenEndpointAuthMethod,
        grants: &[GrantType],
        scope: &str,
    ) -> (Client, String) {
        let (secret, hash) = self.secrets.generate().unwrap();
        let client = Client {
            tenant_id: tenant.id,
            client_id: ClientId::generate(),
            name: DisplayName::parse("test client").unwrap(),
            secret_hash: method.uses_secret().then_some(hash),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: grants.to_vec(),
            scopes: Scope::parse(scope).unwrap(),
            auth_method: method,
            public: method == TokenEndpointAuthMethod::None,
            first_party: false,
            settings: ClientSettings::default(),
            created_at: self.clock.now(),
            updated_at: self.clock.now(),
        };
        self.clients.create(&client).await.unwrap();
        (client, secret)
    }

    /// Tenant `on` (password grant enabled), a client_secret_basic client allowed the password
    /// and refresh grants with `scope`, and ada's password-grant response: the Basic header
    /// and the tokens.
    /// A client_credentials token request to `tenant` with Basic credentials `auth`.
    pub async fn client_credentials(
        &self,
        tenant: &str,
        auth: &str,
    ) -> Result<crate::TokenResponse, crate::OAuthError> {
        self.service
            .token(request(tenant, Some(auth), "grant_type=client_credentials"))
            .await
    }

    pub async fn password_grant(&self, scope: &str) -> (String, crate::TokenResponse) {
        let tenant = self.tenant("on", true).await;
        let (client, secret) = self
            .client(
                &tenant,
                TokenEndpointAuthMethod::ClientSecretBasic,
                &[GrantType::Password, GrantType::RefreshToken],
                scope,
            )
            .await;
        let auth = basic(client.client_id.as_str(), &secret);
        let body = "grant_type=password&username=ada&password=correct+horse";
        let response = self
            .service
            .token(request("on", Some(&auth), body))
            .await
            .unwrap();
        (auth, response)
    }
}

/// `Basic base64(id:secret)`.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// A request to `tenant` with optional Basic credentials and a form body.
pub fn request<'a>(
    tenant: &'a str,
    authorization: Option<&'a str>,
    body: &'a str,
) -> EndpointRequest<'a> {
    EndpointRequest {
        tenant,
        authorization,
        body: body.as_bytes(),
        remote_ip: None,
        request_id: Some("req-test"),
    }
}

impl Cache {
    pub fn is_revoked_for_tests(&self, set: &keyward_core::RevokedSet, id: &str) -> bool {
        let set = set.as_str();
        self.revoked
            .lock()
            .unwrap()
            .iter()
            .any(|(s, i)| s == set && i == id)
    }
}
