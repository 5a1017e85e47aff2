//! POST {issuer}/device_authorization (RFC 8628 §3.1–§3.2): read the form, call the token
//! service, map the answer. The page the person uses is `pages::device`.

use actix_web::http::header;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use keyward_oauth::EndpointRequest;

use keyward_http::oauth as oauth_response;

use crate::{AuthServer, form};

/// RFC 8628 §3.1
pub async fn device_authorization(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: web::Path<String>,
    payload: Payload,
) -> HttpResponse {
    let body = match form::read(&req, payload).await {
        Ok(b) => b,
        Err(e) => return oauth_response::error(&e, None),
    };
    let request_id = crate::token::request_id(&req);
    let request = EndpointRequest {
        tenant: &tenant,
        authorization: req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        body: &body,
        remote_ip: keyward_http::client_ip::client_ip(&req),
        request_id: request_id.as_deref(),
    };
    match server.tokens.device_authorization(request).await {
        Ok(answer) => oauth_response::json(&answer),
        Err(e) => oauth_response::error(&e, Some(&tenant)),
    }
}
