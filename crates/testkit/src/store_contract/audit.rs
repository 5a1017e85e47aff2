//! The `AuditLog` contract: events come back newest first with every field intact, filters
//! narrow, cursors page without gaps or repeats, and one tenant never sees another's events.

use chrono::{DateTime, Duration, Utc};
use keyward_core::{AuditEvent, AuditFilter, AuditLog, Clock, PageRequest, TenantId, TenantStore};
use serde_json::json;
use uuid::Uuid;

use super::tenants::seed_tenant;
use crate::FixedClock;

/// An event at the fixed clock's time with a fresh UUIDv7 id.
pub fn event(tenant: TenantId, actor: &str, action: &str, target: &str) -> AuditEvent {
    event_at(tenant, actor, action, target, FixedClock::new().now())
}

fn event_at(
    tenant: TenantId,
    actor: &str,
    action: &str,
    target: &str,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        before: None,
        after: None,
        request_id: None,
        at,
    }
}

/// Appends `n` events one second apart, oldest first, and returns them.
async fn append_series<S: AuditLog>(s: &S, tenant: TenantId, n: usize) -> Vec<AuditEvent> {
    let clock = FixedClock::new();
    let mut events = Vec::new();
    for i in 0..n {
        clock.advance(Duration::seconds(1));
        let actor = if i % 2 == 0 { "user:even" } else { "user:odd" };
        let action = if i % 3 == 0 {
            "client.create"
        } else {
            "user.update"
        };
        events.push(event_at(
            tenant,
            actor,
            action,
            &format!("target:{i}"),
            clock.now(),
        ));
    }
    s.append(&events).await.unwrap();
    events
}

pub async fn audit_round_trips_every_field<S: TenantStore + AuditLog>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let mut full = event(tenant.id, "user:42", "client.update", "client:app");
    full.before = Some(json!({"name": "Old", "redirect_uris": ["https://a.test/cb"]}));
    full.after = Some(json!({"name": "New", "nested": {"n": 1, "ok": true, "nothing": null}}));
    full.request_id = Some("req-123".to_owned());
    full.at += Duration::microseconds(654_321);
    let bare = event(tenant.id, "system", "tenant.create", "tenant:acme");
    s.append(&[full.clone(), bare.clone()]).await.unwrap();
    s.append(&[]).await.unwrap();

    let page = AuditLog::list(
        s,
        tenant.id,
        &AuditFilter::default(),
        &PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.items, vec![bare, full]);
    assert_eq!(page.next, None);
}

/// Text and JSON survive whatever they hold (the PostgreSQL log writes batches with `COPY`,
/// whose text format has its own escapes).
pub async fn audit_keeps_awkward_text_intact<S: TenantStore + AuditLog>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let awkward = "tab\there, new\nline, cr\r, back\\slash \\N, quote \" ' é 漢字 🙂";
    let mut e = event(tenant.id, awkward, "token.issue", awkward);
    e.request_id = Some(awkward.to_owned());
    e.after = Some(json!({ "text": awkward, "list": [awkward, 1.5, null], "\\N": true }));
    e.at += Duration::microseconds(7);
    let plain: Vec<AuditEvent> = (0..450)
        .map(|i| event(tenant.id, "client:app", "token.issue", &format!("user:{i}")))
        .collect();
    let mut batch = vec![e.clone()];
    batch.extend(plain.iter().cloned());
    s.append(&batch).await.unwrap();
    let page = AuditLog::list(
        s,
        tenant.id,
        &AuditFilter {
            actor: Some(awkward.to_owned()),
            ..AuditFilter::default()
        },
        &PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.items, vec![e]);
    let all = AuditLog::list(
        s,
        tenant.id,
        &AuditFilter::default(),
        &PageRequest::first(500),
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), 451, "the whole batch is kept");
}

/// Events of a tenant that does not exist are refused as a whole: `Conflict`, nothing kept.
pub async fn audit_refuses_a_batch_naming_an_unknown_tenant<S: TenantStore + AuditLog>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let ghost = TenantId::generate();
    // Large enough that PostgreSQL gets it in several statements: the last one fails.
    let mut batch: Vec<AuditEvent> = (0..300)
        .map(|i| event(tenant.id, "client:app", "token.issue", &format!("user:{i}")))
        .collect();
    batch.push(event(ghost, "client:app", "token.issue", "user:ghost"));
    assert!(matches!(
        s.append(&batch).await,
        Err(keyward_core::StoreError::Conflict(_))
    ));
    let page = AuditLog::list(
        s,
        tenant.id,
        &AuditFilter::default(),
        &PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.items, vec![], "nothing of the batch is kept");
}

pub async fn audit_lists_newest_first_in_pages<S: TenantStore + AuditLog>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let mut events = append_series(s, tenant.id, 5).await;
    events.reverse();
    let all = AuditFilter::default();

    let mut seen = Vec::new();
    let mut page = AuditLog::list(s, tenant.id, &all, &PageRequest::first(2))
        .await
        .unwrap();
    loop {
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().cloned());
        match page.next {
            Some(cursor) => {
                assert_eq!(cursor, seen.last().unwrap().id.to_string());
                page = AuditLog::list(s, tenant.id, &all, &PageRequest::after(cursor, 2))
                    .await
                    .unwrap();
            }
            None => break,
        }
    }
    assert_eq!(seen, events);
}

pub async fn audit_filters_narrow_the_list<S: TenantStore + AuditLog>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let events = append_series(s, tenant.id, 6).await;
    let list = |filter: AuditFilter| async move {
        let page = AuditLog::list(s, tenant.id, &filter, &PageRequest::default())
            .await
            .unwrap();
        page.items.into_iter().map(|e| e.target).collect::<Vec<_>>()
    };

    let by_actor = AuditFilter {
        actor: Some("user:odd".into()),
        ..Default::default()
    };
    assert_eq!(list(by_actor).await, ["target:5", "target:3", "target:1"]);
    let by_action = AuditFilter {
        action: Some("client.create".into()),
        ..Default::default()
    };
    assert_eq!(list(by_action).await, ["target:3", "target:0"]);
    let by_target = AuditFilter {
        target: Some("target:4".into()),
        ..Default::default()
    };
    assert_eq!(list(by_target).await, ["target:4"]);
    let prefix_is_not_a_match = AuditFilter {
        actor: Some("user".into()),
        ..Default::default()
    };
    assert!(list(prefix_is_not_a_match).await.is_empty());

    // `since` and `until` are both inclusive.
    let window = AuditFilter {
        since: Some(events[1].at),
        until: Some(events[3].at),
        ..Default::default()
    };
    assert_eq!(list(window).await, ["target:3", "target:2", "target:1"]);
    let combined = AuditFilter {
        actor: Some("user:even".into()),
        since: Some(events[1].at),
        ..Default::default()
    };
    assert_eq!(list(combined).await, ["target:4", "target:2"]);
}

/// Tenant B sees none of tenant A's events, with or without filters or cursors.
pub async fn audit_is_isolated_between_tenants<S: TenantStore + AuditLog>(s: &S) {
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let a_events = append_series(s, a.id, 3).await;

    let all = AuditFilter::default();
    assert!(
        AuditLog::list(s, b.id, &all, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let by_actor = AuditFilter {
        actor: Some("user:even".into()),
        ..Default::default()
    };
    assert!(
        AuditLog::list(s, b.id, &by_actor, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let cursor = PageRequest::after(a_events[2].id.to_string(), 10);
    assert!(
        AuditLog::list(s, b.id, &all, &cursor)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        AuditLog::list(s, a.id, &all, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
}
