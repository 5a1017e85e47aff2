//! `/tenants/{tenant}/clients`: register, list, read, change, delete, rotate the secret.

use actix_web::{HttpRequest, HttpResponse, web};
use keyward_admin::{ClientInput, ClientPatch, ClientView, CreatedClient};

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};
use crate::query::PageQuery;
use crate::versioned;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/clients")
            .route(web::get().to(list_clients))
            .route(web::post().to(create_client)),
    )
    .service(
        web::resource("/tenants/{tenant}/clients/{client_id}")
            .route(web::get().to(get_client))
            .route(web::patch().to(update_client))
            .route(web::delete().to(delete_client)),
    )
    .service(
        web::resource("/tenants/{tenant}/clients/{client_id}/secret")
            .route(web::post().to(rotate_secret)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ClientPage {
    items: Vec<ClientView>,
    next: Option<String>,
}

/// Lists the tenant's clients, sorted by client id.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/clients", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug"), PageQuery),
    responses((status = 200, body = ClientPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_clients(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    page: web::Query<PageQuery>,
) -> HttpResponse {
    let page = page.into_inner();
    match api
        .admin
        .list_clients(&who.0, &path, page.limit(), page.after)
        .await
    {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Registers a client; a secret-based client's secret is in the answer, once.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/clients", tag = "clients", request_body = ClientInput,
    params(("tenant" = String, Path, description = "The tenant's slug")),
    responses((status = 201, body = CreatedClient), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_client(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<ClientInput>,
) -> HttpResponse {
    match api.admin.create_client(&who.0, &path, &body).await {
        Ok(c) => versioned::created(&c, &c.client.version()),
        Err(e) => respond(e),
    }
}

/// Reads one client; the ETag names its version.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/clients/{client_id}", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("client_id" = String, Path)),
    responses((status = 200, body = ClientView), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_client(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    match api.admin.client_view(&who.0, &tenant, &id).await {
        Ok(c) => versioned::ok(&c, &c.version()),
        Err(e) => respond(e),
    }
}

/// Changes a client; honours If-Match (412 when stale).
#[utoipa::path(patch, path = "/admin/api/v1/tenants/{tenant}/clients/{client_id}", tag = "clients", request_body = ClientPatch,
    params(("tenant" = String, Path, description = "The tenant's slug"), ("client_id" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 200, body = CreatedClient), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_client(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<ClientPatch>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .update_client(&who.0, &tenant, &id, &body, if_match.as_deref())
        .await
    {
        Ok(c) => versioned::ok(&c, &c.client.version()),
        Err(e) => respond(e),
    }
}

/// Deletes a client; honours If-Match (412 when stale).
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/clients/{client_id}", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("client_id" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the version read")),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_client(
    api: web::Data<AdminApi>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let if_match = versioned::if_match(&req);
    match api
        .admin
        .delete_client(&who.0, &tenant, &id, if_match.as_deref())
        .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}

/// Issues a new client secret (shown once); the old one stops working at once.
#[utoipa::path(post, path = "/admin/api/v1/tenants/{tenant}/clients/{client_id}/secret", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("client_id" = String, Path)),
    responses((status = 200, body = CreatedClient), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    match api.admin.rotate_client_secret(&who.0, &tenant, &id).await {
        Ok(c) => versioned::ok(&c, &c.client.version()),
        Err(e) => respond(e),
    }
}
