//! RFC 6749 §3.1.2: a redirection endpoint URI is absolute and has no fragment.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ParseError;

/// A registered redirect (or post-logout redirect) URI.
///
/// The original text is kept: RFC 9700 §4.1.3 asks for exact string matching, so a request's
/// `redirect_uri` is compared with [`RedirectUri::as_str`], never after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let url = Url::parse(s).map_err(|_| {
            ParseError::new("redirect_uri", format!("{s:?} is not an absolute URI"))
        })?;
        if url.fragment().is_some() {
            return Err(ParseError::new(
                "redirect_uri",
                "may not contain a fragment",
            ));
        }
        if url.cannot_be_a_base() && !s.contains(':') {
            return Err(ParseError::new("redirect_uri", "must be an absolute URI"));
        }
        if matches!(url.scheme(), "javascript" | "data" | "vbscript" | "file") {
            return Err(ParseError::new(
                "redirect_uri",
                "this scheme is not allowed",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// A URI a client may register now (RFC 9700 §2.1, RFC 8252 §7.3, §8.3): `https`, a
    /// private-use scheme of a native app, or plain `http` to a loopback host only
    /// (127.0.0.0/8, `[::1]`, `localhost`), where the traffic never leaves the device.
    /// Stored URIs are not re-checked when read, so clients registered before keep working
    /// until they are changed.
    pub fn parse_for_registration(s: &str) -> Result<Self, ParseError> {
        Self::parse_for_registration_with(s, false)
    }

    /// [`RedirectUri::parse_for_registration`]; with `allow_http`, plain http to any host is
    /// accepted too (a tenant whose `allow_http_redirect_uris` setting says so).
    pub fn parse_for_registration_with(s: &str, allow_http: bool) -> Result<Self, ParseError> {
        let uri = Self::parse(s)?;
        if allow_http {
            return Ok(uri);
        }
        let Ok(url) = Url::parse(s) else {
            return Err(ParseError::new("redirect_uri", "must be an absolute URI"));
        };
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(ParseError::new(
                "redirect_uri",
                format!(
                    "{s:?}: plain http is only for loopback (127.0.0.1, [::1], localhost); use https"
                ),
            ));
        }
        Ok(uri)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 9700 §4.1.3: exact string comparison with what the client sent.
    pub fn matches_exactly(&self, presented: &str) -> bool {
        self.0 == presented
    }

    /// What `/authorize` compares: the exact string, except that for a registered loopback
    /// IP literal over plain http (`http://127.0.0.1/cb`, `http://[::1]/cb`) any port matches,
    /// as a native app listens on a port it learns only at run time (RFC 8252 §7.3, RFC 9700
    /// §4.1.3). Everything but the port must still be identical.
    pub fn matches(&self, presented: &str) -> bool {
        if self.matches_exactly(presented) {
            return true;
        }
        let (Ok(registered), Ok(sent)) = (Url::parse(&self.0), Url::parse(presented)) else {
            return false;
        };
        let ip_loopback = matches!(
            registered.host(),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback()
        ) || matches!(registered.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
        if registered.scheme() != "http" || !ip_loopback {
            return false;
        }
        // The sent URI with the registered port must be the registered URI.
        let mut with_registered_port = sent;
        with_registered_port.set_port(registered.port()).is_ok()
            && with_registered_port == registered
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(r: RedirectUri) -> Self {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_must_be_absolute_without_fragment() {
        assert!(RedirectUri::parse("https://rp.test/cb").is_ok());
        assert!(RedirectUri::parse("com.example.app:/cb").is_ok());
        assert!(RedirectUri::parse("/cb").is_err());
        assert!(RedirectUri::parse("https://rp.test/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn a_loopback_ip_redirect_matches_on_any_port_and_nothing_else_does() {
        let Ok(native) = RedirectUri::parse("http://127.0.0.1/cb") else {
            return;
        };
        assert!(native.matches("http://127.0.0.1/cb"));
        assert!(native.matches("http://127.0.0.1:51004/cb"));
        assert!(!native.matches("http://127.0.0.1:51004/cb2"));
        assert!(!native.matches("http://127.0.0.2:51004/cb"));
        assert!(!native.matches("https://127.0.0.1:51004/cb"));
        assert!(!native.matches("http://127.0.0.1:51004/cb?x=1"));
        let Ok(v6) = RedirectUri::parse("http://[::1]:8080/cb") else {
            return;
        };
        assert!(v6.matches("http://[::1]:9/cb"));
        // Names are matched exactly (RFC 8252 §8.3 recommends the IP literal).
        let Ok(named) = RedirectUri::parse("http://localhost:3000/cb") else {
            return;
        };
        assert!(!named.matches("http://localhost:3001/cb"));
        let Ok(web) = RedirectUri::parse("https://rp.test/cb") else {
            return;
        };
        assert!(!web.matches("https://rp.test:8443/cb"));
    }

    #[test]
    fn redirect_uri_matches_only_the_exact_string() {
        let Ok(uri) = RedirectUri::parse("https://rp.test/cb") else {
            return;
        };
        assert!(uri.matches_exactly("https://rp.test/cb"));
        assert!(!uri.matches_exactly("https://rp.test/cb/"));
        assert!(!uri.matches_exactly("https://RP.test/cb"));
    }
}
