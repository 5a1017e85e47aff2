#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use keyward_admin_ui::{ConsoleOptions, configure, sections};

struct Page {
    status: StatusCode,
    content_type: Option<String>,
    location: Option<String>,
    csp: Option<String>,
    body: String,
}

/// Serves `method path` from a fresh app holding the console and, registered after it, an admin
/// API route under `/admin/api/`.
async fn request(req: test::TestRequest) -> Page {
    let app = test::init_service(
        App::new()
            .wrap(from_fn(keyward_http::security_headers::security_headers))
            .configure(|cfg| configure(cfg, ConsoleOptions::default()))
            .route(
                "/admin/api/v1/ping",
                web::get().to(|| async { HttpResponse::Ok().body("pong") }),
            ),
    )
    .await;
    let res = test::call_service(&app, req.to_request()).await;
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (content_type, location, csp) = (
        header("content-type"),
        header("location"),
        header("content-security-policy"),
    );
    let status = res.status();
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    Page {
        status,
        content_type,
        location,
        csp,
        body,
    }
}

async fn get(path: &str) -> Page {
    request(test::TestRequest::get().uri(path)).await
}

fn assert_shell(page: &Page) {
    assert!(
        page.content_type
            .as_deref()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.content_type
    );
    assert!(page.body.starts_with("<!DOCTYPE html>"), "{}", page.body);
    assert!(page.body.contains(r#"<html lang="en">"#), "{}", page.body);
    assert!(
        page.body.contains("Keyward console</a></header>"),
        "{}",
        page.body
    );
    for section in sections::ALL {
        let link = format!(r#"href="{}""#, section.path);
        assert!(page.body.contains(&link), "nav links {}", section.path);
        assert!(
            page.body.contains(section.title),
            "nav names {}",
            section.title
        );
    }
}

#[actix_web::test]
async fn overview_renders_the_shell_with_header_and_navigation() {
    let page = get("/admin/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_shell(&page);
    assert!(
        page.body
            .contains("<title>Overview · Keyward console</title>"),
        "{}",
        page.body
    );
    for title in [
        "Tenants",
        "Clients",
        "Users",
        "Roles",
        "Identity providers",
        "Keys",
        "Audit",
    ] {
        assert!(
            page.body.contains(&format!(">{title}</a>")),
            "nav has {title}"
        );
    }
}

#[actix_web::test]
async fn console_never_links_a_hydration_bundle() {
    let page = get("/admin/").await;
    assert!(!page.body.contains("/pkg/"), "{}", page.body);
    assert!(!page.body.contains(".wasm"), "{}", page.body);
    assert!(!page.body.contains("keyward-admin.js"), "{}", page.body);
}

#[actix_web::test]
async fn every_section_page_says_its_feature_arrives_later() {
    for section in sections::ALL {
        let page = get(section.path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", section.path);
        assert_shell(&page);
        assert!(
            page.body.contains(&format!("<h1>{}</h1>", section.title)),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("arrives in a later release"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains(&format!(
                "<title>{} · Keyward console</title>",
                section.title
            )),
            "{}",
            page.body
        );
        let current = format!(r#"href="{}" aria-current="page""#, section.path);
        let current_reordered = format!(r#"aria-current="page" href="{}""#, section.path);
        assert!(
            page.body.contains(&current) || page.body.contains(&current_reordered),
            "the nav marks {} as current: {}",
            section.path,
            page.body
        );
    }
}

#[actix_web::test]
async fn admin_without_slash_redirects_to_the_console() {
    let page = get("/admin").await;
    assert_eq!(page.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(page.location.as_deref(), Some("/admin/"));

    let page = get("/admin?tenant=acme").await;
    assert_eq!(page.location.as_deref(), Some("/admin/?tenant=acme"));
}

#[actix_web::test]
async fn unknown_console_path_renders_the_404_page() {
    for path in ["/admin/nope", "/admin/tenants/acme/nope"] {
        let page = get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_shell(&page);
        assert!(
            page.body.contains("<h1>Page not found</h1>"),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("<title>Page not found · Keyward console</title>")
        );
    }
}

#[actix_web::test]
async fn admin_api_paths_are_left_to_the_admin_api() {
    let page = get("/admin/api/v1/ping").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "pong");

    let page = get("/admin/api/v1/unknown").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Keyward console"), "{}", page.body);
}

#[actix_web::test]
async fn console_pages_carry_a_nonce_based_content_security_policy() {
    let page = get("/admin/").await;
    let csp = page.csp.unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("script-src 'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(!nonce.is_empty());
    assert!(
        page.body.contains(&format!(r#"<style nonce="{nonce}">"#)),
        "{}",
        page.body
    );
    // every inline script is allowed by the nonce, and no other script exists
    assert_eq!(
        page.body.matches("<script").count(),
        page.body
            .matches(&format!(r#"<script nonce="{nonce}">"#))
            .count()
    );

    let other = get("/admin/").await.csp.unwrap();
    assert_ne!(csp, other, "the nonce is fresh for every page");
}

#[actix_web::test]
async fn console_forms_keep_a_same_origin_referrer() {
    // Server-function forms redirect back to the Referer; `no-referrer` would break them.
    let app = test::init_service(
        App::new()
            .wrap(from_fn(keyward_http::security_headers::security_headers))
            .configure(|cfg| configure(cfg, ConsoleOptions::default())),
    )
    .await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/admin/").to_request()).await;
    assert_eq!(res.headers().get("referrer-policy").unwrap(), "same-origin");
}
