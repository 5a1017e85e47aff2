//! Audit events for mutations made from the command line. A command makes its change in a
//! transaction from [`begin`] and ends it with [`record`], which writes the audit event in the
//! same transaction and commits: the change and its event are stored together or not at all.

use keyward_core::{AuditEvent, AuditLog, TenantId};
use keyward_store::SqlStore;
use serde_json::Value;
use uuid::Uuid;

use crate::failure::Failure;
use crate::startup::Platform;

/// The transaction a command's change and its audit event share.
pub async fn begin(platform: &Platform) -> Result<SqlStore, Failure> {
    platform
        .store
        .begin()
        .await
        .map_err(|e| Failure::store("starting a transaction", e))
}

/// Records that the operator at the command line did `action` on `target`, in `work`, and
/// commits it. `work` may also be the platform's store itself, for a change that is not in
/// the database's transaction (a Casbin rule): then the event is written right after it.
pub async fn record(
    platform: &Platform,
    work: SqlStore,
    tenant: TenantId,
    action: &str,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), Failure> {
    let event = AuditEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        actor: "cli".to_owned(),
        action: action.to_owned(),
        target,
        before,
        after,
        request_id: None,
        at: platform.clock.now(),
    };
    work.append(&[event])
        .await
        .map_err(|e| Failure::store("writing the audit log", e))?;
    work.commit()
        .await
        .map_err(|e| Failure::store("committing the change", e))
}
