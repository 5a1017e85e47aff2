//! The response headers of hosted pages: a strict Content-Security-Policy (no scripts at all,
//! the one inline style allowed by nonce, forms posted only to this origin and to the origins
//! the flow continues to), no referrer, no caching.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use keyward_core::secret::random_token;

/// A fresh CSP nonce for one response.
pub fn nonce() -> String {
    random_token(16)
}

/// The scheme-host-port of `uri`, fit for a CSP source list; `None` for anything else.
pub fn origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

/// `Content-Security-Policy` of a page whose style element carries `nonce` and whose forms
/// (and the redirects that follow them) may go to `form_action` origins besides 'self'.
pub fn content_security_policy(nonce: &str, form_action: &[String]) -> String {
    let mut targets = String::from("'self'");
    for o in form_action {
        // Origins come from `origin`, so they hold no spaces, quotes or semicolons.
        if o.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'\'' | b'"'))
        {
            targets.push(' ');
            targets.push_str(o);
        }
    }
    format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; img-src https: data:; form-action {targets}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// An HTML page response with the hosted-page headers.
pub fn html(
    status: StatusCode,
    nonce: &str,
    form_action: &[String],
    document: String,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(nonce, form_action),
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .content_type("text/html; charset=utf-8")
        .body(document)
}

/// 303 See Other to `location` (after a form POST, or to continue a flow), uncacheable.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_no_script_and_lists_only_origins() {
        let csp = content_security_policy(
            "abc",
            &["https://rp.test".to_owned(), "x; script-src *".to_owned()],
        );
        assert!(csp.contains("default-src 'none'"));
        assert!(csp.contains("style-src 'nonce-abc'"));
        assert!(csp.contains("form-action 'self' https://rp.test;"), "{csp}");
        assert!(!csp.contains("script-src"));
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("base-uri 'none'"));
    }

    #[test]
    fn origin_of_a_uri_drops_path_and_query() {
        assert_eq!(
            origin("https://rp.test:8443/cb?x=1").as_deref(),
            Some("https://rp.test:8443")
        );
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("com.example.app:/cb"), None);
    }
}
