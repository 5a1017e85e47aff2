//! keyward-auth-server: the actix service for a tenant's protocol endpoints and hosted pages,
//! under `/t/{tenant}`. Handlers stay thin — extract, call keyward-oauth / keyward-identity,
//! map the result through keyward-http — and hold no protocol rules of their own.
//!
//! Today it serves the tenant's JWKS; discovery and the token service arrive with the
//! token-service issue, the hosted pages with the browser-flows issue.

mod jwks;

use std::sync::Arc;

use actix_web::web;
use keyward_core::{Clock, TenantStore};
use keyward_oauth::SigningKeyStore;

/// What the protocol endpoints need, as ports.
#[derive(Clone)]
pub struct AuthServer {
    pub tenants: Arc<dyn TenantStore>,
    pub keys: Arc<dyn SigningKeyStore>,
    pub clock: Arc<dyn Clock>,
}

/// Mounts the tenant endpoints (`/t/{tenant}/...`).
pub fn configure(cfg: &mut web::ServiceConfig, server: AuthServer) {
    cfg.app_data(web::Data::new(server))
        .service(web::resource("/t/{tenant}/jwks").route(web::get().to(jwks::jwks)));
}
