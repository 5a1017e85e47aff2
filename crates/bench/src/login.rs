//! The full-login scenario: one complete browser sign-in per iteration, with a fresh cookie jar
//! (no SSO session is ever reused). GET the authorization endpoint (response_type=code, PKCE
//! S256, state and nonce fresh each time), follow the server's redirects by hand, fill in the
//! sign-in form, follow on to the redirect to `redirect_uri` (captured from its Location, never
//! fetched), and redeem the code at the token endpoint. The login counts once, when an
//! access_token and (with `openid`) an id_token carrying the nonce came back; its latency is
//! the whole chain.
//!
//! **Keyward-specific**: the sign-in page is found and filled by scraping Keyward's hosted
//! HTML — the first `<form>` holding an `<input name="password">`, its `action`, its hidden
//! inputs (the CSRF token `csrf_token`, tied to the `keyward_csrf` cookie, and `interaction`),
//! plus `username` and `password`. A consent page (a form with `name="decision"`) means the
//! client is not first-party; it is counted as a semantic error rather than answered. The other
//! scenarios stay on standard endpoints only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, LOCATION, SET_COOKIE,
};
use reqwest::{Client, Method, Request, StatusCode};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use url::Url;
use url::form_urlencoded::Serializer;

use crate::config::{AuthMethod, ClientCredentials, check_loopback};
use crate::prepared::{basic_authorization, form_body};
use crate::scenario::{Outcome, quote};

/// Redirects and pages one sign-in may take before it is called a loop.
const MAX_STEPS: usize = 10;

const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
const HTML: HeaderValue = HeaderValue::from_static("text/html");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Everything a sign-in needs, fixed for the run.
#[derive(Debug)]
pub struct LoginPlan {
    pub authorization: Url,
    pub token: Url,
    pub client: ClientCredentials,
    pub redirect_uri: Url,
    pub scope: String,
    pub username: String,
    pub password: String,
    pub allow_remote: bool,
    /// Basic credentials, computed once.
    basic: Option<HeaderValue>,
    rng: SystemRandom,
}

/// The per-login secrets: state, nonce and the PKCE verifier with its S256 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// RFC 7636 §4.1–4.2: a 43-character verifier (32 random bytes) and its S256 challenge.
    pub fn generate(rng: &dyn SecureRandom) -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32 + 16 + 16];
        rng.fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
        let verifier = URL_SAFE_NO_PAD.encode(&bytes[..32]);
        Ok(Pkce {
            challenge: s256(&verifier),
            state: URL_SAFE_NO_PAD.encode(&bytes[32..48]),
            nonce: URL_SAFE_NO_PAD.encode(&bytes[48..]),
            verifier,
        })
    }
}

/// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()))
}

/// The browser's cookies for one sign-in: by name (every Keyward cookie of a sign-in is
/// scoped to the tenant's path, so paths and domains are not modelled).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CookieJar(Vec<(String, String)>);

impl CookieJar {
    /// Takes in the `Set-Cookie` lines of an answer; an empty value or `Max-Age=0` removes.
    pub fn absorb(&mut self, headers: &HeaderMap) {
        for line in headers.get_all(SET_COOKIE) {
            let Ok(line) = line.to_str() else { continue };
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.0.retain(|(n, _)| n != name);
            if !value.is_empty() && !expired {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Cookie` request header, if there is anything to send.
    pub fn header(&self) -> Option<HeaderValue> {
        if self.0.is_empty() {
            return None;
        }
        let joined = self
            .0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::from_str(&joined).ok()
    }
}

/// A form found on a page: where it posts and its hidden inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlForm {
    pub action: String,
    pub method: String,
    pub hidden: Vec<(String, String)>,
    /// The names of all its inputs, hidden or not.
    pub inputs: Vec<String>,
}

/// The first form of `html` that has an input named `field` (e.g. `password` for the sign-in
/// form, `decision` for consent).
pub fn form_with(html: &str, field: &str) -> Option<HtmlForm> {
    let mut rest = html;
    while let Some(start) = find_tag(rest, "form") {
        let after = &rest[start..];
        let open_end = after.find('>')?;
        let attrs = attributes(&after[..open_end]);
        let body_end = find_ci(&after[open_end..], "</form").map_or(after.len(), |e| e + open_end);
        let body = &after[open_end..body_end];
        let mut form = HtmlForm {
            action: attr(&attrs, "action").unwrap_or_default(),
            method: attr(&attrs, "method")
                .unwrap_or_else(|| "get".to_owned())
                .to_ascii_lowercase(),
            hidden: Vec::new(),
            inputs: Vec::new(),
        };
        for tag in tags(body, "input").chain(tags(body, "button")) {
            let a = attributes(tag);
            let Some(name) = attr(&a, "name") else {
                continue;
            };
            if attr(&a, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden")) {
                form.hidden
                    .push((name.clone(), attr(&a, "value").unwrap_or_default()));
            }
            form.inputs.push(name);
        }
        if form.inputs.iter().any(|n| n == field) {
            return Some(form);
        }
        rest = &after[body_end..];
    }
    None
}

/// What a page says, for an error report: the alert paragraph, else the `<title>`.
pub fn page_message(html: &str) -> String {
    let inner = |from: usize| {
        let text = &html[from..];
        let start = text.find('>').map_or(0, |i| i + 1);
        let end = text[start..].find('<').map_or(text.len(), |e| e + start);
        unescape(text[start..end].trim())
    };
    if let Some(i) = html.find("role=\"alert\"") {
        return inner(i);
    }
    if let Some(i) = find_tag(html, "title") {
        return inner(i);
    }
    quote(html.as_bytes())
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

/// The byte offset of the next `<name` tag (followed by whitespace, `>` or `/`).
fn find_tag(html: &str, name: &str) -> Option<usize> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let at = from + i;
        let next = lower.as_bytes().get(at + needle.len()).copied();
        if matches!(next, Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')) {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// Every `<name ...>` tag in `html`, as the text between `<` and `>`.
fn tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = find_tag(rest, name)?;
        let end = rest[start..].find('>').map_or(rest.len(), |e| e + start);
        let tag = &rest[start..end];
        rest = &rest[end..];
        Some(tag)
    })
}

/// The attributes of a tag (`<input a="1" b='2' c=3 d>`), names lower-cased, values unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let bytes = tag.as_bytes();
    let mut i = tag
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(tag.len());
    let mut out = Vec::new();
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'/')
        {
            i += 1;
        }
        if name_start == i {
            break;
        }
        let name = tag[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            out.push((name, String::new()));
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let end = tag[start..]
                    .find(q as char)
                    .map_or(tag.len(), |e| e + start);
                i = end + 1;
                &tag[start..end]
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                &tag[start..i]
            }
        };
        out.push((name, unescape(value)));
    }
    out
}

fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// The character references Keyward's `escape` produces (and the common numeric ones).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The token response fields full-login reads.
#[derive(Deserialize)]
struct Tokens {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct IdTokenClaims {
    #[serde(default)]
    nonce: Option<String>,
}

/// The nonce in an ID token's payload (the signature is not checked: a load generator only
/// makes sure the token belongs to this sign-in).
pub fn id_token_nonce(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<IdTokenClaims>(&bytes).ok()?.nonce
}

/// Whether `location` is the redirect URI (same scheme, host, port and path).
pub fn is_callback(location: &Url, redirect_uri: &Url) -> bool {
    location.scheme() == redirect_uri.scheme()
        && location.host_str() == redirect_uri.host_str()
        && location.port_or_known_default() == redirect_uri.port_or_known_default()
        && location.path() == redirect_uri.path()
}

/// The authorization response parameters of the callback: the fragment when there is one,
/// else the query.
pub fn callback_params(location: &Url) -> Vec<(String, String)> {
    match location.fragment() {
        Some(f) if !f.is_empty() => url::form_urlencoded::parse(f.as_bytes())
            .into_owned()
            .collect(),
        _ => location.query_pairs().into_owned().collect(),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// One answer read whole.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    /// Read whole even after a redirect, so that the connection goes back to the pool.
    body: Result<Vec<u8>, String>,
}

impl LoginPlan {
    pub fn new(
        authorization: Url,
        token: Url,
        client: ClientCredentials,
        redirect_uri: Url,
        scope: String,
        (username, password): (String, String),
        allow_remote: bool,
    ) -> anyhow::Result<Self> {
        let basic = match client.method {
            AuthMethod::Basic => Some(basic_authorization(&client.id, &client.secret)?),
            AuthMethod::Post | AuthMethod::None => None,
        };
        Ok(LoginPlan {
            authorization,
            token,
            client,
            redirect_uri,
            scope,
            username,
            password,
            allow_remote,
            basic,
            rng: SystemRandom::new(),
        })
    }

    /// The authorization request URL for one sign-in.
    pub fn authorize_url(&self, p: &Pkce) -> Url {
        let mut url = self.authorization.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client.id)
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("scope", &self.scope)
            .append_pair("state", &p.state)
            .append_pair("nonce", &p.nonce)
            .append_pair("code_challenge", &p.challenge)
            .append_pair("code_challenge_method", "S256");
        url
    }

    fn wants_id_token(&self) -> bool {
        self.scope.split_ascii_whitespace().any(|s| s == "openid")
    }

    /// One whole sign-in; Ok only when the tokens came back.
    pub async fn login(&self, client: &Client) -> Outcome {
        let pkce = match Pkce::generate(&self.rng) {
            Ok(p) => p,
            Err(e) => return Outcome::Semantic(e.to_string()),
        };
        let code = match self.code(client, &pkce).await {
            Ok(code) => code,
            Err(outcome) => return outcome,
        };
        self.redeem(client, &code, &pkce).await
    }

    /// From the authorization request to the code in the redirect to `redirect_uri`.
    async fn code(&self, client: &Client, pkce: &Pkce) -> Result<String, Outcome> {
        let mut jar = CookieJar::default();
        let mut url = self.authorize_url(pkce);
        let mut answer = self.send(client, &mut jar, Method::GET, &url, None).await?;
        let mut signed_in = false;
        for _ in 0..MAX_STEPS {
            if answer.status.is_redirection() {
                let Some(to) = answer.location.as_deref() else {
                    return Err(Outcome::Semantic(format!(
                        "HTTP {} without a Location at {}",
                        answer.status.as_u16(),
                        url.path()
                    )));
                };
                let next = url.join(to).map_err(|_| {
                    Outcome::Semantic(format!("unusable Location {to:?} at {}", url.path()))
                })?;
                if is_callback(&next, &self.redirect_uri) {
                    return self.take_code(&next, pkce);
                }
                if check_loopback("redirect", &next, self.allow_remote).is_err() {
                    return Err(Outcome::Semantic(format!(
                        "redirected off loopback to {}",
                        next.origin().ascii_serialization()
                    )));
                }
                url = next;
                answer = self.send(client, &mut jar, Method::GET, &url, None).await?;
                continue;
            }
            let html = match &answer.body {
                Ok(b) => String::from_utf8_lossy(b).into_owned(),
                Err(e) => return Err(Outcome::Transport(e.clone())),
            };
            if !answer.status.is_success() {
                return Err(Outcome::Status(
                    answer.status.as_u16(),
                    format!("at {}: {}", url.path(), page_message(&html)),
                ));
            }
            if form_with(&html, "decision").is_some() {
                return Err(Outcome::Semantic(
                    "a consent page appeared: full-login measures sign-in without consent; register the client as first-party (keyward client create --first-party)".to_owned(),
                ));
            }
            let Some(form) = form_with(&html, "password") else {
                return Err(Outcome::Semantic(format!(
                    "no sign-in form at {}: {}",
                    url.path(),
                    page_message(&html)
                )));
            };
            if signed_in {
                return Err(Outcome::Semantic(format!(
                    "the sign-in form came back after signing in: {}",
                    page_message(&html)
                )));
            }
            let action = url.join(&form.action).map_err(|_| {
                Outcome::Semantic(format!("unusable form action {:?}", form.action))
            })?;
            if check_loopback("form action", &action, self.allow_remote).is_err() {
                return Err(Outcome::Semantic(format!(
                    "the sign-in form posts off loopback to {}",
                    action.origin().ascii_serialization()
                )));
            }
            let body = {
                let mut body = Serializer::new(String::with_capacity(256));
                body.extend_pairs(&form.hidden);
                body.append_pair("username", &self.username);
                body.append_pair("password", &self.password);
                body.finish()
            };
            url = action;
            answer = self
                .send(client, &mut jar, Method::POST, &url, Some(body))
                .await?;
            signed_in = true;
        }
        Err(Outcome::Semantic(format!(
            "no redirect to the redirect URI after {MAX_STEPS} steps"
        )))
    }

    fn take_code(&self, callback: &Url, pkce: &Pkce) -> Result<String, Outcome> {
        let params = callback_params(callback);
        if let Some(error) = param(&params, "error") {
            let description = param(&params, "error_description").unwrap_or_default();
            return Err(Outcome::Semantic(format!(
                "authorization error {error}: {description}"
            )));
        }
        if param(&params, "state") != Some(pkce.state.as_str()) {
            return Err(Outcome::Semantic(
                "the callback does not carry this sign-in's state".to_owned(),
            ));
        }
        match param(&params, "code") {
            Some(code) if !code.is_empty() => Ok(code.to_owned()),
            _ => Err(Outcome::Semantic("no code in the callback".to_owned())),
        }
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.5's code_verifier.
    async fn redeem(&self, client: &Client, code: &str, pkce: &Pkce) -> Outcome {
        let body = form_body(
            &self.client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", &pkce.verifier),
            ],
        );
        let mut req = Request::new(Method::POST, self.token.clone());
        let h = req.headers_mut();
        h.insert(CONTENT_TYPE, FORM);
        h.insert(ACCEPT, JSON);
        if let Some(basic) = &self.basic {
            h.insert(AUTHORIZATION, basic.clone());
        }
        *req.body_mut() = Some(body.into());
        let resp = match client.execute(req).await {
            Ok(r) => r,
            Err(e) => return Outcome::Transport(e.to_string()),
        };
        let status = resp.status();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Outcome::Transport(e.to_string()),
        };
        if !status.is_success() {
            return Outcome::Status(status.as_u16(), format!("token: {}", quote(&bytes)));
        }
        let Ok(tokens) = serde_json::from_slice::<Tokens>(&bytes) else {
            return Outcome::Semantic(format!("token: not JSON: {}", quote(&bytes)));
        };
        if tokens.access_token.is_empty() {
            return Outcome::Semantic(format!("token: no access_token in {}", quote(&bytes)));
        }
        if self.wants_id_token() {
            let Some(id_token) = tokens.id_token.as_deref().filter(|t| !t.is_empty()) else {
                return Outcome::Semantic("token: no id_token for scope openid".to_owned());
            };
            if id_token_nonce(id_token).as_deref() != Some(pkce.nonce.as_str()) {
                return Outcome::Semantic(
                    "token: the id_token does not carry this sign-in's nonce".to_owned(),
                );
            }
        }
        Outcome::Ok
    }

    /// Sends one browser request with the jar's cookies and reads the whole answer.
    async fn send(
        &self,
        client: &Client,
        jar: &mut CookieJar,
        method: Method,
        url: &Url,
        form: Option<String>,
    ) -> Result<Answer, Outcome> {
        let mut req = Request::new(method, url.clone());
        let h = req.headers_mut();
        h.insert(ACCEPT, HTML);
        if let Some(cookie) = jar.header() {
            h.insert(COOKIE, cookie);
        }
        if let Some(body) = form {
            h.insert(CONTENT_TYPE, FORM);
            *req.body_mut() = Some(body.into());
        }
        let resp = client
            .execute(req)
            .await
            .map_err(|e| Outcome::Transport(format!("{}: {e}", url.path())))?;
        jar.absorb(resp.headers());
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string());
        Ok(Answer {
            status,
            location,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Keyward's sign-in page as `crates/auth-server/src/pages/login.rs` renders it.
    const KEYWARD_LOGIN: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Bench</title></head><body><main>
<h1>Sign in</h1>
<p>to continue to <strong>bench &amp; co</strong></p>

<form method="post" action="/t/bench/login">
<input type="hidden" name="csrf_token" value="Zm9v-YmFy_baz">
<input type="hidden" name="interaction" value="i&amp;d&quot;1">
<label for="username">Username or email</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Sign in</button>
</form></main></body></html>"#;

    #[test]
    fn scrapes_keywards_sign_in_form() {
        let form = form_with(KEYWARD_LOGIN, "password").unwrap();
        assert_eq!(form.action, "/t/bench/login");
        assert_eq!(form.method, "post");
        assert_eq!(
            form.hidden,
            [
                ("csrf_token".to_owned(), "Zm9v-YmFy_baz".to_owned()),
                ("interaction".to_owned(), "i&d\"1".to_owned()),
            ]
        );
        assert!(form.inputs.contains(&"username".to_owned()));
        assert!(form_with(KEYWARD_LOGIN, "decision").is_none());
    }

    #[test]
    fn finds_the_form_that_has_the_field_among_several() {
        let html = r#"<form action="/search"><input name="q"></form>
<FORM METHOD=POST ACTION='/t/x/consent'><INPUT TYPE=hidden NAME=csrf_token VALUE=abc>
<button name="decision" value="approve">Allow</button></FORM>"#;
        let form = form_with(html, "decision").unwrap();
        assert_eq!(form.action, "/t/x/consent");
        assert_eq!(form.method, "post");
        assert_eq!(form.hidden, [("csrf_token".to_owned(), "abc".to_owned())]);
        assert!(form_with(html, "password").is_none());
        assert!(form_with("<p>no form</p>", "password").is_none());
        // <formula> is not a form
        assert!(form_with("<formula><input name=password></formula>", "password").is_none());
    }

    #[test]
    fn reports_the_alert_or_the_title_of_a_page() {
        let page = r#"<title>Sign in</title><p class="error" role="alert">Incorrect username or password.</p>"#;
        assert_eq!(page_message(page), "Incorrect username or password.");
        assert_eq!(
            page_message("<html><title>This request cannot be completed</title>"),
            "This request cannot be completed"
        );
    }

    #[test]
    fn the_cookie_jar_keeps_replaces_and_expires_by_name() {
        let mut jar = CookieJar::default();
        assert!(jar.header().is_none());
        let mut h = HeaderMap::new();
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("keyward_csrf=abc; Path=/t/bench/; HttpOnly; SameSite=Lax"),
        );
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("keyward_session=s1; Path=/t/bench/"),
        );
        jar.absorb(&h);
        assert_eq!(jar.get("keyward_csrf"), Some("abc"));
        assert_eq!(
            jar.header().unwrap().to_str().unwrap(),
            "keyward_csrf=abc; keyward_session=s1"
        );
        let mut h = HeaderMap::new();
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("keyward_session=s2; Path=/t/bench/"),
        );
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("keyward_csrf=; Path=/t/bench/; Max-Age=0"),
        );
        jar.absorb(&h);
        assert_eq!(jar.get("keyward_csrf"), None);
        assert_eq!(
            jar.header().unwrap().to_str().unwrap(),
            "keyward_session=s2"
        );
    }

    #[test]
    fn pkce_is_s256_of_a_43_character_verifier_and_fresh_each_time() {
        // RFC 7636 Appendix B
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let rng = SystemRandom::new();
        let (a, b) = (Pkce::generate(&rng).unwrap(), Pkce::generate(&rng).unwrap());
        assert_eq!(a.verifier.len(), 43);
        assert_eq!(a.challenge, s256(&a.verifier));
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
    }

    fn plan(method: AuthMethod) -> LoginPlan {
        LoginPlan::new(
            Url::parse("http://127.0.0.1:8080/t/bench/authorize").unwrap(),
            Url::parse("http://127.0.0.1:8080/t/bench/token").unwrap(),
            ClientCredentials {
                id: "spa".to_owned(),
                secret: String::new(),
                method,
            },
            Url::parse("http://127.0.0.1:9/cb").unwrap(),
            "openid".to_owned(),
            ("bench".to_owned(), "pw".to_owned()),
            false,
        )
        .unwrap()
    }

    #[test]
    fn the_authorization_request_carries_pkce_state_and_nonce() {
        let p = plan(AuthMethod::None);
        let pkce = Pkce::generate(&p.rng).unwrap();
        let url = p.authorize_url(&pkce);
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "spa");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:9/cb");
        assert_eq!(q["scope"], "openid");
        assert_eq!(q["state"], pkce.state);
        assert_eq!(q["nonce"], pkce.nonce);
        assert_eq!(q["code_challenge"], pkce.challenge);
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(p.basic.is_none());
    }

    #[test]
    fn the_callback_is_recognised_and_its_code_taken_only_with_this_state() {
        let p = plan(AuthMethod::None);
        let pkce = Pkce::generate(&p.rng).unwrap();
        let ok = Url::parse(&format!(
            "http://127.0.0.1:9/cb?code=c1&state={}&iss=x",
            pkce.state
        ))
        .unwrap();
        assert!(is_callback(&ok, &p.redirect_uri));
        assert!(!is_callback(
            &Url::parse("http://127.0.0.1:9/other?code=c").unwrap(),
            &p.redirect_uri
        ));
        assert!(!is_callback(
            &Url::parse("http://127.0.0.1:8080/cb").unwrap(),
            &p.redirect_uri
        ));
        assert_eq!(p.take_code(&ok, &pkce).unwrap(), "c1");
        let wrong_state = Url::parse("http://127.0.0.1:9/cb?code=c1&state=zz").unwrap();
        assert!(matches!(
            p.take_code(&wrong_state, &pkce),
            Err(Outcome::Semantic(_))
        ));
        let denied = Url::parse(&format!(
            "http://127.0.0.1:9/cb?error=access_denied&state={}",
            pkce.state
        ))
        .unwrap();
        match p.take_code(&denied, &pkce) {
            Err(Outcome::Semantic(m)) => assert!(m.contains("access_denied"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_the_nonce_of_an_id_token() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u","nonce":"n-1"}"#);
        assert_eq!(
            id_token_nonce(&format!("eyJhbGciOiJFUzI1NiJ9.{payload}.sig")).as_deref(),
            Some("n-1")
        );
        assert_eq!(id_token_nonce("not-a-jwt"), None);
    }

    #[test]
    fn a_public_client_sends_its_id_in_the_body_and_basic_clients_do_not() {
        let p = plan(AuthMethod::None);
        assert_eq!(
            form_body(&p.client, &[("grant_type", "authorization_code")]),
            "grant_type=authorization_code&client_id=spa"
        );
        let mut c = p.client.clone();
        c.method = AuthMethod::Basic;
        c.secret = "s".to_owned();
        assert_eq!(
            form_body(&c, &[("grant_type", "authorization_code")]),
            "grant_type=authorization_code"
        );
    }
}
