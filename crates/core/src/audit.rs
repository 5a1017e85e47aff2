//! The audit log: who did what to which target, when, with before/after snapshots.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreError;
use crate::id::TenantId;
use crate::page::{Page, PageRequest};

/// One recorded mutation. Snapshots never contain secrets: callers redact before recording.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// UUIDv7, so ids sort by time and serve as the pagination cursor.
    pub id: Uuid,
    pub tenant_id: TenantId,
    /// Who acted: `user:{id}`, `client:{client_id}`, `cli`, `system`.
    pub actor: String,
    /// A domain action such as `client.create`.
    pub action: String,
    /// What was acted on, e.g. `client:{client_id}`.
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// Filters for listing audit events; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Records an event without waiting for storage, so protocol endpoints audit at no round
/// trip: the implementation queues events and writes them in batches off the request path.
/// It waits only when its queue is full (backpressure, so a burst is slowed rather than
/// forgotten), and reports (metrics, logs) any event it could not keep.
#[async_trait]
pub trait AuditRecorder: Send + Sync {
    async fn record(&self, event: AuditEvent);
}

/// Keeps nothing: the default of a component until the binary wires a real recorder.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardAudit;

#[async_trait]
impl AuditRecorder for DiscardAudit {
    async fn record(&self, _: AuditEvent) {}
}

/// Durable audit events, append-only.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends a batch; the caller batches off the request path.
    async fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError>;
    /// Newest first; the cursor is the id of the last event seen.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError>;
    /// Whether the log's storage answers at all: a writer whose batch fails uses it to tell an
    /// outage (wait and retry) from a batch the log will never take (find and drop the events
    /// it refuses). Logs that cannot tell answer `Ok`.
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
