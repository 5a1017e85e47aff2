//! An interaction: an authorization (or device) request waiting for a person — to sign in,
//! to consent — kept in the ephemeral store between the protocol endpoint and the hosted
//! pages. keyward-oauth creates and resumes it; the pages (keyward-auth-server, with
//! keyward-identity authenticating) only read it and record the person's decision.
//!
//! Flow: `/authorize` validates the request, stores an `Interaction` and redirects to
//! `/t/{tenant}/login?interaction={id}` or `/t/{tenant}/consent?interaction={id}`; the page,
//! once done, redirects to `/t/{tenant}/authorize/resume?interaction={id}`, where the
//! request is evaluated again with the browser session (and consent) now in place.

use std::time::Duration;

use chrono::{DateTime, Utc};
use keyward_core::{ClientId, Scope, TenantId, UserId};
use serde::{Deserialize, Serialize};

/// How long a person has to finish signing in and consenting.
pub const INTERACTION_TTL: Duration = Duration::from_secs(15 * 60);

/// The ephemeral-store key of an interaction.
pub fn interaction_key(id: &str) -> String {
    format!("interaction:{id}")
}

/// What the hosted pages need to know about a pending request, plus the request itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// 128-bit random, URL-safe.
    pub id: String,
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    /// Shown on the login and consent pages.
    pub client_name: String,
    /// The scopes requested (already narrowed to what the client may ask for).
    pub scopes: Scope,
    /// OIDC Core §3.1.2.1 `login_hint`: prefills the username field.
    pub login_hint: Option<String>,
    /// OIDC Core §3.1.2.1 `ui_locales`, as sent.
    pub ui_locales: Option<String>,
    /// Set when the request demands a fresh sign-in (prompt=login, max_age exceeded): the
    /// session used on resume must have authenticated at or after this instant.
    pub reauthenticate_after: Option<DateTime<Utc>>,
    /// Why the person is here: `login` or `consent` (for the page's wording).
    pub needs: InteractionNeed,
    /// The validated request, opaque to the pages; only keyward-oauth reads it.
    pub request: serde_json::Value,
    /// Recorded by the consent page when the person declines.
    pub consent_denied: bool,
    /// The user the request was for when a login was not needed (consent only).
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionNeed {
    Login,
    Consent,
}
