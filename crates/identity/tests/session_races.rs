#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Browser sessions under real concurrency, on every ephemeral backend: always on
//! `MemoryStore`, and on `RedisStore` when `KEYWARD_TEST_REDIS_URL` is set (each test on its
//! own key prefix, purged afterwards). An ended session must stay ended whatever reads,
//! refreshes or notes ran at the same time: not readable, not listed, and no record of it
//! left in the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use keyward_cache::{MemoryStore, RedisStore};
use keyward_core::{ClientId, EphemeralStore, TenantId, UserId};
use keyward_identity::Sessions;

const ROUNDS: usize = 25;
const READERS: usize = 16;

/// One backend: the store the sessions use, and a way to count what it still holds.
struct Backend {
    name: &'static str,
    store: Arc<dyn EphemeralStore>,
    memory: Option<Arc<MemoryStore>>,
    redis: Option<RedisStore>,
}

impl Backend {
    /// How many records the store still holds (every key, expired or not, on memory; every
    /// key under the prefix on Redis, which this empties).
    async fn held(&self) -> usize {
        if let Some(memory) = &self.memory {
            return memory.held_entries();
        }
        match &self.redis {
            Some(redis) => usize::try_from(redis.purge_prefix().await.unwrap()).unwrap(),
            None => 0,
        }
    }
}

async fn backends() -> Vec<Backend> {
    let memory = Arc::new(MemoryStore::new());
    let mut all = vec![Backend {
        name: "memory",
        store: memory.clone(),
        memory: Some(memory),
        redis: None,
    }];
    if let Ok(url) = std::env::var("KEYWARD_TEST_REDIS_URL")
        && !url.is_empty()
    {
        let prefix = format!("keyward-test:{}:", uuid::Uuid::new_v4().simple());
        let redis = RedisStore::connect(&url, &prefix)
            .await
            .unwrap_or_else(|e| {
                panic!("KEYWARD_TEST_REDIS_URL is set, but Redis is unusable: {e}")
            });
        all.push(Backend {
            name: "redis",
            store: Arc::new(redis.clone()),
            memory: None,
            redis: Some(redis),
        });
    }
    all
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_ended_while_it_is_being_read_stays_ended_on_every_backend() {
    for backend in backends().await {
        let sessions = Arc::new(Sessions::new(backend.store.clone()));
        let tenant = TenantId::generate();
        let user = UserId::generate();
        let client = ClientId::generate();
        let mut revived = 0;
        for round in 0..ROUNDS {
            let created = sessions
                .create(tenant, user, vec![keyward_core::Amr::Pwd], None, now())
                .await
                .unwrap();
            let cookie = created.secret.clone();
            let id = created.session.id.clone();
            let readers = (0..READERS).map(|i| {
                let (sessions, cookie, client) = (sessions.clone(), cookie.clone(), client.clone());
                tokio::spawn(async move {
                    if i % 4 == 0 {
                        sessions
                            .note_client(tenant, &cookie, &client)
                            .await
                            .unwrap();
                    } else {
                        sessions.get(tenant, &cookie, now()).await.unwrap();
                    }
                })
            });
            let ender = {
                let (sessions, id) = (sessions.clone(), id.clone());
                tokio::spawn(async move { sessions.end(tenant, &id).await.unwrap() })
            };
            let (_, ended) = futures::join!(join_all(readers), ender);
            assert!(
                ended.unwrap().is_some(),
                "{}: round {round}: end saw the session",
                backend.name
            );
            let back = sessions
                .get(tenant, &cookie, now())
                .await
                .unwrap()
                .is_some();
            let listed = !sessions
                .list_for_user(tenant, user, now())
                .await
                .unwrap()
                .is_empty();
            if back || listed {
                revived += 1;
                // Clean up so that the next round starts from nothing.
                sessions.end_all_for_user(tenant, user).await.unwrap();
            }
        }
        assert_eq!(
            revived, 0,
            "{}: ended sessions came back in {revived} of {ROUNDS} rounds",
            backend.name
        );
        assert_eq!(
            backend.held().await,
            0,
            "{}: nothing of an ended session is left in the store",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoking_all_while_sessions_are_read_and_created_leaves_none_behind_on_every_backend() {
    for backend in backends().await {
        let sessions = Arc::new(Sessions::new(backend.store.clone()));
        let tenant = TenantId::generate();
        let user = UserId::generate();
        let mut survivors = 0;
        for _ in 0..ROUNDS {
            let mut cookies = Vec::new();
            for _ in 0..4 {
                let s = sessions
                    .create(tenant, user, vec![keyward_core::Amr::Pwd], None, now())
                    .await
                    .unwrap();
                cookies.push(s.secret.clone());
            }
            let readers = cookies.iter().flat_map(|cookie| {
                let sessions = sessions.clone();
                (0..READERS / 4).map(move |_| {
                    let (sessions, cookie) = (sessions.clone(), cookie.clone());
                    tokio::spawn(async move { sessions.get(tenant, &cookie, now()).await.unwrap() })
                })
            });
            let revoker = {
                let sessions = sessions.clone();
                tokio::spawn(async move { sessions.end_all_for_user(tenant, user).await.unwrap() })
            };
            let _ = futures::join!(join_all(readers.collect::<Vec<_>>()), revoker);
            for cookie in &cookies {
                if sessions.get(tenant, cookie, now()).await.unwrap().is_some() {
                    survivors += 1;
                    sessions.end_all_for_user(tenant, user).await.unwrap();
                }
            }
        }
        assert_eq!(
            survivors, 0,
            "{}: {survivors} sessions survived \"revoke all\"",
            backend.name
        );
        assert_eq!(backend.held().await, 0, "{}: nothing left", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_signed_in_at_once_are_all_listed_and_all_revoked_on_every_backend() {
    for backend in backends().await {
        let sessions = Arc::new(Sessions::new(backend.store.clone()));
        let tenant = TenantId::generate();
        let user = UserId::generate();
        let creators = (0..READERS).map(|_| {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                sessions
                    .create(tenant, user, vec![keyward_core::Amr::Pwd], None, now())
                    .await
                    .unwrap()
                    .secret
            })
        });
        let cookies: Vec<String> = join_all(creators)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let listed = sessions.list_for_user(tenant, user, now()).await.unwrap();
        assert_eq!(
            listed.len(),
            READERS,
            "{}: every concurrent sign-in is in the admin list",
            backend.name
        );
        sessions.end_all_for_user(tenant, user).await.unwrap();
        for cookie in &cookies {
            assert!(
                sessions.get(tenant, cookie, now()).await.unwrap().is_none(),
                "{}: revoke all ends every session",
                backend.name
            );
        }
        assert_eq!(backend.held().await, 0, "{}: nothing left", backend.name);
    }
}
