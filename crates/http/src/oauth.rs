//! The one mapping from the protocol engine's answers to HTTP, for every service: RFC 6749
//! §5.1 / §5.2 JSON bodies with `Cache-Control: no-store` and the Basic challenge of a failed
//! client authentication; RFC 6750 §3 bearer-token errors with their `WWW-Authenticate`
//! challenge; and the redirect of an authorization response (RFC 6749 §4.1.2 / §4.2.2),
//! success or error, to the client. (RFC 9457 problem+json is [`crate::problem`].)

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};
use keyward_core::TenantSlug;
use keyward_oauth::OAuthError;
use keyward_oauth::authorize::request::ResponseMode;
use keyward_oauth::bearer::BearerError;
use serde::Serialize;
use url::Url;
use url::form_urlencoded::Serializer;

/// RFC 6749 §5.1: token responses (and, here, every answer carrying token data) are not cached.
fn no_store(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// 200 with a JSON body that must not be cached. RFC 6749 §5.1
pub fn json<T: Serialize>(body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => no_store(StatusCode::OK)
            .content_type("application/json")
            .body(bytes),
        Err(e) => error(&internal(e), None),
    }
}

fn internal(e: serde_json::Error) -> OAuthError {
    tracing::error!(error = %e, "serialising a response failed");
    OAuthError::server_error()
}

/// RFC 6749 §5.2: the JSON error, 401 + `WWW-Authenticate: Basic realm="{tenant}"` when the
/// client tried HTTP Basic. `tenant` names the realm.
pub fn error(err: &OAuthError, tenant: Option<&str>) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut builder = no_store(status);
    if err.basic_challenge() {
        let realm = tenant
            .filter(|t| TenantSlug::parse(t).is_ok())
            .unwrap_or("keyward");
        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
            builder.insert_header((header::WWW_AUTHENTICATE, value));
        }
    }
    if let Some(seconds) = err.retry_after() {
        builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    builder
        .content_type("application/json")
        .body(err.to_json().to_string())
}

/// RFC 6750 §3: the status, the challenge (not on an outage), and a JSON body when there is
/// an error code. `realm` is the protected resource's (the tenant's issuer for userinfo).
pub fn bearer_error(e: &BearerError, realm: &str) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if e.status() != 503 {
        res.insert_header((header::WWW_AUTHENTICATE, e.challenge(realm)));
    }
    match e.code() {
        Some(code) => res.json(
            serde_json::json!({ "error": code.as_str(), "error_description": e.description() }),
        ),
        None => res.finish(),
    }
}

/// The browser goes to `to`: 302 after a GET, 303 after a POST (so it follows with a GET).
/// Never cached, and the address is not sent on as a referrer.
pub fn redirect(to: &str, after_post: bool) -> HttpResponse {
    let status = if after_post {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    HttpResponse::build(status)
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

/// Where an authorization response (a code, tokens or an error, with `state` and `iss`) sends
/// the browser: RFC 6749 §4.1.2 in the query (keeping the URI's own query) or §4.2.2 in the
/// fragment. `None` for a URI that does not parse, or for form_post, which is a page.
pub fn authorization_response_location(
    uri: &str,
    mode: ResponseMode,
    params: &[(String, String)],
) -> Option<String> {
    let mut url = Url::parse(uri).ok()?;
    match mode {
        ResponseMode::Query => {
            url.query_pairs_mut().extend_pairs(params);
        }
        ResponseMode::Fragment => {
            let mut fragment = Serializer::new(String::new());
            fragment.extend_pairs(params);
            url.set_fragment(Some(&fragment.finish()));
        }
        ResponseMode::FormPost => return None,
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn failed_basic_authentication_is_401_with_a_challenge_naming_the_tenant() {
        let err = OAuthError::invalid_client("no").with_basic_challenge(true);
        let res = error(&err, Some("acme"));
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Basic realm=\"acme\""
        );
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        let odd = error(&err, Some("a\"b"));
        assert_eq!(
            odd.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Basic realm=\"keyward\"",
            "no header injection"
        );
    }

    #[test]
    fn other_errors_carry_no_challenge_and_keep_their_status() {
        let res = error(&OAuthError::invalid_grant("no"), Some("acme"));
        assert_eq!(res.status(), 400);
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(error(&OAuthError::unknown_tenant(), None).status(), 404);
    }

    #[test]
    fn a_refusal_to_retry_carries_retry_after() {
        let busy = OAuthError::temporarily_unavailable().with_retry_after(1);
        let res = error(&busy, Some("acme"));
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let other = error(&OAuthError::temporarily_unavailable(), Some("acme"));
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
    }

    fn pairs() -> Vec<(String, String)> {
        vec![
            ("code".into(), "a b".into()),
            ("state".into(), "s&t".into()),
        ]
    }

    #[test]
    fn query_responses_keep_the_redirect_uris_own_query() {
        let to = authorization_response_location(
            "https://rp.test/cb?x=1",
            ResponseMode::Query,
            &pairs(),
        )
        .unwrap();
        assert_eq!(to, "https://rp.test/cb?x=1&code=a+b&state=s%26t");
    }

    #[test]
    fn fragment_responses_put_parameters_after_the_hash() {
        let to =
            authorization_response_location("https://rp.test/cb", ResponseMode::Fragment, &pairs())
                .unwrap();
        assert_eq!(to, "https://rp.test/cb#code=a+b&state=s%26t");
    }

    #[test]
    fn redirects_are_302_after_get_and_303_after_post_and_never_cached() {
        let res = redirect("https://rp.test/cb?error=access_denied", false);
        assert_eq!(res.status(), 302);
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        assert_eq!(redirect("/x", true).status(), 303);
    }

    #[test]
    fn bearer_errors_carry_their_challenge_and_code() {
        let res = bearer_error(&BearerError::InvalidToken("expired"), "https://id.test/t/a");
        assert_eq!(res.status(), 401);
        let challenge = res.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert!(
            challenge
                .to_str()
                .unwrap()
                .contains("error=\"invalid_token\"")
        );
        let outage = bearer_error(&BearerError::Unavailable, "r");
        assert_eq!(outage.status(), 503);
        assert!(outage.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn success_is_json_and_not_cacheable() {
        let res = json(&serde_json::json!({ "access_token": "x" }));
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get(header::PRAGMA).unwrap(), "no-cache");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
}
