#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The authorization endpoint with fakes and a fixed clock: the world every test starts from.

mod decisions;
mod generated;
mod requests;
mod tokens;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use keyward_core::{
    ClientId, Clock, GrantType, RedirectUri, Scope, StoreError, TenantId, TokenEndpointAuthMethod,
    UserId,
};
use serde_json::{Value, json};

use super::*;
use crate::bearer::BearerError;
use crate::consent::Consent;
use crate::error::ErrorCode;
use crate::token_service::fixture::{Cache, Fixture, TestClock, basic, request};
use crate::userinfo::UserInfoEndpoint;

const CB: &str = "https://rp.test/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[derive(Default)]
struct Consents(Mutex<Vec<Consent>>);

#[async_trait]
impl ConsentStore for Consents {
    async fn upsert(&self, consent: &Consent) -> Result<(), StoreError> {
        let mut all = self.0.lock().unwrap();
        all.retain(|c| !(c.user_id == consent.user_id && c.client_id == consent.client_id));
        all.push(consent.clone());
        Ok(())
    }
    async fn find(
        &self,
        _: TenantId,
        user: UserId,
        client: &ClientId,
    ) -> Result<Option<Consent>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.user_id == user && &c.client_id == client)
            .cloned())
    }
    async fn list_for_user(&self, _: TenantId, _: UserId) -> Result<Vec<Consent>, StoreError> {
        Ok(vec![])
    }
    async fn revoke(&self, _: TenantId, _: UserId, _: &ClientId) -> Result<(), StoreError> {
        Ok(())
    }
}

struct Users;

#[async_trait]
impl UserClaims for Users {
    async fn claims(&self, _: TenantId, _: UserId) -> Result<Option<Value>, StoreError> {
        Ok(Some(
            json!({ "preferred_username": "ada", "email": "ada@example.com", "email_verified": true }),
        ))
    }
}

/// The fixture's stores, to change tenants, clients and keys after the fact.
struct Leftovers {
    tenants: Arc<crate::token_service::fixture::Tenants>,
    clients: Arc<crate::token_service::fixture::Clients>,
    keys: Arc<crate::key_rotation::memory_store::MemoryKeys>,
    master: keyward_core::MasterKey,
}

struct World {
    endpoint: AuthorizationEndpoint,
    userinfo: UserInfoEndpoint,
    tokens: Arc<TokenService>,
    clock: Arc<TestClock>,
    cache: Arc<Cache>,
    consents: Arc<Consents>,
    tenant: Arc<TenantEntry>,
    fixture: Leftovers,
    /// Confidential, not first party: code + implicit + refresh.
    rp: (Client, String),
    /// Public, first party: code only.
    spa: Client,
}

async fn world() -> World {
    let f = Fixture::new();
    let tenant = f.tenant("acme", false).await;
    let (mut rp, secret) = f
        .client(
            &tenant,
            TokenEndpointAuthMethod::ClientSecretBasic,
            &[
                GrantType::AuthorizationCode,
                GrantType::Implicit,
                GrantType::RefreshToken,
            ],
            "openid profile email offline_access",
        )
        .await;
    rp.redirect_uris = vec![RedirectUri::parse(CB).unwrap()];
    let mut spa = rp.clone();
    spa.client_id = ClientId::generate();
    spa.public = true;
    spa.first_party = true;
    spa.auth_method = TokenEndpointAuthMethod::None;
    spa.secret_hash = None;
    spa.grant_types = vec![GrantType::AuthorizationCode];
    {
        let mut clients = f.clients.0.lock().unwrap();
        clients.retain(|c| c.client_id != rp.client_id);
        clients.push(rp.clone());
        clients.push(spa.clone());
    }
    let Fixture {
        service,
        clock,
        cache,
        tenants,
        clients,
        keys,
        master,
        ..
    } = f;
    let fixture = Leftovers {
        tenants,
        clients,
        keys,
        master,
    };
    let tokens = Arc::new(service);
    let consents = Arc::new(Consents::default());
    let users: Arc<dyn UserClaims> = Arc::new(Users);
    let endpoint = AuthorizationEndpoint::new(tokens.clone(), consents.clone(), users.clone());
    let userinfo = UserInfoEndpoint::new(tokens.clone(), users);
    let tenant = tokens.tenant("acme").await.unwrap();
    World {
        endpoint,
        userinfo,
        tokens,
        clock,
        cache,
        consents,
        tenant,
        fixture,
        rp: (rp, secret),
        spa,
    }
}

impl World {
    fn change_rp(&mut self, change: impl Fn(&mut Client)) {
        let mut clients = self.fixture.clients.0.lock().unwrap();
        let rp = clients
            .iter_mut()
            .find(|c| c.client_id == self.rp.0.client_id)
            .unwrap();
        change(rp);
        self.rp.0 = rp.clone();
    }

    async fn code_tokens(&self, query: &str) -> crate::token::TokenResponse {
        let out = self.go(query, Some(&self.subject())).await;
        let code = param(&redirect(&out).2, "code")
            .unwrap_or_else(|| panic!("{out:?}"))
            .to_owned();
        let auth = basic(self.rp.0.client_id.as_str(), &self.rp.1);
        let body = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
        self.tokens
            .token(request("acme", Some(&auth), &body))
            .await
            .unwrap()
    }

    fn subject(&self) -> AuthenticatedSubject {
        AuthenticatedSubject {
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            session_id: "session-secret".into(),
            sid: "sid-1".into(),
            auth_time: self.clock.now() - Duration::minutes(5),
            amr: vec![keyward_core::Amr::Pwd],
            acr: None,
        }
    }

    async fn go(&self, query: &str, subject: Option<&AuthenticatedSubject>) -> AuthorizeOutcome {
        self.endpoint
            .authorize(&self.tenant, query.as_bytes(), subject, None)
            .await
    }

    fn spa_query(&self, extra: &str) -> String {
        format!(
            "response_type=code&client_id={}&redirect_uri={CB}&scope=openid+email&state=s1&nonce=n1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            self.spa.client_id
        )
    }

    async fn consent(&self) {
        let consent = Consent {
            tenant_id: self.tenant.tenant.id,
            user_id: self.subject().user_id,
            client_id: self.rp.0.client_id.clone(),
            scopes: Scope::parse("openid profile email offline_access").unwrap(),
            granted_at: self.clock.now(),
        };
        self.consents.upsert(&consent).await.unwrap();
    }
}

fn redirect(outcome: &AuthorizeOutcome) -> (&str, ResponseMode, Vec<(String, String)>) {
    match outcome {
        AuthorizeOutcome::RedirectToClient {
            uri, mode, params, ..
        } => (uri.as_str(), *mode, params.clone()),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn error_of(outcome: &AuthorizeOutcome) -> String {
    let (_, _, params) = redirect(outcome);
    param(&params, "error").unwrap_or("none").to_owned()
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}
