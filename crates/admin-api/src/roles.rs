//! `/tenants/{tenant}/role-assignments`: who administers the tenant; grant and revoke the
//! built-in admin roles.

use actix_web::{HttpResponse, web};
use keyward_admin::{RoleAssignmentInput, RoleAssignmentView};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/role-assignments")
            .route(web::get().to(list_role_assignments))
            .route(web::post().to(grant_role)),
    )
    .service(
        web::resource("/tenants/{tenant}/role-assignments/revocation")
            .route(web::post().to(revoke_role)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RoleAssignmentPage {
    items: Vec<RoleAssignmentView>,
    next: Option<String>,
}

/// Lists the tenant-admin and tenant-viewer assignments of the tenant.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/role-assignments", tag = "roles",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = RoleAssignmentPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_role_assignments(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
) -> HttpResponse {
    match api.admin.list_role_assignments(&who.0, &path).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Grants an admin role in the tenant (platform-admin needs platform-admin); every node
/// applies it within a second.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/role-assignments", tag = "roles", request_body = RoleAssignmentInput,
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 201, body = RoleAssignmentView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn grant_role(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<RoleAssignmentInput>,
) -> HttpResponse {
    match api.admin.assign_role(&who.0, &path, &body, true).await {
        Ok(v) => HttpResponse::Created().json(v),
        Err(e) => respond(e),
    }
}

/// Revokes an admin role in the tenant.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/role-assignments/revocation", tag = "roles", request_body = RoleAssignmentInput,
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = RoleAssignmentView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_role(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<RoleAssignmentInput>,
) -> HttpResponse {
    match api.admin.assign_role(&who.0, &path, &body, false).await {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => respond(e),
    }
}
