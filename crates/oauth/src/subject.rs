//! OIDC Core §8: subject identifier types. `public` gives every client the user's stable id;
//! `pairwise` (a client's `subject_type`) gives each sector a different, unlinkable one.
//!
//! The pairwise value is base64url(SHA-256(sector "\0" user id "\0" salt)) where
//! - the sector is the host of the client's first registered redirect URI (OIDC Core §8.1: without
//!   a `sector_identifier_uri`, which Keyward does not take yet, all redirect URIs share a host),
//!   falling back to the client id for clients without one;
//! - the salt is the tenant's id. It is per tenant, stable for the tenant's lifetime and, unlike a
//!   key derived from the master key, survives a master-key rotation (a subject must never change).
//!   Relying parties never see the tenant id (issuers use the slug), so they cannot recompute or
//!   link values; a tenant-level secret salt setting would also hide it from the tenant's admins.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyward_core::TenantId;
use serde::{Deserialize, Serialize};

use crate::client::Client;

/// OIDC Core §8: which `sub` a client sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectType {
    /// The user's stable id, the same for every client.
    #[default]
    Public,
    /// A value per sector that cannot be linked across sectors.
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}

impl Client {
    /// Whether the client sees a pairwise `sub`.
    pub fn is_pairwise(&self) -> bool {
        self.settings.subject_type == Some(SubjectType::Pairwise)
    }
}

/// The `sub` that `client` sees for the user `user_id`. OIDC Core §8
pub fn subject_for(tenant: TenantId, client: &Client, user_id: &str) -> String {
    if !client.is_pairwise() {
        return user_id.to_owned();
    }
    let sector = client
        .redirect_uris
        .first()
        .and_then(|uri| url::Url::parse(uri.as_str()).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| client.client_id.as_str().to_owned());
    let input = format!("{sector}\0{user_id}\0{tenant}");
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, input.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::Utc;
    use keyward_core::{ClientId, DisplayName, RedirectUri, Scope, TokenEndpointAuthMethod};

    use super::*;
    use crate::client::ClientSettings;

    fn client(redirect: &str, pairwise: bool) -> Client {
        Client {
            tenant_id: TenantId::generate(),
            client_id: ClientId::generate(),
            name: DisplayName::parse("c").unwrap(),
            secret_hash: None,
            redirect_uris: vec![RedirectUri::parse(redirect).unwrap()],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            scopes: Scope::default(),
            auth_method: TokenEndpointAuthMethod::None,
            public: true,
            first_party: false,
            settings: ClientSettings {
                subject_type: pairwise.then_some(SubjectType::Pairwise),
                ..Default::default()
            },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn public_subject_is_the_user_id() {
        assert_eq!(
            subject_for(
                TenantId::generate(),
                &client("https://a.test/cb", false),
                "u1"
            ),
            "u1"
        );
    }

    #[test]
    fn pairwise_subject_is_stable_per_sector_and_differs_across_sectors_and_tenants() {
        let tenant = TenantId::generate();
        let a1 = client("https://a.test/cb", true);
        let a2 = client("https://a.test/other", true);
        let b = client("https://b.test/cb", true);
        let sub = subject_for(tenant, &a1, "u1");
        assert_ne!(sub, "u1");
        assert_eq!(
            sub,
            subject_for(tenant, &a2, "u1"),
            "same sector, same subject"
        );
        assert_ne!(sub, subject_for(tenant, &b, "u1"));
        assert_ne!(sub, subject_for(TenantId::generate(), &a1, "u1"));
        assert_ne!(sub, subject_for(tenant, &a1, "u2"));
    }
}
