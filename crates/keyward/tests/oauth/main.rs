//! End to end against the real application, driven by the `openidconnect` crate as a real
//! client and by raw HTTP for every error. Each test starts its own in-process server
//! (keyward-testkit's `TestApp`, on 127.0.0.1:0 in its own data directory); the few tests
//! about the binary itself start `keyward serve` as a child process (`server`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../cli/harness.rs"]
mod harness;

mod admin_api;
mod admin_isolation;
mod admin_nodes;
mod admin_tokens;
mod audit_atomicity;
mod authorize_errors;
mod authz_check;
mod authz_claims;
mod cli_visibility;
mod client_authentication;
mod code_flow;
mod consent;
mod data_files;
mod device;
mod disabled_users;
mod durability;
mod errors;
mod flow_driver;
mod flows;
mod implicit;
mod in_process;
mod input_checks;
mod key_rotation;
mod logout;
mod metrics_access;
mod outbound;
mod page_client;
mod pages;
mod password;
mod readiness;
mod redirect_policy;
mod refresh;
mod server;
mod sessions;
mod sign_in_throttle;
mod tenancy;
mod token_audit;
mod user_sessions;
mod userinfo;

/// The in-process test app (the real application on port 0 of this process).
pub(crate) use keyward_testkit::app;

/// Polls `check` every 100 ms for up to `within`; answers whether it became true.
pub(crate) async fn eventually<F, Fut>(within: std::time::Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}
