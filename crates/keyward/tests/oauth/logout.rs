//! RP-initiated logout (OIDC RP-Initiated Logout 1.0) and back-channel logout (OIDC
//! Back-Channel Logout 1.0) against a real server. ID token hints are signed here with the
//! tenant's own key, read from the server's database with its master key.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use keyward_core::{ClientId, SystemClock, TenantSlug, TenantStore};
use keyward_oauth::keyring::KeyRing;
use keyward_oauth::{ClientStore, SigningAlg};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::app::TestApp;
use crate::page_client::Browser;
use crate::pages::{PASSWORD, server_with, sign_in, tenant_with_alice, urlencode};

const BYE: &str = "https://rp.test/bye";

async fn store(server: &TestApp) -> keyward_store::SqlStore {
    server.store()
}

/// A client of `slug` with BYE as post-logout redirect URI and, optionally, a back-channel URI
/// (written through the store: the CLI has no flag for it).
async fn rp(server: &TestApp, slug: &str, backchannel: Option<String>) -> String {
    let created = server
        .register(&[
            "--tenant",
            slug,
            "--name",
            "RP",
            "--redirect-uri",
            "https://rp.test/cb",
            "--post-logout-redirect-uri",
            BYE,
            "--grant-type",
            "authorization_code",
            "--json",
        ])
        .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    if backchannel.is_some() {
        let store = store(server).await;
        let tenant = TenantStore::by_slug(&store, &TenantSlug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap();
        let mut client = ClientStore::get(&store, tenant.id, &ClientId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        client.settings.backchannel_logout_uri = backchannel;
        ClientStore::update(&store, &client).await.unwrap();
    }
    id
}

/// An ID token of `slug` for `client` about `sub`, signed with the tenant's ES256 key and
/// already expired (hints are accepted expired).
async fn id_token_hint(server: &TestApp, slug: &str, client: &str, sub: &str) -> String {
    signed_as(server, slug, client, sub, "JWT").await
}

/// The same claims as an ID token hint, signed with the tenant's key under header `typ`.
async fn signed_as(server: &TestApp, slug: &str, client: &str, sub: &str, typ: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "iss": server.issuer(slug), "sub": sub, "aud": client, "iat": now - 7200, "exp": now - 3600 });
    sign_with_tenant_key(server, slug, typ, &claims).await
}

/// `claims` signed with the tenant's ES256 key under header `typ`.
async fn sign_with_tenant_key(server: &TestApp, slug: &str, typ: &str, claims: &Value) -> String {
    let store = store(server).await;
    let tenant = TenantStore::by_slug(&store, &TenantSlug::parse(slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    let master = server.platform.master.clone();
    let ring = KeyRing::new(Arc::new(store), master, Arc::new(SystemClock));
    let keys = ring.tenant_keys(tenant.id).await.unwrap();
    keys.signer(SigningAlg::Es256)
        .unwrap()
        .sign(typ, claims)
        .unwrap()
}

/// The public `sid` of the session whose cookie is `secret` (as keyward-identity derives it).
fn sid_of(secret: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("sid:{secret}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

#[tokio::test]
async fn a_cross_site_logout_ends_the_session_its_hint_names_and_without_one_pretends_nothing() {
    let (server, alice) = server_with("acme", "Acme").await;
    let (uri, mut received) = backchannel_receiver().await;
    let client = rp(&server, "acme", Some(uri)).await;
    let browser = Browser::new();
    sign_in(&server, &browser, "acme", PASSWORD).await;
    let sid = sid_of(&browser.cookie("keyward_session").unwrap());

    // Without a hint, a POST that carries no session cookie (SameSite=Lax keeps it from a
    // cross-site form) ends nothing, and says so instead of returning as if it had worked.
    let cross_site = Browser::new();
    let logout = format!("{}/logout", server.issuer("acme"));
    let nothing = cross_site
        .post(
            &logout,
            &[
                ("client_id", client.as_str()),
                ("post_logout_redirect_uri", BYE),
                ("state", "s1"),
            ],
        )
        .await;
    assert_eq!(nothing.status, 200, "{}", nothing.body);
    assert!(
        nothing.body.contains("Nobody was signed out"),
        "{}",
        nothing.body
    );
    assert!(
        nothing.body.contains("https://rp.test/bye?state=s1"),
        "{}",
        nothing.body
    );
    assert!(
        browser.get(&logout).await.body.contains("Sign out?"),
        "the session is still live"
    );

    // With an ID token hint naming the session, that session ends, and its clients are told.
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "iss": server.issuer("acme"), "sub": alice, "aud": client, "sid": sid, "iat": now - 60, "exp": now + 600 });
    let hint = sign_with_tenant_key(&server, "acme", "JWT", &claims).await;
    let done = cross_site
        .post(
            &logout,
            &[
                ("id_token_hint", hint.as_str()),
                ("post_logout_redirect_uri", BYE),
                ("state", "s2"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location().as_str()),
        (303, "https://rp.test/bye?state=s2"),
        "{}",
        done.body
    );
    assert!(
        !browser.get(&logout).await.body.contains("Sign out?"),
        "the session the hint names has ended"
    );
    let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a back-channel logout token")
        .unwrap();
    assert!(!token.is_empty());
}

fn logout_url(server: &TestApp, slug: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("{}/logout?{}", server.issuer(slug), query.join("&"))
}

#[tokio::test]
async fn logout_without_hint_asks_for_confirmation_protected_by_csrf() {
    let (server, _) = server_with("acme", "Acme").await;
    let browser = Browser::new();
    assert_eq!(
        sign_in(&server, &browser, "acme", PASSWORD).await.status,
        200
    );
    let session = browser.cookie("keyward_session").unwrap();
    let page = browser
        .get(&format!("{}/logout", server.issuer("acme")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign out?"), "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    let confirm = format!("{}/logout/confirm", server.issuer("acme"));
    assert_eq!(browser.post(&confirm, &[]).await.status, 403);
    let done = browser
        .post(&confirm, &[("csrf_token", &page.hidden("csrf_token"))])
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("You have been signed out"));
    let cleared = done.set_cookie("keyward_session").unwrap();
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Path=/t/acme/"),
        "{cleared}"
    );
    // The old cookie no longer names a session.
    let replay = Browser::new();
    replay.set("keyward_session", &session);
    let after = replay
        .get(&format!("{}/logout", server.issuer("acme")))
        .await;
    assert!(
        after.body.contains("Nobody was signed out"),
        "{}",
        after.body
    );
}

#[tokio::test]
async fn logout_refuses_an_unregistered_post_logout_redirect_uri() {
    let (server, _) = server_with("acme", "Acme").await;
    let client = rp(&server, "acme", None).await;
    let browser = Browser::new();
    for params in [
        vec![
            ("client_id", client.as_str()),
            ("post_logout_redirect_uri", "https://evil.test/bye"),
        ],
        vec![
            ("client_id", client.as_str()),
            ("post_logout_redirect_uri", "https://rp.test/bye/"),
        ],
        vec![("post_logout_redirect_uri", BYE)],
    ] {
        let page = browser.get(&logout_url(&server, "acme", &params)).await;
        assert_eq!(page.status, 400, "{params:?}");
        assert!(page.location().is_empty());
        assert!(page.body.contains("not registered"), "{}", page.body);
    }
    let registered = browser
        .get(&logout_url(
            &server,
            "acme",
            &[
                ("client_id", &client),
                ("post_logout_redirect_uri", BYE),
                ("state", "s 1"),
            ],
        ))
        .await;
    // No session: nothing is ended, and the page says so with a link back (no redirect that
    // would claim a sign-out).
    assert_eq!(registered.status, 200, "{}", registered.body);
    assert!(registered.location().is_empty());
    assert!(
        registered.body.contains("Nobody was signed out")
            && registered.body.contains("https://rp.test/bye?state=s+1"),
        "{}",
        registered.body
    );
}

#[tokio::test]
async fn logout_with_a_valid_expired_hint_ends_the_session_and_echoes_state() {
    let (server, alice) = server_with("acme", "Acme").await;
    let client = rp(&server, "acme", None).await;
    let browser = Browser::new();
    sign_in(&server, &browser, "acme", PASSWORD).await;
    let session = browser.cookie("keyward_session").unwrap();
    let hint = id_token_hint(&server, "acme", &client, &alice).await;
    let done = browser
        .get(&logout_url(
            &server,
            "acme",
            &[
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", BYE),
                ("state", "xyz"),
            ],
        ))
        .await;
    assert_eq!(
        (done.status, done.location().as_str()),
        (303, "https://rp.test/bye?state=xyz"),
        "{}",
        done.body
    );
    assert!(
        done.set_cookie("keyward_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let replay = Browser::new();
    replay.set("keyward_session", &session);
    assert!(
        replay
            .get(&format!("{}/logout", server.issuer("acme")))
            .await
            .body
            .contains("Nobody was signed out")
    );
}

#[tokio::test]
async fn logout_refuses_a_hint_from_another_tenant_or_a_mismatched_client() {
    let (server, alice) = server_with("acme", "Acme").await;
    tenant_with_alice(&server, "beta", "Beta").await;
    let client = rp(&server, "acme", None).await;
    let foreign = id_token_hint(&server, "beta", &client, &alice).await;
    let browser = Browser::new();
    let page = browser
        .get(&logout_url(&server, "acme", &[("id_token_hint", &foreign)]))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("not issued here"), "{}", page.body);
    let hint = id_token_hint(&server, "acme", &client, &alice).await;
    let mismatch = browser
        .get(&logout_url(
            &server,
            "acme",
            &[("id_token_hint", &hint), ("client_id", "someone-else")],
        ))
        .await;
    assert_eq!(mismatch.status, 400);
}

#[tokio::test]
async fn logout_refuses_an_access_token_or_a_logout_token_as_hint() {
    let (server, alice) = server_with("acme", "Acme").await;
    let client = rp(&server, "acme", None).await;
    let browser = Browser::new();
    sign_in(&server, &browser, "acme", PASSWORD).await;
    for typ in ["at+jwt", "logout+jwt"] {
        let hint = signed_as(&server, "acme", &client, &alice, typ).await;
        let page = browser
            .get(&logout_url(
                &server,
                "acme",
                &[("id_token_hint", &hint), ("post_logout_redirect_uri", BYE)],
            ))
            .await;
        assert_eq!(page.status, 400, "{typ}: {}", page.body);
        assert!(
            page.body.contains("not issued here as an ID token"),
            "{typ}: {}",
            page.body
        );
    }
    // Nothing was ended: the session still signs the user in.
    assert!(browser.cookie("keyward_session").is_some());
}

/// A relying party's back-channel logout endpoint: an actix server on a free loopback port
/// that hands every `logout_token` it receives to the test.
pub(crate) async fn backchannel_receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().route(
            "/backchannel",
            web::post().to(
                move |form: web::Form<std::collections::HashMap<String, String>>| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(form.get("logout_token").cloned().unwrap_or_default());
                        HttpResponse::Ok().finish()
                    }
                },
            ),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/backchannel"), rx)
}

#[tokio::test]
async fn backchannel_logout_posts_a_logout_token_verifiable_with_the_tenant_jwks() {
    let (server, alice) = server_with("acme", "Acme").await;
    let (uri, mut received) = backchannel_receiver().await;
    let client = rp(&server, "acme", Some(uri)).await;
    let browser = Browser::new();
    sign_in(&server, &browser, "acme", PASSWORD).await;
    let hint = id_token_hint(&server, "acme", &client, &alice).await;
    let done = browser
        .get(&logout_url(&server, "acme", &[("id_token_hint", &hint)]))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token")
        .unwrap();
    let jwks: Value = server
        .http
        .get(format!("{}/jwks", server.issuer("acme")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = keyward_oauth::jose::parse_jwk_set(&jwks).unwrap();
    let verified = keyward_oauth::jose::verify(
        &token,
        &keys,
        &[SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa],
    )
    .unwrap();
    assert_eq!(verified.typ.as_deref(), Some("logout+jwt"));
    let claims = verified.claims;
    assert_eq!(claims["iss"], server.issuer("acme"));
    assert_eq!(claims["aud"], client);
    assert_eq!(claims["sub"], alice);
    assert!(
        claims["sid"].is_string()
            && claims["jti"].is_string()
            && claims["iat"].is_i64()
            && claims["exp"].is_i64()
    );
    assert_eq!(
        claims["events"],
        json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
    );
    assert!(
        claims.get("nonce").is_none(),
        "§2.4: a logout token has no nonce"
    );
}

#[tokio::test]
async fn failed_backchannel_logout_is_retried_then_counted_in_metrics() {
    let (server, alice) = server_with("acme", "Acme").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = rp(
        &server,
        "acme",
        Some(format!("http://127.0.0.1:{closed}/backchannel")),
    )
    .await;
    let browser = Browser::new();
    sign_in(&server, &browser, "acme", PASSWORD).await;
    let hint = id_token_hint(&server, "acme", &client, &alice).await;
    assert_eq!(
        browser
            .get(&logout_url(&server, "acme", &[("id_token_hint", &hint)]))
            .await
            .status,
        200
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let metrics = server
            .http
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("keyward_backchannel_logout_failures_total 1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failure counted: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The log holds this failure (so it is the log the server writes), never the token.
    let log = server.log();
    let uri = format!("http://127.0.0.1:{closed}/backchannel");
    assert!(
        log.lines()
            .any(|l| l.contains("back-channel logout failed; giving up") && l.contains(&uri)),
        "the failure is logged: {log}"
    );
    assert!(!log.contains(&hint), "tokens never reach the log");
}

#[tokio::test]
async fn backchannel_logout_reaches_the_clients_that_got_codes_in_the_ended_session() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let (server, alice) = server_with("acme", "Acme").await;
    let (uri, mut received) = backchannel_receiver().await;
    let created = server
        .register(&[
            "--tenant",
            "acme",
            "--name",
            "First party",
            "--redirect-uri",
            "https://rp.test/cb",
            "--grant-type",
            "authorization_code",
            "--first-party",
            "--json",
        ])
        .await;
    let client = created["client_id"].as_str().unwrap().to_owned();
    {
        let store = store(&server).await;
        let tenant = TenantStore::by_slug(&store, &TenantSlug::parse("acme").unwrap())
            .await
            .unwrap()
            .unwrap();
        let mut stored = ClientStore::get(&store, tenant.id, &ClientId::parse(&client).unwrap())
            .await
            .unwrap()
            .unwrap();
        stored.settings.backchannel_logout_uri = Some(uri);
        ClientStore::update(&store, &stored).await.unwrap();
    }
    let browser = Browser::new();
    let challenge = URL_SAFE_NO_PAD.encode(
        ring::digest::digest(
            &ring::digest::SHA256,
            b"verifier-verifier-verifier-verifier-verifier",
        )
        .as_ref(),
    );
    let start = browser
        .get(&format!(
            "{}/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256",
            server.issuer("acme"),
            urlencode("https://rp.test/cb"),
        ))
        .await;
    let login = browser
        .get(&format!("{}{}", server.base, start.location()))
        .await;
    let signed_in = browser
        .post(
            &format!("{}/login", server.issuer("acme")),
            &[
                ("csrf_token", &login.hidden("csrf_token")),
                ("interaction", &login.hidden("interaction")),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let resumed = browser
        .get(&format!("{}{}", server.base, signed_in.location()))
        .await;
    assert!(
        resumed.location().starts_with("https://rp.test/cb?code="),
        "{}",
        resumed.location()
    );
    let session = browser.cookie("keyward_session").unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("sid:{session}").as_bytes());
    let sid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);

    // No hint: the person confirms, and the client that got a code hears of it.
    let page = browser
        .get(&format!("{}/logout", server.issuer("acme")))
        .await;
    let done = browser
        .post(
            &format!("{}/logout/confirm", server.issuer("acme")),
            &[("csrf_token", &page.hidden("csrf_token"))],
        )
        .await;
    assert_eq!(done.status, 200);
    let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token")
        .unwrap();
    let jwks: Value = server
        .http
        .get(format!("{}/jwks", server.issuer("acme")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = keyward_oauth::jose::parse_jwk_set(&jwks).unwrap();
    let claims = keyward_oauth::jose::verify(
        &token,
        &keys,
        &[SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa],
    )
    .unwrap()
    .claims;
    assert_eq!(
        (
            claims["aud"].as_str(),
            claims["sub"].as_str(),
            claims["sid"].as_str()
        ),
        (
            Some(client.as_str()),
            Some(alice.as_str()),
            Some(sid.as_str())
        )
    );
}
