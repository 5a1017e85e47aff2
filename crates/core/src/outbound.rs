//! Where Keyward may send a request on a client's behalf (its `jwks_uri`, its
//! `backchannel_logout_uri`): the rule both registration and the outbound HTTP client apply.
//! By default only https to public addresses; [`OutboundRule::allow_private`] (a setting for
//! development and tests) also allows http and loopback, private and link-local addresses.
//! Registration can judge only what the URL says (an address literal, `localhost`); the
//! outbound client judges every address the name resolves to, at the time of the request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Which outbound destinations are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundRule {
    /// Allow http and non-public addresses (development, tests). Off by default.
    pub allow_private: bool,
}

/// Why a destination is refused; the text is written for the admin who registered it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundRefusal {
    #[error("must be an absolute https URL without a fragment")]
    NotHttps,
    #[error("must not point at a loopback, private or link-local address")]
    PrivateAddress,
}

impl OutboundRule {
    pub const fn new(allow_private: bool) -> Self {
        Self { allow_private }
    }

    /// Checks what the URL itself says: scheme, and the host when it is an address literal or
    /// a name that always means this machine.
    pub fn check_url(&self, raw: &str) -> Result<Url, OutboundRefusal> {
        let url = Url::parse(raw).map_err(|_| OutboundRefusal::NotHttps)?;
        if url.fragment().is_some() || url.cannot_be_a_base() {
            return Err(OutboundRefusal::NotHttps);
        }
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => self.allow_private,
            _ => false,
        };
        if !scheme_ok {
            return Err(OutboundRefusal::NotHttps);
        }
        if self.allow_private {
            return Ok(url);
        }
        let public = match url.host() {
            Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
            Some(Host::Domain(name)) => !names_this_machine(name),
            None => false,
        };
        if public {
            Ok(url)
        } else {
            Err(OutboundRefusal::PrivateAddress)
        }
    }

    /// Whether a request may go to `ip` (every address a name resolves to is checked).
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }
}

/// `localhost` and its subdomains (RFC 6761 §6.3), with or without the final dot.
fn names_this_machine(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A globally routable unicast address: not loopback, private, shared, link-local,
/// unspecified, broadcast, multicast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local, RFC 4193
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64: it reaches IPv4 space, judged there
        || (s[0] == 0x2002) // 6to4: embeds an IPv4 address
        || ip.to_ipv4().is_some()) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn refused(rule: OutboundRule, url: &str) -> Option<OutboundRefusal> {
        rule.check_url(url).err()
    }

    #[test]
    fn by_default_only_https_to_public_hosts() {
        let rule = OutboundRule::default();
        assert_eq!(refused(rule, "https://rp.example/jwks"), None);
        assert_eq!(refused(rule, "https://203.0.113.9.example/x"), None);
        assert_eq!(refused(rule, "https://8.8.8.8/x"), None);
        for url in [
            "http://rp.example/x",
            "ftp://rp.example/x",
            "https://rp.example/x#f",
            "nope",
        ] {
            assert_eq!(refused(rule, url), Some(OutboundRefusal::NotHttps), "{url}");
        }
        for url in [
            "https://127.0.0.1/x",
            "https://127.1.2.3:8443/x",
            "https://10.0.0.1/x",
            "https://172.16.5.4/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[::]/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[64:ff9b::a00:1]/x",
            "https://localhost/x",
            "https://LOCALHOST./x",
            "https://api.localhost/x",
            "https://2130706433/x",
            "https://0x7f.1/x",
        ] {
            assert_eq!(
                refused(rule, url),
                Some(OutboundRefusal::PrivateAddress),
                "{url}"
            );
        }
    }

    #[test]
    fn allowing_private_addresses_allows_http_and_loopback() {
        let rule = OutboundRule::new(true);
        for url in [
            "http://127.0.0.1:9/x",
            "https://10.0.0.1/x",
            "http://localhost/x",
        ] {
            assert_eq!(refused(rule, url), None, "{url}");
        }
        assert_eq!(
            refused(rule, "ftp://rp.example/x"),
            Some(OutboundRefusal::NotHttps)
        );
        assert!(rule.allows_address("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn resolved_addresses_are_judged_one_by_one() {
        let rule = OutboundRule::default();
        assert!(rule.allows_address("93.184.216.34".parse().unwrap()));
        assert!(rule.allows_address("2606:4700::1111".parse().unwrap()));
        for ip in [
            "127.0.0.1",
            "10.1.1.1",
            "::1",
            "fe80::2",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!rule.allows_address(ip.parse().unwrap()), "{ip}");
        }
    }
}
