//! Request metrics in the Prometheus text exposition format.
//!
//! Every request is counted and timed under three labels: the matched route *pattern*
//! (`/t/{tenant}/token`, never the raw path, so the number of series stays bounded;
//! `unmatched` when no route matched), the method (unknown methods become `OTHER`) and the
//! status code. The registry is owned by [`HttpMetrics`], not global, so tests and several
//! servers in one process do not share counters.

use std::rc::Rc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse, web};
use futures::future::{LocalBoxFuture, Ready, ready};
pub use prometheus::IntCounter;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The Content-Type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// The route label of requests that matched no route, or that an inner middleware failed with
/// an error before a handler answered.
pub const UNMATCHED: &str = "unmatched";

const LABELS: [&str; 3] = ["route", "method", "status"];

/// Why the metrics could not be set up or rendered.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A metric could not be created, registered or encoded.
    #[error("prometheus: {0}")]
    Prometheus(#[from] prometheus::Error),
    /// The encoder wrote something that is not UTF-8.
    #[error("metrics exposition is not UTF-8")]
    NotUtf8(#[from] std::string::FromUtf8Error),
}

/// The HTTP metrics of one server: a registry with a request counter and a latency histogram.
///
/// Cheap to clone (the metrics are shared): create it once before `HttpServer::new`, then give
/// each worker a clone as `web::Data` and wrap the app in [`HttpMetrics::middleware`].
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl HttpMetrics {
    /// Creates `keyward_http_requests_total` and `keyward_http_request_duration_seconds` in a
    /// fresh registry.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("keyward_http_requests_total", "HTTP requests served."),
            &LABELS,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "keyward_http_request_duration_seconds",
                "Time from receiving a request to having its response ready.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &LABELS,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
        })
    }

    /// The registry, for other parts of the server to register their own metrics in.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Registers a counter `name` in this registry (e.g. `keyward_backchannel_logout_failures_total`).
    pub fn counter(&self, name: &str, help: &str) -> Result<IntCounter, MetricsError> {
        let counter = IntCounter::new(name, help)?;
        self.registry.register(Box::new(counter.clone()))?;
        Ok(counter)
    }

    /// The middleware that counts and times every request (`App::wrap(metrics.middleware())`).
    pub fn middleware(&self) -> RequestMetrics {
        RequestMetrics {
            metrics: self.clone(),
        }
    }

    /// Every metric of the registry in the text exposition format.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }

    fn observe(&self, route: Option<&str>, method: &str, status: StatusCode, started: Instant) {
        let labels = [route.unwrap_or(UNMATCHED), method, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Handler for `GET /metrics`: the registry of the `web::Data<HttpMetrics>` as
/// `text/plain; version=0.0.4`.
pub async fn render(metrics: web::Data<HttpMetrics>) -> HttpResponse {
    match metrics.render() {
        Ok(body) => HttpResponse::Ok().content_type(CONTENT_TYPE).body(body),
        Err(err) => {
            tracing::error!(error = %err, "rendering metrics failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Keeps the method label bounded: extension methods are folded into `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The middleware built by [`HttpMetrics::middleware`].
pub struct RequestMetrics {
    metrics: HttpMetrics,
}

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsService {
            service: Rc::new(service),
            metrics: self.metrics.clone(),
        }))
    }
}

/// The per-worker service of [`RequestMetrics`].
pub struct RequestMetricsService<S> {
    service: Rc<S>,
    metrics: HttpMetrics,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            // The request cannot be cloned before routing (routing needs it unshared), so an
            // `Err` from an inner middleware is labelled with the method alone.
            let method = method_label(req.method());
            let started = Instant::now();
            let result = service.call(req).await;
            match &result {
                Ok(res) => {
                    let route = res.request().match_pattern();
                    metrics.observe(route.as_deref(), method, res.status(), started);
                }
                Err(err) => {
                    let status = err.as_response_error().status_code();
                    metrics.observe(None, method, status, started);
                }
            }
            result
        })
    }
}
