//! One module per CLI noun. Each command connects through `Platform`, does its work through
//! the ports, records an audit event for every mutation, and prints through `output`.

pub mod admin;
pub mod audit;
pub mod client;
pub mod keys;
pub mod tenant;
pub mod user;
