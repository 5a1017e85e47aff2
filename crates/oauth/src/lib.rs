//! keyward-oauth: the OAuth 2.x / OpenID Connect protocol engine, framework-free.
//!
//! One module per endpoint and per grant, named as the RFCs name them; PKCE; client
//! authentication; token minting; the RFC error type. It declares the small ports it needs
//! (clients, signing keys, consents, refresh tokens) and never sees a user table: callers hand
//! it an authenticated subject. It may use keyward-core and never actix-web, sea-orm, redis,
//! lettre or leptos.
//!
//! This session lands the ports and their models; the endpoints arrive with the token-service
//! and browser-flow issues.

pub mod client;
pub mod client_registration;
pub mod client_secret;
pub mod consent;
pub mod discovery;
pub mod jose;
pub mod jwks;
pub mod key_rotation;
pub mod keyring;
pub mod refresh_token;
pub mod signing_key;

pub use client::{Client, ClientSettings, ClientStore};
pub use consent::{Consent, ConsentStore};
pub use refresh_token::{RefreshToken, RefreshTokenFamily, RefreshTokenStore, RotateOutcome};
pub use signing_key::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};
