//! keyward-auth-server: the actix service for a tenant's protocol endpoints and hosted pages,
//! under `/t/{tenant}`. Handlers stay thin — extract, call keyward-oauth / keyward-identity,
//! map the result (keyward-http's `oauth` is the one place OAuth errors become HTTP) — and hold no
//! protocol rules of their own.
//!
//! It serves discovery, the JWKS, the token, introspection and revocation endpoints,
//! `/authorize` and `/userinfo`, the decision API `/authz/check` (over keyward-authz), and the
//! hosted pages (`pages`: sign-in, consent, logout with
//! back-channel logout, the error page) on top of browser sessions (`session_cookie`).

mod authorize;
mod authz_check;
pub mod backchannel_logout;
mod device;
mod discovery;
mod form;
mod jwks;
pub mod pages;
pub mod session_cookie;
mod token;
mod userinfo;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use keyward_authz::Authorizer;
use keyward_http::Problem;
use keyward_identity::Sessions;
use keyward_oauth::authorize::AuthorizationEndpoint;
use keyward_oauth::keyring::KeyRing;
use keyward_oauth::userinfo::UserInfoEndpoint;
use keyward_oauth::{OAuthError, TokenService};

pub use discovery::DiscoveryCache;
pub use pages::Pages;

/// What the protocol endpoints need.
#[derive(Clone)]
pub struct AuthServer {
    pub tokens: Arc<TokenService>,
    pub keys: Arc<KeyRing>,
    pub discovery: Arc<DiscoveryCache>,
    /// Browser (SSO) sessions of every tenant; read them with `session_cookie::current_session`.
    pub sessions: Arc<Sessions>,
    /// Sign-in, consent and logout pages.
    pub pages: Arc<Pages>,
    /// OIDC Core §3.1.2 `/authorize` and its `/authorize/resume`.
    pub authorize: Arc<AuthorizationEndpoint>,
    /// OIDC Core §5.3 `/userinfo`.
    pub userinfo: Arc<UserInfoEndpoint>,
    /// The tenants' application roles and permissions, for `/authz/check`.
    pub authorizer: Arc<Authorizer>,
}

impl AuthServer {
    pub fn new(
        tokens: Arc<TokenService>,
        keys: Arc<KeyRing>,
        sessions: Arc<Sessions>,
        pages: Arc<Pages>,
        flows: BrowserFlows,
    ) -> Self {
        let BrowserFlows {
            authorize,
            userinfo,
            authorizer,
        } = flows;
        Self {
            tokens,
            keys,
            discovery: Arc::new(DiscoveryCache::default()),
            sessions,
            pages,
            authorize,
            userinfo,
            authorizer,
        }
    }
}

/// The authorization and userinfo endpoints (keyward-oauth) and the decision API's authorizer
/// (keyward-authz), as `AuthServer::new` takes them.
pub struct BrowserFlows {
    pub authorize: Arc<AuthorizationEndpoint>,
    pub userinfo: Arc<UserInfoEndpoint>,
    pub authorizer: Arc<Authorizer>,
}

/// A GET document for an unknown tenant (404), or a backend outage (503), as problem+json.
fn unknown_tenant(err: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::NOT_FOUND);
    Problem::new(status)
        .with_detail(err.description().to_owned())
        .to_response()
}

/// Mounts the tenant endpoints (`/t/{tenant}/...`) and the RFC 8414 path-inserted metadata.
pub fn configure(cfg: &mut web::ServiceConfig, server: AuthServer) {
    cfg.app_data(web::Data::new(server))
        .service(web::resource("/t/{tenant}/jwks").route(web::get().to(jwks::jwks)))
        .service(
            web::resource([
                "/t/{tenant}/.well-known/openid-configuration",
                "/t/{tenant}/.well-known/oauth-authorization-server",
                "/.well-known/oauth-authorization-server/t/{tenant}",
            ])
            .route(web::get().to(discovery::configuration)),
        )
        .service(web::resource("/t/{tenant}/token").route(web::post().to(token::token)))
        .service(web::resource("/t/{tenant}/introspect").route(web::post().to(token::introspect)))
        .service(web::resource("/t/{tenant}/revoke").route(web::post().to(token::revoke)))
        .service(web::resource("/t/{tenant}/authz/check").route(web::post().to(authz_check::check)))
        .service(
            web::resource("/t/{tenant}/authorize")
                .route(web::get().to(authorize::get))
                .route(web::post().to(authorize::post)),
        )
        .service(
            web::resource("/t/{tenant}/authorize/resume").route(web::get().to(authorize::resume)),
        )
        .service(
            web::resource("/t/{tenant}/device_authorization")
                .route(web::post().to(device::device_authorization)),
        )
        .service(
            web::resource("/t/{tenant}/device")
                .route(web::get().to(pages::device::show))
                .route(web::post().to(pages::device::submit)),
        )
        .service(
            web::resource("/t/{tenant}/device/decision")
                .route(web::post().to(pages::device::decide)),
        )
        .service(
            web::resource("/t/{tenant}/userinfo")
                .route(web::get().to(userinfo::get))
                .route(web::post().to(userinfo::post)),
        )
        .service(
            web::resource("/t/{tenant}/login")
                .route(web::get().to(pages::login::show))
                .route(web::post().to(pages::login::submit)),
        )
        .service(
            web::resource("/t/{tenant}/consent")
                .route(web::get().to(pages::consent::show))
                .route(web::post().to(pages::consent::submit)),
        )
        .service(
            web::resource("/t/{tenant}/logout")
                .route(web::get().to(pages::logout::show))
                .route(web::post().to(pages::logout::submit)),
        )
        .service(
            web::resource("/t/{tenant}/logout/confirm")
                .route(web::post().to(pages::logout::confirm)),
        );
}
