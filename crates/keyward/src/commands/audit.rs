//! Audit events for mutations made from the command line.

use keyward_core::{AuditEvent, AuditLog, TenantId};
use serde_json::Value;
use uuid::Uuid;

use crate::failure::Failure;
use crate::startup::Platform;

/// Records that the operator at the command line did `action` on `target`.
pub async fn record(
    platform: &Platform,
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
    platform
        .store
        .append(&[event])
        .await
        .map_err(|e| Failure::store("writing the audit log", e))
}
