#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use keyward_http::problem::{self, Problem};
use keyward_http::request_id::{self, RequestId};
use keyward_http::security_headers;
use keyward_http::{HttpMetrics, metrics};

async fn echo_id(id: RequestId) -> String {
    id.to_string()
}

async fn token(path: web::Path<String>) -> String {
    path.into_inner()
}

async fn failing() -> Result<String, Problem> {
    Err(Problem::new(StatusCode::CONFLICT).with_detail("already there"))
}

async fn framed_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'self'"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body("page")
}

async fn invalid() -> Problem {
    Problem::invalid_fields(vec![]).with_field_error("email", "must be an e-mail address")
}

/// The app as a binary mounts it: request id outermost, then metrics, then headers.
fn app(
    metrics: HttpMetrics,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(metrics.clone()))
        .wrap(from_fn(security_headers::security_headers))
        .wrap(metrics.middleware())
        .wrap(from_fn(request_id::request_id))
        .route("/id", web::get().to(echo_id))
        .route("/t/{tenant}/token", web::post().to(token))
        .route("/failing", web::get().to(failing))
        .route("/framed", web::get().to(framed_page))
        .route("/invalid", web::post().to(invalid))
        .service(
            web::resource("/only-get")
                .route(web::get().to(HttpResponse::Ok))
                .default_service(web::to(problem::method_not_allowed)),
        )
        .route("/metrics", web::get().to(metrics::render))
        .default_service(web::to(problem::not_found))
}

fn header<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[actix_web::test]
async fn request_id_is_echoed_when_sane() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let req = test::TestRequest::get()
        .uri("/id")
        .insert_header(("X-Request-Id", "abc.DEF_123-x"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "x-request-id").as_deref(),
        Some("abc.DEF_123-x")
    );
    let body = test::read_body(res).await;
    assert_eq!(body, "abc.DEF_123-x", "the extractor sees the same id");
}

#[actix_web::test]
async fn request_id_is_generated_when_absent() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/id").to_request()).await;
    let id = header(&res, "x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id} is a UUID");
    assert_eq!(test::read_body(res).await, id.as_str());
}

#[actix_web::test]
async fn request_id_replaces_insane_values() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let too_long = "a".repeat(129);
    for insane in [
        "has space",
        "semi;colon",
        "new\\nline",
        "",
        too_long.as_str(),
    ] {
        let req = test::TestRequest::get()
            .uri("/id")
            .insert_header(("X-Request-Id", HeaderValue::from_str(insane).unwrap()))
            .to_request();
        let res = test::call_service(&app, req).await;
        let id = header(&res, "x-request-id").unwrap();
        assert_ne!(id, insane);
        assert!(
            uuid::Uuid::parse_str(&id).is_ok(),
            "{insane:?} replaced by a UUID, got {id}"
        );
    }
}

#[actix_web::test]
async fn request_id_accepts_exactly_128_characters() {
    let longest = "b".repeat(128);
    assert!(RequestId::parse(&longest).is_some());
    assert!(RequestId::parse(&format!("{longest}b")).is_none());
}

#[actix_web::test]
async fn request_id_is_present_on_404_and_errors() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    for uri in ["/nowhere", "/failing"] {
        let req = test::TestRequest::get()
            .uri(uri)
            .insert_header(("X-Request-Id", "req-404"))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert!(res.status().is_client_error(), "{uri}: {}", res.status());
        assert_eq!(
            header(&res, "x-request-id").as_deref(),
            Some("req-404"),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn request_id_is_present_when_an_inner_service_errors() {
    // An inner middleware that fails with `Err` leaves no response to decorate: actix builds
    // it from the error at the edge, and that response must still carry the id.
    let app = test::init_service(
        App::new()
            .wrap(from_fn(
                |_req, _next: actix_web::middleware::Next<_>| async {
                    Err::<ServiceResponse, _>(actix_web::error::ErrorForbidden("no"))
                },
            ))
            .wrap(from_fn(request_id::request_id))
            .route("/id", web::get().to(echo_id)),
    )
    .await;
    let err = app
        .call(
            test::TestRequest::get()
                .uri("/id")
                .insert_header(("X-Request-Id", "inner-err"))
                .to_request(),
        )
        .await
        .err()
        .unwrap();
    let res = err.error_response();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.headers().get("x-request-id").unwrap(), "inner-err");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_method_and_status() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    for tenant in ["acme", "globex", "initech"] {
        let req = test::TestRequest::post()
            .uri(&format!("/t/{tenant}/token"))
            .to_request();
        assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    }
    let res = test::call_service(&app, test::TestRequest::get().uri("/nope/x").to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(
        text.contains(
            r#"keyward_http_requests_total{method="POST",route="/t/{tenant}/token",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"keyward_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"keyward_http_request_duration_seconds_count{method="POST",route="/t/{tenant}/token",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(!text.contains("acme"), "raw paths never become labels");
    assert!(!text.contains("/nope/x"), "raw paths never become labels");
}

#[actix_web::test]
async fn metrics_fold_unknown_methods_into_other() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(b"BREW").unwrap())
        .uri("/nowhere")
        .to_request();
    test::call_service(&app, req).await;
    let text = metrics.render().unwrap();
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(!text.contains("BREW"), "{text}");
}

#[actix_web::test]
async fn security_headers_are_added_to_every_response() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    for uri in ["/id", "/nowhere", "/failing"] {
        let res = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(
            header(&res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(
            header(&res, "referrer-policy").as_deref(),
            Some("same-origin"),
            "{uri}"
        );
        assert_eq!(
            header(&res, "x-frame-options").as_deref(),
            Some("DENY"),
            "{uri}"
        );
        assert_eq!(
            header(&res, "content-security-policy").as_deref(),
            Some("frame-ancestors 'none'"),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn security_headers_keep_the_handlers_own_policies() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/framed").to_request()).await;
    assert_eq!(
        header(&res, "content-security-policy").as_deref(),
        Some("default-src 'self'")
    );
    assert_eq!(
        header(&res, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        header(&res, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
}

async fn problem_json(res: ServiceResponse<impl MessageBody>) -> serde_json::Value {
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/problem+json")
    );
    serde_json::from_slice(&test::read_body(res).await).unwrap()
}

#[actix_web::test]
async fn unknown_route_answers_problem_json_404() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/nowhere?x=1").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body = problem_json(res).await;
    assert_eq!(
        body,
        serde_json::json!({
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "instance": "/nowhere",
        })
    );
}

#[actix_web::test]
async fn wrong_method_answers_problem_json_405() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res = test::call_service(
        &app,
        test::TestRequest::delete().uri("/only-get").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = problem_json(res).await;
    assert_eq!(body["status"], 405);
    assert_eq!(body["title"], "Method Not Allowed");
}

#[actix_web::test]
async fn handler_error_answers_problem_json_with_its_status() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/failing").to_request()).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = problem_json(res).await;
    assert_eq!(body["detail"], "already there");
    assert!(
        body.get("errors").is_none(),
        "empty field errors are omitted"
    );
}

#[actix_web::test]
async fn field_errors_are_listed_in_the_problem() {
    let metrics = HttpMetrics::new().unwrap();
    let app = test::init_service(app(metrics.clone())).await;
    let res =
        test::call_service(&app, test::TestRequest::post().uri("/invalid").to_request()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem_json(res).await;
    assert_eq!(
        body["errors"],
        serde_json::json!([{ "field": "email", "message": "must be an e-mail address" }])
    );
}

#[actix_web::test]
async fn problem_with_out_of_range_status_answers_500() {
    let mut problem = Problem::not_found();
    problem.status = 1000;
    assert_eq!(problem.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    let res = problem::method_not_allowed_allowing(
        &test::TestRequest::default().uri("/x").to_http_request(),
        &["GET", "POST"],
    );
    assert_eq!(res.headers().get("allow").unwrap(), "GET, POST");
}
