#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeDelta;
use keyward_cache::MemoryStore;

use super::*;

fn sessions() -> Sessions {
    Sessions::new(Arc::new(MemoryStore::new()))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_users_sessions_are_listed_and_no_one_elses() {
    let s = sessions();
    let (tenant, user, other) = (TenantId::generate(), UserId::generate(), UserId::generate());
    let first = s.create(tenant, user, vec![], None, now()).await.unwrap();
    let second = s
        .create(tenant, user, vec![], None, now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    s.create(tenant, other, vec![], None, now()).await.unwrap();
    let listed = s
        .list_for_user(tenant, user, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    let ids: Vec<&str> = listed.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, [first.session.id.as_str(), second.session.id.as_str()]);
    let elsewhere = s
        .list_for_user(TenantId::generate(), user, now())
        .await
        .unwrap();
    assert!(elsewhere.is_empty(), "the index is per tenant");
}

#[tokio::test]
async fn ended_and_expired_sessions_drop_out_of_the_list() {
    let s = sessions();
    let (tenant, user) = (TenantId::generate(), UserId::generate());
    let ended = s.create(tenant, user, vec![], None, now()).await.unwrap();
    s.end(tenant, &ended.session.id).await.unwrap();
    let idle = s.create(tenant, user, vec![], None, now()).await.unwrap();
    assert_eq!(
        s.list_for_user(tenant, user, now()).await.unwrap(),
        vec![idle.session.clone()]
    );
    let much_later = now() + TimeDelta::hours(1);
    assert!(
        s.list_for_user(tenant, user, much_later)
            .await
            .unwrap()
            .is_empty(),
        "idle past its lifetime"
    );
    assert!(s.index(tenant, user).await.unwrap().is_empty(), "pruned");
}

#[tokio::test]
async fn one_session_is_ended_by_its_sid_and_all_at_once() {
    let s = sessions();
    let (tenant, user) = (TenantId::generate(), UserId::generate());
    let a = s.create(tenant, user, vec![], None, now()).await.unwrap();
    let b = s.create(tenant, user, vec![], None, now()).await.unwrap();
    let c = s.create(tenant, user, vec![], None, now()).await.unwrap();
    assert!(
        s.end_for_user(tenant, user, "not-a-sid", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.end_for_user(tenant, UserId::generate(), &a.session.sid(), now())
            .await
            .unwrap()
            .is_none(),
        "another user's sid ends nothing"
    );
    let ended = s
        .end_for_user(tenant, user, &a.session.sid(), now())
        .await
        .unwrap();
    assert_eq!(ended.unwrap().session.id, a.session.id);
    assert!(s.get(tenant, &a.secret, now()).await.unwrap().is_none());
    let all = s.end_all_for_user(tenant, user).await.unwrap();
    let mut ids: Vec<String> = all.into_iter().map(|e| e.session.id).collect();
    ids.sort();
    let mut expected = vec![b.session.id.clone(), c.session.id.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(s.get(tenant, &b.secret, now()).await.unwrap().is_none());
    assert!(
        s.list_for_user(tenant, user, now())
            .await
            .unwrap()
            .is_empty()
    );
}
