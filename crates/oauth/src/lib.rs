//! keyward-oauth: the OAuth 2.x / OpenID Connect protocol engine, framework-free.
//!
//! One module per endpoint and per grant, named as the RFCs name them; PKCE; client
//! authentication; token minting; the RFC error type. It declares the small ports it needs
//! (clients, signing keys, consents, refresh tokens, and `app_claims` for the opt-in
//! `roles` / `permissions` claims, answered by keyward-authz in the binary — this crate never
//! depends on it) and never sees a user table: callers hand
//! it an authenticated subject. It may use keyward-core and never actix-web, sea-orm, redis,
//! lettre or leptos.
//!
//! The token service (`token_service`, `token/*`, `introspect`, `revoke`) answers the token,
//! introspection and revocation endpoints; the browser flows add their grants under `token/`.

pub mod access_token;
pub mod admin_api;
pub mod app_claims;
pub mod authorization_code;
pub mod authorize;
pub mod bearer;
pub mod claims;
pub mod client;
pub mod client_authentication;
pub mod client_registration;
pub mod client_secret;
pub mod consent;
pub mod device_authorization;
pub mod directory;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod id_token;
pub mod interaction;
pub mod introspect;
pub mod jose;
pub mod jwks;
pub mod key_rotation;
pub mod keyring;
pub mod lifetime;
pub mod logout_token;
pub mod params;
pub mod pkce;
pub mod refresh_token;
pub mod revoke;
pub mod signing_key;
pub mod subject;
pub mod token;
pub mod token_audit;
pub mod token_service;
pub mod userinfo;

pub use client::{Client, ClientSettings, ClientStore};
pub use consent::{Consent, ConsentStore};
pub use error::{ErrorCode, OAuthError};
pub use refresh_token::{
    RefreshToken, RefreshTokenFamily, RefreshTokenStore, RevokedAccessTokens, RotateOutcome,
};
pub use signing_key::{KeyStatus, SigningAlg, SigningKey, SigningKeyStore};
pub use token::{EndpointRequest, TokenResponse};
pub use token_service::{TokenService, TokenServicePorts};
