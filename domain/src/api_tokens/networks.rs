//! Where an API token is used from, and where it may be.
//!
//! - **Where it was used**: each token keeps its newest [`KEPT`] networks
//!   (the `api_token_networks` table): an IPv4 address, or an IPv6 address
//!   by its /64 (one network hands its hosts new addresses all the time),
//!   each with the last address and user agent seen from it, and when it
//!   was first and last seen. A request from a known network is one
//!   `UPDATE`. One from a network the token has not been seen from (or was
//!   pruned) takes one transaction: it adds one to the token row's
//!   `networks_seen` (which takes that row's lock, so parallel requests of
//!   one token queue here and only here), upserts the network, prunes the
//!   token's rows to the newest [`KEPT`], and, unless it was the token's
//!   very first use, records a security event ("used from a new
//!   network") with it.
//! - **Where it may be used**: a token may be limited to at most
//!   [`MAX_ALLOWED`] CIDR ranges, IPv4 and IPv6 ([`AllowedNetworks`]); a
//!   request from any other address (or one the server could not read) is
//!   refused with `network_not_allowed` (403) and counted as a security
//!   event. No ranges: any network. The client address is the one the
//!   server's client-IP layer resolved (the peer, or the trusted proxy's
//!   `X-Forwarded-For`), as everywhere else.

use crate::error::{Error, ErrorCode, Result};
use crate::limits::ip_block;
use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// Networks kept per token.
pub const KEPT: i64 = 5;

/// Ranges a token may be limited to.
pub const MAX_ALLOWED: usize = 20;

/// The network `ip` counts as: an IPv4 address itself, an IPv6 address its /64.
pub fn network_of(ip: &str) -> String {
    ip_block(ip)
}

/// An address as the allowed ranges compare it: IPv4-mapped IPv6 as IPv4.
fn client_addr(ip: &str) -> Option<IpAddr> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)),
        v4 => Some(v4),
    }
}

fn refuse(message: String) -> Error {
    Error::refused_field(ErrorCode::InvalidInput, "networks", message)
}

/// The CIDR ranges a token may be used from; none means any network.
/// Parsed, not validated: a value of this type holds only ranges, at most
/// [`MAX_ALLOWED`], each with its host bits cleared and none twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedNetworks(Vec<IpNet>);

impl AllowedNetworks {
    /// What a person typed: ranges (`203.0.113.0/24`, `2001:db8::/32`) or
    /// single addresses, separated by commas, spaces or lines. Host bits are
    /// cleared (`10.1.2.3/8` is `10.0.0.0/8`); a range given twice counts
    /// once. Empty: any network.
    pub fn parse(raw: &str) -> Result<Self> {
        let mut nets: Vec<IpNet> = Vec::new();
        for entry in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()) {
            let net = match (IpNet::from_str(entry), IpAddr::from_str(entry)) {
                (Ok(net), _) => net.trunc(),
                (_, Ok(ip)) => IpNet::from(ip),
                _ => {
                    let shown: String = entry.chars().take(60).collect();
                    return Err(refuse(format!(
                        "“{shown}” is not a network: write a range such as 203.0.113.0/24 or 2001:db8::/32, or a single address."
                    )));
                }
            };
            if !nets.contains(&net) {
                nets.push(net);
            }
            if nets.len() > MAX_ALLOWED {
                return Err(refuse(format!("A token can be limited to at most {MAX_ALLOWED} networks.")));
            }
        }
        Ok(AllowedNetworks(nets))
    }

    /// As the `allowed_networks` column holds it. A value that no longer
    /// parses opens nothing rather than everything.
    pub(crate) fn from_stored(stored: &str) -> Result<Self> {
        Self::parse(stored).map_err(|_| Error::internal(format!("api_tokens.allowed_networks does not parse: {stored:?}")))
    }

    /// For the `allowed_networks` column: the ranges, comma-separated.
    pub fn stored(&self) -> String {
        self.ranges().join(",")
    }

    /// Each range as text (`203.0.113.0/24`).
    pub fn ranges(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// No ranges: any network may use the token.
    pub fn is_any(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` may use the token. With ranges, an
    /// address that does not parse is refused.
    pub fn allows(&self, ip: &str) -> bool {
        if self.is_any() {
            return true;
        }
        client_addr(ip).is_some_and(|addr| self.0.iter().any(|net| net.contains(&addr)))
    }

    /// For an event or a mail: "203.0.113.0/24, 2001:db8::/32", or "any network".
    pub fn describe(&self) -> String {
        if self.is_any() {
            "any network".to_owned()
        } else {
            self.ranges().join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<ErrorCode> {
        AllowedNetworks::parse(raw).err().map(|e| e.code())
    }

    #[test]
    fn ranges_and_addresses_of_both_families_parse_and_are_normalised() {
        let a = AllowedNetworks::parse(" 203.0.113.7/24,\n2001:db8:1::9/48  198.51.100.4, 2001:db8::1 203.0.113.0/24").expect("parses");
        assert_eq!(a.ranges(), ["203.0.113.0/24", "2001:db8:1::/48", "198.51.100.4/32", "2001:db8::1/128"]);
        assert_eq!(AllowedNetworks::from_stored(&a.stored()).expect("round trip"), a);
        assert!(AllowedNetworks::parse("").expect("empty").is_any());
        assert!(AllowedNetworks::parse(" , \n").expect("blank").is_any());
        assert_eq!(AllowedNetworks::parse("").expect("empty").describe(), "any network");
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        for bad in ["10.0.0.0/33", "2001:db8::/129", "example.com", "10.0.0", "10.0.0.0/8/8", "*", "10.0.0.0-10.0.0.9"] {
            assert_eq!(code(bad), Some(ErrorCode::InvalidInput), "{bad}");
            assert_eq!(code(&format!("10.0.0.0/8, {bad}")), Some(ErrorCode::InvalidInput), "one bad entry refuses all: {bad}");
        }
        let e = AllowedNetworks::parse("nope").expect_err("refused");
        assert_eq!(e.field(), Some("networks"));
        let twenty: Vec<String> = (0..20).map(|i| format!("10.{i}.0.0/16")).collect();
        assert!(AllowedNetworks::parse(&twenty.join(",")).is_ok(), "20 is the most");
        assert_eq!(code(&format!("{},10.99.0.0/16", twenty.join(","))), Some(ErrorCode::InvalidInput), "21 is too many");
        assert!(AllowedNetworks::parse(&format!("{},10.0.0.0/16", twenty.join(","))).is_ok(), "a repeat is not one more");
    }

    #[test]
    fn a_request_is_allowed_only_from_inside_a_range() {
        let a = AllowedNetworks::parse("203.0.113.0/24, 2001:db8:1::/48").expect("parses");
        for inside in ["203.0.113.1", "203.0.113.255", "2001:db8:1:ffff::1", "::ffff:203.0.113.9"] {
            assert!(a.allows(inside), "{inside}");
        }
        for outside in ["203.0.114.1", "198.51.100.4", "2001:db8:2::1", "::1", "unknown", ""] {
            assert!(!a.allows(outside), "{outside}");
        }
        assert!(AllowedNetworks::default().allows("unknown"), "no ranges: any network");
    }

    #[test]
    fn an_ipv6_network_is_its_slash_64() {
        assert_eq!(network_of("2001:db8:1:2::9"), network_of("2001:db8:1:2:aaaa::1"));
        assert_ne!(network_of("2001:db8:1:2::9"), network_of("2001:db8:1:3::9"));
        assert_eq!(network_of("203.0.113.7"), "203.0.113.7");
    }
}
