#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
async fn created_session_is_found_with_its_authentication_facts() {
    let s = sessions();
    let (tenant, user) = (TenantId::generate(), UserId::generate());
    let created = s
        .create(tenant, user, vec!["pwd".into()], None, now())
        .await
        .unwrap();
    assert_eq!(created.id.len(), 43, "256-bit ids");
    let later = now() + TimeDelta::minutes(5);
    let found = s.get(tenant, &created.id, later).await.unwrap().unwrap();
    assert_eq!(
        (found.user_id, found.auth_time, found.amr.clone()),
        (user, now(), vec!["pwd".to_owned()])
    );
    assert_eq!(found.last_seen, later, "use refreshes last_seen");
}

#[tokio::test]
async fn session_of_one_tenant_is_unknown_at_another() {
    let s = sessions();
    let created = s
        .create(
            TenantId::generate(),
            UserId::generate(),
            vec![],
            None,
            now(),
        )
        .await
        .unwrap();
    assert!(
        s.get(TenantId::generate(), &created.id, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.end(TenantId::generate(), &created.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn idle_session_expires_and_use_keeps_it_alive() {
    let s = sessions();
    let tenant = TenantId::generate();
    let created = s
        .create(tenant, UserId::generate(), vec![], None, now())
        .await
        .unwrap();
    let mut t = now();
    for _ in 0..4 {
        t += TimeDelta::minutes(20);
        assert!(
            s.get(tenant, &created.id, t).await.unwrap().is_some(),
            "used within the idle lifetime"
        );
    }
    t += TimeDelta::minutes(31);
    assert!(
        s.get(tenant, &created.id, t).await.unwrap().is_none(),
        "idle too long"
    );
}

#[tokio::test]
async fn absolute_lifetime_ends_a_session_in_use() {
    let s = sessions().with_lifetimes(Duration::from_secs(3600), Duration::from_secs(2 * 3600));
    let tenant = TenantId::generate();
    let created = s
        .create(tenant, UserId::generate(), vec![], None, now())
        .await
        .unwrap();
    assert!(
        s.get(tenant, &created.id, now() + TimeDelta::minutes(59))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get(tenant, &created.id, now() + TimeDelta::minutes(118))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get(tenant, &created.id, now() + TimeDelta::minutes(121))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn ended_session_reports_its_clients_once() {
    let s = sessions();
    let tenant = TenantId::generate();
    let created = s
        .create(tenant, UserId::generate(), vec![], None, now())
        .await
        .unwrap();
    let a = ClientId::parse("client-a").unwrap();
    s.note_client(tenant, &created.id, &a).await.unwrap();
    s.note_client(tenant, &created.id, &a).await.unwrap();
    s.note_client(tenant, &created.id, &ClientId::parse("client-b").unwrap())
        .await
        .unwrap();
    let ended = s.end(tenant, &created.id).await.unwrap().unwrap();
    assert_eq!(ended.clients.len(), 2);
    assert_eq!(ended.session.id, created.id);
    assert!(s.get(tenant, &created.id, now()).await.unwrap().is_none());
    assert!(s.end(tenant, &created.id).await.unwrap().is_none());
}

#[tokio::test]
async fn malformed_ids_are_simply_unknown() {
    let s = sessions();
    for id in [
        "",
        "short",
        &"x".repeat(500),
        "../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert!(
            s.get(TenantId::generate(), id, now())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn sid_is_stable_and_does_not_reveal_the_id() {
    let s = sessions();
    let created = s
        .create(
            TenantId::generate(),
            UserId::generate(),
            vec![],
            None,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(created.sid(), created.clone().sid());
    assert!(!created.id.contains(&created.sid()));
    assert_eq!(created.sid().len(), 22);
}
