//! The four scenarios as replayable plans: what each request is, how its answer is judged, and
//! the per-worker state (refresh tokens rotate). Setup work (a pool of access tokens, the first
//! refresh token of each worker) happens before the clock starts and is never measured.

use std::borrow::Cow;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, Request};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::config::{ClientCredentials, Config, Scenario};
use crate::endpoints::Endpoints;
use crate::login::LoginPlan;
use crate::prepared::{Prepared, form_body, form_headers};

/// Setup requests in flight at once (token pool, first refresh tokens).
const SETUP_PARALLELISM: usize = 16;
/// How much of an unexpected answer the first-error report quotes.
const QUOTE: usize = 200;

/// How one answer is judged, beyond its 2xx status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// RFC 6749 §5.1: a non-empty access_token.
    AccessToken,
    /// RFC 7662 §2.2: "active": true.
    Active,
    /// A metadata document: an object with an issuer.
    Metadata,
    /// RFC 7517 §5: an object with keys.
    Jwks,
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A non-2xx answer: the status and the start of the body.
    Status(u16, String),
    /// No answer: connect, timeout, reset.
    Transport(String),
    /// A 2xx answer that does not say what it should.
    Semantic(String),
}

/// A scenario, ready to run.
#[derive(Debug)]
pub enum Plan {
    /// Replays a fixed list round-robin (client-credentials: one request; introspection: one per
    /// pooled token; discovery-jwks: the metadata document and the JWKS).
    Replay(Vec<(Prepared, Check)>),
    Refresh(Box<RefreshPlan>),
    /// One whole browser sign-in per iteration (Keyward's hosted pages).
    FullLogin(Box<LoginPlan>),
}

#[derive(Debug)]
pub struct RefreshPlan {
    url: Url,
    headers: HeaderMap,
    client: ClientCredentials,
    /// The password grant that starts (and, after a refusal, restarts) a worker's chain.
    password: Prepared,
}

/// A worker's own position: the next replay index, or its latest refresh token.
#[derive(Debug, Clone, Default)]
pub struct WorkerState {
    next: usize,
    refresh_token: Option<String>,
}

impl Plan {
    /// Builds the plan and each worker's starting state; obtains the introspection pool and the
    /// first refresh tokens.
    pub async fn prepare(
        client: &Client,
        config: &Config,
        endpoints: &Endpoints,
    ) -> anyhow::Result<(Plan, Vec<WorkerState>)> {
        let workers = config.load.concurrency;
        let spread = |n: usize| {
            (0..workers)
                .map(|i| WorkerState {
                    next: i % n.max(1),
                    refresh_token: None,
                })
                .collect()
        };
        let creds = || {
            config
                .client
                .as_ref()
                .ok_or_else(|| anyhow!("{} needs client credentials", config.scenario.as_str()))
        };
        let token_url = || {
            endpoints
                .token
                .clone()
                .ok_or_else(|| anyhow!("no token endpoint"))
        };
        match config.scenario {
            Scenario::ClientCredentials => {
                let cc = client_credentials(token_url()?, creds()?, config.scope.as_deref())?;
                Ok((Plan::Replay(vec![(cc, Check::AccessToken)]), spread(1)))
            }
            Scenario::Introspection => {
                let creds = creds()?;
                let cc = Arc::new(client_credentials(
                    token_url()?,
                    creds,
                    config.scope.as_deref(),
                )?);
                let tokens = gather(config.token_pool, move |_| {
                    let (client, cc) = (client.clone(), cc.clone());
                    async move { obtain(&client, cc.request()).await.map(|t| t.access_token) }
                })
                .await
                .context("obtaining the introspection token pool with client_credentials")?;
                let url = endpoints
                    .introspection
                    .clone()
                    .ok_or_else(|| anyhow!("no introspection endpoint"))?;
                let list = tokens
                    .iter()
                    .map(|t| {
                        Ok((
                            Prepared::form(
                                url.clone(),
                                creds,
                                &[("token", t), ("token_type_hint", "access_token")],
                            )?,
                            Check::Active,
                        ))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let n = list.len();
                Ok((Plan::Replay(list), spread(n)))
            }
            Scenario::Refresh => {
                let creds = creds()?;
                let (username, password) = config
                    .user
                    .as_ref()
                    .ok_or_else(|| anyhow!("refresh needs --username and --password"))?;
                let url = token_url()?;
                let mut params = vec![
                    ("grant_type", "password"),
                    ("username", username.as_str()),
                    ("password", password.as_str()),
                ];
                if let Some(scope) = &config.scope {
                    params.push(("scope", scope));
                }
                let plan = RefreshPlan {
                    url: url.clone(),
                    headers: form_headers(creds)?,
                    client: creds.clone(),
                    password: Prepared::form(url, creds, &params)?,
                };
                let first = Arc::new(plan.password.clone());
                let tokens = gather(workers, move |_| {
                    let (client, first) = (client.clone(), first.clone());
                    async move {
                        let t = obtain(&client, first.request()).await?;
                        t.refresh_token.ok_or_else(|| anyhow!("the password grant answered without a refresh_token (scope offline_access?)"))
                    }
                })
                .await
                .context("obtaining refresh tokens with the password grant")?;
                let states = tokens
                    .into_iter()
                    .map(|t| WorkerState {
                        next: 0,
                        refresh_token: Some(t),
                    })
                    .collect();
                Ok((Plan::Refresh(Box::new(plan)), states))
            }
            Scenario::DiscoveryJwks => {
                let mut list = Vec::with_capacity(2);
                if let Some(d) = &endpoints.discovery {
                    list.push((Prepared::get(d.clone()), Check::Metadata));
                }
                if let Some(j) = &endpoints.jwks {
                    list.push((Prepared::get(j.clone()), Check::Jwks));
                }
                if list.is_empty() {
                    bail!("discovery-jwks needs a metadata document or a JWKS URI");
                }
                Ok((Plan::Replay(list), spread(2)))
            }
            Scenario::FullLogin => {
                let authorization = endpoints
                    .authorization
                    .clone()
                    .ok_or_else(|| anyhow!("no authorization endpoint"))?;
                let redirect_uri = config
                    .redirect_uri
                    .clone()
                    .ok_or_else(|| anyhow!("full-login needs --redirect-uri"))?;
                let user = config
                    .user
                    .clone()
                    .ok_or_else(|| anyhow!("full-login needs --username and --password"))?;
                let plan = LoginPlan::new(
                    authorization,
                    token_url()?,
                    creds()?.clone(),
                    redirect_uri,
                    config.scope.clone().unwrap_or_else(|| "openid".to_owned()),
                    user,
                    config.allow_remote,
                )?;
                Ok((Plan::FullLogin(Box::new(plan)), spread(1)))
            }
        }
    }

    /// What one iteration is: a request, or a whole sign-in.
    pub fn unit(&self) -> &'static str {
        match self {
            Plan::FullLogin(_) => "login",
            Plan::Replay(_) | Plan::Refresh(_) => "request",
        }
    }

    /// The URLs the plan sends to, for the report.
    pub fn urls(&self) -> Vec<String> {
        match self {
            Plan::Replay(list) => {
                let mut urls: Vec<String> = list.iter().map(|(p, _)| p.url().to_string()).collect();
                urls.dedup();
                urls
            }
            Plan::Refresh(r) => vec![r.url.to_string()],
            Plan::FullLogin(l) => vec![l.authorization.to_string(), l.token.to_string()],
        }
    }

    /// Sends one request and judges the answer.
    pub async fn execute(&self, client: &Client, w: &mut WorkerState) -> Outcome {
        match self {
            Plan::Replay(list) => {
                let Some((prepared, check)) = list.get(w.next % list.len().max(1)) else {
                    return Outcome::Semantic("nothing to send".to_owned());
                };
                w.next = w.next.wrapping_add(1);
                match send(client, prepared.request()).await {
                    Ok(body) => judge(*check, &body),
                    Err(outcome) => outcome,
                }
            }
            Plan::Refresh(r) => r.rotate(client, w).await,
            Plan::FullLogin(l) => l.login(client).await,
        }
    }

    /// After a failure, puts the worker back on its feet outside the measured time: a refused
    /// refresh token may be revoked, so the refresh scenario starts a new chain.
    pub async fn recover(&self, client: &Client, w: &mut WorkerState) {
        if let Plan::Refresh(r) = self
            && let Ok(TokenFields {
                refresh_token: Some(t),
                ..
            }) = obtain(client, r.password.request()).await
        {
            w.refresh_token = Some(t);
        }
    }
}

impl RefreshPlan {
    /// RFC 6749 §6: presents the latest refresh token and keeps the one issued in its place
    /// (a server that does not rotate answers without one; the old token stays in use).
    async fn rotate(&self, client: &Client, w: &mut WorkerState) -> Outcome {
        let Some(token) = w.refresh_token.as_deref() else {
            return Outcome::Semantic("no refresh token".to_owned());
        };
        let body = form_body(
            &self.client,
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
        );
        let mut req = Request::new(Method::POST, self.url.clone());
        *req.headers_mut() = self.headers.clone();
        *req.body_mut() = Some(body.into());
        let bytes = match send(client, req).await {
            Ok(b) => b,
            Err(outcome) => return outcome,
        };
        match serde_json::from_slice::<TokenFields>(&bytes) {
            Ok(t) if !t.access_token.is_empty() => {
                if let Some(new) = t.refresh_token {
                    w.refresh_token = Some(new);
                }
                Outcome::Ok
            }
            _ => Outcome::Semantic(format!("no access_token in {}", quote(&bytes))),
        }
    }
}

fn client_credentials(
    url: Url,
    creds: &ClientCredentials,
    scope: Option<&str>,
) -> anyhow::Result<Prepared> {
    let mut params = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        params.push(("scope", scope));
    }
    Prepared::form(url, creds, &params)
}

/// The token response fields the scenarios read.
#[derive(Debug, Deserialize)]
struct TokenFields {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Borrowing view for the hot path: nothing is copied out of the body.
#[derive(Deserialize)]
struct AccessTokenView<'a> {
    #[serde(borrow)]
    access_token: Cow<'a, str>,
}

#[derive(Deserialize)]
struct IntrospectionView {
    active: bool,
}

#[derive(Deserialize)]
struct MetadataView {
    #[serde(rename = "issuer")]
    _issuer: IgnoredAny,
}

#[derive(Deserialize)]
struct JwksView {
    #[serde(rename = "keys")]
    _keys: IgnoredAny,
}

/// Judges a 2xx body.
pub fn judge(check: Check, body: &[u8]) -> Outcome {
    let ok = match check {
        Check::AccessToken => serde_json::from_slice::<AccessTokenView>(body)
            .is_ok_and(|t| !t.access_token.is_empty()),
        Check::Active => serde_json::from_slice::<IntrospectionView>(body).is_ok_and(|i| i.active),
        Check::Metadata => serde_json::from_slice::<MetadataView>(body).is_ok(),
        Check::Jwks => serde_json::from_slice::<JwksView>(body).is_ok(),
    };
    if ok {
        Outcome::Ok
    } else {
        let what = match check {
            Check::AccessToken => "no access_token",
            Check::Active => "not \"active\": true",
            Check::Metadata => "not a metadata document",
            Check::Jwks => "not a JWK Set",
        };
        Outcome::Semantic(format!("{what}: {}", quote(body)))
    }
}

/// Sends and reads the whole body; a non-2xx status or a transport failure is the outcome.
async fn send(
    client: &Client,
    req: Request,
) -> Result<impl std::ops::Deref<Target = [u8]>, Outcome> {
    let resp = client
        .execute(req)
        .await
        .map_err(|e| Outcome::Transport(error_chain(&e)))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| Outcome::Transport(error_chain(&e)))?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(Outcome::Status(status.as_u16(), quote(&body)))
    }
}

/// A setup request: must succeed with an access token.
async fn obtain(client: &Client, req: Request) -> anyhow::Result<TokenFields> {
    match send(client, req).await {
        Ok(body) => serde_json::from_slice(&body)
            .with_context(|| format!("no access_token in {}", quote(&body))),
        Err(Outcome::Status(code, body)) => bail!("HTTP {code}: {body}"),
        Err(Outcome::Transport(e)) => bail!("{e}"),
        Err(Outcome::Semantic(e)) => bail!("{e}"),
        Err(Outcome::Ok) => bail!("unreachable outcome"),
    }
}

/// Runs `n` setup jobs, at most [`SETUP_PARALLELISM`] at once; the first failure fails all.
async fn gather<T, F, Fut>(n: usize, job: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(SETUP_PARALLELISM));
    let mut set = JoinSet::new();
    for i in 0..n {
        let permits = permits.clone();
        let fut = job(i);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            fut.await
        });
    }
    let mut out = Vec::with_capacity(n);
    while let Some(done) = set.join_next().await {
        out.push(done.context("setup task")??);
    }
    Ok(out)
}

pub(crate) fn quote(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let mut end = s.len().min(QUOTE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_token_response_needs_a_non_empty_access_token() {
        assert_eq!(
            judge(
                Check::AccessToken,
                br#"{"access_token":"abc","token_type":"Bearer"}"#
            ),
            Outcome::Ok
        );
        assert!(matches!(
            judge(Check::AccessToken, br#"{"access_token":""}"#),
            Outcome::Semantic(_)
        ));
        assert!(matches!(
            judge(Check::AccessToken, br#"{"token_type":"Bearer"}"#),
            Outcome::Semantic(_)
        ));
        assert!(matches!(
            judge(Check::AccessToken, b"<html>"),
            Outcome::Semantic(_)
        ));
    }

    #[test]
    fn introspection_must_say_active_true() {
        assert_eq!(
            judge(Check::Active, br#"{"active":true,"client_id":"c"}"#),
            Outcome::Ok
        );
        assert!(matches!(
            judge(Check::Active, br#"{"active":false}"#),
            Outcome::Semantic(_)
        ));
        assert!(matches!(
            judge(Check::Active, br#"{}"#),
            Outcome::Semantic(_)
        ));
    }

    #[test]
    fn discovery_and_jwks_bodies_are_recognised() {
        assert_eq!(
            judge(
                Check::Metadata,
                br#"{"issuer":"http://127.0.0.1/","jwks_uri":"x"}"#
            ),
            Outcome::Ok
        );
        assert!(matches!(
            judge(Check::Metadata, br#"{"keys":[]}"#),
            Outcome::Semantic(_)
        ));
        assert_eq!(
            judge(Check::Jwks, br#"{"keys":[{"kty":"EC"}]}"#),
            Outcome::Ok
        );
        assert!(matches!(judge(Check::Jwks, br#"[]"#), Outcome::Semantic(_)));
    }

    #[test]
    fn quotes_are_cut_on_a_character_boundary() {
        let body = "é".repeat(150);
        let q = quote(body.as_bytes());
        assert!(q.len() <= QUOTE && q.chars().all(|c| c == 'é'));
    }
}
