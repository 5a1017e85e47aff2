//! `/tenants/{tenant}/audit-events`: the audit log, filtered, newest first.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use keyward_admin::{AuditEventView, AuditQuery};
use keyward_core::AuditFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AdminApi;
use crate::principal::Principal;
use crate::problem::{ProblemDocument, respond};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/audit-events").route(web::get().to(list_audit_events)),
    );
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AuditEventPage {
    items: Vec<AuditEventView>,
    next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Exactly this actor, e.g. `user:{uuid}`.
    actor: Option<String>,
    /// Exactly this action, e.g. `client.create`.
    action: Option<String>,
    /// Exactly this target, e.g. `client:{client_id}`.
    target: Option<String>,
    /// Events at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// Lists the tenant's audit events, newest first.
#[utoipa::path(get, path = "/admin/api/v1/tenants/{tenant}/audit-events", tag = "audit",
    params(("tenant" = String, Path, description = "The tenant's slug"), AuditParams),
    responses((status = 200, body = AuditEventPage), (status = "4XX", body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_audit_events(
    api: web::Data<AdminApi>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<AuditParams>,
) -> HttpResponse {
    let q = q.into_inner();
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let query = AuditQuery {
        filter: AuditFilter {
            actor: nonempty(q.actor),
            action: nonempty(q.action),
            target: nonempty(q.target),
            since: q.since,
            until: q.until,
        },
        limit: q.limit,
        after: nonempty(q.after),
    };
    match api.admin.list_audit_events(&who.0, &path, query).await {
        Ok(p) => HttpResponse::Ok().json(p),
        Err(e) => respond(e),
    }
}
