//! `/tenants/{tenant}/keys`: list the signing keys, rotate them.

use actix_web::{HttpResponse, web};
use keyward_admin::{KeyView, RotationView};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tenants/{tenant}/keys").route(web::get().to(list_keys)))
        .service(
            web::resource("/tenants/{tenant}/keys/rotation").route(web::post().to(rotate_keys)),
        );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct KeyPage {
    items: Vec<KeyView>,
    next: Option<String>,
}

/// Lists the tenant's signing keys (public halves), newest first.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/keys", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = KeyPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_keys(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
) -> HttpResponse {
    match api.admin.list_keys(&who.0, &path).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Rotates every algorithm's keys: next becomes active, active is retired (still published
/// until its tokens expire), a new next key is published.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/keys/rotation", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = RotationView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn rotate_keys(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
) -> HttpResponse {
    match api.admin.rotate_keys(&who.0, &path).await {
        Ok(r) => HttpResponse::Ok().json(r),
        Err(e) => respond(e),
    }
}
