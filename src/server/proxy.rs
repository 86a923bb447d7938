//! Clients behind a trusted reverse proxy (`[server] trusted_proxies`).

use hyper::HeaderMap;
use std::net::IpAddr;

/// The client a trusted proxy passes a request for: the last address of
/// `X-Forwarded-For` that is not itself a trusted proxy (proxies append
/// the address they received from; what comes before may be the client's
/// own invention). None when there is no usable one.
pub(super) fn forwarded_client(headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for entry in entries.into_iter().rev() {
        let entry = entry.trim();
        let ip = entry
            .parse::<IpAddr>()
            .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()))
            .ok()
            .map(super::canonical)?;
        if !trusted.contains(&ip) {
            return Some(ip);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use std::net::IpAddr;

    fn client(values: &[&str]) -> Option<IpAddr> {
        let mut headers = hyper::HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        let trusted: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        forwarded_client(&headers, &trusted)
    }

    #[test]
    fn the_client_is_the_last_address_no_trusted_proxy_has() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client(&["203.0.113.7"]), ip("203.0.113.7"));
        // What the client wrote itself comes first, and is not believed.
        assert_eq!(client(&["1.2.3.4, 203.0.113.7"]), ip("203.0.113.7"));
        // A chain of trusted proxies is skipped, over several headers too.
        assert_eq!(
            client(&["203.0.113.7, 10.0.0.2", "127.0.0.1"]),
            ip("203.0.113.7")
        );
        assert_eq!(client(&["[2001:db8::1]:4711"]), ip("2001:db8::1"));
        assert_eq!(client(&["::ffff:192.0.2.1"]), ip("192.0.2.1"));
        // Nothing usable: the proxy's own address is used instead.
        assert_eq!(client(&[]), None);
        assert_eq!(client(&["unknown"]), None);
        assert_eq!(client(&["10.0.0.2"]), None);
    }
}
