//! One module per CLI noun. Each command parses its arguments, makes its change as the local
//! operator (`crate::operator`: the keyward-admin use-case the admin API calls), and prints
//! the answer through `output`. Validation, audit events and announcements to running nodes
//! happen in the use-case.

pub mod admin;
pub mod client;
pub mod keys;
pub mod tenant;
pub mod user;
