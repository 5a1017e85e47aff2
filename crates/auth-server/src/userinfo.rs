//! GET and POST {issuer}/userinfo (OIDC Core §5.3): the access token from `Authorization:
//! Bearer` (RFC 6750 §2.1) or a form body's `access_token` (§2.2); errors per RFC 6750 §3 with
//! `WWW-Authenticate: Bearer`.

use actix_web::http::header;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_oauth::bearer::bearer_token;

use keyward_http::oauth as oauth_response;

use crate::{AuthServer, unknown_tenant};

/// OIDC Core §5.3.1
pub async fn get(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    answer(&server, &req, &slug, None).await
}

/// OIDC Core §5.3.1 with the token in the header or the form body.
pub async fn post(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let body = if is_form {
        match crate::form::read(&req, payload).await {
            Ok(b) => Some(b),
            Err(e) => return oauth_response::error(&e, None),
        }
    } else {
        None
    };
    answer(&server, &req, &slug, body.as_deref()).await
}

async fn answer(
    server: &AuthServer,
    req: &HttpRequest,
    slug: &str,
    body: Option<&[u8]>,
) -> HttpResponse {
    let tenant = match server.tokens.tenant(slug).await {
        Ok(t) => t,
        Err(e) => return unknown_tenant(&e),
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let result = match bearer_token(authorization, body) {
        Ok(token) => server.userinfo.userinfo(&tenant, &token).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(claims) => oauth_response::json(&claims),
        Err(e) => oauth_response::bearer_error(&e, &tenant.issuer),
    }
}
