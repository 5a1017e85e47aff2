//! Reading an `application/x-www-form-urlencoded` request body (RFC 6749 §3.2), bounded in
//! size. Every refusal is an OAuth `invalid_request`, never a framework error page.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use keyward_oauth::OAuthError;

/// Far more than any token, introspection or revocation request needs.
pub const MAX_BODY: usize = 16 * 1024;

fn too_large() -> OAuthError {
    OAuthError::invalid_request("the request body is too large").with_status(413)
}

/// The body, if the request is form-urlencoded and at most [`MAX_BODY`] bytes.
pub async fn read(req: &HttpRequest, payload: Payload) -> Result<Bytes, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "reading a request body failed");
            Err(OAuthError::invalid_request(
                "the request body could not be read",
            ))
        }
        Err(_) => Err(too_large()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    async fn echo(req: HttpRequest, payload: Payload) -> HttpResponse {
        match read(&req, payload).await {
            Ok(body) => HttpResponse::Ok().body(body),
            Err(e) => keyward_http::oauth::error(&e, None),
        }
    }

    async fn post(content_type: Option<&str>, body: Vec<u8>) -> (u16, serde_json::Value) {
        let app = test::init_service(App::new().route("/", web::post().to(echo))).await;
        let mut req = test::TestRequest::post().uri("/").set_payload(body);
        if let Some(ct) = content_type {
            req = req.insert_header((header::CONTENT_TYPE, ct));
        }
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[actix_web::test]
    async fn form_bodies_pass_with_or_without_a_charset() {
        assert_eq!(
            post(Some("application/x-www-form-urlencoded"), b"a=b".to_vec())
                .await
                .0,
            200
        );
        assert_eq!(
            post(
                Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
                b"a=b".to_vec()
            )
            .await
            .0,
            200
        );
    }

    #[actix_web::test]
    async fn other_content_types_are_invalid_request() {
        for ct in [
            Some("application/json"),
            Some("multipart/form-data; boundary=x"),
            None,
        ] {
            let (status, body) = post(ct, b"a=b".to_vec()).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_request")),
                "{ct:?}"
            );
        }
    }

    #[actix_web::test]
    async fn oversized_bodies_are_413_with_an_oauth_error() {
        let (status, body) = post(
            Some("application/x-www-form-urlencoded"),
            vec![b'a'; MAX_BODY + 1],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (413, Some("invalid_request"))
        );
    }
}
