//! The console application: the HTML document, the meta tags and the leptos_router routes.
//!
//! Pages are rendered on the server only. There is no WebAssembly bundle, so the document
//! carries no hydration script; links and forms are plain HTML.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Style, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::csp;
use crate::layout::Layout;
use crate::pages::{NotFound, Overview, Upcoming};
use crate::sections;

/// The whole HTML document of a console page, around [`Console`].
pub fn shell() -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <MetaTags/>
            </head>
            <body>
                <Console/>
            </body>
        </html>
    }
}

/// The console's routes inside the shell layout. Every page renders fully before it is sent
/// (`SsrMode::Async`): without client-side code, streamed placeholders would never be filled.
#[component]
pub fn Console() -> impl IntoView {
    provide_meta_context();
    csp::provide_policy();
    view! {
        <Title formatter=|page: String| format!("{page} · Keyward console")/>
        <Style>{STYLE}</Style>
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/admin/") view=Overview ssr=SsrMode::Async/>
                    <Route
                        path=path!("/admin/tenants")
                        view=|| view! { <Upcoming section=&sections::TENANTS/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/clients")
                        view=|| view! { <Upcoming section=&sections::CLIENTS/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/users")
                        view=|| view! { <Upcoming section=&sections::USERS/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/roles")
                        view=|| view! { <Upcoming section=&sections::ROLES/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/identity-providers")
                        view=|| view! { <Upcoming section=&sections::IDENTITY_PROVIDERS/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/keys")
                        view=|| view! { <Upcoming section=&sections::KEYS/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/audit")
                        view=|| view! { <Upcoming section=&sections::AUDIT/> }
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The console's few styles, inline so the shell needs no static file route.
const STYLE: &str = "\
body{margin:0;font-family:system-ui,sans-serif;color:#1d2433;display:grid;\
grid-template-columns:14rem 1fr;grid-template-rows:auto 1fr;min-height:100vh}\
.console-header{grid-column:1/3;padding:.75rem 1.25rem;background:#1d2433}\
.console-brand{color:#fff;font-weight:600;text-decoration:none}\
.console-nav{background:#f3f5f9;padding:1rem}\
.console-nav ul{list-style:none;margin:0;padding:0}\
.console-nav a{display:block;padding:.35rem .5rem;color:#1d2433;text-decoration:none}\
.console-nav a[aria-current]{font-weight:600;background:#e2e7f0}\
.console-main{padding:1.25rem 2rem;max-width:60rem}\
.console-notice{padding:.75rem 1rem;background:#fff8e1;border-left:4px solid #f0b400}";
