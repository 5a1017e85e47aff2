//! POST {issuer}/token (RFC 6749 §3.2), /introspect (RFC 7662 §2) and /revoke (RFC 7009 §2):
//! read the form, call the token service, map the answer.

use actix_web::http::header;
use actix_web::web::{self, Payload};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use keyward_http::RequestId;
use keyward_oauth::{EndpointRequest, OAuthError};

use keyward_http::oauth as oauth_response;

use crate::{AuthServer, form};

fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn body(req: &HttpRequest, payload: Payload) -> Result<web::Bytes, HttpResponse> {
    form::read(req, payload)
        .await
        .map_err(|e| oauth_response::error(&e, None))
}

fn request<'a>(
    req: &'a HttpRequest,
    tenant: &'a str,
    body: &'a [u8],
    request_id: Option<&'a str>,
) -> EndpointRequest<'a> {
    EndpointRequest {
        tenant,
        authorization: authorization(req),
        body,
        remote_ip: keyward_http::client_ip::client_ip(req),
        request_id,
    }
}

/// The X-Request-Id the middleware assigned, for audit events.
pub(crate) fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned())
}

fn answer<T: serde::Serialize>(result: Result<T, OAuthError>, tenant: &str) -> HttpResponse {
    match result {
        Ok(body) => oauth_response::json(&body),
        Err(e) => oauth_response::error(&e, Some(tenant)),
    }
}

/// RFC 6749 §3.2
pub async fn token(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let body = match body(&req, payload).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let rid = request_id(&req);
    answer(
        server
            .tokens
            .token(request(&req, &tenant, &body, rid.as_deref()))
            .await,
        &tenant,
    )
}

/// RFC 7662 §2.1
pub async fn introspect(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let body = match body(&req, payload).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let rid = request_id(&req);
    answer(
        server
            .tokens
            .introspect(request(&req, &tenant, &body, rid.as_deref()))
            .await,
        &tenant,
    )
}

/// RFC 7009 §2.1: 200 with an empty body, also for unknown tokens.
pub async fn revoke(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let body = match body(&req, payload).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let rid = request_id(&req);
    match server
        .tokens
        .revoke(request(&req, &tenant, &body, rid.as_deref()))
        .await
    {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => oauth_response::error(&e, Some(&tenant)),
    }
}
