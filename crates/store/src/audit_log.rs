//! `AuditLog` on SQL: the append-only `audit_events` table. Ids are UUIDv7, whose byte order
//! is their time order on both backends (PostgreSQL `uuid`, SQLite 16-byte blob), so "newest
//! first" is `ORDER BY id DESC` and the cursor is simply the last id seen.

use async_trait::async_trait;
use chrono::SecondsFormat;
use keyward_core::{AuditEvent, AuditFilter, AuditLog, Page, PageRequest, StoreError, TenantId};
use sea_orm::sqlx::postgres::PgPool;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::connect::{SqlStore, map_db_err};
use crate::entity::audit_event;

fn to_row(e: &AuditEvent) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(e.id),
        tenant_id: Set(e.tenant_id.as_uuid()),
        actor: Set(e.actor.clone()),
        action: Set(e.action.clone()),
        target: Set(e.target.clone()),
        before: Set(e.before.clone()),
        after: Set(e.after.clone()),
        request_id: Set(e.request_id.clone()),
        at: Set(e.at),
    }
}

fn to_domain(row: audit_event::Model) -> AuditEvent {
    AuditEvent {
        id: row.id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        actor: row.actor,
        action: row.action,
        target: row.target,
        before: row.before,
        after: row.after,
        request_id: row.request_id,
        at: row.at,
    }
}

#[async_trait]
impl AuditLog for SqlStore {
    /// A batch is recorded entirely or not at all: on PostgreSQL as JSON-array statements of
    /// at most 12 KiB each, in one transaction (the protocol endpoints' events arrive in
    /// thousands per second; a multi-row INSERT with thousands of bound parameters costs far
    /// more to build and parse), elsewhere one multi-row INSERT. A batch naming a tenant that
    /// no longer exists is a `Conflict`.
    async fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(pool) = &self.audit {
            return insert_json(pool, events).await;
        }
        audit_event::Entity::insert_many(events.iter().map(to_row))
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    /// The connections the log writes through answer (the audit pool on PostgreSQL).
    async fn ping(&self) -> Result<(), StoreError> {
        if let Some(pool) = &self.audit {
            return sea_orm::sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(|e| StoreError::Backend(e.to_string()));
        }
        self.db.ping().await.map_err(map_db_err)
    }

    /// `since` and `until` are both inclusive. A cursor that is not an event id names no page:
    /// `NotFound`.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        use audit_event::Column;
        let mut select = audit_event::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .order_by_desc(Column::Id);
        if let Some(actor) = &filter.actor {
            select = select.filter(Column::Actor.eq(actor.as_str()));
        }
        if let Some(action) = &filter.action {
            select = select.filter(Column::Action.eq(action.as_str()));
        }
        if let Some(target) = &filter.target {
            select = select.filter(Column::Target.eq(target.as_str()));
        }
        if let Some(since) = filter.since {
            select = select.filter(Column::At.gte(since));
        }
        if let Some(until) = filter.until {
            select = select.filter(Column::At.lte(until));
        }
        if let Some(after) = &page.after {
            let after = Uuid::parse_str(after).map_err(|_| StoreError::NotFound)?;
            select = select.filter(Column::Id.lt(after));
        }
        let rows = select
            .limit(page.limit.saturating_add(1))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let events = rows.into_iter().map(to_domain).collect();
        Ok(Page::from_overfetch(events, page.limit, |e| {
            e.id.to_string()
        }))
    }
}

/// The batch arrives as JSON arrays, each in one bound parameter of one statement (prepared
/// once per connection): no statement with thousands of parameters to build and parse.
const INSERT_AUDIT: &str = "INSERT INTO audit_events \
    (id, tenant_id, actor, action, target, before, after, request_id, at) \
    SELECT id, tenant_id, actor, action, target, before, after, request_id, at \
    FROM json_populate_recordset(NULL::audit_events, $1::json)";

/// The most JSON one statement carries. sqlx does not set TCP_NODELAY, and a message larger
/// than the socket's initial send buffer (16 KiB on Linux) leaves in two writes, the second
/// held back by Nagle's algorithm until the server's delayed ACK: every batch of 128-512
/// events took 44-50 ms that way (measured), capping the writer near 3,000-15,000 events/s.
const MAX_STATEMENT_JSON: usize = 12 * 1024;

/// PostgreSQL: the batch as `INSERT … SELECT` statements from JSON arrays of at most
/// [`MAX_STATEMENT_JSON`] bytes, in one transaction.
async fn insert_json(pool: &PgPool, events: &[AuditEvent]) -> Result<(), StoreError> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for e in events {
        let row = json_row(e).to_string();
        if !current.is_empty() && current.len() + row.len() + 2 > MAX_STATEMENT_JSON {
            current.push(']');
            statements.push(std::mem::take(&mut current));
        }
        current.push(if current.is_empty() { '[' } else { ',' });
        current.push_str(&row);
    }
    current.push(']');
    statements.push(current);

    let query = |rows: String| sea_orm::sqlx::query(INSERT_AUDIT).bind(rows);
    if statements.len() == 1 {
        // One statement is its own transaction.
        let rows = statements.remove(0);
        query(rows).execute(pool).await.map_err(sqlx_err)?;
        return Ok(());
    }
    let mut txn = pool.begin().await.map_err(sqlx_err)?;
    for rows in statements {
        query(rows).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    txn.commit().await.map_err(sqlx_err)
}

fn json_row(e: &AuditEvent) -> Value {
    json!({
        "id": e.id.to_string(),
        "tenant_id": e.tenant_id.as_uuid().to_string(),
        "actor": text(&e.actor),
        "action": text(&e.action),
        "target": text(&e.target),
        "before": e.before,
        "after": e.after,
        "request_id": e.request_id.as_deref().map(text),
        // Microseconds, truncated, as PostgreSQL keeps them and sqlx binds them.
        "at": e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
    })
}

/// PostgreSQL text cannot hold NUL.
fn text(value: &str) -> String {
    value.replace('\0', "\u{fffd}")
}

/// A foreign-key violation (SQLSTATE 23503: the tenant is gone) is a `Conflict`.
fn sqlx_err(err: sea_orm::sqlx::Error) -> StoreError {
    match &err {
        sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => {
            StoreError::Conflict(db.message().to_owned())
        }
        _ => StoreError::Backend(err.to_string()),
    }
}
