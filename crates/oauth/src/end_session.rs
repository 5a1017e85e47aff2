//! OpenID Connect RP-Initiated Logout 1.0 §2–§3: what a logout request may ask for. The
//! `id_token_hint` must be an ID token this tenant issued (signature, explicit ID-token type,
//! issuer; `exp` is not checked — a hint is usually an old ID token); `client_id`, if given,
//! must be one of its audiences; `post_logout_redirect_uri` must be registered for that client
//! (exact match); `state` is echoed. Whether a session ends, and how the browser is told, is
//! the hosted page's business.

use std::sync::Arc;

use crate::client::Client;
use crate::directory::{Directory, TenantEntry};
use crate::id_token::{self, IdTokenHint};
use crate::keyring::KeyRing;
use crate::params::FormParams;

/// A logout request that passed every check.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    pub hint: Option<IdTokenHint>,
    pub client: Option<Arc<Client>>,
    /// A `post_logout_redirect_uri` registered for `client`.
    pub redirect: Option<String>,
    pub state: Option<String>,
}

/// Why a logout request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutRefusal {
    /// The request is not valid; the message is for the person.
    Invalid(&'static str),
    /// Keys or clients could not be read; the cause is logged.
    Unavailable,
}

/// Checks a logout request's parameters against the tenant `entry`.
pub async fn validate(
    directory: &Directory,
    keys: &KeyRing,
    entry: &TenantEntry,
    params: &FormParams,
) -> Result<LogoutRequest, LogoutRefusal> {
    let tenant = &entry.tenant;
    let hint = match params.get("id_token_hint") {
        Some(token) => {
            let keys = keys.tenant_keys(tenant.id).await.map_err(|e| {
                tracing::error!(error = %e, "loading the tenant's keys failed");
                LogoutRefusal::Unavailable
            })?;
            Some(
                id_token::verify_hint(token, entry, &keys).ok_or(LogoutRefusal::Invalid(
                    "The ID token hint was not issued here as an ID token.",
                ))?,
            )
        }
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(h)) if !h.audiences.iter().any(|a| a == id) => {
            return Err(LogoutRefusal::Invalid(
                "The client does not match the ID token hint.",
            ));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(h)) => h.audiences.first().cloned(),
        (None, None) => None,
    };
    let client = match client_id {
        Some(id) => match directory.client(tenant.id, &id).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => return Err(LogoutRefusal::Invalid("The application is not known.")),
            Err(e) => {
                tracing::error!(error = %e, "looking up a client failed");
                return Err(LogoutRefusal::Unavailable);
            }
        },
        None => None,
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let registered = client.as_ref().is_some_and(|c| {
                c.post_logout_redirect_uris
                    .iter()
                    .any(|r| r.as_str() == uri)
            });
            if !registered {
                return Err(LogoutRefusal::Invalid(
                    "The address to return to after signing out is not registered for this application.",
                ));
            }
            Some(uri.to_owned())
        }
    };
    Ok(LogoutRequest {
        hint,
        client,
        redirect,
        state: params.get("state").map(str::to_owned),
    })
}

impl LogoutRequest {
    /// §3: the registered post-logout URI with `state` appended, if the request names one.
    pub fn return_url(&self) -> Option<Result<url::Url, url::ParseError>> {
        let uri = self.redirect.as_deref()?;
        Some(url::Url::parse(uri).map(|mut url| {
            if let Some(state) = &self.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            url
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn request(redirect: Option<&str>, state: Option<&str>) -> LogoutRequest {
        LogoutRequest {
            hint: None,
            client: None,
            redirect: redirect.map(str::to_owned),
            state: state.map(str::to_owned),
        }
    }

    #[test]
    fn the_return_address_carries_state_and_keeps_its_own_query() {
        let url = request(Some("https://rp.test/bye?x=1"), Some("a b&c"))
            .return_url()
            .unwrap()
            .unwrap();
        assert_eq!(url.as_str(), "https://rp.test/bye?x=1&state=a+b%26c");
        assert!(request(None, Some("s")).return_url().is_none());
        assert!(
            request(Some("not a url"), None)
                .return_url()
                .unwrap()
                .is_err()
        );
    }
}
