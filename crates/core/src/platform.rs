//! Platform-wide facts kept in the database, such as the master-key check value.

use async_trait::async_trait;

use crate::error::StoreError;

/// A tiny durable key/value table for the platform itself (not owned by any tenant).
#[async_trait]
pub trait PlatformStore: Send + Sync {
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes `value` unless the key exists; returns whether it wrote. Safe when two nodes race.
    async fn put_meta_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError>;
    /// Answers when the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;
}
