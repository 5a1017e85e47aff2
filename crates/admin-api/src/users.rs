//! `/tenants/{tenant}/users`: create, search, read, change, enable/disable, set the password,
//! delete.

use actix_web::{HttpRequest, HttpResponse, web};
use keyward_admin::{PasswordInput, UserInput, UserPatch, UserView};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};
use crate::versioned;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/users")
            .route(web::get().to(list_users))
            .route(web::post().to(create_user)),
    )
    .service(
        web::resource("/tenants/{tenant}/users/{user_id}")
            .route(web::get().to(get_user))
            .route(web::patch().to(update_user))
            .route(web::delete().to(delete_user)),
    )
    .service(
        web::resource("/tenants/{tenant}/users/{user_id}/password")
            .route(web::put().to(set_password)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UserPage {
    items: Vec<UserView>,
    next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// A substring of the username or e-mail (case-insensitive).
    search: Option<String>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// Lists the tenant's users sorted by username, optionally searching username and e-mail.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/users", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), UserSearch),
    responses((status = 200, body = UserPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_users(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<UserSearch>,
) -> HttpResponse {
    let q = q.into_inner();
    match api
        .admin
        .list_users(&who.0, &path, q.search, q.limit, q.after)
        .await
    {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Creates a user.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/users", tag = "users", request_body = UserInput,
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 201, body = UserView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_user(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<UserInput>,
) -> HttpResponse {
    match api.admin.create_user(&who.0, &path, &body).await {
        Ok(u) => versioned::created(&u, &u.version()),
        Err(e) => respond(e),
    }
}

/// Reads one user; the ETag names its version.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_user(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    match api.admin.user_view(&who.0, &tenant, &id).await {
        Ok(u) => versioned::ok(&u, &u.version()),
        Err(e) => respond(e),
    }
}

/// Changes a user (profile, e-mail, enabled); honours If-Match (412 when stale).
#[utoipa::path(patch, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}", tag = "users", request_body = UserPatch,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 200, body = UserView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_user(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<UserPatch>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .update_user(&who.0, &tenant, &id, &body, if_match.as_deref())
        .await
    {
        Ok(u) => versioned::ok(&u, &u.version()),
        Err(e) => respond(e),
    }
}

/// Deletes a user; honours If-Match (412 when stale).
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_user(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .delete_user(&who.0, &tenant, &id, if_match.as_deref())
        .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}

/// Sets a user's password (checked against the tenant's password policy).
#[utoipa::path(put, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/password", tag = "users", request_body = PasswordInput,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_password(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<PasswordInput>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    match api
        .admin
        .set_user_password(&who.0, &tenant, &id, &body)
        .await
    {
        Ok(u) => versioned::ok(&u, &u.version()),
        Err(e) => respond(e),
    }
}
