//! Admin authentication: `Authorization: Bearer <access token>` issued by the platform's own
//! `system` tenant for the admin API (RFC 6750 §2.1). keyward-oauth's `admin_api::AdminTokens`
//! checks it with the live-access-token check introspection and userinfo use — signature with
//! the system tenant's keys, `typ`, `iss`, `exp`, then the revoked set — and that it is an
//! admin token: audience
//! `{public_url}/admin/api`, scope `keyward:admin`, minted for a client of the system tenant
//! that is still registered for that scope. Its subject becomes the actor: a system-tenant user
//! who still exists and is enabled, or the client itself (a service account). Anything else is
//! 401 `invalid_token`. Each principal is rate limited.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, error, web};
use futures::future::LocalBoxFuture;
use keyward_admin::Caller;
use keyward_authz::Actor;
use keyward_core::{Clock, CounterKey, CounterKind, Counters, EphemeralStore, Owner};
use keyward_http::{Problem, RequestId};
use keyward_oauth::admin_api::{AdminSubject, AdminTokenRefusal, AdminTokens};
use keyward_oauth::bearer;
use keyward_oauth::claims::UserClaims;
use keyward_oauth::directory::Directory;
use keyward_oauth::error::ErrorCode;
use keyward_oauth::keyring::KeyRing;

use crate::AdminApi;

/// At most `requests` per `window` for one principal.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub requests: u64,
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 600,
            window: Duration::from_secs(60),
        }
    }
}

/// Turns a bearer token into an admin actor (keyward-oauth's `AdminTokens` decides whether
/// the token is an admin token), within the principal's rate limit.
pub struct AdminAuthenticator {
    tokens: AdminTokens,
    counters: Arc<dyn Counters>,
    limit: RateLimit,
}

/// Why a request was not let in.
enum Refusal {
    /// 401: no token, or one that is not a live system-tenant access token.
    Unauthenticated { token_given: bool },
    /// 429 after the principal's budget for the window is spent.
    Limited { retry_after: u64 },
    /// 503: the keys or the cache could not be read.
    Unavailable,
}

impl AdminAuthenticator {
    pub fn new(
        directory: Arc<Directory>,
        keys: Arc<KeyRing>,
        users: Arc<dyn UserClaims>,
        cache: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
        limit: RateLimit,
    ) -> Self {
        Self {
            tokens: AdminTokens {
                directory,
                keys,
                users,
                revoked: cache.clone(),
                clock,
            },
            counters: cache,
            limit,
        }
    }

    async fn authenticate(&self, header: Option<&str>) -> Result<Actor, Refusal> {
        let token = header
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(Refusal::Unauthenticated {
                token_given: header.is_some(),
            });
        };
        match self.tokens.verify(token).await {
            Ok(AdminSubject::ServiceAccount { tenant, client_id }) => {
                Ok(Actor::ServiceAccount { tenant, client_id })
            }
            Ok(AdminSubject::User(user)) => Ok(Actor::User(user)),
            Err(AdminTokenRefusal::Invalid) => Err(Refusal::Unauthenticated { token_given: true }),
            Err(AdminTokenRefusal::Unavailable) => Err(Refusal::Unavailable),
        }
    }

    async fn within_limit(&self, actor: &Actor) -> Result<(), Refusal> {
        let key = CounterKey::new(CounterKind::AdminRequests, Owner::Platform, actor.subject());
        let count = self
            .counters
            .incr(&key, self.limit.window)
            .await
            .map_err(|e| unavailable("counting the rate limit", e))?;
        if count > self.limit.requests {
            return Err(Refusal::Limited {
                retry_after: self.limit.window.as_secs().max(1),
            });
        }
        Ok(())
    }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "admin authentication: {what} failed");
    Refusal::Unavailable
}

/// The realm of the admin API's bearer challenges.
const ADMIN_REALM: &str = "keyward-admin";

fn refusal_response(refusal: &Refusal) -> HttpResponse {
    match refusal {
        Refusal::Unauthenticated { token_given } => {
            let mut res = Problem::new(StatusCode::UNAUTHORIZED)
                .with_detail(
                    "Send a bearer access token the system tenant issued for the admin API \
                     (scope keyward:admin).",
                )
                .to_response();
            // RFC 6750 §3.1: a request without a token gets no error code.
            let error = token_given.then_some((
                ErrorCode::InvalidToken,
                "the access token is not valid for the admin API",
            ));
            let challenge = bearer::challenge(ADMIN_REALM, error, None);
            if let Ok(v) = challenge.parse() {
                res.headers_mut().insert(WWW_AUTHENTICATE, v);
            }
            res
        }
        Refusal::Limited { retry_after } => {
            let mut res = Problem::new(StatusCode::TOO_MANY_REQUESTS)
                .with_detail("Too many requests; slow down.")
                .to_response();
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
            res
        }
        Refusal::Unavailable => Problem::new(StatusCode::SERVICE_UNAVAILABLE).to_response(),
    }
}

/// The authenticated caller of an admin API request.
pub struct Principal(pub Caller);

impl FromRequest for Principal {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let fail = |refusal: Refusal| -> actix_web::Error {
                error::InternalError::from_response(
                    "admin authentication",
                    refusal_response(&refusal),
                )
                .into()
            };
            let api = req
                .app_data::<web::Data<AdminApi>>()
                .cloned()
                .ok_or_else(|| fail(Refusal::Unavailable))?;
            let header = req
                .headers()
                .get(AUTHORIZATION)
                .map(|h| h.to_str().unwrap_or(""));
            let actor = api.auth.authenticate(header).await.map_err(fail)?;
            api.auth.within_limit(&actor).await.map_err(fail)?;
            let request_id = req
                .extensions()
                .get::<RequestId>()
                .map(|r| r.as_str().to_owned());
            Ok(Principal(Caller::new(actor, request_id)))
        })
    }
}
