//! GET {issuer}/.well-known/openid-configuration (OIDC Discovery 1.0 §4),
//! {issuer}/.well-known/oauth-authorization-server and the RFC 8414 §3.1 path-inserted
//! {public_url}/.well-known/oauth-authorization-server/t/{tenant}: one pre-serialised document
//! per tenant, built on first use (it depends only on the issuer, which never changes).

use std::collections::HashMap;
use std::sync::RwLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use keyward_core::TenantId;
use keyward_oauth::discovery::{Features, metadata};

use crate::{AuthServer, unknown_tenant};

/// Serialised metadata documents by tenant.
#[derive(Default)]
pub struct DiscoveryCache(RwLock<HashMap<TenantId, Bytes>>);

impl DiscoveryCache {
    fn get_or_build(&self, tenant: TenantId, issuer: &str) -> Bytes {
        if let Some(hit) = self.0.read().ok().and_then(|m| m.get(&tenant).cloned()) {
            return hit;
        }
        let document = Bytes::from(metadata(issuer, &Features::browser_flows()).to_string());
        if let Ok(mut m) = self.0.write() {
            m.insert(tenant, document.clone());
        }
        document
    }
}

/// OIDC Discovery 1.0 §4 / RFC 8414 §3
pub async fn configuration(
    server: web::Data<AuthServer>,
    tenant: web::Path<String>,
) -> HttpResponse {
    let entry = match server.tokens.tenant(&tenant).await {
        Ok(entry) => entry,
        Err(e) => return unknown_tenant(&e),
    };
    let document = server
        .discovery
        .get_or_build(entry.tenant.id, &entry.issuer);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(document)
}
