//! Contract suites for the durable ports. Each function takes a fresh, migrated store and
//! panics (it is test code) when the implementation breaks the port's contract. Every suite
//! includes tenant isolation: a row of tenant A can be neither read, changed nor deleted
//! through tenant B.

pub mod audit;
pub mod casbin;
pub mod clients;
pub mod consents;
pub mod platform;
pub mod providers;
pub mod refresh_tokens;
pub mod signing_keys;
pub mod tenants;
pub mod users;
