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
        .create(tenant, user, vec![keyward_core::Amr::Pwd], None, now())
        .await
        .unwrap();
    assert_eq!(created.secret.len(), 43, "256-bit secrets");
    let later = now() + TimeDelta::minutes(5);
    let found = s
        .get(tenant, &created.secret, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.user_id, found.auth_time, found.amr.clone()),
        (user, now(), vec![keyward_core::Amr::Pwd])
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
        s.get(TenantId::generate(), &created.secret, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.end(TenantId::generate(), &created.session.id)
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
            s.get(tenant, &created.secret, t).await.unwrap().is_some(),
            "used within the idle lifetime"
        );
    }
    t += TimeDelta::minutes(31);
    assert!(
        s.get(tenant, &created.secret, t).await.unwrap().is_none(),
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
        s.get(tenant, &created.secret, now() + TimeDelta::minutes(59))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get(tenant, &created.secret, now() + TimeDelta::minutes(118))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get(tenant, &created.secret, now() + TimeDelta::minutes(121))
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
    s.note_client(tenant, &created.session.id, &a)
        .await
        .unwrap();
    s.note_client(tenant, &created.session.id, &a)
        .await
        .unwrap();
    s.note_client(
        tenant,
        &created.session.id,
        &ClientId::parse("client-b").unwrap(),
    )
    .await
    .unwrap();
    let ended = s.end(tenant, &created.session.id).await.unwrap().unwrap();
    assert_eq!(ended.clients.len(), 2);
    assert_eq!(ended.session, created.session);
    assert!(
        s.get(tenant, &created.secret, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.end(tenant, &created.session.id).await.unwrap().is_none());
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
    let sid = created.session.sid();
    assert!(!created.secret.contains(&sid));
    assert_eq!(sid.len(), 22);
    // The formula sessions always had, so a `sid` in an ID token keeps naming its session.
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("sid:{}", created.secret).as_bytes(),
    );
    assert_eq!(sid, URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]));
}

#[tokio::test]
async fn the_secret_is_stored_only_as_its_one_way_hash() {
    let cache = Arc::new(MemoryStore::new());
    let s = Sessions::new(cache.clone());
    let tenant = TenantId::generate();
    let created = s
        .create(tenant, UserId::generate(), vec![], None, now())
        .await
        .unwrap();
    s.note_client(
        tenant,
        &created.session.id,
        &ClientId::parse("client-a").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(created.session.id, stored_id(&created.secret));
    assert_ne!(created.session.id, created.secret);
    let held = cache.entries();
    assert_eq!(
        held.len(),
        3,
        "the session, its clients and the user's index"
    );
    for (key, value) in held {
        let value = String::from_utf8(value).unwrap();
        assert!(
            !key.contains(&created.secret) && !value.contains(&created.secret),
            "{key} = {value}"
        );
    }
    assert!(
        s.get(tenant, &created.session.id, now())
            .await
            .unwrap()
            .is_none(),
        "the stored id is no cookie"
    );
    assert!(
        s.get(tenant, &created.secret, now())
            .await
            .unwrap()
            .is_some()
    );
}
