//! Runs the real `keyward-bench` binary for about a second per scenario against a small mock
//! OAuth server in this process, and checks that what it reports matches what the server saw.
//! For full-login the mock imitates Keyward's hosted sign-in: /authorize → 302 /login (a form
//! with a CSRF token tied to the `keyward_csrf` cookie) → POST → 303 /authorize/resume →
//! 302 to the redirect URI with the code → token endpoint (PKCE S256 checked).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// How the mock misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Correct,
    /// 400 for the measured requests: client_credentials, introspection, refresh_token, JWKS.
    Rejects,
    /// 200 with `"active": false` from introspection.
    Inactive,
    /// full-login: a consent page after signing in (a client that is not first-party).
    Consent,
}

/// One pending authorization request (by interaction id) or issued code.
#[derive(Clone)]
struct Pending {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    challenge: String,
}

struct Mock {
    mode: Mode,
    issued: AtomicU64,
    refresh_tokens: Mutex<HashSet<String>>,
    hits: Mutex<HashMap<&'static str, u64>>,
    interactions: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashSet<String>>,
    codes: Mutex<HashMap<String, Pending>>,
}

impl Mock {
    fn hit(&self, what: &'static str) {
        *self.hits.lock().unwrap().entry(what).or_default() += 1;
    }
    fn hits(&self, what: &'static str) -> u64 {
        self.hits.lock().unwrap().get(what).copied().unwrap_or(0)
    }
    fn next(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.issued.fetch_add(1, Ordering::Relaxed))
    }
}

fn bad_request(error: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": error }))
}

fn authenticated(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some("Basic Yzpz"); // c:s
    let post = form.get("client_id").map(String::as_str) == Some("c")
        && form.get("client_secret").map(String::as_str) == Some("s");
    basic || post
}

async fn discovery(req: HttpRequest, mock: web::Data<Mock>) -> HttpResponse {
    mock.hit("discovery");
    let base = format!("http://{}", req.connection_info().host());
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "token_endpoint": format!("{base}/token"),
        "introspection_endpoint": format!("{base}/introspect"),
        "jwks_uri": format!("{base}/jwks"),
        "authorization_endpoint": format!("{base}/authorize"),
    }))
}

async fn jwks(mock: web::Data<Mock>) -> HttpResponse {
    mock.hit("jwks");
    if mock.mode == Mode::Rejects {
        return bad_request("no_keys");
    }
    HttpResponse::Ok()
        .json(json!({ "keys": [{ "kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k" }] }))
}

async fn token(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    mock: web::Data<Mock>,
) -> HttpResponse {
    if form.get("grant_type").map(String::as_str) == Some("authorization_code") {
        return authorization_code(&req, &form, &mock);
    }
    if !authenticated(&req, &form) {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            mock.hit("client_credentials");
            if mock.mode == Mode::Rejects && form.get("scope").map(String::as_str) != Some("setup")
            {
                return bad_request("unauthorized_client");
            }
            HttpResponse::Ok().json(json!({ "access_token": mock.next("at"), "token_type": "Bearer", "expires_in": 300 }))
        }
        Some("password") => {
            mock.hit("password");
            if form.get("username").map(String::as_str) != Some("u")
                || form.get("password").map(String::as_str) != Some("p")
            {
                return bad_request("invalid_grant");
            }
            let rt = mock.next("rt");
            mock.refresh_tokens.lock().unwrap().insert(rt.clone());
            HttpResponse::Ok().json(json!({ "access_token": mock.next("at"), "token_type": "Bearer", "refresh_token": rt }))
        }
        Some("refresh_token") => {
            mock.hit("refresh_token");
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            // Rotation: a refresh token works once; replaying an old one is refused.
            if mock.mode == Mode::Rejects || !mock.refresh_tokens.lock().unwrap().remove(&presented)
            {
                return bad_request("invalid_grant");
            }
            let rt = mock.next("rt");
            mock.refresh_tokens.lock().unwrap().insert(rt.clone());
            HttpResponse::Ok().json(json!({ "access_token": mock.next("at"), "token_type": "Bearer", "refresh_token": rt }))
        }
        _ => bad_request("unsupported_grant_type"),
    }
}

fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name).map(|c| c.value().to_owned())
}

fn page(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><html><head><title>Mock</title></head><body>{body}</body></html>"
        ))
}

fn see(status: actix_web::http::StatusCode, to: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("location", to))
        .finish()
}

async fn authorize(
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
    mock: web::Data<Mock>,
) -> HttpResponse {
    mock.hit("authorize");
    if cookie(&req, "keyward_session").is_some() || cookie(&req, "keyward_csrf").is_some() {
        mock.hit("authorize_with_cookies");
    }
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if !matches!(get("client_id").as_str(), "pub" | "c")
        || redirect_uri != "http://127.0.0.1:9/cb"
        || get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").len() != 43
        || !get("scope").split(' ').any(|s| s == "openid")
    {
        return page(
            actix_web::http::StatusCode::BAD_REQUEST,
            r#"<p role="alert">bad authorization request</p>"#.to_owned(),
        );
    }
    let id = mock.next("int");
    mock.interactions.lock().unwrap().insert(
        id.clone(),
        Pending {
            client_id: get("client_id"),
            redirect_uri,
            state: get("state"),
            nonce: get("nonce"),
            challenge: get("code_challenge"),
        },
    );
    see(
        actix_web::http::StatusCode::FOUND,
        &format!("/login?interaction={id}"),
    )
}

/// The CSRF token of a browser: a function of its cookie (Keyward MACs it).
fn csrf_token(cookie: &str) -> String {
    format!("t-{cookie}")
}

async fn login_page(q: web::Query<HashMap<String, String>>, mock: web::Data<Mock>) -> HttpResponse {
    mock.hit("login_page");
    let interaction = q.get("interaction").cloned().unwrap_or_default();
    let csrf = mock.next("csrf");
    let body = format!(
        r#"<h1>Sign in</h1><form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{token}">
<input type="hidden" name="interaction" value="{interaction}">
<label for="username">Username</label><input id="username" name="username" type="text" required value="">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button class="primary" type="submit">Sign in</button></form>"#,
        token = csrf_token(&csrf)
    );
    let mut res = page(actix_web::http::StatusCode::OK, body);
    res.headers_mut().insert(
        actix_web::http::header::SET_COOKIE,
        actix_web::http::header::HeaderValue::from_str(&format!(
            "keyward_csrf={csrf}; Path=/; HttpOnly; SameSite=Lax"
        ))
        .unwrap(),
    );
    res
}

async fn login_submit(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    mock: web::Data<Mock>,
) -> HttpResponse {
    mock.hit("login_submit");
    let csrf_ok = cookie(&req, "keyward_csrf")
        .is_some_and(|c| form.get("csrf_token") == Some(&csrf_token(&c)));
    if !csrf_ok {
        return page(
            actix_web::http::StatusCode::FORBIDDEN,
            r#"<p role="alert">CSRF check failed</p>"#.to_owned(),
        );
    }
    let interaction = form.get("interaction").cloned().unwrap_or_default();
    if !mock.interactions.lock().unwrap().contains_key(&interaction) {
        return page(
            actix_web::http::StatusCode::BAD_REQUEST,
            r#"<p role="alert">expired interaction</p>"#.to_owned(),
        );
    }
    if form.get("username").map(String::as_str) != Some("u")
        || form.get("password").map(String::as_str) != Some("p")
    {
        return page(
            actix_web::http::StatusCode::UNAUTHORIZED,
            r#"<form method="post" action="/login"><p class="error" role="alert">Incorrect username or password.</p><input name="password" type="password"></form>"#.to_owned(),
        );
    }
    let session = mock.next("sess");
    mock.sessions.lock().unwrap().insert(session.clone());
    let to = if mock.mode == Mode::Consent {
        format!("/consent?interaction={interaction}")
    } else {
        format!("/authorize/resume?interaction={interaction}")
    };
    let mut res = see(actix_web::http::StatusCode::SEE_OTHER, &to);
    res.headers_mut().insert(
        actix_web::http::header::SET_COOKIE,
        actix_web::http::header::HeaderValue::from_str(&format!(
            "keyward_session={session}; Path=/; HttpOnly"
        ))
        .unwrap(),
    );
    res
}

async fn consent(mock: web::Data<Mock>) -> HttpResponse {
    mock.hit("consent");
    page(
        actix_web::http::StatusCode::OK,
        r#"<form method="post" action="/consent"><input type="hidden" name="csrf_token" value="x"><button name="decision" value="approve">Allow</button></form>"#.to_owned(),
    )
}

async fn resume(
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
    mock: web::Data<Mock>,
) -> HttpResponse {
    mock.hit("resume");
    let signed_in =
        cookie(&req, "keyward_session").is_some_and(|s| mock.sessions.lock().unwrap().contains(&s));
    let pending = q
        .get("interaction")
        .and_then(|i| mock.interactions.lock().unwrap().remove(i));
    let (true, Some(p)) = (signed_in, pending) else {
        return page(
            actix_web::http::StatusCode::BAD_REQUEST,
            r#"<p role="alert">not signed in</p>"#.to_owned(),
        );
    };
    let code = mock.next("code");
    let to = format!("{}?code={code}&state={}&iss=mock", p.redirect_uri, p.state);
    mock.codes.lock().unwrap().insert(code, p);
    see(actix_web::http::StatusCode::FOUND, &to)
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// RFC 6749 §4.1.3 + RFC 7636 §4.6, for the public client `pub` (client_id in the body) or
/// the confidential client `c` (Basic).
fn authorization_code(
    req: &HttpRequest,
    form: &HashMap<String, String>,
    mock: &Mock,
) -> HttpResponse {
    mock.hit("authorization_code");
    let client_id = if authenticated(req, form) {
        "c"
    } else if form.get("client_id").map(String::as_str) == Some("pub")
        && !form.contains_key("client_secret")
        && req.headers().get("authorization").is_none()
    {
        "pub"
    } else {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    };
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(p) = mock.codes.lock().unwrap().remove(&code) else {
        return bad_request("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if p.client_id != client_id
        || form.get("redirect_uri") != Some(&p.redirect_uri)
        || s256(&verifier) != p.challenge
    {
        return bad_request("invalid_grant");
    }
    let claims = URL_SAFE_NO_PAD.encode(json!({ "sub": "u", "nonce": p.nonce }).to_string());
    HttpResponse::Ok().json(json!({
        "access_token": mock.next("at"),
        "token_type": "Bearer",
        "id_token": format!("eyJhbGciOiJub25lIn0.{claims}.sig"),
    }))
}

async fn introspect(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    mock: web::Data<Mock>,
) -> HttpResponse {
    mock.hit("introspect");
    if !authenticated(&req, &form) {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    match mock.mode {
        Mode::Rejects => bad_request("invalid_request"),
        Mode::Inactive => HttpResponse::Ok().json(json!({ "active": false })),
        Mode::Correct | Mode::Consent => {
            let active = form.get("token").is_some_and(|t| t.starts_with("at-"));
            HttpResponse::Ok().json(json!({ "active": active, "client_id": "c" }))
        }
    }
}

struct Running {
    issuer: String,
    mock: web::Data<Mock>,
    handle: ServerHandle,
}

fn start(mode: Mode) -> Running {
    let mock = web::Data::new(Mock {
        mode,
        issued: AtomicU64::new(0),
        refresh_tokens: Mutex::new(HashSet::new()),
        hits: Mutex::new(HashMap::new()),
        interactions: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashSet::new()),
        codes: Mutex::new(HashMap::new()),
    });
    let data = mock.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/.well-known/openid-configuration",
                web::get().to(discovery),
            )
            .route("/jwks", web::get().to(jwks))
            .route("/token", web::post().to(token))
            .route("/introspect", web::post().to(introspect))
            .route("/authorize", web::get().to(authorize))
            .route("/login", web::get().to(login_page))
            .route("/login", web::post().to(login_submit))
            .route("/consent", web::get().to(consent))
            .route("/authorize/resume", web::get().to(resume))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Running {
        issuer: format!("http://127.0.0.1:{port}"),
        mock,
        handle,
    }
}

/// Runs the binary with the common arguments plus `extra`; returns its JSON report.
async fn bench(issuer: &str, scenario: &str, extra: &[&str]) -> Value {
    let mut client = vec!["--client-id", "c", "--client-secret", "s"];
    client.extend_from_slice(extra);
    bench_as(issuer, scenario, &client).await
}

/// [`bench`] without the default client: `extra` names it.
async fn bench_as(issuer: &str, scenario: &str, extra: &[&str]) -> Value {
    let mut args: Vec<String> = [
        "--scenario",
        scenario,
        "--issuer",
        issuer,
        "--concurrency",
        "4",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(
        [
            "--duration",
            "1",
            "--warmup",
            "0",
            "--token-pool",
            "8",
            "--json",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_keyward-bench"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn kind(v: &Value, key: &str) -> u64 {
    v["errors_by_kind"][key].as_u64().unwrap()
}

#[actix_web::test]
async fn client_credentials_counts_every_token_request() {
    let s = start(Mode::Correct);
    let r = bench(&s.issuer, "client-credentials", &[]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "errors"), 0, "{r}");
    assert_eq!(n(&r, "ok"), n(&r, "requests"));
    assert_eq!(
        s.mock.hits("client_credentials"),
        n(&r, "requests"),
        "the server saw exactly the reported requests (no warm-up)"
    );
    assert!(r["requests_per_sec"].as_f64().unwrap() > 0.0);
    assert!(r["latency_ms"]["p99"].as_f64().unwrap() >= r["latency_ms"]["p50"].as_f64().unwrap());
    assert_eq!(r["urls"][0], format!("{}/token", s.issuer));
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn client_credentials_counts_400s_as_status_errors() {
    let s = start(Mode::Rejects);
    let r = bench(&s.issuer, "client-credentials", &["--auth-method", "post"]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "ok"), 0, "{r}");
    assert_eq!(kind(&r, "status"), n(&r, "requests"), "{r}");
    assert_eq!(n(&r, "errors"), n(&r, "requests"));
    assert!(
        r["first_error"].as_str().unwrap().contains("HTTP 400"),
        "{r}"
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn introspection_checks_active_tokens_from_the_pool() {
    let s = start(Mode::Correct);
    let r = bench(&s.issuer, "introspection", &[]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "errors"), 0, "{r}");
    assert_eq!(s.mock.hits("introspect"), n(&r, "requests"));
    assert_eq!(
        s.mock.hits("client_credentials"),
        8,
        "the pool is obtained once, before the clock starts"
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn introspection_counts_inactive_answers_as_semantic_errors() {
    let s = start(Mode::Inactive);
    let r = bench(&s.issuer, "introspection", &[]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(kind(&r, "semantic"), n(&r, "requests"), "{r}");
    assert_eq!(kind(&r, "status"), 0, "{r}");
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn introspection_counts_400s_as_status_errors() {
    let s = start(Mode::Rejects);
    let r = bench(&s.issuer, "introspection", &["--scope", "setup"]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(kind(&r, "status"), n(&r, "requests"), "{r}");
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn refresh_rotates_to_the_latest_token_without_errors() {
    let s = start(Mode::Correct);
    let r = bench(
        &s.issuer,
        "refresh",
        &["--username", "u", "--password", "p"],
    )
    .await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(
        n(&r, "errors"),
        0,
        "a replayed refresh token would have been refused: {r}"
    );
    assert_eq!(s.mock.hits("password"), 4, "one password grant per worker");
    assert_eq!(s.mock.hits("refresh_token"), n(&r, "requests"));
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn refresh_counts_refusals_as_errors() {
    let s = start(Mode::Rejects);
    let r = bench(
        &s.issuer,
        "refresh",
        &["--username", "u", "--password", "p"],
    )
    .await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(kind(&r, "status"), n(&r, "requests"), "{r}");
    assert!(
        r["first_error"].as_str().unwrap().contains("invalid_grant"),
        "{r}"
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn refresh_fails_fast_when_the_password_grant_is_refused() {
    let s = start(Mode::Correct);
    let args = [
        "--scenario",
        "refresh",
        "--issuer",
        &s.issuer,
        "--client-id",
        "c",
        "--client-secret",
        "s",
        "--username",
        "u",
        "--password",
        "wrong",
        "--duration",
        "1",
        "--warmup",
        "0",
    ]
    .map(str::to_owned);
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_keyward-bench"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password grant"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn discovery_jwks_alternates_between_both_documents() {
    let s = start(Mode::Correct);
    let r = bench(&s.issuer, "discovery-jwks", &[]).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "errors"), 0, "{r}");
    // one discovery fetch resolved the endpoints before the run
    let (d, j) = (s.mock.hits("discovery") - 1, s.mock.hits("jwks"));
    assert_eq!(d + j, n(&r, "requests"));
    assert!(
        d.abs_diff(j) <= 4,
        "each of 4 workers alternates: {d} vs {j}"
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn discovery_jwks_counts_the_failing_half() {
    let s = start(Mode::Rejects);
    let r = bench(&s.issuer, "discovery-jwks", &[]).await;
    assert_eq!(kind(&r, "status"), s.mock.hits("jwks"), "{r}");
    assert_eq!(n(&r, "ok"), s.mock.hits("discovery") - 1, "{r}");
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn a_fixed_rate_bounds_the_offered_load() {
    let s = start(Mode::Correct);
    let r = bench(&s.issuer, "client-credentials", &["--rate", "50"]).await;
    let requests = n(&r, "requests");
    assert!(
        (40..=60).contains(&requests),
        "50 req/s for 1 s, got {requests}: {r}"
    );
    assert_eq!(r["rate"], 50.0);
    s.handle.stop(true).await;
}

#[test]
fn refuses_a_remote_target_with_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward-bench"))
        .args([
            "--scenario",
            "discovery-jwks",
            "--issuer",
            "http://192.0.2.1/",
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}

const LOGIN: &[&str] = &[
    "--username",
    "u",
    "--password",
    "p",
    "--redirect-uri",
    "http://127.0.0.1:9/cb",
];

fn login_args<'a>(client: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = client.to_vec();
    a.extend_from_slice(LOGIN);
    a.extend_from_slice(extra);
    a
}

#[actix_web::test]
async fn full_login_counts_one_login_per_whole_chain_for_a_public_client() {
    let s = start(Mode::Correct);
    let r = bench_as(
        &s.issuer,
        "full-login",
        &login_args(&["--client-id", "pub"], &[]),
    )
    .await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "errors"), 0, "{r}");
    assert_eq!(r["unit"], "login");
    let logins = n(&r, "requests");
    for step in [
        "authorize",
        "login_page",
        "login_submit",
        "resume",
        "authorization_code",
    ] {
        assert_eq!(s.mock.hits(step), logins, "{step} once per login: {r}");
    }
    assert_eq!(
        s.mock.hits("authorize_with_cookies"),
        0,
        "every sign-in starts with a fresh cookie jar"
    );
    assert_eq!(s.mock.hits("consent"), 0);
    assert_eq!(
        r["urls"],
        json!([
            format!("{}/authorize", s.issuer),
            format!("{}/token", s.issuer)
        ])
    );
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn full_login_authenticates_a_confidential_client_with_basic() {
    let s = start(Mode::Correct);
    let r = bench(&s.issuer, "full-login", &login_args(&[], &[])).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(n(&r, "errors"), 0, "{r}");
    assert_eq!(s.mock.hits("authorization_code"), n(&r, "requests"));
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn full_login_counts_a_refused_sign_in_as_a_status_error() {
    let s = start(Mode::Correct);
    let mut args = vec![
        "--client-id",
        "pub",
        "--username",
        "u",
        "--password",
        "wrong",
    ];
    args.extend_from_slice(&["--redirect-uri", "http://127.0.0.1:9/cb"]);
    let r = bench_as(&s.issuer, "full-login", &args).await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(kind(&r, "status"), n(&r, "requests"), "{r}");
    let first = r["first_error"].as_str().unwrap();
    assert!(
        first.contains("HTTP 401") && first.contains("Incorrect username or password"),
        "{r}"
    );
    assert_eq!(s.mock.hits("resume"), 0);
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn full_login_counts_a_consent_page_as_a_semantic_error() {
    let s = start(Mode::Consent);
    let r = bench_as(
        &s.issuer,
        "full-login",
        &login_args(&["--client-id", "pub"], &[]),
    )
    .await;
    assert!(n(&r, "requests") > 10, "{r}");
    assert_eq!(kind(&r, "semantic"), n(&r, "requests"), "{r}");
    assert!(
        r["first_error"].as_str().unwrap().contains("first-party"),
        "{r}"
    );
    assert_eq!(s.mock.hits("consent"), n(&r, "requests"));
    assert_eq!(s.mock.hits("authorization_code"), 0);
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn full_login_with_an_unregistered_redirect_uri_is_an_error_page() {
    let s = start(Mode::Correct);
    let r = bench_as(
        &s.issuer,
        "full-login",
        &[
            "--client-id",
            "pub",
            "--username",
            "u",
            "--password",
            "p",
            "--redirect-uri",
            "http://127.0.0.1:9/elsewhere",
        ],
    )
    .await;
    assert_eq!(kind(&r, "status"), n(&r, "requests"), "{r}");
    assert!(
        r["first_error"]
            .as_str()
            .unwrap()
            .contains("bad authorization request"),
        "{r}"
    );
    s.handle.stop(true).await;
}
