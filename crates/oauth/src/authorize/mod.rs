//! RFC 6749 §3.1 / OIDC Core §3.1.2: the authorization endpoint. It validates the request,
//! decides with the browser's session (handed in as an [`AuthenticatedSubject`]) and the stored
//! consent, and returns an [`AuthorizeOutcome`] the HTTP layer renders: a redirect to the
//! client (success or error, always with `iss`, RFC 9207), an error page (unknown client or
//! redirect URI), or an [`Interaction`] for the login or consent page, resumed at
//! `/authorize/resume` once the person is done.

pub mod error;
pub mod request;
mod response;

use keyward_core::Amr;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use keyward_core::secret::try_random_token;
use keyward_core::{ClientId, UserId};

use self::error::AuthorizeError;
use self::request::{AuthorizationRequest, ResponseMode, Untrusted};
use crate::claims::UserClaims;
use crate::client::Client;
use crate::consent::ConsentStore;
use crate::directory::TenantEntry;
use crate::error::ErrorCode;
use crate::id_token;
use crate::interaction::{
    self, INTERACTION_TTL, Interaction, InteractionLimit, InteractionNeed, MAX_STORED_BYTES,
    interaction_key,
};
use crate::params::FormParams;
use crate::subject::subject_for;
use crate::token_service::{TokenService, internal, unavailable};

/// The signed-in person of the browser making the request, from its session. OIDC Core §2
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedSubject {
    pub user_id: UserId,
    /// The session's stored id, a one-way hash of the cookie's secret (bound to codes and
    /// refresh-token families for logout; never put in a token). The secret itself never
    /// reaches this crate.
    pub session_id: String,
    /// The session's public id, the ID token's `sid`.
    pub sid: String,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<Amr>,
    pub acr: Option<String>,
}

/// What the HTTP layer does with an authorization request.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeOutcome {
    /// Send the browser to the client. `issued_to` is set on success (the session now has
    /// tokens at this client), `None` for an error response.
    RedirectToClient {
        uri: String,
        mode: ResponseMode,
        params: Vec<(String, String)>,
        issued_to: Option<ClientId>,
    },
    /// Show an error page; never redirect (unknown client, unregistered redirect URI, expired
    /// interaction). `status` is the HTTP status.
    ShowError {
        status: u16,
        error: ErrorCode,
        description: String,
    },
    /// Send the browser to `/t/{tenant}/login?interaction={id}`.
    NeedLogin(Interaction),
    /// Send the browser to `/t/{tenant}/consent?interaction={id}`.
    NeedConsent(Interaction),
}

fn show(status: u16, error: ErrorCode, description: impl Into<String>) -> AuthorizeOutcome {
    AuthorizeOutcome::ShowError {
        status,
        error,
        description: description.into(),
    }
}

/// The authorization endpoint of every tenant.
pub struct AuthorizationEndpoint {
    tokens: Arc<TokenService>,
    consents: Arc<dyn ConsentStore>,
    users: Arc<dyn UserClaims>,
    interaction_limit: InteractionLimit,
}

impl std::fmt::Debug for AuthorizationEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationEndpoint")
            .finish_non_exhaustive()
    }
}

/// Where a request stands while it is decided.
struct Pending<'a> {
    tenant: &'a TenantEntry,
    client: Arc<Client>,
    request: AuthorizationRequest,
    interaction: Option<Interaction>,
    /// Where the request came from, counted when it starts an interaction.
    client_address: Option<IpAddr>,
}

impl AuthorizationEndpoint {
    pub fn new(
        tokens: Arc<TokenService>,
        consents: Arc<dyn ConsentStore>,
        users: Arc<dyn UserClaims>,
    ) -> Self {
        Self {
            tokens,
            consents,
            users,
            interaction_limit: InteractionLimit::default(),
        }
    }

    /// How many interactions an address may start per tenant and window.
    pub fn with_interaction_limit(mut self, limit: InteractionLimit) -> Self {
        self.interaction_limit = limit;
        self
    }

    /// RFC 6749 §4.1.1 / OIDC Core §3.1.2.1: a GET query string or POST form body, from
    /// `client_address` (the browser's address, for the interaction rate limit).
    pub async fn authorize(
        &self,
        tenant: &TenantEntry,
        raw_params: &[u8],
        subject: Option<&AuthenticatedSubject>,
        client_address: Option<IpAddr>,
    ) -> AuthorizeOutcome {
        let params = match FormParams::parse(raw_params) {
            Ok(p) => p,
            Err(e) => return show(400, ErrorCode::InvalidRequest, e.description().to_owned()),
        };
        let Some(client_id) = params.get("client_id") else {
            return show(
                400,
                ErrorCode::InvalidRequest,
                "the request names no client_id",
            );
        };
        let client = match self
            .tokens
            .directory
            .client(tenant.tenant.id, client_id)
            .await
        {
            Ok(Some(c)) => c,
            Ok(None) => return show(400, ErrorCode::InvalidClient, "unknown client"),
            Err(e) => {
                unavailable("looking up the client", e);
                return show(
                    503,
                    ErrorCode::TemporarilyUnavailable,
                    "the service is temporarily unavailable",
                );
            }
        };
        let redirect_uri = match request::redirect_uri(&client, &params) {
            Ok(uri) => uri,
            Err(Untrusted(why)) => return show(400, ErrorCode::InvalidRequest, why),
        };
        let error_to = |e: AuthorizeError| {
            // An over-long state is not echoed: it is the error.
            let state = params
                .get("state")
                .filter(|s| request::oversized_state(s).is_none())
                .map(str::to_owned);
            error_redirect(
                tenant,
                redirect_uri.clone(),
                request::error_mode(&params),
                state,
                &e,
            )
        };
        let request = match request::validate(
            &client,
            redirect_uri.clone(),
            &params,
            tenant.tenant.settings.pkce_required,
        ) {
            Ok(r) => r,
            Err(e) => return error_to(e),
        };
        let pending = Pending {
            tenant,
            client,
            request,
            interaction: None,
            client_address,
        };
        self.decide(pending, subject).await
    }

    /// Continues the request of interaction `id` once the login or consent page is done.
    pub async fn resume(
        &self,
        tenant: &TenantEntry,
        id: &str,
        subject: Option<&AuthenticatedSubject>,
    ) -> AuthorizeOutcome {
        let expired = || {
            show(
                400,
                ErrorCode::InvalidRequest,
                "this sign-in request has expired; start again from the application",
            )
        };
        let raw = match self
            .tokens
            .cache
            .get(&interaction_key(tenant.tenant.id, id))
            .await
        {
            Ok(Some(raw)) => raw,
            Ok(None) => return expired(),
            Err(e) => {
                unavailable("loading an interaction", e);
                return show(
                    503,
                    ErrorCode::TemporarilyUnavailable,
                    "the service is temporarily unavailable",
                );
            }
        };
        let Ok(interaction) = serde_json::from_slice::<Interaction>(&raw) else {
            return expired();
        };
        let Ok(request) =
            serde_json::from_value::<AuthorizationRequest>(interaction.request.clone())
        else {
            return expired();
        };
        if interaction.tenant_id != tenant.tenant.id {
            return expired();
        }
        let client = match self
            .tokens
            .directory
            .client(tenant.tenant.id, request.client_id.as_str())
            .await
        {
            Ok(Some(c))
                if c.redirect_uris
                    .iter()
                    .any(|r| r.matches(&request.redirect_uri)) =>
            {
                c
            }
            Ok(_) => {
                return show(
                    400,
                    ErrorCode::InvalidClient,
                    "the client is no longer registered",
                );
            }
            Err(e) => {
                unavailable("looking up the client", e);
                return show(
                    503,
                    ErrorCode::TemporarilyUnavailable,
                    "the service is temporarily unavailable",
                );
            }
        };
        let pending = Pending {
            tenant,
            client,
            request,
            interaction: Some(interaction),
            client_address: None,
        };
        self.decide(pending, subject).await
    }

    /// OIDC Core §3.1.2.3–§3.1.2.4: authenticate, then consent, then respond.
    async fn decide(
        &self,
        pending: Pending<'_>,
        subject: Option<&AuthenticatedSubject>,
    ) -> AuthorizeOutcome {
        match self.try_decide(&pending, subject).await {
            Ok(outcome) => outcome,
            Err(e) => self.finish_with_error(&pending, &e).await,
        }
    }

    async fn try_decide(
        &self,
        p: &Pending<'_>,
        subject: Option<&AuthenticatedSubject>,
    ) -> Result<AuthorizeOutcome, AuthorizeError> {
        let now = self.tokens.clock.now();
        // A session whose user was disabled or deleted since is no session.
        let subject = match subject {
            Some(s) if self.active(p, s).await? => Some(s),
            _ => None,
        };
        let req = &p.request;
        let resuming = p.interaction.is_some();
        let hint_sub = self.hint_subject(p).await?;
        let required_after = p.interaction.as_ref().and_then(|i| i.reauthenticate_after);
        let login = match subject {
            None => Some(now),
            Some(s) => {
                // A sign-in during this interaction satisfies prompt=login and max_age.
                let signed_in_here = required_after.is_some_and(|after| s.auth_time >= after);
                let stale_for_interaction = required_after.is_some_and(|after| s.auth_time < after);
                let too_old =
                    !signed_in_here && req.max_age.is_some_and(|max| too_old(s, max, now));
                let forced = !resuming && (req.prompt.login || req.prompt.select_account);
                let other_user = hint_sub.as_deref().is_some_and(|h| {
                    h != subject_for(p.tenant.tenant.id, &p.client, &s.user_id.to_string())
                });
                if other_user && resuming && !stale_for_interaction {
                    return Err(AuthorizeError::new(
                        ErrorCode::LoginRequired,
                        "the signed-in user is not the one the id_token_hint names",
                    ));
                }
                (stale_for_interaction || too_old || forced || other_user).then_some(now)
            }
        };
        if let Some(now) = login {
            if req.prompt.none {
                return Err(AuthorizeError::new(
                    ErrorCode::LoginRequired,
                    "the user must sign in",
                ));
            }
            // The sign-in that answers this interaction must happen from now on.
            let after = required_after.or(Some(now));
            return Ok(
                match self.save(p, InteractionNeed::Login, after, None).await? {
                    Some(interaction) => AuthorizeOutcome::NeedLogin(interaction),
                    None => too_many_interactions(),
                },
            );
        }
        let Some(subject) = subject else {
            return Err(AuthorizeError::new(
                ErrorCode::LoginRequired,
                "the user must sign in",
            ));
        };
        if p.interaction.as_ref().is_some_and(|i| i.consent_denied) {
            return Err(AuthorizeError::new(
                ErrorCode::AccessDenied,
                "the user declined",
            ));
        }
        if !p.client.first_party && !self.consented(p, subject).await? {
            if req.prompt.none {
                return Err(AuthorizeError::new(
                    ErrorCode::ConsentRequired,
                    "the user must consent",
                ));
            }
            let after = p.interaction.as_ref().and_then(|i| i.reauthenticate_after);
            let saved = self
                .save(p, InteractionNeed::Consent, after, Some(subject.user_id))
                .await?;
            return Ok(match saved {
                Some(interaction) => AuthorizeOutcome::NeedConsent(interaction),
                None => too_many_interactions(),
            });
        }
        let mut params = response::issue(
            &self.tokens,
            self.users.as_ref(),
            p.tenant,
            &p.client,
            req,
            subject,
        )
        .await?;
        push_common(&mut params, p.tenant, req.state.as_deref());
        self.forget(p).await;
        Ok(AuthorizeOutcome::RedirectToClient {
            uri: req.redirect_uri.clone(),
            mode: req.response_mode,
            params,
            issued_to: Some(p.client.client_id.clone()),
        })
    }

    /// Whether the signed-in user still exists and is enabled.
    async fn active(
        &self,
        p: &Pending<'_>,
        subject: &AuthenticatedSubject,
    ) -> Result<bool, AuthorizeError> {
        Ok(self
            .users
            .is_active(p.tenant.tenant.id, subject.user_id)
            .await
            .map_err(|e| unavailable("reading the signed-in user", e))?)
    }

    /// The `sub` of a valid `id_token_hint`; an unverifiable hint is `invalid_request`.
    async fn hint_subject(&self, p: &Pending<'_>) -> Result<Option<String>, AuthorizeError> {
        let Some(hint) = p.request.id_token_hint.as_deref() else {
            return Ok(None);
        };
        let keys = self.tokens.tenant_keys(p.tenant.tenant.id).await?;
        id_token::hint_subject(hint, p.tenant, p.client.client_id.as_str(), &keys)
            .map(Some)
            .ok_or_else(|| {
                AuthorizeError::invalid_request(
                    "the id_token_hint is not a valid ID token of this client",
                )
            })
    }

    /// OIDC Core §3.1.2.4: a remembered consent covering the scope, fresh enough for
    /// prompt=consent (given during this very interaction).
    async fn consented(
        &self,
        p: &Pending<'_>,
        subject: &AuthenticatedSubject,
    ) -> Result<bool, AuthorizeError> {
        let found = self
            .consents
            .find(p.tenant.tenant.id, subject.user_id, &p.client.client_id)
            .await
            .map_err(|e| unavailable("looking up a consent", e))?;
        let Some(consent) = found else {
            return Ok(false);
        };
        if !p.request.scope.is_subset(&consent.scopes) {
            return Ok(false);
        }
        if p.request.prompt.consent {
            return Ok(p
                .interaction
                .as_ref()
                .is_some_and(|i| consent.granted_at >= i.created_at));
        }
        Ok(true)
    }

    /// Stores (or updates) the interaction for the login or consent page; `None` when this
    /// request would start one more than its address may.
    async fn save(
        &self,
        p: &Pending<'_>,
        needs: InteractionNeed,
        reauthenticate_after: Option<DateTime<Utc>>,
        user_id: Option<UserId>,
    ) -> Result<Option<Interaction>, AuthorizeError> {
        if p.interaction.is_none() {
            let admitted = interaction::admit(
                self.tokens.cache.as_ref(),
                p.tenant.tenant.id,
                p.client_address,
                self.interaction_limit,
            )
            .await
            .map_err(|e| unavailable("counting interactions", e))?;
            if !admitted {
                tracing::info!(tenant = %p.tenant.tenant.slug, address = ?p.client_address, "interaction rate limit reached");
                return Ok(None);
            }
        }
        let interaction = match &p.interaction {
            Some(existing) => Interaction {
                needs,
                reauthenticate_after,
                user_id,
                ..existing.clone()
            },
            None => Interaction {
                id: try_random_token(16)
                    .map_err(|e| internal("generating an interaction id", e))?,
                tenant_id: p.tenant.tenant.id,
                client_id: p.client.client_id.clone(),
                client_name: p.client.name.to_string(),
                scopes: p.request.scope.clone(),
                login_hint: p.request.login_hint.clone(),
                ui_locales: p.request.ui_locales.clone(),
                reauthenticate_after,
                needs,
                request: serde_json::to_value(&p.request)
                    .map_err(|e| internal("serialising a request", e))?,
                consent_denied: false,
                user_id,
                created_at: self.tokens.clock.now(),
            },
        };
        let raw = serde_json::to_vec(&interaction)
            .map_err(|e| internal("serialising an interaction", e))?;
        if raw.len() > MAX_STORED_BYTES {
            return Err(AuthorizeError::invalid_request("the request is too large"));
        }
        // An update keeps the interaction's original end: resuming never extends it.
        let lived = (self.tokens.clock.now() - interaction.created_at)
            .to_std()
            .unwrap_or_default();
        let ttl = INTERACTION_TTL.saturating_sub(lived);
        if ttl.is_zero() {
            return Err(AuthorizeError::invalid_request(
                "this sign-in request has expired; start again from the application",
            ));
        }
        self.tokens
            .cache
            .put(
                &interaction_key(interaction.tenant_id, &interaction.id),
                &raw,
                ttl,
            )
            .await
            .map_err(|e| unavailable("storing an interaction", e))?;
        Ok(Some(interaction))
    }

    /// Deletes the interaction once the request has its final answer.
    async fn forget(&self, p: &Pending<'_>) {
        if let Some(i) = &p.interaction
            && let Err(e) = self
                .tokens
                .cache
                .delete(&interaction_key(i.tenant_id, &i.id))
                .await
        {
            tracing::warn!(error = %e, "deleting a finished interaction failed");
        }
    }

    async fn finish_with_error(&self, p: &Pending<'_>, e: &AuthorizeError) -> AuthorizeOutcome {
        self.forget(p).await;
        let r = &p.request;
        error_redirect(
            p.tenant,
            r.redirect_uri.clone(),
            r.response_mode,
            r.state.clone(),
            e,
        )
    }
}

/// The page for a request that would start one interaction too many from its address: the
/// browser is not sent on (nothing is stored), and the person is told to wait.
/// OIDC Core §3.1.2.1: whether the sign-in is older than `max_age` seconds. Checked all the
/// way: the request bounds `max_age`, but a stored interaction may carry any number, and a
/// `max_age` no `Duration` holds is one no sign-in has exceeded.
fn too_old(subject: &AuthenticatedSubject, max_age: i64, now: DateTime<Utc>) -> bool {
    let elapsed = now.signed_duration_since(subject.auth_time);
    Duration::try_seconds(max_age).is_some_and(|max| elapsed > max)
}

fn too_many_interactions() -> AuthorizeOutcome {
    show(
        429,
        ErrorCode::TemporarilyUnavailable,
        "Too many sign-in requests were started from your network. Please wait a few minutes and try again.",
    )
}

/// RFC 6749 §4.1.2 `state` and RFC 9207 `iss`, in every authorization response.
fn push_common(params: &mut Vec<(String, String)>, tenant: &TenantEntry, state: Option<&str>) {
    if let Some(state) = state {
        params.push(("state".to_owned(), state.to_owned()));
    }
    params.push(("iss".to_owned(), tenant.issuer.clone()));
}

/// RFC 6749 §4.1.2.1: an error response sent to the (validated) redirect URI.
fn error_redirect(
    tenant: &TenantEntry,
    uri: String,
    mode: ResponseMode,
    state: Option<String>,
    e: &AuthorizeError,
) -> AuthorizeOutcome {
    // RFC 6749 §4.1.2.1: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    let description: String = e
        .description
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || !(' '..='~').contains(&c) {
                '\''
            } else {
                c
            }
        })
        .collect();
    let mut params = vec![
        ("error".to_owned(), e.code.as_str().to_owned()),
        ("error_description".to_owned(), description),
    ];
    push_common(&mut params, tenant, state.as_deref());
    AuthorizeOutcome::RedirectToClient {
        uri,
        mode,
        params,
        issued_to: None,
    }
}

#[cfg(test)]
mod tests;
