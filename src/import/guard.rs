//! Which addresses a feed may be fetched from. A subscription's URL is
//! typed by an organiser: without this check it could make the server
//! reach into its own machine or network (SSRF). Every hop of a fetch is
//! checked after DNS, on the addresses the connection then uses, so that
//! neither a redirect nor a name that resolves to a private address gets
//! through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the check allows, from `[import]`.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Every address is allowed (`allow_private = true`).
    pub allow_private: bool,
    /// Hosts (names or address literals, lower-case) exempted from the
    /// check (`allow_hosts`).
    pub allow_hosts: Vec<String>,
}

impl Policy {
    pub fn from_config(settings: &crate::config::ImportSettings) -> Policy {
        Policy {
            allow_private: settings.allow_private,
            allow_hosts: settings
                .allow_hosts
                .iter()
                .map(|h| normalise_host(h))
                .collect(),
        }
    }

    /// Whether `host` (as the URL writes it) skips the address check.
    pub fn trusts(&self, host: &str) -> bool {
        self.allow_private || self.allow_hosts.contains(&normalise_host(host))
    }

    /// Refuses `address` unless the policy trusts `host` or the address is
    /// a public one; the error says why, for the organiser and the log.
    pub fn check(&self, host: &str, address: IpAddr) -> Result<(), String> {
        if self.trusts(host) {
            return Ok(());
        }
        let Some(kind) = non_public(address) else {
            return Ok(());
        };
        let what = if normalise_host(host) == address.to_string() {
            format!("{address} is {kind}")
        } else {
            format!("{host} is at {address}, {kind}")
        };
        Err(format!(
            "{what}: feeds are only fetched from public addresses"
        ))
    }
}

/// Lower case, without IPv6 brackets or a trailing dot.
fn normalise_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// What kind of non-public address `address` is, if it is one.
pub fn non_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    Some(match (a, b) {
        _ if address.is_unspecified() => "an unspecified address",
        (0, _) => "an address of this network (0.0.0.0/8)",
        (127, _) => "a loopback address",
        (10, _) | (192, 168) => "a private address",
        (172, 16..=31) => "a private address",
        (100, 64..=127) => "a shared (carrier-grade NAT) address",
        (169, 254) => "a link-local address",
        (192, 0) if c == 0 => "an IETF protocol address (192.0.0.0/24)",
        (198, 18..=19) => "a benchmarking address (198.18.0.0/15)",
        (224..=239, _) => "a multicast address",
        (240..=255, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn non_public_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    // Addresses that carry an IPv4 address are judged by it: a v4-mapped
    // ::ffff:127.0.0.1 reaches the loopback as surely as 127.0.0.1.
    if let Some(v4) = embedded_v4(address) {
        return non_public_v4(v4);
    }
    Some(match segments[0] {
        _ if address.is_unspecified() => "an unspecified address",
        _ if address.is_loopback() => "a loopback address",
        0xfc00..=0xfdff => "a private (unique local) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        // The rest of ::/8 (IPv4-compatible and other reserved forms).
        0x0000..=0x00ff => "a reserved address",
        _ => return None,
    })
}

/// The IPv4 address inside a v4-mapped (::ffff:a.b.c.d), v4-compatible
/// (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:AABB:CCDD::)
/// address.
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        // ::a.b.c.d, but not :: and ::1, judged as IPv6 themselves.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(low(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(address: &str) -> bool {
        non_public(address.parse().unwrap()).is_some()
    }

    #[test]
    fn non_public_ipv4_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "127.255.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "192.0.2.1",
            "2a00:1450:4007:80f::200e",
            "2001:db8::1",
            "2606:4700::1111",
        ] {
            assert!(!refused(address), "{address} should pass");
        }
    }

    #[test]
    fn non_public_ipv6_addresses_are_refused() {
        for address in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            // IPv4 inside IPv6.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
        // A v4-mapped public address is as public as its IPv4.
        assert!(!refused("::ffff:8.8.8.8"));
        assert!(!refused("2002:0808:0808::1"));
    }

    #[test]
    fn allowed_hosts_and_allow_private_skip_the_check() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let strict = Policy::default();
        let error = strict.check("localhost", loopback).unwrap_err();
        assert!(error.contains("loopback"), "{error}");
        let listed = Policy {
            allow_private: false,
            allow_hosts: vec!["intranet.example".into(), "::1".into()],
        };
        assert!(listed.check("Intranet.Example.", loopback).is_ok());
        assert!(listed.check("[::1]", "::1".parse().unwrap()).is_ok());
        assert!(listed.check("other.example", loopback).is_err());
        let open = Policy {
            allow_private: true,
            allow_hosts: Vec::new(),
        };
        assert!(open.check("localhost", loopback).is_ok());
    }
}
