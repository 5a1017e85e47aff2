//! GET {issuer}/jwks

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use keyward_core::TenantSlug;
use keyward_http::Problem;
use keyward_oauth::jwks::jwks_document;

use crate::AuthServer;

pub async fn jwks(server: web::Data<AuthServer>, tenant: web::Path<String>) -> Result<HttpResponse, Problem> {
    let unknown = || Problem::not_found().with_detail("no such tenant");
    let slug = TenantSlug::parse(&tenant).map_err(|_| unknown())?;
    let tenant = server.tenants.by_slug(&slug).await.map_err(unavailable)?.ok_or_else(unknown)?;
    let keys = server.keys.list(tenant.id).await.map_err(unavailable)?;
    let document = jwks_document(&keys, server.clock.now()).map_err(unavailable)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/jwk-set+json")
        .body(document.to_string()))
}

fn unavailable(err: keyward_core::StoreError) -> Problem {
    tracing::error!(error = %err, "reading the JWKS failed");
    Problem::new(actix_web::http::StatusCode::SERVICE_UNAVAILABLE).with_detail("storage unavailable, try again")
}
