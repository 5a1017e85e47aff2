//! `AuditLog` on SQL: the append-only `audit_events` table. Ids are UUIDv7, whose byte order
//! is their time order on both backends (PostgreSQL `uuid`, SQLite 16-byte blob), so "newest
//! first" is `ORDER BY id DESC` and the cursor is simply the last id seen.

use async_trait::async_trait;
use keyward_core::{AuditEvent, AuditFilter, AuditLog, Page, PageRequest, StoreError, TenantId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
    /// One multi-row INSERT, so a batch is recorded entirely or not at all.
    async fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
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
