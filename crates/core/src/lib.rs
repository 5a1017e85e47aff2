//! keyward-core: the shared vocabulary of Keyward and the ports that every part of it speaks.
//!
//! It holds parsed newtypes (`TenantId`, `TenantSlug`, `ClientId`, `Scope`, `RedirectUri`,
//! `Email`, `GrantType`, ...), the tenant and audit models with their storage ports, the
//! ephemeral-state port (implemented by keyward-cache), the master-key AEAD used for secrets
//! at rest, the `Clock`, and `StoreError`. It does no I/O of its own and may not depend on
//! actix-web, sea-orm, redis, lettre or leptos, nor on any other Keyward crate.

pub mod amr;
pub mod audit;
pub mod clock;
pub mod ephemeral;
pub mod error;
pub mod grant_type;
pub mod id;
pub mod outbound;
pub mod page;
pub mod platform;
pub mod redirect_uri;
pub mod scope;
pub mod secret;
pub mod signing_alg;
pub mod tenant;
pub mod text;

pub use amr::Amr;
pub use audit::{AuditEvent, AuditFilter, AuditLog, AuditRecorder, DiscardAudit};
pub use clock::{Clock, SystemClock};
pub use ephemeral::{
    Broadcast, CacheHealth, Channel, CounterKey, CounterKind, Counters, EphemeralError,
    EphemeralStore, Invalidations, Owner, RevokedSet, RevokedSets, ShortLivedValues, ValueKey,
    ValueKind,
};
pub use error::{ParseError, StoreError};
pub use grant_type::{GrantType, TokenEndpointAuthMethod};
pub use id::{ClientId, TenantId, TenantSlug, UserId};
pub use outbound::{OutboundRefusal, OutboundRule};
pub use page::{Page, PageRequest};
pub use platform::PlatformStore;
pub use redirect_uri::RedirectUri;
pub use scope::Scope;
pub use secret::{MasterKey, SecretError};
pub use signing_alg::SigningAlg;
pub use tenant::{Branding, Tenant, TenantSettings, TenantStore};
pub use text::{DisplayName, Email, Username};
