#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::{
    CounterKey, CounterKind, EphemeralError, Page, PageRequest, StoreError, UserId,
};

use super::*;
use crate::hashing_queue::QueueLimits;
use crate::user::{NewUser, UserQuery};

#[derive(Default)]
struct Users(Mutex<Vec<User>>);

#[async_trait]
impl UserStore for Users {
    async fn create(&self, user: &User) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(user.clone());
        Ok(())
    }
    async fn get(&self, tenant: TenantId, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|u| u.tenant_id == tenant && u.id == id)
            .cloned())
    }
    async fn by_username(
        &self,
        tenant: TenantId,
        username: &Username,
    ) -> Result<Option<User>, StoreError> {
        let users = self.0.lock().unwrap();
        Ok(users
            .iter()
            .find(|u| u.tenant_id == tenant && u.username.canonical() == username.canonical())
            .cloned())
    }
    async fn by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>, StoreError> {
        let users = self.0.lock().unwrap();
        Ok(users
            .iter()
            .find(|u| {
                u.tenant_id == tenant
                    && u.email.as_ref().map(Email::canonical) == Some(email.canonical())
            })
            .cloned())
    }
    async fn list(
        &self,
        _: TenantId,
        _: &UserQuery,
        _: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        Ok(Page {
            items: vec![],
            next: None,
        })
    }
    async fn update(&self, _: &User) -> Result<(), StoreError> {
        Ok(())
    }
    async fn set_password_hash(
        &self,
        _: TenantId,
        _: UserId,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete(&self, _: TenantId, _: UserId) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Counters only: what throttling uses.
#[derive(Default)]
struct Counters(Mutex<HashMap<String, u64>>);

#[async_trait]
impl keyward_core::Counters for Counters {
    async fn incr(&self, key: &CounterKey, _: Duration) -> Result<u64, EphemeralError> {
        let mut map = self.0.lock().unwrap();
        let n = map.entry(key.as_str().to_owned()).or_default();
        *n += 1;
        Ok(*n)
    }
    async fn decr(&self, key: &CounterKey) -> Result<(), EphemeralError> {
        if let Some(n) = self.0.lock().unwrap().get_mut(key.as_str()) {
            *n = n.saturating_sub(1);
        }
        Ok(())
    }
    async fn reset(&self, key: &CounterKey) -> Result<bool, EphemeralError> {
        Ok(self.0.lock().unwrap().remove(key.as_str()).is_some())
    }
}

struct Fixture {
    login: PasswordLogin,
    tenant: TenantId,
    counters: Arc<Counters>,
    users: Arc<Users>,
}

/// A tenant with `ada` (password `correct horse battery`) and a disabled user.
fn fixture(limits: ThrottleLimits) -> Fixture {
    fixture_with_queue(limits, QueueLimits::default())
}

fn fixture_with_queue(limits: ThrottleLimits, queue: QueueLimits) -> Fixture {
    let hasher = PasswordHasher::recommended().unwrap();
    let users = Arc::new(Users::default());
    let counters = Arc::new(Counters::default());
    let tenant = TenantId::generate();
    let phc = hasher.hash("correct horse battery", 8).unwrap();
    let mut ada = User::new(
        tenant,
        NewUser {
            username: Username::parse("ada").unwrap(),
            email: Some(Email::parse("ada@example.com").unwrap()),
            password_hash: Some(phc.clone()),
        },
        Utc::now(),
    );
    users.0.lock().unwrap().push(ada.clone());
    ada.id = UserId::generate();
    ada.username = Username::parse("disabled").unwrap();
    ada.email = None;
    ada.disabled = true;
    users.0.lock().unwrap().push(ada);
    let queue = HashingQueue::new(queue);
    let login = PasswordLogin::new(users.clone(), hasher, counters.clone(), limits, queue).unwrap();
    Fixture {
        login,
        tenant,
        counters,
        users,
    }
}

#[tokio::test]
async fn right_password_logs_in_by_username_or_email() {
    let f = fixture(ThrottleLimits::default());
    let by_name = f
        .login
        .verify(f.tenant, "ADA", "correct horse battery", None)
        .await
        .unwrap();
    assert_eq!(by_name.username.as_str(), "ada");
    let by_mail = f
        .login
        .verify(f.tenant, "ada@example.com", "correct horse battery", None)
        .await
        .unwrap();
    assert_eq!(by_mail.id, by_name.id);
}

#[tokio::test]
async fn every_failure_gets_the_same_refusal() {
    let f = fixture(ThrottleLimits::default());
    for (who, password) in [
        ("ada", "wrong password"),
        ("nobody", "correct horse battery"),
        ("disabled", "correct horse battery"),
        ("ada", &"x".repeat(2000)),
    ] {
        let refused = f.login.verify(f.tenant, who, password, None).await.err();
        assert_eq!(refused, Some(LoginRefusal::InvalidCredentials), "{who}");
    }
    let other_tenant = f
        .login
        .verify(TenantId::generate(), "ada", "correct horse battery", None)
        .await
        .err();
    assert_eq!(
        other_tenant,
        Some(LoginRefusal::InvalidCredentials),
        "users are per tenant"
    );
    assert_eq!(f.users.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn too_many_failures_for_a_user_throttle_even_the_right_password() {
    let limits = ThrottleLimits {
        per_user: 3,
        per_ip: 100,
        window: Duration::from_secs(60),
    };
    let f = fixture(limits);
    for _ in 0..3 {
        assert_eq!(
            f.login
                .verify(f.tenant, "ada", "nope-nope", None)
                .await
                .err(),
            Some(LoginRefusal::InvalidCredentials)
        );
    }
    let refused = f
        .login
        .verify(f.tenant, "ada", "correct horse battery", None)
        .await
        .err();
    assert_eq!(refused, Some(LoginRefusal::Throttled));
    let unknown = f.login.verify(f.tenant, "ghost", "x", None).await.err();
    assert_eq!(
        unknown,
        Some(LoginRefusal::InvalidCredentials),
        "other usernames are not affected"
    );
}

#[tokio::test]
async fn too_many_failures_from_an_address_throttle_it_for_every_user() {
    let limits = ThrottleLimits {
        per_user: 100,
        per_ip: 2,
        window: Duration::from_secs(60),
    };
    let f = fixture(limits);
    let ip: IpAddr = "192.0.2.7".parse().unwrap();
    f.login
        .verify(f.tenant, "ghost1", "x", Some(ip))
        .await
        .err();
    f.login
        .verify(f.tenant, "ghost2", "x", Some(ip))
        .await
        .err();
    let refused = f
        .login
        .verify(f.tenant, "ada", "correct horse battery", Some(ip))
        .await
        .err();
    assert_eq!(refused, Some(LoginRefusal::Throttled));
    let elsewhere = f
        .login
        .verify(
            f.tenant,
            "ada",
            "correct horse battery",
            Some("192.0.2.8".parse().unwrap()),
        )
        .await;
    assert!(elsewhere.is_ok());
}

#[tokio::test]
async fn a_success_clears_the_users_failures() {
    let limits = ThrottleLimits {
        per_user: 3,
        per_ip: 100,
        window: Duration::from_secs(60),
    };
    let f = fixture(limits);
    for _ in 0..2 {
        f.login
            .verify(f.tenant, "ada", "nope-nope", None)
            .await
            .err();
    }
    f.login
        .verify(f.tenant, "ada", "correct horse battery", None)
        .await
        .unwrap();
    let key = CounterKey::new(CounterKind::LoginFailuresByUser, f.tenant, "ada");
    assert!(f.counters.0.lock().unwrap().get(key.as_str()).is_none());
}

fn count(key: &CounterKey, f: &Fixture) -> u64 {
    f.counters
        .0
        .lock()
        .unwrap()
        .get(key.as_str())
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_are_checked_no_more_often_than_the_limit() {
    let limits = ThrottleLimits {
        per_user: 3,
        per_ip: 100,
        window: Duration::from_secs(60),
    };
    let f = Arc::new(fixture(limits));
    let attempts = (0..24).map(|_| {
        let f = Arc::clone(&f);
        tokio::spawn(async move { f.login.verify(f.tenant, "ada", "nope-nope", None).await })
    });
    let mut refused = Vec::new();
    for attempt in futures::future::join_all(attempts).await {
        refused.push(attempt.unwrap().err().unwrap());
    }
    let checked = refused
        .iter()
        .filter(|r| **r == LoginRefusal::InvalidCredentials)
        .count();
    assert_eq!(checked, 3, "{refused:?}");
    let key = CounterKey::new(CounterKind::LoginFailuresByUser, f.tenant, "ada");
    assert_eq!(count(&key, &f), 3, "throttled reservations are given back");
}

#[tokio::test]
async fn address_failures_count_per_tenant() {
    let limits = ThrottleLimits {
        per_user: 100,
        per_ip: 2,
        window: Duration::from_secs(60),
    };
    let f = fixture(limits);
    let ip: IpAddr = "192.0.2.7".parse().unwrap();
    let elsewhere = TenantId::generate();
    for ghost in ["ghost1", "ghost2"] {
        f.login.verify(elsewhere, ghost, "x", Some(ip)).await.err();
    }
    assert_eq!(
        f.login
            .verify(elsewhere, "ghost3", "x", Some(ip))
            .await
            .err(),
        Some(LoginRefusal::Throttled)
    );
    let here = f
        .login
        .verify(f.tenant, "ada", "correct horse battery", Some(ip))
        .await;
    assert!(here.is_ok(), "another tenant's failures do not count here");
}

#[tokio::test]
async fn a_success_gives_the_address_its_reservation_back() {
    let f = fixture(ThrottleLimits::default());
    let ip: IpAddr = "192.0.2.9".parse().unwrap();
    f.login.verify(f.tenant, "ghost", "x", Some(ip)).await.err();
    f.login
        .verify(f.tenant, "ada", "correct horse battery", Some(ip))
        .await
        .unwrap();
    let key = CounterKey::new(CounterKind::LoginFailuresByAddress, f.tenant, ip);
    assert_eq!(count(&key, &f), 1, "only the failure counts");
}

#[tokio::test]
async fn a_full_queue_refuses_at_once_and_counts_nothing() {
    let queue = QueueLimits {
        workers: 1,
        capacity: 1,
        per_tenant: 1,
    };
    let f = fixture_with_queue(ThrottleLimits::default(), queue);
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let held = f.login.queue.enter(f.tenant).unwrap();
    let refused = f
        .login
        .verify(f.tenant, "ada", "correct horse battery", Some(ip))
        .await
        .err();
    assert_eq!(refused, Some(LoginRefusal::Busy));
    let user_key = CounterKey::new(CounterKind::LoginFailuresByUser, f.tenant, "ada");
    let ip_key = CounterKey::new(CounterKind::LoginFailuresByAddress, f.tenant, ip);
    assert_eq!((count(&user_key, &f), count(&ip_key, &f)), (0, 0));
    drop(held);
    assert!(
        f.login
            .verify(f.tenant, "ada", "correct horse battery", Some(ip))
            .await
            .is_ok()
    );
}

#[test]
fn dummy_hash_uses_the_recommended_parameters_and_matches_nothing_known() {
    let hasher = PasswordHasher::recommended().unwrap();
    let real = hasher.hash("some password", 0).unwrap();
    let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
    assert_eq!(
        params(DUMMY_PHC),
        params(&real),
        "same cost as a real verification"
    );
    assert!(!hasher.verify("", DUMMY_PHC));
    assert!(!hasher.verify("keyward timing-equaliser password", DUMMY_PHC));
}

/// The sign-in steps over this fixture's login and sessions in memory.
fn sign_in(
    f: Fixture,
) -> (
    crate::sign_in::SignIn,
    Arc<crate::session::Sessions>,
    TenantId,
) {
    let sessions = Arc::new(crate::session::Sessions::new(Arc::new(
        keyward_cache::MemoryStore::new(),
    )));
    let tenant = f.tenant;
    (
        crate::sign_in::SignIn::new(Arc::new(f.login), sessions.clone()),
        sessions,
        tenant,
    )
}

#[tokio::test]
async fn a_password_sign_in_replaces_the_browsers_session_with_one_whose_amr_is_pwd() {
    use crate::sign_in::{SignInError, Step};
    let (sign_in, sessions, tenant) = sign_in(fixture(ThrottleLimits::default()));
    let now = Utc::now();
    let Step::Complete(first) = sign_in
        .with_password(tenant, "ada", "correct horse battery", None, None, now)
        .await
        .unwrap();
    assert_eq!(first.user.username.as_str(), "ada");
    assert_eq!(first.signed_in.session.amr, [keyward_core::Amr::Pwd]);

    let refused = sign_in
        .with_password(
            tenant,
            "ada",
            "wrong password",
            None,
            Some(&first.signed_in.session),
            now,
        )
        .await;
    assert!(matches!(
        refused,
        Err(SignInError::Refused(LoginRefusal::InvalidCredentials))
    ));
    let kept = sessions.get(tenant, &first.signed_in.secret, now).await;
    assert!(
        kept.unwrap().is_some(),
        "a failed attempt leaves the session alone"
    );

    let Step::Complete(second) = sign_in
        .with_password(
            tenant,
            "ada@example.com",
            "correct horse battery",
            None,
            Some(&first.signed_in.session),
            now,
        )
        .await
        .unwrap();
    assert_ne!(second.signed_in.session.id, first.signed_in.session.id);
    let old = sessions.get(tenant, &first.signed_in.secret, now).await;
    assert!(
        old.unwrap().is_none(),
        "the previous session ends (no fixation)"
    );
    let new = sessions.get(tenant, &second.signed_in.secret, now).await;
    assert!(new.unwrap().is_some());
}
