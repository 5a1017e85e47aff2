//! Wiring of the browser side of the auth server: sessions, the hosted pages (sign-in with
//! identity's throttled password login, consent, logout) and back-channel logout delivery.

use std::sync::Arc;

use keyward_auth_server::Pages;
use keyward_auth_server::backchannel_logout::BackchannelLogout;
use keyward_http::HttpMetrics;
use keyward_http::csrf::Csrf;
use keyward_identity::{Sessions, SignIn};

use crate::failure::Failure;
use crate::serve::backchannel::HttpBackchannel;
use crate::startup::{Platform, Protocol};

/// The sessions and pages of every tenant.
pub fn hosted_pages(
    platform: &Platform,
    protocol: &Protocol,
    metrics: &HttpMetrics,
) -> Result<(Arc<Sessions>, Arc<Pages>), Failure> {
    let store = Arc::new(platform.store.clone());
    // A form lives as long as the sign-in request it may continue.
    let csrf = Csrf::from_master(&platform.master)
        .map_err(|e| Failure::Internal(format!("CSRF key: {e}")))?
        .with_lifetime(keyward_oauth::interaction::INTERACTION_TTL);
    let failures = metrics
        .counter(
            "keyward_backchannel_logout_failures_total",
            "Back-channel logout notifications that failed after every attempt.",
        )
        .map_err(|e| Failure::Internal(format!("metrics: {e}")))?;
    let transport = HttpBackchannel::new(platform.outbound_http()?);
    let backchannel = BackchannelLogout::new(Arc::new(transport), protocol.keys.clone())
        .with_failure_counter(failures);
    let sessions = Arc::new(
        Sessions::new(platform.cache.clone()).with_users(Arc::new(platform.store.clone())),
    );
    let pages = Pages {
        // Over the password grant's own login: failures are counted together and both wait
        // in one hashing queue.
        sign_in: Arc::new(SignIn::new(protocol.login.clone(), sessions.clone())),
        consents: store,
        cache: platform.cache.clone(),
        csrf,
        secure_cookies: platform.config.public_url.starts_with("https://"),
        backchannel: Arc::new(backchannel),
        clock: platform.clock.clone(),
    };
    Ok((sessions, Arc::new(pages)))
}
