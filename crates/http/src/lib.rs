//! keyward-http: the actix-web glue shared by the Keyward services (auth server, admin API and
//! the binary; the admin console does not use it yet).
//!
//! It is responsible for what happens at the HTTP edge and nowhere else: RFC 9457
//! problem+json, CSRF protection, security headers, request ids, request metrics and the
//! client address, and (`oauth`) the protocol's HTTP answers: RFC 6749 JSON errors and token
//! responses, RFC 6750 bearer challenges and authorization-response redirects. It holds no
//! business rules: it parses, labels and maps, and hands typed values to the services. It
//! may depend on keyward-core, keyward-oauth (for the error vocabulary it maps) and
//! actix-web, never on leptos, sea-orm, redis or lettre.
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
pub mod oauth;
pub mod problem;
pub mod request_id;
pub mod security_headers;

pub use metrics::{HttpMetrics, MetricsError, RequestMetrics};
pub use problem::{FieldError, Problem};
pub use request_id::RequestId;
