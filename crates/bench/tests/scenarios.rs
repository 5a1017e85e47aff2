//! Runs the real `keyward-bench` binary for about a second per scenario against a small mock
//! OAuth server in this process, and checks that what it reports matches what the server saw.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// How the mock misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Correct,
    /// 400 for the measured requests: client_credentials, introspection, refresh_token, JWKS.
    Rejects,
    /// 200 with `"active": false` from introspection.
    Inactive,
}

struct Mock {
    mode: Mode,
    issued: AtomicU64,
    refresh_tokens: Mutex<HashSet<String>>,
    hits: Mutex<HashMap<&'static str, u64>>,
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
        Mode::Correct => {
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
    let mut args: Vec<String> = [
        "--scenario",
        scenario,
        "--issuer",
        issuer,
        "--client-id",
        "c",
        "--client-secret",
        "s",
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
