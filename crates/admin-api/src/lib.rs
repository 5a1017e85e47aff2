//! keyward-admin-api: the actix service for the admin REST API under `/admin/api/v1`, with
//! its OpenAPI 3.1 document generated from handler attributes (`/admin/api/openapi.json`) and
//! Swagger UI served from the crate itself (`/admin/api/docs/`, no CDN). Handlers are thin:
//! extract, call one keyward-admin use-case, map the result; authorization happens inside the
//! use-cases, never here. Callers authenticate with a bearer access token of the `system`
//! tenant (`principal`); errors are RFC 9457 problem documents (`problem`).

mod app_roles;
mod audit;
mod clients;
mod consents;
mod keys;
mod openapi;
mod principal;
mod problem;
mod providers;
mod query;
mod roles;
mod sessions;
mod tenants;
mod users;
mod versioned;

use std::sync::Arc;

use actix_web::web;
use keyward_admin::Admin;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use openapi::ApiDoc;
pub use principal::{AdminAuthenticator, RateLimit};

/// What the admin API needs: the use-cases and the authenticator.
#[derive(Clone)]
pub struct AdminApi {
    pub(crate) admin: Arc<Admin>,
    pub(crate) auth: Arc<AdminAuthenticator>,
}

impl AdminApi {
    pub fn new(admin: Arc<Admin>, auth: Arc<AdminAuthenticator>) -> Self {
        Self { admin, auth }
    }
}

/// Mounts `/admin/api/...`; mount it before the console's `/admin/{tail}` routes.
pub fn configure(cfg: &mut web::ServiceConfig, api: AdminApi) {
    cfg.service(
        SwaggerUi::new("/admin/api/docs/{_:.*}").url("/admin/api/openapi.json", ApiDoc::openapi()),
    );
    cfg.service(
        web::scope("/admin/api/v1")
            .app_data(web::Data::new(api))
            .app_data(problem::json_config())
            .app_data(problem::query_config())
            .app_data(problem::path_config())
            .configure(tenants::routes)
            .configure(clients::routes)
            .configure(users::routes)
            .configure(keys::routes)
            .configure(audit::routes)
            .configure(roles::routes)
            .configure(providers::routes)
            .configure(consents::routes)
            .configure(sessions::routes)
            .configure(app_roles::routes)
            .default_service(web::to(keyward_http::problem::not_found)),
    );
}
