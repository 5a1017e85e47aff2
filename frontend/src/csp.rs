//! The Content-Security-Policy of console pages.
//!
//! Leptos gives every server-rendered page a fresh nonce and puts it on the inline `<style>` and
//! on the small inline scripts it appends to the document. The policy allows exactly those, so
//! an injected script or style without the nonce does not run.

use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
use leptos::nonce::use_nonce;
use leptos::prelude::use_context;
use leptos_actix::ResponseOptions;

/// The console's policy for a page whose inline elements carry `nonce`.
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the policy on the response of the page being rendered. Outside a request (route list
/// generation) there is no response and nothing to do.
pub fn provide_policy() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&policy(&nonce.to_string())) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}
