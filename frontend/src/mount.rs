//! Mounting the console into an actix-web application.

use std::net::{Ipv4Addr, SocketAddr};

use actix_web::http::header::{HeaderValue, LOCATION};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_actix::{LeptosRoutes, generate_route_list, render_app_async_with_context};
use leptos_router::Method;

use crate::app::{Console, shell};

/// The path the console lives under.
pub const MOUNT_PATH: &str = "/admin/";

/// Paths under the console's mount that belong to the admin API, never to the console.
const API_PREFIX: &str = "/admin/api/";

/// How the console is served.
#[derive(Clone, Debug)]
pub struct ConsoleOptions {
    /// The address the server listens on (reported to Leptos, which uses it only in its
    /// development tooling).
    pub site_addr: SocketAddr,
}

impl ConsoleOptions {
    /// Options for a server listening on `site_addr`.
    pub fn new(site_addr: SocketAddr) -> Self {
        Self { site_addr }
    }

    /// The Leptos options of the console. No cargo-leptos build exists: `output_name` only
    /// names the bundle Leptos would look for, and the shell never links to it.
    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("keyward-admin")
            .site_addr(self.site_addr)
            .build()
    }
}

impl Default for ConsoleOptions {
    /// The embedded default address, 127.0.0.1:8080.
    fn default() -> Self {
        Self::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)))
    }
}

/// Mounts the console: `GET /admin` redirects to `/admin/`, the console's pages render under
/// `/admin/...`, and any other `GET /admin/...` renders the console's 404 page — except under
/// `/admin/api/`, which is left to the admin API whatever the order of registration.
///
/// Call it once per worker, inside the `HttpServer::new` closure:
/// `App::new().configure(|cfg| keyward_admin_ui::configure(cfg, options.clone()))`.
pub fn configure(cfg: &mut web::ServiceConfig, options: ConsoleOptions) {
    let leptos_options = options.leptos_options();
    let context = move || provide_context(leptos_options.clone());
    let routes = generate_route_list(Console);

    cfg.service(
        web::resource("/admin")
            .route(web::get().to(redirect_to_mount))
            .route(web::head().to(redirect_to_mount)),
    );
    cfg.leptos_routes_with_context(routes, context.clone(), shell);
    cfg.service(
        web::resource("/admin/{tail:.*}")
            .guard(guard::fn_guard(|ctx| {
                !ctx.head().uri.path().starts_with(API_PREFIX)
            }))
            .route(render_app_async_with_context(context, shell, Method::Get)),
    );
}

/// `/admin` → `/admin/`, keeping the query string.
async fn redirect_to_mount(req: HttpRequest) -> HttpResponse {
    let target = match req.query_string() {
        "" => MOUNT_PATH.to_owned(),
        query => format!("{MOUNT_PATH}?{query}"),
    };
    match HeaderValue::from_str(&target) {
        Ok(location) => HttpResponse::PermanentRedirect()
            .insert_header((LOCATION, location))
            .finish(),
        Err(_) => HttpResponse::PermanentRedirect()
            .insert_header((LOCATION, MOUNT_PATH))
            .finish(),
    }
}
