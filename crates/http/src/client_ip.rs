//! The client's address, for throttling: the socket peer, unless the peer is a proxy the
//! operator trusts (`trusted_proxies`), in which case the address that proxy reports in
//! `X-Forwarded-For`.
//!
//! Behind a load balancer or an ingress every request comes from the proxy, so throttling by
//! the peer would count every user as one address — one user's failures would lock everybody
//! out. Trusting `X-Forwarded-For` from anyone would let a client pick its own address and
//! escape throttling. So the header is read only when the peer is trusted, and right to left:
//! the first address that is not itself a trusted proxy is the client (a client can prepend
//! whatever it likes, but cannot change what the trusted proxies appended after it).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use actix_web::{HttpRequest, web};

/// An address block such as `10.0.0.0/8`, `fd00::/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a block did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address or address block like 10.0.0.0/8 or fd00::/8")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(text.to_owned());
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` lies in this block (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let mut bits = usize::from(prefix);
    for (n, i) in net.iter().zip(ip) {
        if bits == 0 {
            return true;
        }
        let take = bits.min(8);
        let mask = u8::MAX << (8 - take);
        if n & mask != i & mask {
            return false;
        }
        bits -= take;
    }
    true
}

/// The proxies whose `X-Forwarded-For` is believed; empty (the default) believes none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(blocks: Vec<Cidr>) -> Self {
        Self(blocks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(ip))
    }

    /// The client's address given the socket peer and the `X-Forwarded-For` header values in
    /// the order they arrived.
    pub fn resolve<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Not an address: stop at the last proxy that reported one.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let host = match hop.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => hop.rsplit_once(':')?.0,
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client's address for `req`: see the module documentation. Without a
/// `TrustedProxies` in the app data, the socket peer.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip().to_canonical());
    match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) => trusted.resolve(
            peer,
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok()),
        ),
        None => peer,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use actix_web::test::TestRequest;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(blocks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(blocks.iter().map(|b| b.parse().unwrap()).collect())
    }

    #[test]
    fn blocks_parse_and_contain() {
        let ten: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.3.4")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(
            ten.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped counts as IPv4"
        );
        let host: Cidr = "192.168.1.10".parse().unwrap();
        assert!(host.contains(ip("192.168.1.10")));
        assert!(!host.contains(ip("192.168.1.11")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let odd: Cidr = "172.16.0.0/12".parse().unwrap();
        assert!(odd.contains(ip("172.31.255.255")));
        assert!(!odd.contains(ip("172.32.0.0")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "ten",
            "10.0.0.0/x",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.resolve(Some(ip("203.0.113.9")), ["1.2.3.4"]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            TrustedProxies::default().resolve(Some(ip("10.0.0.2")), ["1.2.3.4"]),
            Some(ip("10.0.0.2")),
            "no trusted proxies: the header is ignored"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "fd00::/8"]);
        let peer = Some(ip("10.0.0.2"));
        assert_eq!(
            trusted.resolve(peer, ["198.51.100.7"]),
            Some(ip("198.51.100.7"))
        );
        // The client prepended a lie; the proxies appended the truth after it.
        assert_eq!(
            trusted.resolve(peer, ["6.6.6.6, 198.51.100.7, 10.0.0.9"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            trusted.resolve(peer, ["6.6.6.6", "198.51.100.7:4711, fd00::3"]),
            Some(ip("198.51.100.7")),
            "several header lines, a port, an IPv6 proxy"
        );
        assert_eq!(
            trusted.resolve(peer, ["[2001:db8::5]:443"]),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(
            trusted.resolve(peer, ["10.0.0.7, 10.0.0.8"]),
            Some(ip("10.0.0.7")),
            "all trusted: the leftmost"
        );
        assert_eq!(
            trusted.resolve(peer, []),
            peer,
            "no header: the proxy itself"
        );
        assert_eq!(
            trusted.resolve(peer, ["198.51.100.7, garbage"]),
            peer,
            "an unreadable hop stops the walk at the last proxy"
        );
        assert_eq!(trusted.resolve(None, ["1.2.3.4"]), None);
    }

    #[actix_web::test]
    async fn client_ip_reads_the_app_data() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5555".parse().unwrap())
            .insert_header(("X-Forwarded-For", "198.51.100.7"))
            .to_http_request();
        assert_eq!(client_ip(&req), Some(ip("10.0.0.2")), "nothing trusted");
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5555".parse().unwrap())
            .insert_header(("X-Forwarded-For", "198.51.100.7"))
            .app_data(web::Data::new(proxies(&["10.0.0.0/8"])))
            .to_http_request();
        assert_eq!(client_ip(&req), Some(ip("198.51.100.7")));
    }
}
