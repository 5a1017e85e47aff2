#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use keyward_core::{
    ClientId, Clock, EphemeralStore, GrantType, RedirectUri, Scope, StoreError, TenantId,
    TokenEndpointAuthMethod, UserId,
};
use serde_json::{Value, json};

use super::*;
use crate::consent::Consent;
use crate::error::ErrorCode;
use crate::token_service::fixture::{Cache, Fixture, TestClock, basic, request};
use crate::userinfo::{BearerError, UserInfoEndpoint};

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
    async fn find(&self, _: TenantId, user: UserId, client: &ClientId) -> Result<Option<Consent>, StoreError> {
        Ok(self.0.lock().unwrap().iter().find(|c| c.user_id == user && &c.client_id == client).cloned())
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
        Ok(Some(json!({ "preferred_username": "ada", "email": "ada@example.com", "email_verified": true })))
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
        .client(&tenant, TokenEndpointAuthMethod::ClientSecretBasic, &[GrantType::AuthorizationCode, GrantType::Implicit, GrantType::RefreshToken], "openid profile email offline_access")
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
    let Fixture { service, clock, cache, tenants, clients, keys, master, .. } = f;
    let fixture = Leftovers { tenants, clients, keys, master };
    let tokens = Arc::new(service);
    let consents = Arc::new(Consents::default());
    let users: Arc<dyn UserClaims> = Arc::new(Users);
    let endpoint = AuthorizationEndpoint::new(tokens.clone(), consents.clone(), users.clone());
    let userinfo = UserInfoEndpoint::new(tokens.clone(), users);
    let tenant = tokens.tenant("acme").await.unwrap();
    World { endpoint, userinfo, tokens, clock, cache, consents, tenant, fixture, rp: (rp, secret), spa }
}

impl World {
    fn change_rp(&mut self, change: impl Fn(&mut Client)) {
        let mut clients = self.fixture.clients.0.lock().unwrap();
        let rp = clients.iter_mut().find(|c| c.client_id == self.rp.0.client_id).unwrap();
        change(rp);
        self.rp.0 = rp.clone();
    }

    async fn code_tokens(&self, query: &str) -> crate::token::TokenResponse {
        let out = self.go(query, Some(&self.subject())).await;
        let code = param(&redirect(&out).2, "code").unwrap_or_else(|| panic!("{out:?}")).to_owned();
        let auth = basic(self.rp.0.client_id.as_str(), &self.rp.1);
        let body = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
        self.tokens.token(request("acme", Some(&auth), &body)).await.unwrap()
    }

    fn subject(&self) -> AuthenticatedSubject {
        AuthenticatedSubject {
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            session_id: "session-secret".into(),
            sid: "sid-1".into(),
            auth_time: self.clock.now() - Duration::minutes(5),
            amr: vec!["pwd".into()],
            acr: None,
        }
    }

    async fn go(&self, query: &str, subject: Option<&AuthenticatedSubject>) -> AuthorizeOutcome {
        self.endpoint.authorize(&self.tenant, query.as_bytes(), subject).await
    }

    fn spa_query(&self, extra: &str) -> String {
        format!("response_type=code&client_id={}&redirect_uri={CB}&scope=openid+email&state=s1&nonce=n1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}", self.spa.client_id)
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
        AuthorizeOutcome::RedirectToClient { uri, mode, params, .. } => (uri.as_str(), *mode, params.clone()),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn error_of(outcome: &AuthorizeOutcome) -> String {
    let (_, _, params) = redirect(outcome);
    param(&params, "error").unwrap_or("none").to_owned()
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn authorize_never_redirects_for_unknown_clients_or_unregistered_uris() {
    let w = world().await;
    for query in [
        "response_type=code&client_id=nope&redirect_uri=https://rp.test/cb".to_owned(),
        format!("response_type=code&client_id={}&redirect_uri=https://evil.test/cb", w.spa.client_id),
        format!("response_type=code&client_id={}&redirect_uri={CB}/", w.spa.client_id),
        "response_type=code".to_owned(),
        "client_id=a&client_id=b".to_owned(),
    ] {
        assert!(matches!(w.go(&query, None).await, AuthorizeOutcome::ShowError { status: 400, .. }), "{query}");
    }
}

#[tokio::test]
async fn authorize_errors_redirect_with_state_and_iss() {
    let w = world().await;
    let id = &w.spa.client_id;
    let out = w.go(&format!("client_id={id}&state=xyz"), None).await;
    let (uri, mode, params) = redirect(&out);
    assert_eq!((uri, mode), (CB, ResponseMode::Query), "the only registered URI is used when omitted");
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert_eq!(param(&params, "state"), Some("xyz"));
    assert_eq!(param(&params, "iss"), Some("https://id.test/t/acme"));
    let cases = [
        ("response_type=token", "unsupported_response_type"),
        ("response_type=code&code_challenge=x&code_challenge_method=plain", "invalid_request"),
        (&format!("response_type=code&code_challenge={CHALLENGE}")[..], "invalid_request"),
        ("response_type=code", "invalid_request"),
        ("response_type=id_token&scope=openid&nonce=n", "unauthorized_client"),
        (&format!("response_type=code&scope=admin&code_challenge={CHALLENGE}&code_challenge_method=S256")[..], "invalid_scope"),
        (&format!("response_type=code&prompt=none+login&code_challenge={CHALLENGE}&code_challenge_method=S256")[..], "invalid_request"),
        (&format!("response_type=code&max_age=-1&code_challenge={CHALLENGE}&code_challenge_method=S256")[..], "invalid_request"),
        (&format!("response_type=code&request=x&code_challenge={CHALLENGE}&code_challenge_method=S256")[..], "request_not_supported"),
    ];
    for (query, code) in cases {
        let out = w.go(&format!("client_id={id}&{query}"), None).await;
        assert_eq!(error_of(&out), code, "{query}");
    }
    let rp = &w.rp.0.client_id;
    let out = w.go(&format!("client_id={rp}&response_type=id_token&scope=openid"), None).await;
    let (_, mode, params) = redirect(&out);
    assert_eq!((mode, param(&params, "error")), (ResponseMode::Fragment, Some("invalid_request")), "implicit needs a nonce");
    let out = w.go(&format!("client_id={rp}&response_type=id_token&scope=openid&nonce=n&response_mode=query"), None).await;
    assert_eq!(error_of(&out), "invalid_request", "tokens never in the query");
}

#[tokio::test]
async fn signed_out_browser_needs_login_or_gets_login_required() {
    let w = world().await;
    let out = w.go(&w.spa_query("&prompt=none"), None).await;
    assert_eq!(error_of(&out), "login_required");
    let AuthorizeOutcome::NeedLogin(interaction) = w.go(&w.spa_query("&login_hint=ada&unknown=1"), None).await else {
        panic!("login needed")
    };
    assert_eq!(interaction.login_hint.as_deref(), Some("ada"));
    assert!(w.cache.get(&interaction_key(&interaction.id)).await.unwrap().is_some());
    // Back from the login page, signed in: the code, and the interaction is gone.
    assert!(matches!(w.endpoint.resume(&w.tenant, &interaction.id, Some(&w.subject())).await, AuthorizeOutcome::NeedLogin(_)), "a session older than the request");
    let subject = AuthenticatedSubject { auth_time: w.clock.now(), ..w.subject() };
    let out = w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await;
    let (_, _, params) = redirect(&out);
    assert!(param(&params, "code").is_some());
    assert_eq!(param(&params, "state"), Some("s1"));
    assert!(w.cache.get(&interaction_key(&interaction.id)).await.unwrap().is_none());
    let again = w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await;
    assert!(matches!(again, AuthorizeOutcome::ShowError { .. }));
}

#[tokio::test]
async fn code_with_pkce_is_exchanged_once_and_a_replay_revokes_its_tokens() {
    let w = world().await;
    let subject = w.subject();
    let out = w.go(&w.spa_query("&prompt=none"), Some(&subject)).await;
    let (_, _, params) = redirect(&out);
    let code = param(&params, "code").unwrap().to_owned();
    let spa = w.spa.client_id.to_string();
    let bad = format!("grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}&code_verifier={}", "a".repeat(43));
    let err = w.tokens.token(request("acme", None, &bad)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant, "wrong verifier");

    // The wrong verifier consumed the code (single use): start again.
    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let wrong_uri = format!("grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}x&code_verifier={VERIFIER}");
    assert_eq!(w.tokens.token(request("acme", None, &wrong_uri)).await.unwrap_err().code(), ErrorCode::InvalidGrant);

    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!("grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}");
    let tokens = w.tokens.token(request("acme", None, &body)).await.unwrap();
    let id_token = claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(id_token["nonce"], "n1");
    assert_eq!(id_token["aud"], spa);
    assert_eq!(id_token["azp"], spa);
    assert_eq!(id_token["sid"], "sid-1");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert_eq!(id_token["auth_time"], subject.auth_time.timestamp());
    assert_eq!(id_token["at_hash"], crate::id_token::half_hash(crate::SigningAlg::Es256, &tokens.access_token));
    assert!(id_token.get("email").is_none(), "claims come from userinfo when an access token is issued");

    let info = w.userinfo.userinfo(&w.tenant, &tokens.access_token).await.unwrap();
    assert_eq!(info["sub"], id_token["sub"]);
    assert_eq!(info["email"], "ada@example.com");
    assert!(info.get("preferred_username").is_none(), "no profile scope");

    let replay = w.tokens.token(request("acme", None, &body)).await.unwrap_err();
    assert_eq!(replay.code(), ErrorCode::InvalidGrant);
    assert!(matches!(w.userinfo.userinfo(&w.tenant, &tokens.access_token).await, Err(BearerError::InvalidToken(_))), "revoked");
}

#[tokio::test]
async fn codes_are_bound_to_their_client_and_expire_from_the_store() {
    let w = world().await;
    let subject = w.subject();
    w.consent().await;
    let rp = &w.rp.0;
    let out = w.go(&format!("response_type=code&client_id={}&scope=openid+offline_access", rp.client_id), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let stolen = format!("grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}", w.spa.client_id);
    assert_eq!(w.tokens.token(request("acme", None, &stolen)).await.unwrap_err().code(), ErrorCode::InvalidGrant);
    let out = w.go(&format!("response_type=code&client_id={}&scope=openid+offline_access", rp.client_id), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let auth = basic(rp.client_id.as_str(), &w.rp.1);
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
    let tokens = w.tokens.token(request("acme", Some(&auth), &body)).await.unwrap();
    assert!(tokens.refresh_token.is_some(), "offline_access with the refresh_token grant");
    let with_verifier = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}");
    assert_eq!(w.tokens.token(request("acme", Some(&auth), &with_verifier)).await.unwrap_err().code(), ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn third_party_clients_need_consent_and_denial_is_access_denied() {
    let w = world().await;
    let subject = w.subject();
    let rp = &w.rp.0.client_id;
    let query = format!("response_type=code&client_id={rp}&scope=openid+email&state=s");
    assert_eq!(error_of(&w.go(&format!("{query}&prompt=none"), Some(&subject)).await), "consent_required");
    let AuthorizeOutcome::NeedConsent(interaction) = w.go(&query, Some(&subject)).await else { panic!("consent") };
    assert_eq!(interaction.user_id, Some(subject.user_id));
    // Back without deciding: still consent.
    assert!(matches!(w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await, AuthorizeOutcome::NeedConsent(_)));
    w.clock.advance(Duration::seconds(1));
    w.consent().await;
    let out = w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await;
    assert!(param(&redirect(&out).2, "code").is_some());
    // Remembered: no consent page next time, unless prompt=consent.
    assert!(param(&redirect(&w.go(&query, Some(&subject)).await).2, "code").is_some());
    let AuthorizeOutcome::NeedConsent(mut interaction) = w.go(&format!("{query}&prompt=consent"), Some(&subject)).await else {
        panic!("prompt=consent forces the page")
    };
    interaction.consent_denied = true;
    w.cache.put(&interaction_key(&interaction.id), &serde_json::to_vec(&interaction).unwrap(), INTERACTION_TTL).await.unwrap();
    let out = w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await;
    assert_eq!(error_of(&out), "access_denied");
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let w = world().await;
    let subject = w.subject();
    for extra in ["&prompt=login", "&max_age=60"] {
        let AuthorizeOutcome::NeedLogin(interaction) = w.go(&w.spa_query(extra), Some(&subject)).await else {
            panic!("{extra}: re-authentication")
        };
        assert!(interaction.reauthenticate_after.is_some());
        assert!(matches!(w.endpoint.resume(&w.tenant, &interaction.id, Some(&subject)).await, AuthorizeOutcome::NeedLogin(_)), "old session");
        let fresh = AuthenticatedSubject { auth_time: w.clock.now() + Duration::seconds(1), ..subject.clone() };
        let out = w.endpoint.resume(&w.tenant, &interaction.id, Some(&fresh)).await;
        assert!(param(&redirect(&out).2, "code").is_some(), "{extra}");
    }
    assert_eq!(error_of(&w.go(&w.spa_query("&prompt=none&max_age=10"), Some(&subject)).await), "login_required");
    let AuthorizeOutcome::NeedLogin(i) = w.go(&w.spa_query("&max_age=0"), Some(&subject)).await else { panic!("max_age=0") };
    let fresh = AuthenticatedSubject { auth_time: w.clock.now(), ..subject.clone() };
    w.clock.advance(Duration::seconds(3));
    assert!(param(&redirect(&w.endpoint.resume(&w.tenant, &i.id, Some(&fresh)).await).2, "code").is_some(), "no loop");
    assert!(param(&redirect(&w.go(&w.spa_query("&max_age=600"), Some(&subject)).await).2, "code").is_some());
}

#[tokio::test]
async fn implicit_id_token_carries_claims_and_id_token_token_carries_at_hash() {
    let w = world().await;
    let subject = w.subject();
    w.consent().await;
    let rp = &w.rp.0.client_id;
    let out = w.go(&format!("response_type=id_token&client_id={rp}&scope=openid+email&nonce=n2&response_mode=form_post"), Some(&subject)).await;
    let (_, mode, params) = redirect(&out);
    assert_eq!(mode, ResponseMode::FormPost);
    assert!(param(&params, "code").is_none() && param(&params, "access_token").is_none());
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!((id["nonce"].as_str(), id["email"].as_str()), (Some("n2"), Some("ada@example.com")));

    let out = w.go(&format!("response_type=id_token+token&client_id={rp}&scope=openid+email&nonce=n3"), Some(&subject)).await;
    let (_, mode, params) = redirect(&out);
    assert_eq!(mode, ResponseMode::Fragment);
    let access = param(&params, "access_token").unwrap();
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!(id["at_hash"], crate::id_token::half_hash(crate::SigningAlg::Es256, access));
    assert!(id.get("email").is_none());

    let out = w.go(&format!("response_type=code+id_token&client_id={rp}&scope=openid&nonce=n4"), Some(&subject)).await;
    let params = redirect(&out).2;
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!(id["c_hash"], crate::id_token::half_hash(crate::SigningAlg::Es256, param(&params, "code").unwrap()));
}

#[tokio::test]
async fn id_token_hint_for_another_user_is_login_required_with_prompt_none() {
    let w = world().await;
    let subject = w.subject();
    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!("grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}", w.spa.client_id);
    let hint = w.tokens.token(request("acme", None, &body)).await.unwrap().id_token.unwrap();
    let ok = w.go(&w.spa_query(&format!("&prompt=none&id_token_hint={hint}")), Some(&subject)).await;
    assert!(param(&redirect(&ok).2, "code").is_some());
    let other = AuthenticatedSubject { user_id: UserId::generate(), ..subject.clone() };
    let out = w.go(&w.spa_query(&format!("&prompt=none&id_token_hint={hint}")), Some(&other)).await;
    assert_eq!(error_of(&out), "login_required");
    assert_eq!(error_of(&w.go(&w.spa_query("&id_token_hint=not.a.jwt"), Some(&subject)).await), "invalid_request");
}

#[tokio::test]
async fn userinfo_refuses_bad_tokens_and_tokens_without_openid() {
    let w = world().await;
    assert!(matches!(w.userinfo.userinfo(&w.tenant, "a.b.c").await, Err(BearerError::InvalidToken(_))));
    let subject = w.subject();
    let query = format!("response_type=code&client_id={}&redirect_uri={CB}&scope=email&code_challenge={CHALLENGE}&code_challenge_method=S256", w.spa.client_id);
    let out = w.go(&query, Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!("grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}", w.spa.client_id);
    let tokens = w.tokens.token(request("acme", None, &body)).await.unwrap();
    assert!(tokens.id_token.is_none(), "no openid, no ID token");
    assert_eq!(w.userinfo.userinfo(&w.tenant, &tokens.access_token).await, Err(BearerError::InsufficientScope));
    w.clock.advance(Duration::hours(2));
    assert!(matches!(w.userinfo.userinfo(&w.tenant, &tokens.access_token).await, Err(BearerError::InvalidToken(_))), "expired");
}

#[tokio::test]
async fn tenant_setting_requires_pkce_of_confidential_clients_too() {
    let mut w = world().await;
    w.consent().await;
    let query = format!("response_type=code&client_id={}&scope=openid", w.rp.0.client_id);
    assert!(param(&redirect(&w.go(&query, Some(&w.subject())).await).2, "code").is_some());
    w.fixture.tenants.0.lock().unwrap().iter_mut().for_each(|t| t.settings.pkce_required = true);
    w.tenant = w.tokens.tenant("acme").await.unwrap();
    assert_eq!(error_of(&w.go(&query, Some(&w.subject())).await), "invalid_request");
    let with_pkce = format!("{query}&code_challenge={CHALLENGE}&code_challenge_method=S256");
    assert!(param(&redirect(&w.go(&with_pkce, Some(&w.subject())).await).2, "code").is_some());
}

#[tokio::test]
async fn pairwise_clients_see_the_same_pairwise_sub_in_id_token_and_userinfo() {
    let mut w = world().await;
    w.consent().await;
    w.change_rp(|c| c.settings.subject_type = Some("pairwise".into()));
    let tokens = w.code_tokens(&format!("response_type=code&client_id={}&scope=openid+email", w.rp.0.client_id)).await;
    let id = claims(tokens.id_token.as_deref().unwrap());
    assert_ne!(id["sub"], w.subject().user_id.to_string());
    let info = w.userinfo.userinfo(&w.tenant, &tokens.access_token).await.unwrap();
    assert_eq!(info["sub"], id["sub"]);
}

#[tokio::test]
async fn id_token_is_signed_with_the_clients_registered_alg() {
    let mut w = world().await;
    w.consent().await;
    let tenant_id = w.tenant.tenant.id;
    let rsa = crate::key_rotation::generate_key(tenant_id, crate::SigningAlg::Rs256, crate::KeyStatus::Active, &w.fixture.master, w.clock.now()).unwrap();
    crate::SigningKeyStore::insert(w.fixture.keys.as_ref(), &rsa).await.unwrap();
    w.clock.advance(Duration::seconds(10));
    w.change_rp(|c| c.settings.id_token_signed_response_alg = Some("RS256".into()));
    let tokens = w.code_tokens(&format!("response_type=code&client_id={}&scope=openid", w.rp.0.client_id)).await;
    let id_token = tokens.id_token.unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(id_token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims(&id_token)["at_hash"], crate::id_token::half_hash(crate::SigningAlg::Rs256, &tokens.access_token));
    let access: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(tokens.access_token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(access["alg"], "ES256", "access tokens keep the tenant's alg");
}
