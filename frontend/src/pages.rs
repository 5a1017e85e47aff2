//! The pages of the console shell. None shows data yet: each section page says honestly that
//! its feature arrives in a later release.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::sections::{self, Section};

/// `/admin/`: what the console is and where its sections are.
#[component]
pub fn Overview() -> impl IntoView {
    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <p>
            "This console will manage the tenants of this Keyward installation. "
            "Its sections are listed below; none of them is available yet."
        </p>
        <ul class="console-sections">
            {sections::ALL
                .iter()
                .map(|section| {
                    view! {
                        <li>
                            <A href=section.path>{section.title}</A>
                            " — "
                            {section.purpose}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// The page of a section whose feature is not built yet.
#[component]
pub fn Upcoming(section: &'static Section) -> impl IntoView {
    view! {
        <Title text=section.title/>
        <h1>{section.title}</h1>
        <p>{section.purpose}</p>
        <p class="console-notice">
            "This feature arrives in a later release of Keyward. "
            "Until then, use the admin API or the "
            <code>"keyward"</code>
            " command line."
        </p>
    }
}

/// Any other path under `/admin/`: a page that says so, with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        response.set_status(actix_web::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <h1>"Page not found"</h1>
        <p>"There is no console page at this address."</p>
        <p>
            <a href="/admin/">"Back to the overview"</a>
        </p>
    }
}
