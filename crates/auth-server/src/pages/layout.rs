//! The frame of every hosted page: the tenant's name, logo and colours around a page body,
//! rendered on the server as plain HTML (no JavaScript needed). Everything that comes from
//! outside — tenant settings, client names, request parameters — goes through [`escape`].

use keyward_core::Tenant;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

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

/// A whole HTML document: `body_html` (already escaped by its author) inside the tenant's
/// branding. `nonce` is the CSP nonce of this response's one `<style>` element.
pub fn render(tenant: Option<&Tenant>, title: &str, body_html: &str, nonce: &str) -> String {
    let branding = tenant.map(|t| &t.settings.branding);
    let primary =
        colour(branding.and_then(|b| b.primary_color.as_deref())).unwrap_or(DEFAULT_PRIMARY);
    let background =
        colour(branding.and_then(|b| b.background_color.as_deref())).unwrap_or(DEFAULT_BACKGROUND);
    let name = tenant
        .map(|t| escape(t.display_name.as_str()))
        .unwrap_or_else(|| "Keyward".to_owned());
    let logo = match logo(branding.and_then(|b| b.logo_url.as_deref())) {
        Some(url) => format!(r#"<img class="logo" src="{}" alt="{name}">"#, escape(url)),
        None => String::new(),
    };
    let title = escape(title);
    let nonce = escape(nonce);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} – {name}</title>
<style nonce="{nonce}">
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
</style>
</head>
<body>
<main>
<header>{logo}<div class="tenant">{name}</div></header>
{body_html}
</main>
</body>
</html>
"#
    )
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
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }

    #[test]
    fn tenant_name_with_markup_is_escaped() {
        let html = render(
            Some(&tenant("<script>alert(1)</script>")),
            "Sign in",
            "<p>x</p>",
            "n0nce",
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn only_hex_colours_and_https_logos_reach_the_page() {
        let mut t = tenant("Acme");
        t.settings.branding.primary_color = Some("#123abc".into());
        t.settings.branding.background_color = Some("red;} body{display:none".into());
        t.settings.branding.logo_url = Some("javascript:alert(1)".into());
        let html = render(Some(&t), "x", "", "n");
        assert!(html.contains("#123abc"));
        assert!(!html.contains("display:none") && html.contains(DEFAULT_BACKGROUND));
        assert!(!html.contains("javascript:"));
        t.settings.branding.logo_url = Some("https://cdn.test/logo.png?a=1&b=\"2\"".into());
        let html = render(Some(&t), "x", "", "n");
        assert!(
            html.contains(r#"src="https://cdn.test/logo.png?a=1&amp;b=&quot;2&quot;""#),
            "{html}"
        );
    }
}
