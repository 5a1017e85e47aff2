//! keyward-federation: the social-login bridge to upstream OpenID Connect / OAuth 2.0
//! providers through the `openidconnect` crate — state, nonce and PKCE towards upstream,
//! claim mapping and account-linking decisions. It declares the identity-provider and
//! linked-identity ports and may use keyward-core only; never actix-web, sea-orm, redis,
//! lettre or leptos.
//!
//! Status: only the models and ports (`provider`) exist; the bridge itself is not built yet.

pub mod provider;

pub use provider::{
    IdentityProvider, IdentityProviderStore, LinkedIdentity, LinkedIdentityStore, ProviderKind,
};
