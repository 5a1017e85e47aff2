//! `/tenants/{tenant}/users/{user_id}/consents`: list a user's consents, revoke one.

use actix_web::{HttpResponse, web};
use keyward_admin::ConsentView;

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/users/{user_id}/consents")
            .route(web::get().to(list_consents)),
    )
    .service(
        web::resource("/tenants/{tenant}/users/{user_id}/consents/{client_id}")
            .route(web::delete().to(revoke_consent)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ConsentPage {
    items: Vec<ConsentView>,
    next: Option<String>,
}

/// Lists the clients the user consented to, with the scopes granted.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/consents", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 200, body = ConsentPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_consents(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, user) = path.into_inner();
    match api.admin.list_user_consents(&who.0, &tenant, &user).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Revokes the user's consent to one client: it asks again on its next request.
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/consents/{client_id}", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path),
           ("client_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_consent(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (tenant, user, client) = path.into_inner();
    match api
        .admin
        .revoke_user_consent(&who.0, &tenant, &user, &client)
        .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}
