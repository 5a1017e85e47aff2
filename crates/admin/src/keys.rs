//! Signing-key use-cases: list a tenant's keys (public halves only) and rotate them.

use keyward_authz::AdminAction;
use keyward_oauth::key_rotation::{published, rotate};
use serde::Serialize;
use serde_json::Value;

use crate::error::AdminError;
use crate::service::{Admin, Caller, PageView, snapshot};

/// A signing key as the API shows it: its public JWK, never the private half.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// next, active or retired.
    pub status: String,
    pub published: bool,
    pub public_jwk: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub retired_at: Option<chrono::DateTime<chrono::Utc>>,
    pub publish_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a rotation did, per algorithm.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotationView {
    /// The tenant's default algorithm, which the next three fields describe.
    pub default_alg: String,
    pub active_kid: String,
    pub next_kid: String,
    /// The default algorithm's key that stopped signing, if any.
    pub retired: Option<RetiredKeyView>,
    /// Every algorithm's rotation.
    pub algs: Vec<AlgRotationView>,
    /// Retired keys removed because every token they signed has expired.
    pub removed: Vec<String>,
}

/// One algorithm's rotation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlgRotationView {
    pub alg: String,
    pub active_kid: String,
    pub next_kid: String,
    pub retired: Option<RetiredKeyView>,
}

/// A key that stopped signing and stays published until every token it signed has expired.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetiredKeyView {
    pub kid: String,
    pub published_until: chrono::DateTime<chrono::Utc>,
}

fn retired(key: &Option<(String, chrono::DateTime<chrono::Utc>)>) -> Option<RetiredKeyView> {
    key.as_ref().map(|(kid, until)| RetiredKeyView {
        kid: kid.clone(),
        published_until: *until,
    })
}

impl Admin {
    /// Every key of the tenant, newest first (one page: a tenant holds a handful).
    pub async fn list_keys(
        &self,
        caller: &Caller,
        tenant: &str,
    ) -> Result<PageView<KeyView>, AdminError> {
        let (tenant, _permit) = self.permit(caller, tenant, AdminAction::KeyRead).await?;
        let mut keys = self.ports.keys.list(tenant.id).await?;
        keys.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.kid.cmp(&b.kid))
        });
        let now = self.ports.clock.now();
        let shown: Vec<String> = published(&keys, now)
            .iter()
            .map(|k| k.kid.clone())
            .collect();
        let items = keys
            .iter()
            .map(|k| KeyView {
                kid: k.kid.clone(),
                alg: k.alg.as_str().to_owned(),
                status: k.status.as_str().to_owned(),
                published: shown.contains(&k.kid),
                public_jwk: serde_json::from_str(&k.public_jwk).unwrap_or(Value::Null),
                created_at: k.created_at,
                activated_at: k.activated_at,
                retired_at: k.retired_at,
                publish_until: k.publish_until,
            })
            .collect();
        Ok(PageView { items, next: None })
    }

    /// Promotes every algorithm's next key, retires the active one and publishes a new next
    /// key. The RS256 key generation (a prime search) runs on the calling thread; rotations
    /// are rare, so it is accepted rather than moved to a blocking pool.
    pub async fn rotate_keys(
        &self,
        caller: &Caller,
        tenant: &str,
    ) -> Result<RotationView, AdminError> {
        let (tenant, permit) = self.permit(caller, tenant, AdminAction::KeyRotate).await?;
        let alg = tenant.settings.signing_alg;
        let window = retirement_window(&tenant.settings);
        let work = self.begin().await?;
        let report = rotate(
            work.keys(),
            tenant.id,
            alg,
            &self.ports.master,
            self.ports.clock.now(),
            window,
        )
        .await
        .map_err(|e| AdminError::Internal(format!("rotating keys: {e}")))?;
        let view = RotationView {
            default_alg: report.default_alg.as_str().to_owned(),
            active_kid: report.active_kid,
            next_kid: report.next_kid,
            retired: retired(&report.retired),
            algs: report
                .algs
                .iter()
                .map(|a| AlgRotationView {
                    alg: a.alg.as_str().to_owned(),
                    active_kid: a.active_kid.clone(),
                    next_kid: a.next_kid.clone(),
                    retired: retired(&a.retired),
                })
                .collect(),
            removed: report.removed,
        };
        self.commit(
            work,
            caller,
            &permit,
            format!("tenant:{}", tenant.slug),
            None,
            snapshot(&view),
        )
        .await?;
        self.ports.announcer.keys_changed(tenant.id).await;
        Ok(view)
    }
}

/// How long a retired key stays published: the longest lifetime of a token it may have signed.
fn retirement_window(s: &keyward_core::TenantSettings) -> chrono::Duration {
    chrono::Duration::seconds(s.access_token_ttl_secs.max(s.id_token_ttl_secs).max(0))
}
