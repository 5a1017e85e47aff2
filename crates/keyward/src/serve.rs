//! `keyward serve`: the auth server, admin API and console on one listener, plus the
//! operational endpoints /healthz, /readyz and /metrics.

mod app_claims;
mod audit_batch;
mod backchannel;
mod hosted_pages;
mod invalidation;
pub mod jwks_fetcher;
pub mod outbound;
pub mod resource_owner;
mod resync;
mod session_logout;
pub mod user_claims;

use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use keyward_auth_server::AuthServer;
use keyward_http::HttpMetrics;
use serde_json::{Map, Value, json};

use crate::failure::Failure;
use crate::startup::Platform;

/// How long queued audit events may take to be written when the server stops.
const AUDIT_GRACE: Duration = Duration::from_secs(5);

/// How long a readiness probe waits for one dependency.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Listens on the configured address and serves until the process is told to stop.
pub async fn serve(platform: Platform) -> Result<(), Failure> {
    let listen = platform.config.listen;
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| Failure::Config(format!("KEYWARD_LISTEN: cannot listen on {listen}: {e}")))?;
    tracing::info!(%listen, public_url = %platform.config.public_url, "keyward is ready");
    start(platform, listener, None).await?.await_end().await
}

/// A server started by [`start`]: the actix server and the background work it owns.
pub struct Running {
    server: actix_web::dev::Server,
    audit_writer: audit_batch::AuditWriter,
}

impl Running {
    /// A handle that stops the server (`stop(true)` lets requests in flight finish).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server stops, then writes the queued audit events.
    pub async fn await_end(self) -> Result<(), Failure> {
        let served = self
            .server
            .await
            .map_err(|e| Failure::Internal(format!("server: {e}")));
        self.audit_writer.finish(AUDIT_GRACE).await;
        served
    }
}

/// Starts everything `serve` runs on `listener`; the server answers as soon as this returns.
/// `workers` defaults to one per core. Tests bind 127.0.0.1:0 and run it in their own process.
pub async fn start(
    platform: Platform,
    listener: std::net::TcpListener,
    workers: Option<usize>,
) -> Result<Running, Failure> {
    let metrics = HttpMetrics::new().map_err(|e| Failure::Internal(format!("metrics: {e}")))?;
    let listen = listener
        .local_addr()
        .map_err(|e| Failure::Internal(format!("listener address: {e}")))?;
    let authorizer = crate::admin_service::authorizer(&platform).await?;
    let dropped = metrics
        .counter(
            "keyward_audit_events_dropped_total",
            "Audit events of the protocol endpoints that could not be kept",
        )
        .map_err(|e| Failure::Internal(format!("metrics: {e}")))?;
    let (audit, audit_writer) =
        audit_batch::spawn(std::sync::Arc::new(platform.store.clone()), dropped);
    let protocol = platform.protocol(
        std::sync::Arc::new(app_claims::AuthorizerClaims(authorizer.clone())),
        audit,
    )?;
    let resync = resync::Resync {
        authorizer: authorizer.clone(),
        directory: protocol.directory.clone(),
        keys: protocol.keys.clone(),
        store: platform.store.clone(),
        cache: platform.cache.clone(),
        clock: platform.clock.clone(),
        interval: Duration::from_secs(platform.config.resync_interval_secs),
    };
    // Before the first request: revocations the cache lost (a restart on memory) are back.
    resync
        .revocations()
        .await
        .map_err(|why| Failure::Unavailable(format!("start-up resync: {why}")))?;
    resync.spawn();
    invalidation::spawn(
        platform.cache.clone(),
        protocol.directory.clone(),
        protocol.keys.clone(),
    );
    let (sessions, pages) = hosted_pages::hosted_pages(&platform, &protocol, &metrics)?;
    let logout = std::sync::Arc::new(session_logout::BackchannelSessionLogout {
        backchannel: pages.backchannel.clone(),
        directory: protocol.directory.clone(),
        clock: platform.clock.clone(),
    });
    let admin_api = admin_api(&platform, &protocol, authorizer.clone(), logout).await?;
    let flows = keyward_auth_server::BrowserFlows {
        authorize: protocol.authorize.clone(),
        userinfo: protocol.userinfo.clone(),
        authorizer,
    };
    let auth = AuthServer::new(protocol.tokens, protocol.keys, sessions, pages, flows);
    let console = keyward_admin_ui::ConsoleOptions::new(listen);
    // The operational endpoints get what they use, never the platform (and its master key).
    let probes = web::Data::new(Probes {
        store: platform.store.clone(),
        cache: platform.cache.clone(),
    });
    let metrics_access = web::Data::new(MetricsAccess(platform.config.metrics_token.clone()));
    let trusted_proxies = web::Data::new(keyward_http::client_ip::TrustedProxies::new(
        platform.config.trusted_proxies.clone(),
    ));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(metrics.clone()))
            .app_data(probes.clone())
            .app_data(metrics_access.clone())
            .app_data(trusted_proxies.clone())
            .wrap(from_fn(keyward_http::security_headers::security_headers))
            .wrap(metrics.middleware())
            .wrap(from_fn(keyward_http::request_id::request_id))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics_endpoint))
            .configure(|cfg| keyward_auth_server::configure(cfg, auth.clone()))
            // Before the console, whose `/admin/{tail}` routes would otherwise take these paths.
            .configure(|cfg| keyward_admin_api::configure(cfg, admin_api.clone()))
            .configure(|cfg| keyward_admin_ui::configure(cfg, console.clone()))
            .default_service(web::to(keyward_http::problem::not_found))
    })
    .listen(listener)
    .map_err(|e| Failure::Config(format!("KEYWARD_LISTEN: cannot listen on {listen}: {e}")))?;
    let server = match workers {
        Some(n) => server.workers(n),
        None => server,
    };
    Ok(Running {
        server: server.run(),
        audit_writer,
    })
}

/// The admin API: one authorizer per process (kept current by the resync and POLICY_CHANNEL),
/// and bearer tokens checked against the system tenant's keys.
async fn admin_api(
    platform: &Platform,
    protocol: &crate::startup::Protocol,
    authorizer: std::sync::Arc<keyward_authz::Authorizer>,
    logout: std::sync::Arc<dyn keyward_admin::SessionLogout>,
) -> Result<keyward_admin_api::AdminApi, Failure> {
    // This node drops its own cached copy before the change is answered (read your writes);
    // the other nodes hear of it on the cache's channels.
    let announcer = std::sync::Arc::new(invalidation::LocalFirst {
        directory: protocol.directory.clone(),
        keys: protocol.keys.clone(),
        others: crate::admin_service::CacheAnnouncer(platform.cache.clone()),
    });
    let admin = std::sync::Arc::new(
        crate::admin_service::service_announcing(platform, authorizer, announcer)
            .with_session_logout(logout),
    );
    let auth = std::sync::Arc::new(keyward_admin_api::AdminAuthenticator::new(
        protocol.directory.clone(),
        protocol.keys.clone(),
        protocol.users.clone(),
        platform.cache.clone(),
        platform.clock.clone(),
        keyward_admin_api::RateLimit::default(),
    ));
    Ok(keyward_admin_api::AdminApi::new(admin, auth))
}

/// `/metrics`, for the operator only: with `metrics_token` set, the request must carry it as a
/// bearer token (401 otherwise); without one, only a direct request from a loopback address
/// is answered (403 otherwise) — a forwarded request, even from a proxy on this host, is not
/// local.
async fn metrics_endpoint(
    req: actix_web::HttpRequest,
    access: web::Data<MetricsAccess>,
    metrics: web::Data<HttpMetrics>,
) -> HttpResponse {
    match &access.0 {
        Some(token) => {
            let presented = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if !presented.is_some_and(|p| token.matches(p)) {
                return HttpResponse::Unauthorized()
                    .insert_header(("WWW-Authenticate", "Bearer realm=\"keyward-metrics\""))
                    .finish();
            }
        }
        None => {
            let headers = req.headers();
            let forwarded =
                headers.contains_key("forwarded") || headers.contains_key("x-forwarded-for");
            let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            if forwarded || !loopback {
                return HttpResponse::Forbidden()
                    .content_type("text/plain; charset=utf-8")
                    .body("/metrics answers local requests only; set KEYWARD_METRICS_TOKEN to scrape it from elsewhere\n");
            }
        }
    }
    keyward_http::metrics::render(metrics).await
}

/// Alive: the process answers. Says nothing about dependencies.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready: the database and the cache answer; 503 names the one that does not.
async fn readyz(probes: web::Data<Probes>) -> HttpResponse {
    readiness_response(&probes.check(PROBE_TIMEOUT).await)
}

/// What `/readyz` checks: the database and the cache, nothing else of the platform.
struct Probes {
    store: keyward_store::SqlStore,
    cache: std::sync::Arc<dyn keyward_core::EphemeralStore>,
}

impl Probes {
    /// Each dependency with its own timeout, concurrently, so a hanging one is named alone.
    async fn check(&self, timeout: Duration) -> Vec<(&'static str, Result<(), String>)> {
        crate::startup::readiness(&self.store, self.cache.as_ref(), timeout).await
    }
}

/// The bearer token `/metrics` requires, if one is configured.
struct MetricsAccess(Option<crate::config::MetricsToken>);

fn readiness_response(checks: &[(&'static str, Result<(), String>)]) -> HttpResponse {
    let mut detail = Map::new();
    let mut failing = Vec::new();
    for (name, result) in checks {
        match result {
            Ok(()) => {
                detail.insert((*name).to_owned(), Value::from("ok"));
            }
            Err(why) => {
                tracing::warn!(dependency = name, error = %why, "readiness check failed");
                detail.insert((*name).to_owned(), Value::from("unavailable"));
                failing.push(*name);
            }
        }
    }
    if failing.is_empty() {
        HttpResponse::Ok().json(json!({ "status": "ready", "checks": detail }))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable",
            "failing": failing,
            "checks": detail,
        }))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn readiness_names_the_failing_dependency() -> Result<(), Box<dyn std::error::Error>> {
        let response =
            readiness_response(&[("database", Ok(())), ("cache", Err("refused".into()))]);
        assert_eq!(response.status(), 503);
        let body: Value = serde_json::from_slice(
            &to_bytes(response.into_body())
                .await
                .map_err(|e| e.to_string())?,
        )?;
        assert_eq!(body["failing"], json!(["cache"]));
        assert_eq!(body["checks"]["database"], "ok");
        Ok(())
    }

    #[actix_web::test]
    async fn readiness_is_ok_when_every_dependency_answers() {
        let response = readiness_response(&[("database", Ok(())), ("cache", Ok(()))]);
        assert_eq!(response.status(), 200);
    }
}
