//! Checking a username-or-email and password, for the password grant (RFC 6749 §4.3) and,
//! later, the hosted login page. Every failure — unknown user, wrong password, disabled
//! account, account without a password — gets the same refusal after the same work: an
//! Argon2id verification runs against a dummy hash when there is no real one, so timing does
//! not tell whether an account exists. Failures are counted per (tenant, username) and per
//! client address through the ephemeral store; past the limit the attempt is refused before
//! Argon2 runs, so throttled guessing costs the server nothing.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::{Email, EphemeralStore, TenantId, Username};
use tokio::sync::Semaphore;

use crate::password::{PasswordError, PasswordHasher};
use crate::user::{User, UserStore};

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefusal {
    /// Unknown user, wrong password, disabled account or no password: indistinguishable.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many recent failures for this username or from this address.
    #[error("too many failed attempts")]
    Throttled,
    /// A backend failed; the message is for logs.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// How many failures are tolerated within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub per_user: u64,
    pub per_ip: u64,
    pub window: Duration,
}

impl Default for ThrottleLimits {
    /// 10 failures per username and 100 per address in 15 minutes.
    fn default() -> Self {
        Self {
            per_user: 10,
            per_ip: 100,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Longer passwords are refused without hashing them.
const MAX_PASSWORD_BYTES: usize = 1024;

/// The Argon2id hash (at the recommended parameters) of a random password nobody knows,
/// verified against when there is no real hash so that a missing user costs the same time.
/// It must use the same parameters as `PasswordHasher::recommended()`; a test checks that.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$XU0fh4B2ZBm9kFd/vqtyEA$h8H4ZowEv+bvcyDr86ENQo6YjdyiOkANthSllIxvT7Q";

/// Verifies end-user passwords with throttling.
pub struct PasswordLogin {
    users: Arc<dyn UserStore>,
    hasher: PasswordHasher,
    cache: Arc<dyn EphemeralStore>,
    limits: ThrottleLimits,
    dummy_phc: Arc<str>,
    /// Bounds concurrent Argon2 runs (19 MiB each) to the number of cores.
    gate: Arc<Semaphore>,
}

impl std::fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("limits", &self.limits)
            .finish()
    }
}

impl PasswordLogin {
    /// The dummy hash is a constant: computing one at start-up would cost an Argon2 run and
    /// leave its 19 MiB buffer in the allocator of an idle node.
    pub fn new(
        users: Arc<dyn UserStore>,
        hasher: PasswordHasher,
        cache: Arc<dyn EphemeralStore>,
        limits: ThrottleLimits,
    ) -> Result<Self, PasswordError> {
        let dummy_phc = DUMMY_PHC;
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            users,
            hasher,
            cache,
            limits,
            dummy_phc: dummy_phc.into(),
            gate: Arc::new(Semaphore::new(permits)),
        })
    }

    /// The user of `tenant` named `identifier` (a username, or an e-mail address if it has an
    /// `@` and no user has it as username) whose password is `password`.
    pub async fn verify(
        &self,
        tenant: TenantId,
        identifier: &str,
        password: &str,
        remote_ip: Option<IpAddr>,
    ) -> Result<User, LoginRefusal> {
        let user_key = format!(
            "login_failures:user:{tenant}:{}",
            identifier.trim().to_lowercase()
        );
        let ip_key = remote_ip.map(|ip| format!("login_failures:ip:{ip}"));
        if self.over_limit(&user_key, self.limits.per_user).await? {
            return Err(LoginRefusal::Throttled);
        }
        if let Some(ip_key) = &ip_key
            && self.over_limit(ip_key, self.limits.per_ip).await?
        {
            return Err(LoginRefusal::Throttled);
        }
        let user = if password.len() > MAX_PASSWORD_BYTES {
            None
        } else {
            self.find(tenant, identifier).await?
        };
        let usable = user.filter(|u| !u.disabled && u.password_hash.is_some());
        let phc: Arc<str> = match usable.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(phc) => phc.into(),
            None => self.dummy_phc.clone(),
        };
        let matches = password.len() <= MAX_PASSWORD_BYTES && self.check(password, phc).await?;
        match usable {
            Some(user) if matches => {
                // A success clears the username's failures, not the address's.
                self.cache
                    .delete(&user_key)
                    .await
                    .map_err(|e| LoginRefusal::Unavailable(e.to_string()))?;
                Ok(user)
            }
            _ => {
                self.count_failure(&user_key).await?;
                if let Some(ip_key) = &ip_key {
                    self.count_failure(ip_key).await?;
                }
                Err(LoginRefusal::InvalidCredentials)
            }
        }
    }

    async fn find(&self, tenant: TenantId, identifier: &str) -> Result<Option<User>, LoginRefusal> {
        let unavailable = |e: keyward_core::StoreError| LoginRefusal::Unavailable(e.to_string());
        if let Ok(username) = Username::parse(identifier)
            && let Some(user) = self
                .users
                .by_username(tenant, &username)
                .await
                .map_err(unavailable)?
        {
            return Ok(Some(user));
        }
        match Email::parse(identifier) {
            Ok(email) => self
                .users
                .by_email(tenant, &email)
                .await
                .map_err(unavailable),
            Err(_) => Ok(None),
        }
    }

    /// Runs Argon2 off the async executor, at most one run per core at a time.
    async fn check(&self, password: &str, phc: Arc<str>) -> Result<bool, LoginRefusal> {
        let permit = self
            .gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| LoginRefusal::Unavailable(e.to_string()))?;
        let hasher = self.hasher.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hasher.verify(&password, &phc)
        })
        .await
        .map_err(|e| LoginRefusal::Unavailable(e.to_string()))
    }

    async fn over_limit(&self, key: &str, limit: u64) -> Result<bool, LoginRefusal> {
        let count = self
            .cache
            .get(key)
            .await
            .map_err(|e| LoginRefusal::Unavailable(e.to_string()))?;
        let count = count
            .and_then(|raw| {
                std::str::from_utf8(&raw)
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
            })
            .unwrap_or(0);
        Ok(count >= limit)
    }

    async fn count_failure(&self, key: &str) -> Result<(), LoginRefusal> {
        self.cache
            .incr(key, self.limits.window)
            .await
            .map(drop)
            .map_err(|e| LoginRefusal::Unavailable(e.to_string()))
    }
}

#[cfg(test)]
#[path = "password_login_tests.rs"]
mod tests;
