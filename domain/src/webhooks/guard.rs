//! Where a webhook may not be sent (SSRF): an address inside the server's
//! own networks or the cloud's control plane. The server resolves a
//! host, refuses it when **any** of its addresses is one of these, and
//! connects to the address it checked (no second lookup). A deployment on
//! premises may allow private targets by setting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` may not be a webhook's target, or `None` when it may.
pub fn forbidden(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4, allow_private),
        IpAddr::V6(v6) => {
            // An IPv4 address written as IPv6 (mapped, or NAT64's prefix) is that address.
            if let Some(v4) = v6.to_ipv4_mapped().or_else(|| nat64(v6)) {
                return forbidden_v4(v4, allow_private);
            }
            forbidden_v6(v6, allow_private)
        }
    }
}

fn nat64(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0]).then(|| {
        let o = v6.octets();
        Ipv4Addr::new(o[12], o[13], o[14], o[15])
    })
}

fn forbidden_v4(ip: Ipv4Addr, allow_private: bool) -> Option<&'static str> {
    let o = ip.octets();
    // Always: what no deployment means to send to.
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) || ip == Ipv4Addr::new(168, 63, 129, 16) {
        return Some("a cloud metadata address");
    }
    if ip.is_unspecified() || ip.is_broadcast() || o[0] == 0 {
        return Some("an unspecified address");
    }
    if ip.is_multicast() || o[0] >= 240 {
        return Some("a multicast or reserved address");
    }
    if ip.is_link_local() {
        return Some("a link-local address");
    }
    if allow_private {
        return None;
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // RFC 1918, the shared address space of carrier NAT (RFC 6598), and
    // the benchmarking network (RFC 2544).
    if ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) {
        return Some("a private address");
    }
    None
}

fn forbidden_v6(ip: Ipv6Addr, allow_private: bool) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip == "fd00:ec2::254".parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED) {
        return Some("a cloud metadata address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_multicast() {
        return Some("a multicast or reserved address");
    }
    if first & 0xffc0 == 0xfe80 {
        return Some("a link-local address");
    }
    if allow_private {
        return None;
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // Unique local (fc00::/7) and the old site-local (fec0::/10).
    if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        return Some("a private address");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no(ip: &str) -> Option<&'static str> {
        forbidden(ip.parse().expect("ip"), false)
    }

    #[test]
    fn the_servers_own_networks_and_the_clouds_metadata_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "169.254.1.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(no(ip).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::6810:84e5", "8.8.8.8"] {
            assert_eq!(no(ip), None, "{ip}");
        }
    }

    #[test]
    fn a_deployment_on_premises_may_allow_private_targets_but_never_the_metadata_service() {
        for ip in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fc00::1"] {
            assert_eq!(forbidden(ip.parse().expect("ip"), true), None, "{ip}");
        }
        for ip in ["169.254.169.254", "fe80::1", "224.0.0.1", "fd00:ec2::254"] {
            assert!(forbidden(ip.parse().expect("ip"), true).is_some(), "{ip}");
        }
    }
}
