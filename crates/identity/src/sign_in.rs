//! Signing in, as a sequence of steps: what the person has proved so far, what the tenant
//! still asks for, and — when nothing is missing — the browser session it ends in, with the
//! `amr` of every proof. Today a password is the whole of it; second factors, federation and
//! sign-up add their proofs and steps here, never in the HTTP crates, which only show the
//! step they are given.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use keyward_core::{Amr, TenantId};

use crate::password_login::{LoginRefusal, PasswordLogin};
use crate::session::{BrowserSession, SessionError, Sessions, SignedIn};
use crate::user::User;

/// Where a sign-in stands after a proof.
#[derive(Debug)]
pub enum Step {
    /// Nothing more is asked for: the browser session exists.
    Complete(Completed),
}

/// A finished sign-in: the user and their new browser session (whose cookie secret the
/// caller sets and never logs).
#[derive(Debug)]
pub struct Completed {
    pub user: User,
    pub signed_in: SignedIn,
}

/// Why a sign-in did not go on.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The proof was refused (wrong password, throttled, busy, store down).
    #[error(transparent)]
    Refused(#[from] LoginRefusal),
    /// The session could not be created.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// The sign-in steps of every tenant, over the one throttled password login of the node and
/// the browser sessions.
pub struct SignIn {
    login: Arc<PasswordLogin>,
    sessions: Arc<Sessions>,
}

impl SignIn {
    pub fn new(login: Arc<PasswordLogin>, sessions: Arc<Sessions>) -> Self {
        Self { login, sessions }
    }

    /// A password for `identifier` (username or e-mail) at `tenant`. On success the tenant
    /// asks for nothing more, so the browser's session `replacing` (if any) ends — a new
    /// sign-in never keeps an old session id (no session fixation) — and a new one begins,
    /// with `amr` `["pwd"]`.
    pub async fn with_password(
        &self,
        tenant: TenantId,
        identifier: &str,
        password: &str,
        remote_ip: Option<IpAddr>,
        replacing: Option<&BrowserSession>,
        now: DateTime<Utc>,
    ) -> Result<Step, SignInError> {
        let user = self
            .login
            .verify(tenant, identifier, password, remote_ip)
            .await?;
        self.complete(tenant, user, &[Amr::Pwd], replacing, now)
            .await
    }

    /// Every proof the tenant asks for is in `proofs`: the session replaces `replacing`.
    async fn complete(
        &self,
        tenant: TenantId,
        user: User,
        proofs: &[Amr],
        replacing: Option<&BrowserSession>,
        now: DateTime<Utc>,
    ) -> Result<Step, SignInError> {
        if let Some(old) = replacing
            && let Err(e) = self.sessions.end(tenant, &old.id).await
        {
            tracing::warn!(error = %e, "ending the previous session failed");
        }
        let signed_in = self
            .sessions
            .create(tenant, user.id, proofs.to_vec(), None, now)
            .await?;
        Ok(Step::Complete(Completed { user, signed_in }))
    }
}
