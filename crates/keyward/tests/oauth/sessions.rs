//! Browser sessions end to end, on every backend (SQLite + memory, PostgreSQL + Redis): an
//! ended session stays ended under concurrent use of its cookie (logout and admin revocation
//! racing page loads).

use futures::future::join_all;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::app::{Options, TestApp};
use crate::code_flow::{CHALLENGE, SPA_CB};
use crate::page_client::Browser;
use crate::pages::urlencode;

const ROUNDS: usize = 16;
const PAGE_LOADS: usize = 16;

/// Signs `demo` in on the login page (no interaction); answers the session cookie's value.
pub(crate) async fn sign_in(app: &TestApp, browser: &Browser) -> String {
    let url = format!("{}/login", app.issuer("demo"));
    let form = browser.get(&url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.hidden("csrf_token");
    let done = browser
        .post(
            &url,
            &[
                ("csrf_token", &csrf),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    browser.cookie("keyward_session").expect("a session cookie")
}

/// A silent authorization request of the demo SPA carrying `cookie`.
fn silent_url(app: &TestApp, spa: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={spa}&redirect_uri={SPA_CB}&scope=openid&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256&prompt=none",
        app.issuer("demo")
    )
}

/// Whether a `prompt=none` request with `cookie` is answered with a code (signed in).
async fn signed_in(app: &TestApp, spa: &str, cookie: &str) -> bool {
    let res = app
        .http
        .get(silent_url(app, spa))
        .header(COOKIE, format!("keyward_session={cookie}"))
        .send()
        .await
        .unwrap();
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let url = url::Url::parse(&to).unwrap();
    let has = |name: &str| url.query_pairs().any(|(k, _)| k == name);
    assert!(has("code") || has("error"), "{to}");
    has("code")
}

async fn demo_user(app: &TestApp, token: &str) -> String {
    let found: Value = app
        .http
        .get(format!(
            "{}/admin/api/v1/tenants/demo/users?search=demo",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    found["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn listed_sessions(app: &TestApp, token: &str, user: &str) -> usize {
    let listed: Value = app
        .http
        .get(format!(
            "{}/admin/api/v1/tenants/demo/users/{user}/sessions",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["items"].as_array().unwrap().len()
}

/// How a round ends the session.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// The person confirms on the logout page.
    Logout,
    /// An administrator revokes all of the user's sessions.
    AdminRevokeAll,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_ended_while_its_cookie_is_in_use_stays_ended_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let spa = app.demo_client("Demo SPA").id;
        let admin = app.admin_token().await;
        let user = demo_user(&app, &admin).await;
        let mut revived = Vec::new();
        for round in 0..ROUNDS {
            let ending = if round % 2 == 0 {
                Ending::Logout
            } else {
                Ending::AdminRevokeAll
            };
            let browser = Browser::new();
            let cookie = sign_in(&app, &browser).await;
            assert!(signed_in(&app, &spa, &cookie).await, "{}", app.backend);
            // The logout confirmation form (and its CSRF token) is fetched up front, so that
            // only the ending itself races the page loads.
            let confirm = browser.get(&format!("{}/logout", app.issuer("demo"))).await;
            assert_eq!(confirm.status, 200, "{}", confirm.body);
            let csrf = confirm.hidden("csrf_token");

            let loads = (0..PAGE_LOADS).map(|_| signed_in(&app, &spa, &cookie));
            let end = async {
                match ending {
                    Ending::Logout => {
                        let page = browser
                            .post(
                                &format!("{}/logout/confirm", app.issuer("demo")),
                                &[("csrf_token", &csrf)],
                            )
                            .await;
                        assert_eq!(page.status, 200, "{}", page.body);
                    }
                    Ending::AdminRevokeAll => {
                        let res = app
                            .http
                            .delete(format!(
                                "{}/admin/api/v1/tenants/demo/users/{user}/sessions",
                                app.base
                            ))
                            .bearer_auth(&admin)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(res.status(), 204);
                    }
                }
            };
            let _ = futures::join!(join_all(loads), end);

            let back = signed_in(&app, &spa, &cookie).await;
            let listed = listed_sessions(&app, &admin, &user).await;
            if back || listed > 0 {
                revived.push((round, ending, back, listed));
                // Start the next round from nothing.
                app.http
                    .delete(format!(
                        "{}/admin/api/v1/tenants/demo/users/{user}/sessions",
                        app.base
                    ))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
            }
        }
        assert!(
            revived.is_empty(),
            "{}: ended sessions came back (round, ending, cookie accepted, listed): {revived:?}",
            app.backend
        );
        app.cleanup().await;
    }
}

/// Every key and value the app's ephemeral store holds (the memory store behind the
/// platform, or every key under the app's Redis prefix).
pub async fn cache_entries(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    if let Some(url) = &app.platform.config.redis_url {
        let redis = keyward_cache::RedisStore::connect(url, &app.platform.config.redis_prefix)
            .await
            .unwrap();
        return redis.entries().await.unwrap();
    }
    let any: std::sync::Arc<dyn std::any::Any + Send + Sync> = app.platform.cache.clone();
    any.downcast::<keyward_cache::MemoryStore>()
        .expect("the embedded app keeps its state in memory")
        .entries()
}

/// The entries whose key or value contains `secret`, for the failure message.
async fn holding(app: &TestApp, secret: &str) -> Vec<String> {
    cache_entries(app)
        .await
        .into_iter()
        .filter(|(k, v)| k.contains(secret) || String::from_utf8_lossy(v).contains(secret))
        .map(|(k, v)| format!("{k} = {}", String::from_utf8_lossy(&v)))
        .collect()
}

fn sha256_b64(text: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[tokio::test]
async fn the_session_cookie_value_is_stored_nowhere_on_every_backend() {
    use keyward_oauth::RefreshTokenStore;
    for app in TestApp::every_backend(Options::dev()).await {
        let spa = app.demo_client("Demo SPA").id;
        let admin = app.admin_token().await;
        let user = demo_user(&app, &admin).await;
        let browser = Browser::new();
        let cookie = sign_in(&app, &browser).await;
        assert_eq!(
            holding(&app, &cookie).await,
            Vec::<String>::new(),
            "{}: after sign-in",
            app.backend
        );

        // A code (bound to the session), redeemed for a refresh token (its family names the
        // session), refreshed: the session's flows still work.
        let url = format!(
            "{}/authorize?response_type=code&client_id={spa}&redirect_uri={SPA_CB}&scope=openid+offline_access&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256",
            app.issuer("demo")
        );
        let res = app
            .http
            .get(&url)
            .header(COOKIE, format!("keyward_session={cookie}"))
            .send()
            .await
            .unwrap();
        let to = url::Url::parse(res.headers()[LOCATION].to_str().unwrap()).unwrap();
        let code = to
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code: {to}"));
        assert_eq!(
            holding(&app, &cookie).await,
            Vec::<String>::new(),
            "{}: with a code issued in the session",
            app.backend
        );
        let tokens: Value = app
            .post(
                "demo",
                "token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &spa),
                    ("code", &code),
                    ("code_verifier", crate::code_flow::VERIFIER),
                    ("redirect_uri", SPA_CB),
                ],
            )
            .await
            .json()
            .await
            .unwrap();
        let refresh = tokens["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no refresh token: {tokens}", app.backend))
            .to_owned();
        let tenant = app.platform.tenant("demo").await.unwrap();
        let (_, family) = app
            .platform
            .store
            .find(tenant.id, &sha256_b64(&refresh))
            .await
            .unwrap()
            .unwrap();
        let stored = family
            .session_id
            .clone()
            .expect("the family names its session");
        assert!(
            !stored.contains(&cookie),
            "{}: refresh_token_families.session_id holds the cookie value",
            app.backend
        );
        let refreshed = app
            .post(
                "demo",
                "token",
                None,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &spa),
                    ("refresh_token", &refresh),
                ],
            )
            .await;
        assert_eq!(refreshed.status(), 200, "{}", app.backend);
        assert_eq!(
            holding(&app, &cookie).await,
            Vec::<String>::new(),
            "{}: after the code was redeemed",
            app.backend
        );

        // The admin list and logout still find the session by what is stored.
        assert_eq!(
            listed_sessions(&app, &admin, &user).await,
            1,
            "{}",
            app.backend
        );
        assert!(signed_in(&app, &spa, &cookie).await, "{}", app.backend);
        let confirm = browser.get(&format!("{}/logout", app.issuer("demo"))).await;
        let csrf = confirm.hidden("csrf_token");
        let out = browser
            .post(
                &format!("{}/logout/confirm", app.issuer("demo")),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(out.status, 200, "{}", out.body);
        assert!(!signed_in(&app, &spa, &cookie).await, "{}", app.backend);
        assert_eq!(
            listed_sessions(&app, &admin, &user).await,
            0,
            "{}",
            app.backend
        );
        app.cleanup().await;
    }
}

/// Bytes held by the app's ephemeral store (keys and values).
async fn stored_bytes(app: &TestApp) -> usize {
    cache_entries(app)
        .await
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum()
}

/// What one anonymous `/authorize` may leave in the ephemeral store, whatever it carries:
/// the interaction (bounded by construction and checked before it is stored) and the
/// address's rate-limit counter.
const MAX_STORED_PER_ANONYMOUS_AUTHORIZE: usize =
    keyward_oauth::interaction::MAX_STORED_BYTES + 128;

fn web_app_authorize(app: &TestApp, client: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client}&redirect_uri=http://127.0.0.1:3000/callback&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        app.issuer("demo")
    )
}

#[tokio::test]
async fn an_anonymous_authorization_request_stores_a_bounded_interaction_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let web = app.demo_client("Demo web app").id;
        let long = |n: usize| "a".repeat(n);
        let claims = format!(r#"{{"userinfo":{{"x":{{"value":"{}"}}}}}}"#, long(8000));
        let limit = |name: &str| {
            keyward_oauth::authorize::request::MAX_PARAM_BYTES
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap()
                .1
        };
        let at_limit_claims = {
            let frame = r#"{"userinfo":{"x":{"value":""}}}"#.len();
            format!(
                r#"{{"userinfo":{{"x":{{"value":"{}"}}}}}}"#,
                long(limit("claims") - frame)
            )
        };
        let shapes = [
            (
                "typical",
                "&state=af0ifjsldkj&nonce=n-0S6_WzA2Mj".to_owned(),
            ),
            (
                "every parameter at its limit",
                format!(
                    "&state={}&nonce={}&login_hint={}&ui_locales={}&acr_values={}&display={}&claims={}",
                    long(limit("state")),
                    long(limit("nonce")),
                    long(limit("login_hint")),
                    long(limit("ui_locales")),
                    long(limit("acr_values")),
                    long(limit("display")),
                    urlencode(&at_limit_claims),
                ),
            ),
            (
                "every parameter large",
                format!(
                    "&state={s}&nonce={s}&login_hint={s}&ui_locales={s}&acr_values={s}&display={s}&claims={c}",
                    s = long(6000),
                    c = urlencode(&claims),
                ),
            ),
        ];
        for (shape, extra) in shapes {
            let before = stored_bytes(&app).await;
            let res = app
                .http
                .get(web_app_authorize(&app, &web, &extra))
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_redirection() || res.status().is_client_error(),
                "{}: {shape}: {}",
                app.backend,
                res.status()
            );
            let added = stored_bytes(&app).await.saturating_sub(before);
            eprintln!(
                "{}: {shape}: {} -> {added} bytes stored",
                app.backend,
                res.status()
            );
            assert!(
                added <= MAX_STORED_PER_ANONYMOUS_AUTHORIZE,
                "{}: {shape}: one anonymous /authorize stored {added} bytes",
                app.backend
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn oversized_authorization_parameters_are_invalid_request_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let web = app.demo_client("Demo web app").id;
        for (name, size) in [
            ("state", 4096),
            ("nonce", 1024),
            ("login_hint", 1024),
            ("ui_locales", 1024),
            ("acr_values", 1024),
            ("claims", 8192),
            ("id_token_hint", 16384),
        ] {
            let value = if name == "claims" {
                urlencode(&format!(r#"{{"userinfo":{{"x":"{}"}}}}"#, "a".repeat(size)))
            } else {
                "a".repeat(size)
            };
            let res = app
                .http
                .get(web_app_authorize(&app, &web, &format!("&{name}={value}")))
                .send()
                .await
                .unwrap();
            let to = res
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned());
            let to = to.unwrap_or_else(|| panic!("{}: {name}: {}", app.backend, res.status()));
            let url = url::Url::parse(&app.base).unwrap().join(&to).unwrap();
            let error = url
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned());
            assert_eq!(
                error.as_deref(),
                Some("invalid_request"),
                "{}: an oversized {name} goes back as invalid_request: {to}",
                app.backend
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn starting_sign_ins_beyond_the_rate_of_an_address_gets_a_readable_429_on_every_backend() {
    let options = Options::dev().var("KEYWARD_INTERACTION_LIMIT", "5");
    for app in TestApp::every_backend(options).await {
        let web = app.demo_client("Demo web app").id;
        for i in 0..5 {
            let res = app
                .http
                .get(web_app_authorize(&app, &web, "&state=st"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 302, "{}: request {i}", app.backend);
        }
        let before = stored_bytes(&app).await;
        let res = app
            .http
            .get(web_app_authorize(&app, &web, "&state=st"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "{}", app.backend);
        let body = res.text().await.unwrap();
        assert!(body.contains("<h1>"), "{}: a page: {body}", app.backend);
        assert!(body.contains("Too many"), "{}: {body}", app.backend);
        let added = stored_bytes(&app).await.saturating_sub(before);
        assert!(
            added < 64,
            "{}: a refused request stores no interaction ({added} bytes)",
            app.backend
        );

        // Another tenant counts on its own, and a signed-in browser starts no interaction.
        app.tenant("acme").await;
        let acme = app
            .client(
                "acme",
                &[
                    "--redirect-uri",
                    "https://rp.test/cb",
                    "--public",
                    "--first-party",
                ],
            )
            .await;
        let res = app
            .http
            .get(format!(
                "{}/authorize?response_type=code&client_id={}&redirect_uri=https://rp.test/cb&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
                app.issuer("acme"),
                acme.id
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{}: another tenant", app.backend);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_bogus_authorization_code_stores_nothing_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let spa = app.demo_client("Demo SPA").id;
        let before = cache_entries(&app).await;
        for i in 0..20 {
            let code = format!("bogus-code-{i}-{}", "x".repeat(30));
            let res = app
                .post(
                    "demo",
                    "token",
                    None,
                    &[
                        ("grant_type", "authorization_code"),
                        ("client_id", &spa),
                        ("code", &code),
                        ("code_verifier", crate::code_flow::VERIFIER),
                        ("redirect_uri", SPA_CB),
                    ],
                )
                .await;
            assert_eq!(res.status(), 400, "{}", app.backend);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "invalid_grant", "{}", app.backend);
        }
        let after = cache_entries(&app).await;
        let added: Vec<&String> = after
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !before.iter().any(|(b, _)| b == *k))
            .collect();
        assert!(
            added.is_empty(),
            "{}: bogus codes left markers: {added:?}",
            app.backend
        );
        app.cleanup().await;
    }
}

/// The sign-in page of a new anonymous authorization request of the demo web app: (its
/// interaction id, its CSRF token).
async fn login_page_of_a_new_request(app: &TestApp, browser: &Browser) -> (String, String) {
    let web = app.demo_client("Demo web app").id;
    let start = browser
        .get(&web_app_authorize(app, &web, "&state=st"))
        .await;
    assert_eq!(start.status, 302, "{}", start.body);
    let page = browser
        .get(&format!("{}{}", app.base, start.location()))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    (page.hidden("interaction"), page.hidden("csrf_token"))
}

fn refused_form(page: &crate::page_client::Page) -> bool {
    page.status == 403 && page.body.contains("<h1>") && page.body.contains("form")
}

#[tokio::test]
async fn a_csrf_token_of_another_tenant_is_refused_with_a_readable_403() {
    let app = TestApp::dev().await;
    app.tenant("acme").await;
    app.user("acme", "demo", "demo-password").await;
    let browser = Browser::new();
    let demo_form = browser.get(&format!("{}/login", app.issuer("demo"))).await;
    let token = demo_form.hidden("csrf_token");
    // The browser sends the same CSRF cookie to acme (a sibling page could have set it there).
    let at_acme = browser
        .post(
            &format!("{}/login", app.issuer("acme")),
            &[
                ("csrf_token", &token),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await;
    assert!(
        refused_form(&at_acme),
        "{}: {}",
        at_acme.status,
        at_acme.body
    );
    assert!(
        browser.cookie("keyward_session").is_none(),
        "not signed in at acme"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_csrf_token_of_another_interaction_is_refused_with_a_readable_403() {
    let app = TestApp::dev().await;
    let browser = Browser::new();
    let (first, first_token) = login_page_of_a_new_request(&app, &browser).await;
    let (second, second_token) = login_page_of_a_new_request(&app, &browser).await;
    assert_ne!(first, second);
    let login = format!("{}/login", app.issuer("demo"));
    let crossed = browser
        .post(
            &login,
            &[
                ("csrf_token", &first_token),
                ("interaction", &second),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await;
    assert!(
        refused_form(&crossed),
        "{}: {}",
        crossed.status,
        crossed.body
    );
    assert!(browser.cookie("keyward_session").is_none());
    let own = browser
        .post(
            &login,
            &[
                ("csrf_token", &second_token),
                ("interaction", &second),
                ("username", "demo"),
                ("password", "demo-password"),
            ],
        )
        .await;
    assert_eq!(own.status, 303, "its own token is accepted: {}", own.body);
    app.cleanup().await;
}

#[tokio::test]
async fn a_csrf_token_of_another_session_is_refused_with_a_readable_403() {
    let app = TestApp::dev().await;
    let browser = Browser::new();
    sign_in(&app, &browser).await;
    let logout = format!("{}/logout", app.issuer("demo"));
    let old_token = browser.get(&logout).await.hidden("csrf_token");
    // Signing in again replaces the session (same browser, same CSRF cookie).
    sign_in(&app, &browser).await;
    let confirm = format!("{}/logout/confirm", app.issuer("demo"));
    let stale = browser.post(&confirm, &[("csrf_token", &old_token)]).await;
    assert!(refused_form(&stale), "{}: {}", stale.status, stale.body);
    let spa = app.demo_client("Demo SPA").id;
    let cookie = browser.cookie("keyward_session").unwrap();
    assert!(signed_in(&app, &spa, &cookie).await, "still signed in");
    let fresh = browser.get(&logout).await.hidden("csrf_token");
    let done = browser.post(&confirm, &[("csrf_token", &fresh)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(!signed_in(&app, &spa, &cookie).await);
    app.cleanup().await;
}

#[tokio::test]
async fn an_expired_csrf_token_is_refused_with_a_readable_403() {
    use keyward_http::csrf::{CSRF_COOKIE, Csrf, CsrfScope};
    let app = TestApp::dev().await;
    let browser = Browser::new();
    let url = format!("{}/login", app.issuer("demo"));
    let served = browser.get(&url).await.hidden("csrf_token");
    let cookie = browser.cookie(CSRF_COOKIE).unwrap();
    // Tokens made with the server's own key, as its sign-in page would have made them.
    let csrf = Csrf::from_master(&app.platform.master)
        .unwrap()
        .with_lifetime(keyward_oauth::interaction::INTERACTION_TTL);
    let tenant = app.platform.tenant("demo").await.unwrap();
    let req = actix_web::test::TestRequest::default()
        .cookie(actix_web::cookie::Cookie::new(CSRF_COOKIE, cookie))
        .to_http_request();
    let scope = CsrfScope {
        tenant: tenant.id,
        binding: "",
    };
    let mint = |at| {
        csrf.token(&req, "/t/demo/", false, &scope, at)
            .unwrap()
            .token
    };
    let lifetime = chrono::Duration::from_std(csrf.lifetime()).unwrap();
    let now = chrono::Utc::now();
    let post = |token: String| {
        let (browser, url) = (&browser, &url);
        async move {
            browser
                .post(
                    url,
                    &[
                        ("csrf_token", token.as_str()),
                        ("username", "demo"),
                        ("password", "wrong password"),
                    ],
                )
                .await
        }
    };

    let expired = post(mint(now - lifetime - chrono::Duration::seconds(1))).await;
    assert!(
        refused_form(&expired),
        "{}: {}",
        expired.status,
        expired.body
    );
    assert!(expired.body.contains("expired"), "{}", expired.body);
    // A token of the same form still within its lifetime is taken (the password is then
    // wrong: 401 on the sign-in form, not 403).
    let late = post(mint(now - lifetime + chrono::Duration::seconds(30))).await;
    assert_eq!(late.status, 401, "{}", late.body);
    let fresh = post(served).await;
    assert_eq!(fresh.status, 401, "{}", fresh.body);
    app.cleanup().await;
}
