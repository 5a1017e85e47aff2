//! The URLs that move the browser between the hosted pages and `/authorize/resume`. The
//! interactions themselves are keyward-oauth's (`interaction::load`, `record_denial`).

use keyward_core::Tenant;

/// Where a finished page sends the browser: `/authorize/resume` evaluates the request again.
pub fn resume_location(tenant: &Tenant, id: &str) -> String {
    format!("/t/{}/authorize/resume?interaction={id}", tenant.slug)
}

pub fn login_location(tenant: &Tenant, id: &str) -> String {
    format!("/t/{}/login?interaction={id}", tenant.slug)
}
