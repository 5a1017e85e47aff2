//! The frame of every hosted page: the tenant's name, logo and colours around a page body,
//! written as a leptos `view!` and rendered on the server to plain HTML (no JavaScript, no
//! hydration). Leptos escapes every interpolated value — text and attribute alike — so tenant
//! settings, client names and request parameters need no escaping by hand; only the colours
//! and the logo are checked here, because a valid string can still be unfit for CSS or `src`.

use leptos::prelude::*;

use keyward_core::Tenant;

/// A colour fit for CSS: exactly `#rrggbb`, else nothing.
fn colour(value: Option<&str>) -> Option<&str> {
    value.filter(|v| {
        v.len() == 7 && v.starts_with('#') && v.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
    })
}

/// A logo URL the page may load: https only (the CSP allows `img-src https: data:`).
fn logo(value: Option<&str>) -> Option<&str> {
    value.filter(|v| {
        v.starts_with("https://") && v.len() <= 2048 && !v.chars().any(char::is_control)
    })
}

const DEFAULT_PRIMARY: &str = "#1f5fbf";
const DEFAULT_BACKGROUND: &str = "#f4f6f8";

/// The branding a page shows: the tenant's, checked, or Keyward's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub name: String,
    pub logo_url: Option<String>,
    pub primary: String,
    pub background: String,
}

impl Branding {
    pub fn of(tenant: Option<&Tenant>) -> Self {
        let branding = tenant.map(|t| &t.settings.branding);
        Self {
            name: tenant.map_or_else(
                || "Keyward".to_owned(),
                |t| t.display_name.as_str().to_owned(),
            ),
            logo_url: logo(branding.and_then(|b| b.logo_url.as_deref())).map(str::to_owned),
            primary: colour(branding.and_then(|b| b.primary_color.as_deref()))
                .unwrap_or(DEFAULT_PRIMARY)
                .to_owned(),
            background: colour(branding.and_then(|b| b.background_color.as_deref()))
                .unwrap_or(DEFAULT_BACKGROUND)
                .to_owned(),
        }
    }

    /// The page's one style sheet. Only checked `#rrggbb` colours are put into it.
    fn style_sheet(&self) -> String {
        let Self {
            primary,
            background,
            ..
        } = self;
        format!(
            r#"
body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: {background}; color: #1b1f23; }}
main {{ max-width: 26rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
header {{ text-align: center; margin-bottom: 1.5rem; }}
.logo {{ max-height: 48px; max-width: 100%; display: block; margin: 0 auto .5rem; }}
.tenant {{ font-weight: 600; }}
h1 {{ font-size: 1.4rem; margin: 0 0 1rem; }}
label {{ display: block; margin: 1rem 0 .25rem; font-weight: 600; }}
input[type=text], input[type=password], input[type=email] {{ width: 100%; box-sizing: border-box; padding: .6rem; border: 1px solid #8a939c; border-radius: 4px; font-size: 1rem; }}
button {{ margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 4px; border: 1px solid {primary}; cursor: pointer; }}
button.primary {{ background: {primary}; color: #fff; }}
button.secondary {{ background: #fff; color: {primary}; }}
.error {{ color: #a4000f; background: #fdecee; padding: .6rem; border-radius: 4px; }}
ul.scopes {{ padding-left: 1.2rem; }}
.actions {{ display: flex; gap: .75rem; flex-wrap: wrap; }}
"#
        )
    }
}

/// The whole document: `children` inside the tenant's branding. `nonce` is the CSP nonce of
/// the document's one `<style>` element.
#[component]
pub fn Layout(
    branding: Branding,
    title: String,
    nonce: String,
    children: Children,
) -> impl IntoView {
    let style = branding.style_sheet();
    let Branding { name, logo_url, .. } = branding;
    let logo = logo_url.map(|src| view! { <img class="logo" src=src alt=name.clone()/> });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="no-referrer"/>
                <title>{format!("{title} – {name}")}</title>
                <style nonce=nonce>{style}</style>
            </head>
            <body>
                <main>
                    <header>{logo}<div class="tenant">{name}</div></header>
                    {children()}
                </main>
            </body>
        </html>
    }
}

/// `view` rendered to an HTML string. Tachys separates adjacent text nodes and marks empty
/// options and lists with `<!>` comments for hydration; these pages are never hydrated, so
/// the markers are dropped. A raw `<!>` can come from nowhere else: leptos escapes `<` in
/// every interpolated text and attribute value.
pub fn to_html(view: impl IntoView) -> String {
    view.into_view().to_html().replace("<!>", "")
}

/// A whole hosted-page document with `body` inside [`Layout`].
pub fn document(
    tenant: Option<&Tenant>,
    title: &str,
    nonce: &str,
    body: impl IntoView + 'static,
) -> String {
    let branding = Branding::of(tenant);
    let title = title.to_owned();
    let nonce = nonce.to_owned();
    to_html(view! { <Layout branding=branding title=title nonce=nonce>{body}</Layout> })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use chrono::Utc;
    use keyward_core::{DisplayName, TenantSlug};

    use super::*;

    fn tenant(name: &str) -> Tenant {
        Tenant::new(
            TenantSlug::parse("acme").unwrap(),
            DisplayName::parse(name).unwrap(),
            Utc::now(),
        )
    }

    #[test]
    fn interpolated_text_and_attributes_are_escaped() {
        let value = r#"<a href="x">'&'</a>"#;
        let html = to_html(view! { <p title=value>{value}</p> });
        assert_eq!(
            html,
            r#"<p title="&lt;a href=&quot;x&quot;&gt;'&amp;'&lt;/a&gt;">&lt;a href="x"&gt;'&amp;'&lt;/a&gt;</p>"#
        );
    }

    #[test]
    fn tenant_name_with_markup_is_escaped() {
        let html = document(
            Some(&tenant("<script>alert(1)</script>")),
            "Sign in",
            "n0nce",
            view! { <p>"x"</p> },
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_document_is_plain_html_with_one_nonced_style() {
        let html = document(
            Some(&tenant("Acme")),
            "Sign in",
            "n0nce",
            view! { <p>"x"</p> },
        );
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(html.contains("<title>Sign in – Acme</title>"), "{html}");
        assert!(html.contains(r#"<style nonce="n0nce">"#), "{html}");
        assert_eq!(html.matches("<style").count(), 1);
        assert!(html.contains(r#"<div class="tenant">Acme</div></header><p>x</p></main>"#));
        assert!(!html.contains("<script") && !html.contains("<!>") && !html.contains("<!--"));
    }

    #[test]
    fn only_hex_colours_and_https_logos_reach_the_page() {
        let mut t = tenant("Acme");
        t.settings.branding.primary_color = Some("#123abc".into());
        t.settings.branding.background_color = Some("red;} body{display:none".into());
        t.settings.branding.logo_url = Some("javascript:alert(1)".into());
        let html = document(Some(&t), "x", "n", ());
        assert!(html.contains("#123abc"));
        assert!(!html.contains("display:none") && html.contains(DEFAULT_BACKGROUND));
        assert!(!html.contains("javascript:"));
        t.settings.branding.logo_url = Some("https://cdn.test/logo.png?a=1&b=\"2\"".into());
        let html = document(Some(&t), "x", "n", ());
        assert!(
            html.contains(r#"src="https://cdn.test/logo.png?a=1&amp;b=&quot;2&quot;""#),
            "{html}"
        );
    }
}
