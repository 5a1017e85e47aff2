//! `/tenants`: create (platform admins), list, read, change name and settings.

use actix_web::{HttpRequest, HttpResponse, web};
use keyward_admin::{TenantInput, TenantPatch, TenantView};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};
use crate::query::PageQuery;
use crate::versioned;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants")
            .route(web::get().to(list_tenants))
            .route(web::post().to(create_tenant)),
    )
    .service(
        web::resource("/tenants/{tenant}")
            .route(web::get().to(get_tenant))
            .route(web::patch().to(update_tenant)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TenantPage {
    items: Vec<TenantView>,
    next: Option<String>,
}

/// Lists the tenants the caller may read, sorted by slug.
#[utoipa::path(get, path = "/admin/api/v1/tenants", tag = "tenants", params(PageQuery),
    responses((status = 200, body = TenantPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_tenants(
    api: web::Data<AdminApi>,
    who: Principal,
    page: web::Query<PageQuery>,
) -> HttpResponse {
    let page = page.into_inner();
    match api
        .admin
        .list_tenants(&who.0, page.limit(), page.after)
        .await
    {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Creates a tenant with its signing keys (platform admins only).
#[utoipa::path(post, path = "/admin/api/v1/tenants", tag = "tenants", request_body = TenantInput,
    responses((status = 201, body = TenantView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_tenant(
    api: web::Data<AdminApi>,
    who: Principal,
    body: web::Json<TenantInput>,
) -> HttpResponse {
    match api.admin.create_tenant(&who.0, &body).await {
        Ok(t) => versioned::created(&t, &t.version()),
        Err(e) => respond(e),
    }
}

/// Reads one tenant; the ETag names its version.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 200, body = TenantView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_tenant(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
) -> HttpResponse {
    match api.admin.tenant_view(&who.0, &path).await {
        Ok(t) => versioned::ok(&t, &t.version()),
        Err(e) => respond(e),
    }
}

/// Changes a tenant's display name and settings; honours If-Match (412 when stale).
#[utoipa::path(patch, path = "/admin/api/v1/tenants/{tenant}", tag = "tenants", request_body = TenantPatch,
    params(("tenant" = String, Path, description = "The tenant's slug"),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 200, body = TenantView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_tenant(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<TenantPatch>,
) -> HttpResponse {
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .update_tenant(&who.0, &path, &body, if_match.as_deref())
        .await
    {
        Ok(t) => versioned::ok(&t, &t.version()),
        Err(e) => respond(e),
    }
}
