//! `AuditLog` on SQL: the append-only `audit_events` table. Ids are UUIDv7, whose byte order
//! is their time order on both backends (PostgreSQL `uuid`, SQLite 16-byte blob), so "newest
//! first" is `ORDER BY id DESC` and the cursor is simply the last id seen.

use async_trait::async_trait;
use chrono::SecondsFormat;
use keyward_core::{AuditEvent, AuditFilter, AuditLog, Page, PageRequest, StoreError, TenantId};
use sea_orm::sqlx::postgres::PgPoolCopyExt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
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
    /// A batch is recorded entirely or not at all: on PostgreSQL one `COPY` (the protocol
    /// endpoints' events arrive in thousands per second, and `COPY` costs the server a fraction
    /// of a multi-row INSERT with thousands of bound parameters), elsewhere one multi-row
    /// INSERT. A batch naming a tenant that no longer exists is a `Conflict`.
    async fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        if self.db.get_database_backend() == DbBackend::Postgres {
            return copy_in(self, events).await;
        }
        audit_event::Entity::insert_many(events.iter().map(to_row))
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
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

const COPY_AUDIT: &str = "COPY audit_events \
    (id, tenant_id, actor, action, target, before, after, request_id, at) FROM STDIN";

/// PostgreSQL: the batch as one `COPY … FROM STDIN` in text format, in one transaction.
async fn copy_in(store: &SqlStore, events: &[AuditEvent]) -> Result<(), StoreError> {
    let mut rows = String::with_capacity(events.len() * 256);
    for e in events {
        copy_row(&mut rows, e);
    }
    let pool = store.db.get_postgres_connection_pool();
    let mut copy = pool.copy_in_raw(COPY_AUDIT).await.map_err(copy_err)?;
    if let Err(e) = copy.send(rows.into_bytes()).await {
        // Ends the COPY so the connection goes back to the pool usable.
        let _ = copy.abort("sending the rows failed").await;
        return Err(copy_err(e));
    }
    copy.finish().await.map_err(copy_err)?;
    Ok(())
}

/// One line of COPY's text format: tab-separated, `\N` for NULL, with backslash, tab, newline
/// and carriage return escaped inside values.
fn copy_row(out: &mut String, e: &AuditEvent) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}\t{}\t", e.id, e.tenant_id.as_uuid());
    for text in [&e.actor, &e.action, &e.target] {
        copy_text(out, text);
        out.push('\t');
    }
    for json in [&e.before, &e.after] {
        match json {
            Some(value) => copy_text(out, &value.to_string()),
            None => out.push_str("\\N"),
        }
        out.push('\t');
    }
    match &e.request_id {
        Some(id) => copy_text(out, id),
        None => out.push_str("\\N"),
    }
    // Microseconds, truncated, as PostgreSQL keeps them and sqlx binds them.
    let _ = writeln!(
        out,
        "\t{}",
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true)
    );
}

fn copy_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // PostgreSQL text cannot hold NUL.
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// A foreign-key violation (SQLSTATE 23503: the tenant is gone) is a `Conflict`.
fn copy_err(err: sea_orm::sqlx::Error) -> StoreError {
    match &err {
        sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => {
            StoreError::Conflict(db.message().to_owned())
        }
        _ => StoreError::Backend(err.to_string()),
    }
}
