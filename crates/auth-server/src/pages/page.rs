//! A finished hosted page as a value: status, the rendered document, the CSP nonce of its
//! style, the origins its forms may post to and the cookies to set. Handlers return it (as a
//! `Responder`); [`ErrorPage`](super::error::ErrorPage) is its error-side twin.

use actix_web::body::BoxBody;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder};
use keyward_core::Tenant;
use leptos::prelude::IntoView;

use super::{headers, layout};

/// A hosted page, ready to send.
pub struct Page {
    status: StatusCode,
    nonce: String,
    document: String,
    form_action: Vec<String>,
    cookies: Vec<Cookie<'static>>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Page {
    /// `body` inside the tenant's layout, titled `title`, answered with `status`.
    pub fn new(
        tenant: Option<&Tenant>,
        status: StatusCode,
        title: &str,
        body: impl IntoView + 'static,
    ) -> Self {
        let nonce = headers::nonce();
        let document = layout::document(tenant, title, &nonce, body);
        Self {
            status,
            nonce,
            document,
            form_action: Vec::new(),
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Origins besides 'self' the page's forms (and the redirects after them) may go to.
    pub fn form_action(mut self, origins: Vec<String>) -> Self {
        self.form_action = origins;
        self
    }

    pub fn cookies(mut self, cookies: impl IntoIterator<Item = Cookie<'static>>) -> Self {
        self.cookies.extend(cookies);
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn document(&self) -> &str {
        &self.document
    }

    pub fn into_response(self) -> HttpResponse {
        let mut res = headers::html(self.status, &self.nonce, &self.form_action, self.document);
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        super::with_cookies(res, self.cookies)
    }
}

impl Responder for Page {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.into_response()
    }
}

impl From<Page> for HttpResponse {
    fn from(page: Page) -> Self {
        page.into_response()
    }
}
