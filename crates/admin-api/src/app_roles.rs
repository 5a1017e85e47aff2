//! `/tenants/{tenant}/app-roles` and `/tenants/{tenant}/users/{user_id}/app-roles`: the
//! tenant's application roles, their permissions, and the users holding them.

use actix_web::{HttpResponse, web};
use keyward_admin::{AppRoleInput, AppRoleView, PermissionView};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tenants/{tenant}/app-roles").route(web::get().to(list_app_roles)))
        .service(
            web::resource("/tenants/{tenant}/app-roles/{role}")
                .route(web::delete().to(delete_app_role)),
        )
        .service(
            web::resource("/tenants/{tenant}/app-roles/{role}/permissions")
                .route(web::post().to(grant_permission)),
        )
        .service(
            web::resource("/tenants/{tenant}/app-roles/{role}/permissions/revocation")
                .route(web::post().to(revoke_permission)),
        )
        .service(
            web::resource("/tenants/{tenant}/users/{user_id}/app-roles")
                .route(web::get().to(list_user_app_roles))
                .route(web::post().to(assign_app_role)),
        )
        .service(
            web::resource("/tenants/{tenant}/users/{user_id}/app-roles/{role}")
                .route(web::delete().to(unassign_app_role)),
        );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AppRolePage {
    items: Vec<AppRoleView>,
    next: Option<String>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UserAppRolePage {
    items: Vec<AppRoleInput>,
    next: Option<String>,
}

/// Lists the tenant's application roles with their permissions.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/app-roles", tag = "app-roles",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = AppRolePage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_app_roles(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
) -> HttpResponse {
    match api.admin.list_app_roles(&who.0, &path).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Deletes an application role: its permissions and every assignment of it.
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/app-roles/{role}", tag = "app-roles",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("role" = String, Path)),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_app_role(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, role) = path.into_inner();
    match api.admin.delete_app_role(&who.0, &tenant, &role).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}

/// Grants a permission to an application role (defining the role if it is new).
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/app-roles/{role}/permissions", tag = "app-roles",
    request_body = PermissionView,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("role" = String, Path)),
    responses((status = 201, body = PermissionView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn grant_permission(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<PermissionView>,
) -> HttpResponse {
    let (tenant, role) = path.into_inner();
    match api
        .admin
        .grant_app_permission(&who.0, &tenant, &role, &body, true)
        .await
    {
        Ok(p) => HttpResponse::Created().json(p),
        Err(e) => respond(e),
    }
}

/// Revokes a permission of an application role.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/app-roles/{role}/permissions/revocation", tag = "app-roles",
    request_body = PermissionView,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("role" = String, Path)),
    responses((status = 200, body = PermissionView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_permission(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<PermissionView>,
) -> HttpResponse {
    let (tenant, role) = path.into_inner();
    match api
        .admin
        .grant_app_permission(&who.0, &tenant, &role, &body, false)
        .await
    {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Lists the application roles a user holds in the tenant.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/app-roles", tag = "app-roles",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 200, body = UserAppRolePage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_user_app_roles(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, user) = path.into_inner();
    match api.admin.list_user_app_roles(&who.0, &tenant, &user).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Gives a user an application role in the tenant.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/app-roles", tag = "app-roles",
    request_body = AppRoleInput,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 201, body = AppRoleInput), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn assign_app_role(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<AppRoleInput>,
) -> HttpResponse {
    let (tenant, user) = path.into_inner();
    match api
        .admin
        .assign_app_role(&who.0, &tenant, &user, &body.role, true)
        .await
    {
        Ok(r) => HttpResponse::Created().json(r),
        Err(e) => respond(e),
    }
}

/// Takes an application role away from a user.
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/app-roles/{role}", tag = "app-roles",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path), ("role" = String, Path)),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn unassign_app_role(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (tenant, user, role) = path.into_inner();
    match api
        .admin
        .assign_app_role(&who.0, &tenant, &user, &role, false)
        .await
    {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}
