//! Reading a pending [`Interaction`] (stored by `/authorize`) and recording the person's
//! decision in it, and the URLs that move between the pages and `/authorize/resume`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::{EphemeralError, EphemeralStore, Tenant};
use keyward_oauth::interaction::{INTERACTION_TTL, Interaction, interaction_key};

/// Interaction ids are URL-safe random strings; anything else is not looked up.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The live interaction `id` of `tenant`; `None` if unknown, expired or another tenant's.
pub async fn load(
    cache: &dyn EphemeralStore,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<Interaction>, EphemeralError> {
    if !valid_id(id) {
        return Ok(None);
    }
    let Some(raw) = cache.get(&interaction_key(id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice::<Interaction>(&raw)
        .ok()
        .filter(|i| i.tenant_id == tenant.id && i.id == id))
}

/// Records that the person declined, keeping the interaction's original expiry.
pub async fn record_denial(
    cache: &dyn EphemeralStore,
    interaction: &Interaction,
    now: DateTime<Utc>,
) -> Result<bool, EphemeralError> {
    let lived = (now - interaction.created_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    let left = INTERACTION_TTL.saturating_sub(lived);
    if left.is_zero() {
        return Ok(false);
    }
    let mut denied = interaction.clone();
    denied.consent_denied = true;
    let raw =
        serde_json::to_vec(&denied).map_err(|e| EphemeralError::Unavailable(e.to_string()))?;
    cache
        .put(&interaction_key(&interaction.id), &raw, left)
        .await?;
    Ok(true)
}

/// Where a finished page sends the browser: `/authorize/resume` evaluates the request again.
pub fn resume_location(tenant: &Tenant, id: &str) -> String {
    format!("/t/{}/authorize/resume?interaction={id}", tenant.slug)
}

pub fn login_location(tenant: &Tenant, id: &str) -> String {
    format!("/t/{}/login?interaction={id}", tenant.slug)
}
