//! A cookie-keeping browser that drives whole authorization flows: follows the server's own
//! redirects, fills the sign-in form (CSRF token scraped from the page) and the consent form,
//! and stops at the first answer meant for the client (a redirect elsewhere, or a form_post
//! page).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::app::TestApp;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Mutex<HashMap<String, String>>,
}

/// Where a browser flow ended.
#[derive(Debug)]
pub enum Landing {
    /// A redirect to the client: the full Location.
    Redirect(String),
    /// A page that is not ours to continue (form_post, or an error page).
    Page {
        status: u16,
        html: String,
        csp: String,
    },
}

impl Landing {
    pub fn redirect(self) -> String {
        match self {
            Self::Redirect(to) => to,
            Self::Page { status, html, .. } => {
                panic!("expected a redirect to the client, got {status}: {html}")
            }
        }
    }
}

/// The decoded parameters of a URL's fragment when it has one, else of its query.
pub fn response_params(location: &str) -> HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    match url.fragment() {
        Some(f) => url::form_urlencoded::parse(f.as_bytes())
            .into_owned()
            .collect(),
        None => url.query_pairs().into_owned().collect(),
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + end]))
}

/// The action and hidden inputs of the page's first form.
pub fn form(html: &str) -> (String, Vec<(String, String)>) {
    let start = html.find("<form").expect("a form");
    let tag_end = html[start..].find('>').unwrap() + start;
    let action = attr(&html[start..tag_end], "action").unwrap_or_default();
    let end = html[tag_end..]
        .find("</form>")
        .map_or(html.len(), |e| e + tag_end);
    let mut hidden = Vec::new();
    let mut rest = &html[tag_end..end];
    while let Some(i) = rest.find("<input") {
        let close = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i..close];
        if tag.contains("type=\"hidden\"") {
            hidden.push((
                attr(tag, "name").unwrap(),
                attr(tag, "value").unwrap_or_default(),
            ));
        }
        rest = &rest[close..];
    }
    (action, hidden)
}

impl Browser {
    pub fn new(server: &TestApp) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            base: server.base.clone(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&self, res: &reqwest::Response) {
        let mut jar = self.cookies.lock().unwrap();
        for value in res.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0") {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        let res = self
            .http
            .get(self.absolute(url))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(&res);
        res
    }

    pub async fn post(&self, url: &str, form: &[(String, String)]) -> reqwest::Response {
        let res = self
            .http
            .post(self.absolute(url))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.absorb(&res);
        res
    }

    /// Follows `res` through the server's own redirects and pages: signs in as
    /// `credentials` when the sign-in page appears (panics if `None`), approves consent.
    pub async fn drive(
        &self,
        res: reqwest::Response,
        credentials: Option<(&str, &str)>,
    ) -> Landing {
        self.drive_deciding(res, credentials, "approve").await
    }

    /// [`Browser::drive`], answering the consent page with `decision` (`approve` or `deny`).
    pub async fn drive_deciding(
        &self,
        mut res: reqwest::Response,
        credentials: Option<(&str, &str)>,
        decision: &str,
    ) -> Landing {
        for _ in 0..12 {
            let status = res.status().as_u16();
            if (300..400).contains(&status) {
                let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
                if !to.starts_with('/') && !to.starts_with(&self.base) {
                    return Landing::Redirect(to);
                }
                res = self.get(&to).await;
                continue;
            }
            let csp = res
                .headers()
                .get("content-security-policy")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let html = res.text().await.unwrap();
            if status == 200 && html.contains("name=\"password\"") {
                let (action, mut fields) = form(&html);
                let (user, password) = credentials.expect("the sign-in page appeared");
                fields.push(("username".into(), user.into()));
                fields.push(("password".into(), password.into()));
                res = self.post(&action, &fields).await;
                continue;
            }
            if status == 200 && html.contains("name=\"decision\"") {
                let (action, mut fields) = form(&html);
                fields.push(("decision".into(), decision.into()));
                res = self.post(&action, &fields).await;
                continue;
            }
            return Landing::Page { status, html, csp };
        }
        panic!("too many steps");
    }
}
