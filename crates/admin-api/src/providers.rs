//! `/tenants/{tenant}/identity-providers`: upstream providers for social and enterprise login.

use actix_web::{HttpRequest, HttpResponse, web};
use keyward_admin::{ProviderInput, ProviderView};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};
use crate::query::PageQuery;
use crate::versioned;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/identity-providers")
            .route(web::get().to(list_providers))
            .route(web::post().to(create_provider)),
    )
    .service(
        web::resource("/tenants/{tenant}/identity-providers/{alias}")
            .route(web::get().to(get_provider))
            .route(web::patch().to(update_provider))
            .route(web::delete().to(delete_provider)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProviderPage {
    items: Vec<ProviderView>,
    next: Option<String>,
}

/// Lists the tenant's identity providers, sorted by alias.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/identity-providers", tag = "identity-providers",
    params(("tenant" = String, Path, description = "The tenant's slug"), PageQuery),
    responses((status = 200, body = ProviderPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_providers(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    page: web::Query<PageQuery>,
) -> HttpResponse {
    let page = page.into_inner();
    match api
        .admin
        .list_providers(&who.0, &path, page.limit(), page.after)
        .await
    {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Adds an identity provider; `alias`, `display_name`, `issuer_url` and `client_id` are
/// required.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/identity-providers", tag = "identity-providers",
    request_body = ProviderInput,
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 201, body = ProviderView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_provider(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<ProviderInput>,
) -> HttpResponse {
    match api.admin.create_provider(&who.0, &path, &body).await {
        Ok(p) => versioned::created(&p, &p.version()),
        Err(e) => respond(e),
    }
}

/// Reads one identity provider; the ETag names its version.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/identity-providers/{alias}", tag = "identity-providers",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("alias" = String, Path)),
    responses((status = 200, body = ProviderView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_provider(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, alias) = path.into_inner();
    match api.admin.provider_view(&who.0, &tenant, &alias).await {
        Ok(p) => versioned::ok(&p, &p.version()),
        Err(e) => respond(e),
    }
}

/// Changes an identity provider; honours If-Match (412 when stale).
#[utoipa::path(patch, path = "/admin/api/v1/tenants/{tenant}/identity-providers/{alias}", tag = "identity-providers",
    request_body = ProviderInput,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("alias" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 200, body = ProviderView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_provider(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<ProviderInput>,
) -> HttpResponse {
    let (tenant, alias) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .update_provider(&who.0, &tenant, &alias, &body, if_match.as_deref())
        .await
    {
        Ok(p) => versioned::ok(&p, &p.version()),
        Err(e) => respond(e),
    }
}

/// Removes an identity provider and its linked identities; honours If-Match.
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/identity-providers/{alias}", tag = "identity-providers",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("alias" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_provider(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, alias) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .delete_provider(&who.0, &tenant, &alias, if_match.as_deref())
        .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}
