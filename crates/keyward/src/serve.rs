//! `keyward serve`: the [`Application`] on one listener (auth server, admin API and
//! console), the operational endpoints /healthz, /readyz and /metrics, and the adapters the
//! composition root plugs into the protocol crates (outbound HTTP, audit batching, resync,
//! cache invalidation, back-channel logout).

pub(crate) mod app_claims;
pub(crate) mod audit_batch;
mod backchannel;
pub(crate) mod hosted_pages;
pub(crate) mod invalidation;
pub mod jwks_fetcher;
pub mod outbound;
pub mod resource_owner;
pub(crate) mod resync;
pub(crate) mod session_logout;
pub mod user_claims;

use std::time::Duration;

use actix_web::{HttpResponse, web};
use keyward_http::HttpMetrics;
use serde_json::{Map, Value, json};

use crate::application::Application;
use crate::failure::Failure;

/// How long a readiness probe waits for one dependency.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves `app` on `listener` until the process is told to stop.
pub async fn serve(app: Application, listener: std::net::TcpListener) -> Result<(), Failure> {
    let listen = listener
        .local_addr()
        .map_err(|e| Failure::Internal(format!("listener address: {e}")))?;
    tracing::info!(%listen, public_url = %app.platform().config.public_url, "keyward is ready");
    app.run(listener, None)?.await_end().await
}

/// The operational endpoints: `/healthz`, `/readyz` and `/metrics`.
pub(crate) fn operational(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_endpoint));
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
pub(crate) struct Probes {
    pub(crate) store: keyward_store::SqlStore,
    pub(crate) cache: std::sync::Arc<dyn keyward_core::CacheHealth>,
}

impl Probes {
    /// Each dependency with its own timeout, concurrently, so a hanging one is named alone.
    async fn check(&self, timeout: Duration) -> Vec<(&'static str, Result<(), String>)> {
        crate::startup::readiness(&self.store, self.cache.as_ref(), timeout).await
    }
}

/// The bearer token `/metrics` requires, if one is configured.
pub(crate) struct MetricsAccess(pub(crate) Option<crate::config::MetricsToken>);

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
