//! keyward-http: the actix-web glue shared by every Keyward service (auth server, admin API,
//! admin console).
//!
//! It is responsible for what happens at the HTTP edge and nowhere else: resolving the tenant
//! of a request, the single mapping from errors to HTTP responses (RFC 9457 problem+json here,
//! the RFC 6749 / 6750 JSON errors beside it), CSRF protection, security headers, request ids
//! and request metrics. It holds no business rules: it parses, labels and maps, and hands typed
//! values to the services. It may depend on keyward-core and actix-web, never on leptos,
//! sea-orm, redis or lettre.
//!
//! Mounting (outermost first — actix runs the last `.wrap` first):
//! ```text
//! App::new()
//!     .app_data(web::Data::new(metrics.clone()))
//!     .wrap(from_fn(keyward_http::security_headers::security_headers))
//!     .wrap(metrics.middleware())
//!     .wrap(from_fn(keyward_http::request_id::request_id))   // outermost
//!     .route("/metrics", web::get().to(keyward_http::metrics::render))
//!     .default_service(web::to(keyward_http::problem::not_found))
//! ```

pub mod client_ip;
pub mod csrf;
mod decorated_error;
pub mod metrics;
pub mod problem;
pub mod request_id;
pub mod security_headers;

pub use metrics::{HttpMetrics, MetricsError, RequestMetrics};
pub use problem::{FieldError, Problem};
pub use request_id::RequestId;
