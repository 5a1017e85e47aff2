//! The composition root of the server: [`Application::build`] constructs every store, cache,
//! service and background task exactly once, and [`Application::run`] serves them on a
//! listener it is given. `keyward serve` and the in-process test app
//! (`keyward_testkit::app::TestApp`) both start the server through here, so what the tests run
//! is what production runs.
//!
//! The actix app receives what its handlers use — the protocol services, the admin API, the
//! readiness probes and the metrics token — never the [`Platform`] or its master key.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use keyward_admin_api::AdminApi;
use keyward_auth_server::AuthServer;
use keyward_authz::Authorizer;
use keyward_http::HttpMetrics;
use keyward_http::client_ip::TrustedProxies;

use crate::config::Config;
use crate::failure::Failure;
use crate::seed::Seeded;
use crate::serve::{MetricsAccess, Probes, audit_batch, invalidation, resync};
use crate::startup::{Platform, Protocol};

/// How long queued audit events may take to be written when the server stops.
const AUDIT_GRACE: Duration = Duration::from_secs(5);

/// The server, built and with its background work running, not yet listening.
pub struct Application {
    platform: Platform,
    authorizer: Arc<Authorizer>,
    metrics: HttpMetrics,
    auth: AuthServer,
    admin_api: AdminApi,
    probes: web::Data<Probes>,
    metrics_access: web::Data<MetricsAccess>,
    trusted_proxies: web::Data<TrustedProxies>,
    audit_writer: audit_batch::AuditWriter,
}

impl Application {
    /// Connects, migrates and checks storage ([`Platform::start`]), then builds the server on it.
    pub async fn build(config: Config) -> Result<Self, Failure> {
        Self::on(Platform::start(config).await?).await
    }

    /// Builds the server on a started platform. Before it returns, the revoked-token sets the
    /// cache lost (an embedded restart) are refilled and the resync and invalidation listeners
    /// run.
    pub async fn on(platform: Platform) -> Result<Self, Failure> {
        let metrics = HttpMetrics::new().map_err(metrics_failure)?;
        let authorizer = crate::admin_service::authorizer(&platform).await?;
        let dropped = metrics
            .counter(
                "keyward_audit_events_dropped_total",
                "Audit events of the protocol endpoints that could not be kept",
            )
            .map_err(metrics_failure)?;
        let (audit, audit_writer) = audit_batch::spawn(Arc::new(platform.store.clone()), dropped);
        let protocol = platform.protocol(
            Arc::new(crate::serve::app_claims::AuthorizerClaims(
                authorizer.clone(),
            )),
            audit,
        )?;
        let resync = resync::Resync {
            authorizer: authorizer.clone(),
            directory: protocol.directory.clone(),
            keys: protocol.keys.clone(),
            store: platform.store.clone(),
            cache: platform.cache.clone(),
            clock: platform.clock.clone(),
            interval: Duration::from_secs(platform.config.resync_interval_secs),
        };
        // Before the first request: revocations the cache lost (a restart on memory) are back.
        resync
            .revocations()
            .await
            .map_err(|why| Failure::Unavailable(format!("start-up resync: {why}")))?;
        resync.spawn();
        invalidation::spawn(
            platform.cache.clone(),
            protocol.directory.clone(),
            protocol.keys.clone(),
        );
        let (sessions, pages) =
            crate::serve::hosted_pages::hosted_pages(&platform, &protocol, &metrics)?;
        let logout = Arc::new(crate::serve::session_logout::BackchannelSessionLogout {
            backchannel: pages.backchannel.clone(),
            directory: protocol.directory.clone(),
            clock: platform.clock.clone(),
        });
        let admin_api = admin_api(&platform, &protocol, authorizer.clone(), logout);
        let flows = keyward_auth_server::BrowserFlows {
            authorize: protocol.authorize.clone(),
            userinfo: protocol.userinfo.clone(),
            authorizer: authorizer.clone(),
        };
        let auth = AuthServer::new(protocol.tokens, protocol.keys, sessions, pages, flows);
        let probes = web::Data::new(Probes {
            store: platform.store.clone(),
            cache: platform.cache.clone(),
        });
        let metrics_access = web::Data::new(MetricsAccess(platform.config.metrics_token.clone()));
        let trusted_proxies =
            web::Data::new(TrustedProxies::new(platform.config.trusted_proxies.clone()));
        Ok(Self {
            platform,
            authorizer,
            metrics,
            auth,
            admin_api,
            probes,
            metrics_access,
            trusted_proxies,
            audit_writer,
        })
    }

    /// The connected storage and configuration, for seeding (the CLI's commands run on it).
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// `serve --dev`'s demo tenant, clients and platform admin, with the policy reloaded so
    /// that the seeded admin is authorized from the first request.
    pub async fn seed_demo(&self) -> Result<Seeded, Failure> {
        let seeded = crate::seed::seed(&self.platform).await?;
        self.authorizer.reload().await.map_err(|e| {
            Failure::Unavailable(format!("reloading the authorization policy: {e}"))
        })?;
        Ok(seeded)
    }

    /// Serves on `listener`; the server answers as soon as this returns. `workers` defaults
    /// to one per core.
    pub fn run(self, listener: TcpListener, workers: Option<usize>) -> Result<Running, Failure> {
        let listen = listener
            .local_addr()
            .map_err(|e| Failure::Internal(format!("listener address: {e}")))?;
        let console = keyward_admin_ui::ConsoleOptions::new(listen);
        let Self {
            metrics,
            auth,
            admin_api,
            probes,
            metrics_access,
            trusted_proxies,
            audit_writer,
            ..
        } = self;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(metrics.clone()))
                .app_data(probes.clone())
                .app_data(metrics_access.clone())
                .app_data(trusted_proxies.clone())
                .wrap(from_fn(keyward_http::security_headers::security_headers))
                .wrap(metrics.middleware())
                .wrap(from_fn(keyward_http::request_id::request_id))
                .configure(crate::serve::operational)
                .configure(|cfg| keyward_auth_server::configure(cfg, auth.clone()))
                // Before the console, whose `/admin/{tail}` routes would otherwise take these paths.
                .configure(|cfg| keyward_admin_api::configure(cfg, admin_api.clone()))
                .configure(|cfg| keyward_admin_ui::configure(cfg, console.clone()))
                .default_service(web::to(keyward_http::problem::not_found))
        })
        .listen(listener)
        .map_err(|e| Failure::Config(format!("KEYWARD_LISTEN: cannot listen on {listen}: {e}")))?;
        let server = match workers {
            Some(n) => server.workers(n),
            None => server,
        };
        Ok(Running {
            server: server.run(),
            audit_writer,
        })
    }
}

/// A server started by [`Application::run`]: the actix server and the background work it owns.
pub struct Running {
    server: actix_web::dev::Server,
    audit_writer: audit_batch::AuditWriter,
}

impl Running {
    /// A handle that stops the server (`stop(true)` lets requests in flight finish).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server stops, then writes the queued audit events.
    pub async fn await_end(self) -> Result<(), Failure> {
        let served = self
            .server
            .await
            .map_err(|e| Failure::Internal(format!("server: {e}")));
        self.audit_writer.finish(AUDIT_GRACE).await;
        served
    }
}

/// The admin API: the node's one authorizer (kept current by the resync and the policy
/// channel), and bearer tokens checked against the system tenant's keys.
fn admin_api(
    platform: &Platform,
    protocol: &Protocol,
    authorizer: Arc<Authorizer>,
    logout: Arc<dyn keyward_admin::SessionLogout>,
) -> AdminApi {
    // This node drops its own cached copy before the change is answered (read your writes);
    // the other nodes hear of it on the cache's channels.
    let announcer = Arc::new(invalidation::LocalFirst {
        directory: protocol.directory.clone(),
        keys: protocol.keys.clone(),
        others: crate::admin_service::CacheAnnouncer(platform.cache.clone()),
    });
    let admin = Arc::new(
        crate::admin_service::service_announcing(platform, authorizer, announcer)
            .with_session_logout(logout),
    );
    let auth = Arc::new(keyward_admin_api::AdminAuthenticator::new(
        protocol.directory.clone(),
        protocol.keys.clone(),
        protocol.users.clone(),
        platform.cache.clone(),
        platform.clock.clone(),
        keyward_admin_api::RateLimit::default(),
    ));
    AdminApi::new(admin, auth)
}

fn metrics_failure(e: impl std::fmt::Display) -> Failure {
    Failure::Internal(format!("metrics: {e}"))
}
