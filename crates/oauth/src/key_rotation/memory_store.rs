//! The reference in-memory [`SigningKeyStore`], for this crate's unit tests.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use keyward_core::{StoreError, TenantId};

use crate::signing_key::{SigningKey, SigningKeyStore};

#[derive(Default)]
pub(crate) struct MemoryKeys {
    keys: Mutex<Vec<SigningKey>>,
    /// How many times `list` was called, to observe caching.
    lists: AtomicUsize,
}

impl MemoryKeys {
    pub(crate) fn list_calls(&self) -> usize {
        self.lists.load(Ordering::SeqCst)
    }

    fn keys(&self) -> Result<std::sync::MutexGuard<'_, Vec<SigningKey>>, StoreError> {
        self.keys
            .lock()
            .map_err(|_| StoreError::Backend("poisoned".into()))
    }
}

#[async_trait]
impl SigningKeyStore for MemoryKeys {
    async fn insert(&self, key: &SigningKey) -> Result<(), StoreError> {
        let mut keys = self.keys()?;
        if keys
            .iter()
            .any(|k| k.tenant_id == key.tenant_id && k.kid == key.kid)
        {
            return Err(StoreError::Conflict(key.kid.clone()));
        }
        keys.push(key.clone());
        Ok(())
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<SigningKey>, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        // A real store yields while it waits for the database; so does this one, so tests
        // see concurrent callers interleave.
        tokio::task::yield_now().await;
        Ok(self
            .keys()?
            .iter()
            .filter(|k| k.tenant_id == tenant)
            .cloned()
            .collect())
    }

    async fn update(&self, key: &SigningKey) -> Result<(), StoreError> {
        let mut keys = self.keys()?;
        let slot = keys
            .iter_mut()
            .find(|k| k.tenant_id == key.tenant_id && k.kid == key.kid);
        *slot.ok_or(StoreError::NotFound)? = key.clone();
        Ok(())
    }

    async fn delete(&self, tenant: TenantId, kid: &str) -> Result<(), StoreError> {
        let mut keys = self.keys()?;
        let before = keys.len();
        keys.retain(|k| !(k.tenant_id == tenant && k.kid == kid));
        if keys.len() == before {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
