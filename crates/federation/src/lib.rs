//! keyward-federation: the social-login bridge to upstream OpenID Connect / OAuth 2.0
//! providers — the provider and link models and ports (`provider`), the sign-ins in flight
//! with their state, nonce, PKCE verifier and browser binding (`state`), claim mapping
//! (`claims`) and the account-linking decision (`linking`). Framework-free: it uses
//! keyward-core and keyward-identity, never actix-web, sea-orm, redis, lettre or leptos.
//!
//! Status: the decisions above exist and are tested; the upstream client (discovery, code
//! exchange, ID-token validation), the hosted endpoints and the provider presets are not
//! built yet.

pub mod claims;
pub mod linking;
pub mod provider;
pub mod state;

pub use claims::{ClaimMapping, LocalClaim, MappedIdentity, MappingError};
pub use linking::{Known, LinkPolicy, LinkRules, Refusal, Resolution};
pub use provider::{
    IdentityProvider, IdentityProviderStore, LinkedIdentity, LinkedIdentityStore, ProviderKind,
};
pub use state::{Begun, PENDING_TTL, PendingLogin, PendingLogins, StateError};
