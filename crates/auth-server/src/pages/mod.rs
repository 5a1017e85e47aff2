//! The hosted pages of a tenant: sign-in, consent, device verification, logout and the error
//! page, written as leptos views and rendered on the server with the tenant's branding
//! (`layout`). Each page is a thin handler in its own module: extract, call, return a
//! [`Page`] or a redirect — or an [`ErrorPage`], which is a value too. What they share lives
//! here: the extractors of the tenant ([`PageTenant`]), of queries and forms ([`PageQuery`],
//! [`PageForm`]) and of CSRF-checked forms ([`CsrfForm`]), the CSRF field, the pending
//! interaction.
//!
//! Helpers return `Result<_, ErrorPage>`: built once on a cold path, so its size does not
//! matter.
#![allow(clippy::result_large_err)]

pub mod consent;
pub mod device;
pub mod error;
pub mod headers;
pub mod interaction;
pub mod layout;
pub mod login;
pub mod logout;
pub mod page;
#[cfg(test)]
mod tests;

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::web::{self, Payload};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev};
use keyward_core::{Clock, EphemeralStore, Tenant};
use keyward_http::csrf::{CSRF_FIELD, Csrf, CsrfRefusal, CsrfScope};
use keyward_identity::SignIn;
use keyward_oauth::ConsentStore;
use keyward_oauth::directory::TenantEntry;
use keyward_oauth::params::FormParams;

use crate::AuthServer;
use crate::backchannel_logout::BackchannelLogout;
use crate::session_cookie::tenant_path;
pub use error::ErrorPage;
use leptos::prelude::*;
pub use page::Page;

/// What the hosted pages need besides the token service and the sessions.
pub struct Pages {
    /// The sign-in steps (the node's one throttled password login, the browser sessions).
    pub sign_in: Arc<SignIn>,
    pub consents: Arc<dyn ConsentStore>,
    /// Where interactions live (written by `/authorize`).
    pub cache: Arc<dyn EphemeralStore>,
    pub csrf: Csrf,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub backchannel: Arc<BackchannelLogout>,
    pub clock: Arc<dyn Clock>,
}

/// What the extractors below resolve to.
type LocalBoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// The tenant of the path `/t/{tenant}/...`, resolved through the directory; an unknown
/// tenant is the "Page not found" page, a failing directory the "unavailable" one.
#[derive(Debug, Clone)]
pub struct PageTenant(pub Arc<TenantEntry>);

impl std::ops::Deref for PageTenant {
    type Target = TenantEntry;

    fn deref(&self) -> &TenantEntry {
        &self.0
    }
}

impl PageTenant {
    async fn resolve(req: &HttpRequest) -> Result<Self, ErrorPage> {
        let Some(server) = req.app_data::<web::Data<AuthServer>>() else {
            tracing::error!("the auth server is not in the app data");
            return Err(ErrorPage::unavailable(None));
        };
        let slug = req.match_info().get("tenant").unwrap_or_default();
        match server.tokens.directory().tenant(slug).await {
            Ok(Some(entry)) => Ok(Self(entry)),
            Ok(None) => Err(ErrorPage::unknown_tenant()),
            Err(e) => {
                tracing::error!(error = %e, "looking up a tenant failed");
                Err(ErrorPage::unavailable(None))
            }
        }
    }
}

impl FromRequest for PageTenant {
    type Error = ErrorPage;
    type Future = LocalBoxFuture<'static, Result<Self, ErrorPage>>;

    fn from_request(req: &HttpRequest, _: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::resolve(&req).await })
    }
}

/// The query parameters of a GET to a tenant's page; malformed ones make a readable 400.
pub struct PageQuery {
    pub tenant: PageTenant,
    pub params: FormParams,
}

impl FromRequest for PageQuery {
    type Error = ErrorPage;
    type Future = LocalBoxFuture<'static, Result<Self, ErrorPage>>;

    fn from_request(req: &HttpRequest, _: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let tenant = PageTenant::resolve(&req).await?;
            let params = FormParams::parse(req.query_string().as_bytes())
                .map_err(|e| bad_request(Some(&tenant.tenant), e.description()))?;
            Ok(Self { tenant, params })
        })
    }
}

/// A form posted to a tenant's page (bounded, urlencoded; anything else makes a readable
/// 400), its CSRF token not yet checked: for forms whose token is bound to something only
/// the handler knows (the signed-in session), checked with [`PageForm::check_csrf`].
pub struct PageForm {
    pub tenant: PageTenant,
    pub params: FormParams,
}

impl PageForm {
    async fn read(req: HttpRequest, payload: Payload) -> Result<Self, ErrorPage> {
        let tenant = PageTenant::resolve(&req).await?;
        let body = crate::form::read(&req, payload)
            .await
            .map_err(|e| bad_request(Some(&tenant.tenant), e.description()))?;
        let params = FormParams::parse(&body)
            .map_err(|e| bad_request(Some(&tenant.tenant), e.description()))?;
        Ok(Self { tenant, params })
    }

    /// Refuses the form without a live CSRF token of this browser, tenant and `form_for`.
    pub fn check_csrf(
        &self,
        pages: &Pages,
        req: &HttpRequest,
        form_for: FormFor<'_>,
    ) -> Result<(), ErrorPage> {
        check_csrf(pages, req, &self.params, &self.tenant.tenant, form_for)
    }
}

impl FromRequest for PageForm {
    type Error = ErrorPage;
    type Future = LocalBoxFuture<'static, Result<Self, ErrorPage>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        let payload = take_payload(&req, payload);
        Box::pin(async move { Self::read(req, payload?).await })
    }
}

/// What a [`CsrfForm`]'s token is bound to, read from the form itself.
pub trait FormBinding {
    fn form_for(params: &FormParams) -> FormFor<'_>;
}

/// The token is nobody's in particular (the device-code form).
pub struct ForAnyone;

impl FormBinding for ForAnyone {
    fn form_for(_: &FormParams) -> FormFor<'_> {
        FormFor::Anyone
    }
}

/// The form continues the interaction it names, if any: its token must be that one's.
pub struct ForNamedInteraction;

impl FormBinding for ForNamedInteraction {
    fn form_for(params: &FormParams) -> FormFor<'_> {
        match params.get("interaction") {
            Some(id) => FormFor::Interaction(id),
            None => FormFor::Anyone,
        }
    }
}

/// A [`PageForm`] whose CSRF token has been checked against the binding `B` (a refusal is
/// the 403 "Form expired" page).
pub struct CsrfForm<B> {
    pub tenant: PageTenant,
    pub params: FormParams,
    binding: PhantomData<B>,
}

impl<B: FormBinding + 'static> FromRequest for CsrfForm<B> {
    type Error = ErrorPage;
    type Future = LocalBoxFuture<'static, Result<Self, ErrorPage>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        let payload = take_payload(&req, payload);
        Box::pin(async move {
            let form = PageForm::read(req.clone(), payload?).await?;
            let Some(server) = req.app_data::<web::Data<AuthServer>>() else {
                return Err(ErrorPage::unavailable(Some(&form.tenant.tenant)));
            };
            form.check_csrf(&server.pages, &req, B::form_for(&form.params))?;
            let PageForm { tenant, params } = form;
            Ok(Self {
                tenant,
                params,
                binding: PhantomData,
            })
        })
    }
}

/// The request body, as `crate::form::read` takes it (taking it cannot fail).
fn take_payload(req: &HttpRequest, payload: &mut dev::Payload) -> Result<Payload, ErrorPage> {
    Payload::from_request(req, payload)
        .into_inner()
        .map_err(|e| {
            tracing::error!(error = %e, "taking a request body failed");
            ErrorPage::unavailable(None)
        })
}

fn bad_request(tenant: Option<&Tenant>, why: &str) -> ErrorPage {
    ErrorPage::invalid_request(tenant, why.to_owned())
}

/// What a hosted form acts on. Its CSRF token is bound to it (and to the tenant), so a token
/// served for one sign-in request or session is refused for any other.
#[derive(Debug, Clone, Copy)]
pub enum FormFor<'a> {
    /// Nobody in particular: a sign-in without a pending request, the device-code form.
    Anyone,
    /// The pending sign-in request (interaction) with this id.
    Interaction(&'a str),
    /// The signed-in session with this stored id.
    Session(&'a str),
    /// A pending request, decided by the signed-in session (consent).
    SessionInteraction(&'a str, &'a str),
}

impl FormFor<'_> {
    fn binding(&self) -> String {
        match self {
            Self::Anyone => String::new(),
            Self::Interaction(id) => format!("interaction:{id}"),
            Self::Session(id) => format!("session:{id}"),
            Self::SessionInteraction(session, interaction) => {
                format!("session:{session}|interaction:{interaction}")
            }
        }
    }
}

/// The CSRF token of a form served to this browser (for [`csrf_input`]), and the cookie to
/// set with it.
pub(crate) fn csrf_field(
    pages: &Pages,
    req: &HttpRequest,
    tenant: &Tenant,
    form_for: FormFor<'_>,
) -> Result<(String, Option<Cookie<'static>>), ErrorPage> {
    let binding = form_for.binding();
    let scope = CsrfScope {
        tenant: tenant.id,
        binding: &binding,
    };
    match pages.csrf.token(
        req,
        &tenant_path(tenant),
        pages.secure_cookies,
        &scope,
        pages.clock.now(),
    ) {
        Ok(issued) => Ok((issued.token, issued.cookie)),
        Err(e) => {
            tracing::error!(error = %e, "issuing a CSRF token failed");
            Err(ErrorPage::unavailable(Some(tenant)))
        }
    }
}

/// The hidden field carrying a form's CSRF token.
pub(crate) fn csrf_input(token: String) -> impl IntoView {
    view! { <input type="hidden" name=CSRF_FIELD value=token/> }
}

/// A hidden field, or nothing when there is no value.
pub(crate) fn hidden_input(name: &'static str, value: Option<String>) -> impl IntoView {
    value.map(|value| view! { <input type="hidden" name=name value=value/> })
}

/// Refuses a form without a live CSRF token of this browser, tenant and `form_for` (403 page).
pub(crate) fn check_csrf(
    pages: &Pages,
    req: &HttpRequest,
    form: &FormParams,
    tenant: &Tenant,
    form_for: FormFor<'_>,
) -> Result<(), ErrorPage> {
    let binding = form_for.binding();
    let scope = CsrfScope {
        tenant: tenant.id,
        binding: &binding,
    };
    match pages
        .csrf
        .verify(req, form.get(CSRF_FIELD), &scope, pages.clock.now())
    {
        Ok(()) => Ok(()),
        Err(CsrfRefusal::Expired) => Err(ErrorPage::expired_form(Some(tenant))),
        Err(CsrfRefusal::Mismatch) => Err(ErrorPage::forbidden_form(Some(tenant))),
    }
}

/// Adds `cookies` to `res`.
pub(crate) fn with_cookies(
    mut res: HttpResponse,
    cookies: impl IntoIterator<Item = Cookie<'static>>,
) -> HttpResponse {
    for cookie in cookies {
        if let Err(e) = res.add_cookie(&cookie) {
            tracing::error!(error = %e, "setting a cookie failed");
        }
    }
    res
}

/// Origins of `client`'s redirect URIs: the CSP must let a form's redirect chain reach them.
pub(crate) async fn client_origins(
    server: &AuthServer,
    tenant: &Tenant,
    client_id: &str,
) -> Vec<String> {
    match server.tokens.directory().client(tenant.id, client_id).await {
        Ok(Some(client)) => client
            .redirect_uris
            .iter()
            .chain(client.post_logout_redirect_uris.iter())
            .filter_map(|u| headers::origin(u.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}
