//! Checking a username-or-email and password, for the password grant (RFC 6749 §4.3) and
//! the hosted sign-in page. Every failure — unknown user, wrong password, disabled account,
//! account without a password — gets the same refusal after the same work: an Argon2id
//! verification runs against a dummy hash when there is no real one, so timing does not tell
//! whether an account exists.
//!
//! Throttling is increment-then-check: an attempt first reserves one count on its username's
//! counter (per tenant) and on its address's counter (per tenant too, so failures at one
//! tenant do not lock the address out of another), atomically in the ephemeral store, and is
//! refused before Argon2 runs when either reservation goes past its limit. So however many
//! attempts arrive at once, no more are checked than the limits allow. A counter holds the
//! failures of its window plus the attempts being checked; reservations that turn out not to
//! be failures are given back (`decr`): a refused attempt's, and a success's address count
//! (a success clears the username's failures, not the address's). Throttled attempts never
//! reach the [`HashingQueue`]; a full queue refuses at once ([`LoginRefusal::Busy`]), as it
//! refuses a waiting attempt whose place goes to a quieter tenant; either gives its
//! reservations back, since nothing was checked.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::{CounterKey, CounterKind, Counters, Email, TenantId, Username};

use crate::hashing_queue::{HashingQueue, Turn};
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
    /// The password-hashing queue, or this tenant's share of it, is full: nothing was checked
    /// or counted; retrying in a moment may succeed.
    #[error("too many sign-ins in progress")]
    Busy,
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
    counters: Arc<dyn Counters>,
    limits: ThrottleLimits,
    dummy_phc: Arc<str>,
    /// Bounds the Argon2 runs (19 MiB each) in flight, in all and per tenant.
    queue: Arc<HashingQueue>,
}

impl std::fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("limits", &self.limits)
            .field("queue", &self.queue.limits())
            .finish()
    }
}

/// The counters one attempt reserved a count on.
struct Reservation {
    user_key: CounterKey,
    ip_key: Option<CounterKey>,
}

impl PasswordLogin {
    /// The dummy hash is a constant: computing one at start-up would cost an Argon2 run and
    /// leave its 19 MiB buffer in the allocator of an idle node.
    pub fn new(
        users: Arc<dyn UserStore>,
        hasher: PasswordHasher,
        counters: Arc<dyn Counters>,
        limits: ThrottleLimits,
        queue: Arc<HashingQueue>,
    ) -> Result<Self, PasswordError> {
        Ok(Self {
            users,
            hasher,
            counters,
            limits,
            dummy_phc: DUMMY_PHC.into(),
            queue,
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
        let reservation = self.reserve(tenant, identifier, remote_ip).await?;
        let Some(place) = self.queue.enter(tenant) else {
            self.give_back(&reservation).await?;
            return Err(LoginRefusal::Busy);
        };
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
        let matches = if password.len() > MAX_PASSWORD_BYTES {
            false
        } else {
            let Ok(turn) = place.turn().await else {
                // A quieter tenant's check took the place before it had a turn: unchecked.
                self.give_back(&reservation).await?;
                return Err(LoginRefusal::Busy);
            };
            self.check(password, phc, turn).await?
        };
        match usable {
            Some(user) if matches => {
                // A success clears the username's failures, not the address's: the address
                // gets its reservation back.
                self.counters
                    .reset(&reservation.user_key)
                    .await
                    .map_err(unavailable)?;
                if let Some(ip_key) = &reservation.ip_key {
                    self.counters.decr(ip_key).await.map_err(unavailable)?;
                }
                Ok(user)
            }
            // The reservations stay: they are this failure's counts.
            _ => Err(LoginRefusal::InvalidCredentials),
        }
    }

    /// Reserves one count on the username's and the address's counters, refusing (and giving
    /// the reservations back) past either limit.
    async fn reserve(
        &self,
        tenant: TenantId,
        identifier: &str,
        remote_ip: Option<IpAddr>,
    ) -> Result<Reservation, LoginRefusal> {
        let user_key = CounterKey::new(
            CounterKind::LoginFailuresByUser,
            tenant,
            identifier.trim().to_lowercase(),
        );
        let window = self.limits.window;
        if self
            .counters
            .incr(&user_key, window)
            .await
            .map_err(unavailable)?
            > self.limits.per_user
        {
            self.counters.decr(&user_key).await.map_err(unavailable)?;
            return Err(LoginRefusal::Throttled);
        }
        let ip_key = remote_ip.map(|ip| {
            CounterKey::new(
                CounterKind::LoginFailuresByAddress,
                tenant,
                ip.to_canonical(),
            )
        });
        if let Some(ip_key) = &ip_key
            && self
                .counters
                .incr(ip_key, window)
                .await
                .map_err(unavailable)?
                > self.limits.per_ip
        {
            self.counters.decr(ip_key).await.map_err(unavailable)?;
            self.counters.decr(&user_key).await.map_err(unavailable)?;
            return Err(LoginRefusal::Throttled);
        }
        Ok(Reservation { user_key, ip_key })
    }

    /// Gives an attempt's reservations back: it was not checked.
    async fn give_back(&self, reservation: &Reservation) -> Result<(), LoginRefusal> {
        self.counters
            .decr(&reservation.user_key)
            .await
            .map_err(unavailable)?;
        if let Some(ip_key) = &reservation.ip_key {
            self.counters.decr(ip_key).await.map_err(unavailable)?;
        }
        Ok(())
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

    /// Runs Argon2 off the async executor on the worker `turn` holds; the worker is held
    /// until the hash is done, even if the caller stops waiting.
    async fn check(&self, password: &str, phc: Arc<str>, turn: Turn) -> Result<bool, LoginRefusal> {
        let hasher = self.hasher.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            hasher.verify(&password, &phc)
        })
        .await
        .map_err(|e| LoginRefusal::Unavailable(e.to_string()))
    }
}

fn unavailable(e: keyward_core::EphemeralError) -> LoginRefusal {
    LoginRefusal::Unavailable(e.to_string())
}

#[cfg(test)]
#[path = "password_login_tests.rs"]
mod tests;
