//! Shared set-up: authorizers over memory or a test database, fresh actors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use casbin::{Adapter, Filter, MemoryAdapter, Model};
use keyward_authz::{Actor, Authorizer};
use keyward_core::{TenantId, UserId};

/// An authorizer over an in-memory adapter, for behaviour that does not involve storage.
pub async fn memory_authorizer() -> Authorizer {
    Authorizer::new(MemoryAdapter::default()).await.unwrap()
}

pub fn user() -> (UserId, Actor) {
    let id = UserId::generate();
    (id, Actor::User(id))
}

pub fn tenants() -> (TenantId, TenantId) {
    (TenantId::generate(), TenantId::generate())
}

/// A memory adapter whose loads fail while `failing` is set, as a database outage would.
pub struct FlakyAdapter {
    inner: MemoryAdapter,
    pub failing: Arc<AtomicBool>,
}

impl FlakyAdapter {
    pub fn new() -> (Self, Arc<AtomicBool>) {
        let failing = Arc::new(AtomicBool::new(false));
        (
            Self {
                inner: MemoryAdapter::default(),
                failing: Arc::clone(&failing),
            },
            failing,
        )
    }

    fn check(&self) -> casbin::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            let err = std::io::Error::other("database unreachable");
            return Err(casbin::Error::AdapterError(casbin::error::AdapterError(
                Box::new(err),
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl Adapter for FlakyAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        self.check()?;
        self.inner.load_policy(m).await
    }
    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        f: Filter<'a>,
    ) -> casbin::Result<()> {
        self.check()?;
        self.inner.load_filtered_policy(m, f).await
    }
    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        self.check()?;
        self.inner.save_policy(m).await
    }
    async fn clear_policy(&mut self) -> casbin::Result<()> {
        self.check()?;
        self.inner.clear_policy().await
    }
    fn is_filtered(&self) -> bool {
        self.inner.is_filtered()
    }
    async fn add_policy(
        &mut self,
        sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        self.check()?;
        self.inner.add_policy(sec, ptype, rule).await
    }
    async fn add_policies(
        &mut self,
        sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        self.check()?;
        self.inner.add_policies(sec, ptype, rules).await
    }
    async fn remove_policy(
        &mut self,
        sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        self.check()?;
        self.inner.remove_policy(sec, ptype, rule).await
    }
    async fn remove_policies(
        &mut self,
        sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        self.check()?;
        self.inner.remove_policies(sec, ptype, rules).await
    }
    async fn remove_filtered_policy(
        &mut self,
        sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        self.check()?;
        self.inner
            .remove_filtered_policy(sec, ptype, field_index, field_values)
            .await
    }
}
