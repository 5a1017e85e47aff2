//! The frame around every console page: the header and the navigation.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::sections;

/// Header "Keyward console", the section navigation, and the page in `<main>`.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <header class="console-header">
            <a class="console-brand" href="/admin/">"Keyward console"</a>
        </header>
        <nav class="console-nav" aria-label="Sections">
            <ul>
                {sections::ALL
                    .iter()
                    .map(|section| {
                        view! {
                            <li>
                                <A href=section.path>{section.title}</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <main class="console-main">{children()}</main>
    }
}
