//! Requests built once and replayed: the client shares the machine with the server under test,
//! so the hot loop only clones a URL and a small header map and points at a body that already
//! exists.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Request};
use url::Url;
use url::form_urlencoded::{Serializer, byte_serialize};

use crate::config::{AuthMethod, ClientCredentials};

const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// One request, ready to be replayed any number of times.
#[derive(Debug, Clone)]
pub struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    /// Leaked once per run so that every replay hands reqwest the same bytes without copying:
    /// a run prepares a bounded number of bodies (at most the token pool plus a handful).
    body: Option<&'static str>,
}

impl Prepared {
    pub fn get(url: Url) -> Self {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(ACCEPT, JSON);
        Prepared {
            method: Method::GET,
            url,
            headers,
            body: None,
        }
    }

    /// A client-authenticated form POST (RFC 6749 §2.3.1); `params` exclude client credentials.
    pub fn form(
        url: Url,
        client: &ClientCredentials,
        params: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let headers = form_headers(client)?;
        let body = form_body(client, params);
        Ok(Prepared {
            method: Method::POST,
            url,
            headers,
            body: Some(body.leak()),
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A fresh request for one replay.
    pub fn request(&self) -> Request {
        let mut r = Request::new(self.method.clone(), self.url.clone());
        *r.headers_mut() = self.headers.clone();
        if let Some(body) = self.body {
            *r.body_mut() = Some(body.into());
        }
        r
    }
}

/// Headers for a client-authenticated form POST: Basic credentials when the client uses
/// client_secret_basic.
pub fn form_headers(client: &ClientCredentials) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::with_capacity(3);
    headers.insert(CONTENT_TYPE, FORM);
    headers.insert(ACCEPT, JSON);
    if client.method == AuthMethod::Basic {
        headers.insert(
            AUTHORIZATION,
            basic_authorization(&client.id, &client.secret)?,
        );
    }
    Ok(headers)
}

/// The form body, with the client credentials when the client uses client_secret_post (the
/// client_id alone for a public client).
pub fn form_body(client: &ClientCredentials, params: &[(&str, &str)]) -> String {
    let mut s = Serializer::new(String::with_capacity(128));
    s.extend_pairs(params);
    match client.method {
        AuthMethod::Post => {
            s.append_pair("client_id", &client.id);
            s.append_pair("client_secret", &client.secret);
        }
        // RFC 6749 §3.2.1: a public client identifies itself in the body.
        AuthMethod::None => {
            s.append_pair("client_id", &client.id);
        }
        AuthMethod::Basic => {}
    }
    s.finish()
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and Base64'd.
pub fn basic_authorization(id: &str, secret: &str) -> anyhow::Result<HeaderValue> {
    let raw = format!("{}:{}", form_encode(id), form_encode(secret));
    let mut v = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(raw)))?;
    v.set_sensitive(true);
    Ok(v)
}

pub fn form_encode(s: &str) -> String {
    byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn client(method: AuthMethod) -> ClientCredentials {
        ClientCredentials {
            id: "my client".to_owned(),
            secret: "s3:cr&t".to_owned(),
            method,
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let v = basic_authorization("my client", "s3:cr&t").unwrap();
        let b64 = v.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let raw = String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap();
        assert_eq!(raw, "my+client:s3%3Acr%26t");
    }

    #[test]
    fn client_secret_post_puts_credentials_in_the_body_only() {
        let c = client(AuthMethod::Post);
        assert_eq!(
            form_body(&c, &[("grant_type", "client_credentials")]),
            "grant_type=client_credentials&client_id=my+client&client_secret=s3%3Acr%26t"
        );
        assert!(form_headers(&c).unwrap().get(AUTHORIZATION).is_none());
    }

    #[test]
    fn client_secret_basic_keeps_the_body_free_of_credentials() {
        let c = client(AuthMethod::Basic);
        assert_eq!(
            form_body(
                &c,
                &[("grant_type", "client_credentials"), ("scope", "a b")]
            ),
            "grant_type=client_credentials&scope=a+b"
        );
        assert!(form_headers(&c).unwrap().get(AUTHORIZATION).is_some());
    }

    #[test]
    fn a_prepared_request_replays_identically() {
        let p = Prepared::form(
            Url::parse("http://127.0.0.1/token").unwrap(),
            &client(AuthMethod::Basic),
            &[("grant_type", "client_credentials")],
        )
        .unwrap();
        let (a, b) = (p.request(), p.request());
        assert_eq!(a.method(), Method::POST);
        assert_eq!(a.url(), b.url());
        assert_eq!(a.headers(), b.headers());
        assert_eq!(
            a.body().unwrap().as_bytes(),
            Some(&b"grant_type=client_credentials"[..])
        );
    }
}
