//! A tiny browser for the hosted pages: keeps cookies (by name; paths are the tests' concern),
//! follows no redirects, and reads forms' hidden fields.

use std::sync::Mutex;

use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

pub struct Browser {
    http: reqwest::Client,
    cookies: Mutex<Vec<(String, String)>>,
}

/// One answer: status, headers, body.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` line for `name`, if the response set it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the hidden input `name` of the page's form.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        let len = self.body[start..].find('"').unwrap();
        self.body[start..start + len].to_owned()
    }
}

impl Browser {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            cookies: Mutex::new(Vec::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn set(&self, name: &str, value: &str) {
        let mut jar = self.cookies.lock().unwrap();
        jar.retain(|(n, _)| n != name);
        jar.push((name.to_owned(), value.to_owned()));
    }

    fn remember(&self, headers: &HeaderMap) {
        for line in headers.get_all(SET_COOKIE) {
            let line = line.to_str().unwrap();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            jar.retain(|(n, _)| n != name);
            if !line.contains("Max-Age=0") {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let jar = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if jar.is_empty() {
            request
        } else {
            request.header(COOKIE, jar)
        };
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        self.remember(&headers);
        Page {
            status,
            headers,
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        self.send(self.http.get(url)).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(url).form(form)).await
    }
}
