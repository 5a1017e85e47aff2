//! GET {issuer}/jwks (RFC 7517 §5): the tenant's published keys, pre-serialised by the key ring.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web;

use crate::{AuthServer, unknown_tenant};

pub async fn jwks(server: web::Data<AuthServer>, tenant: web::Path<String>) -> HttpResponse {
    let entry = match server.tokens.tenant(&tenant).await {
        Ok(entry) => entry,
        Err(e) => return unknown_tenant(&e),
    };
    match server.keys.tenant_keys(entry.tenant.id).await {
        Ok(keys) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .content_type("application/jwk-set+json")
            .body(keys.jwks_json().clone()),
        Err(e) => {
            tracing::error!(error = %e, "loading the tenant's keys failed");
            keyward_http::Problem::new(actix_web::http::StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("signing keys unavailable, try again")
                .to_response()
        }
    }
}
