//! The resync: what a node holds in memory or in the cache is compared with the database on
//! a timer (`resync_interval_secs`), so that no lost message and no lost cache leaves it
//! wrong for longer than one interval. Messages stay the fast path; this is the floor.
//!
//! - **Tenants, clients, keys.** Their writes count up `platform_meta.directory_version`; a
//!   node whose count differs drops its cached copies (they are re-read on next use). This is
//!   how a change made by the CLI in another process reaches a running embedded server.
//! - **Policies.** Every change of the Casbin rules counts up `platform_meta.policy_version`
//!   in its own transaction. A node remembers the version it loaded and reloads when the
//!   stored one differs; the first round always reloads (a change may have landed between
//!   the node's load and its first look). A failed reload keeps the previous policy and is
//!   tried again next round.
//! - **The policy channel.** When the subscription ends (Redis restarted) the node reloads
//!   and subscribes again, instead of no longer following changes.
//! - **Revoked access tokens.** The cache's revoked sets are refilled from the database when
//!   the cache lost them: a marker key, written after each refill, is missing after a restart
//!   of an embedded node (memory) or a flush of Redis. Expired revocations are purged.

use std::sync::Arc;
use std::time::Duration;

use keyward_authz::Authorizer;
use keyward_core::{Clock, EphemeralStore, Owner, ValueKey, ValueKind};
use keyward_store::SqlStore;

/// Present in the cache while its revoked sets hold every live revocation of the database.
fn refilled_marker() -> ValueKey {
    ValueKey::new(
        ValueKind::RevocationsRefilled,
        Owner::Platform,
        "revoked-sets",
    )
}
/// The marker outlives any gap between rounds by far; each refill writes it again.
const MARKER_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

pub struct Resync {
    pub authorizer: Arc<Authorizer>,
    /// Tenants and clients, and signing keys, cached in process.
    pub directory: Arc<keyward_oauth::directory::Directory>,
    pub keys: Arc<keyward_oauth::keyring::KeyRing>,
    pub store: SqlStore,
    pub cache: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub interval: Duration,
}

impl Resync {
    /// Refills the revoked sets if the cache lost them; answers whether it did.
    pub async fn revocations(&self) -> Result<bool, String> {
        let present = self
            .cache
            .get(&refilled_marker())
            .await
            .map_err(|e| format!("reading the resync marker: {e}"))?;
        if present.is_some() {
            return Ok(false);
        }
        let now = self.clock.now();
        let count =
            keyward_oauth::revoke::refill_revoked_sets(&self.store, self.cache.as_ref(), now)
                .await
                .map_err(|e| format!("refilling the revoked sets: {e}"))?;
        self.cache
            .put(&refilled_marker(), b"1", MARKER_TTL)
            .await
            .map_err(|e| format!("writing the resync marker: {e}"))?;
        tracing::info!(
            revocations = count,
            "revoked access tokens refilled into the cache"
        );
        Ok(true)
    }

    /// Reloads the policy if storage holds `stored` and this node loaded another version;
    /// answers the version now held.
    async fn policies(&self, loaded: Option<i64>, stored: i64) -> Result<Option<i64>, String> {
        if loaded == Some(stored) {
            return Ok(loaded);
        }
        self.authorizer
            .reload()
            .await
            .map_err(|e| format!("reloading the policy: {e}"))?;
        if loaded.is_some() {
            tracing::info!(version = stored, "policy changed in storage; reloaded");
        }
        // The version read before the reload: a change during it is seen next round.
        Ok(Some(stored))
    }

    /// Drops the cached tenants, clients and keys if the directory counter moved since
    /// `loaded` (or nothing was compared yet); answers the version now held.
    fn directory(&self, loaded: Option<i64>, stored: i64) -> Option<i64> {
        if loaded != Some(stored) {
            self.directory.invalidate_all();
            self.keys.invalidate_all();
            if loaded.is_some() {
                tracing::debug!(
                    version = stored,
                    "tenants, clients or keys changed in storage"
                );
            }
        }
        Some(stored)
    }

    async fn purge(&self) {
        match keyward_oauth::RevokedAccessTokens::purge_revoked(&self.store, self.clock.now()).await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired access-token revocations deleted"),
            Err(e) => tracing::warn!(error = %e, "purging expired revocations failed"),
        }
    }

    /// Runs the rounds until the process ends.
    pub fn spawn(self) {
        let this = Arc::new(self);
        tokio::spawn(follow_policy_channel(this.clone()));
        tokio::spawn(async move {
            let mut loaded = None;
            let mut directory = None;
            let mut round: u64 = 0;
            loop {
                tokio::time::sleep(this.interval).await;
                match this.store.change_versions().await {
                    Ok(stored) => {
                        directory = this.directory(directory, stored.directory);
                        match this.policies(loaded, stored.policy).await {
                            Ok(version) => loaded = version,
                            Err(why) => {
                                tracing::warn!("resync: {why}; keeping the policy in memory");
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "resync: reading the change counters failed")
                    }
                }
                if let Err(why) = this.revocations().await {
                    tracing::warn!("resync: {why}");
                }
                // Purging is housekeeping: about once a minute is plenty.
                if round.is_multiple_of(60 / this.interval.as_secs().clamp(1, 60)) {
                    this.purge().await;
                }
                round = round.wrapping_add(1);
            }
        });
    }
}

/// Follows keyward-authz's policy channel; when the subscription ends, reloads (what was
/// announced meanwhile is lost) and subscribes again.
async fn follow_policy_channel(this: Arc<Resync>) {
    // The policy was loaded just before the first subscription; after any gap, reload.
    let mut after_gap = false;
    loop {
        match this.cache.subscribe(keyward_core::Channel::Policy).await {
            Ok(messages) => {
                if after_gap && let Err(e) = this.authorizer.reload().await {
                    tracing::warn!(error = %e, "policy reload after resubscribing failed");
                }
                keyward_authz::follow(this.authorizer.clone(), messages).await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot subscribe to policy changes"),
        }
        after_gap = true;
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
