//! `/tenants/{tenant}/users/{user_id}/sessions`: list a user's browser sessions, end one (by
//! its public `sid`) or all of them.

use actix_web::{HttpResponse, web};
use keyward_admin::SessionView;

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/users/{user_id}/sessions")
            .route(web::get().to(list_sessions))
            .route(web::delete().to(revoke_sessions)),
    )
    .service(
        web::resource("/tenants/{tenant}/users/{user_id}/sessions/{sid}")
            .route(web::delete().to(revoke_session)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SessionPage {
    items: Vec<SessionView>,
    next: Option<String>,
}

/// Lists the user's live browser sessions, oldest first.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/sessions", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 200, body = SessionPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_sessions(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, user) = path.into_inner();
    match api.admin.list_user_sessions(&who.0, &tenant, &user).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}

/// Ends one session: the browser must sign in again, and the clients that received tokens
/// in it get a back-channel logout.
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/sessions/{sid}", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path),
           ("sid" = String, Path, description = "The session's public id (`sid`)")),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_session(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (tenant, user, sid) = path.into_inner();
    match api
        .admin
        .revoke_user_session(&who.0, &tenant, &user, &sid)
        .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}

/// Ends every session of the user (signs it out everywhere).
#[utoipa::path(delete, path = "/admin/api/v1/tenants/{tenant}/users/{user_id}/sessions", tag = "users",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("user_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_sessions(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (tenant, user) = path.into_inner();
    match api.admin.revoke_user_sessions(&who.0, &tenant, &user).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => respond(e),
    }
}
