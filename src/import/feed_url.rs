//! Feed addresses: which URLs a subscription may name, what they are
//! fetched as, and where a redirect leads.
//!
//! Schemes: `http`, `https`, and `webcal`/`webcals` (the calendar apps'
//! name for an ICS feed), fetched as https. A webcal URL is fetched as
//! plain http only when it says so by naming HTTP's port
//! (`webcal://host:80/...`): nothing falls back to http silently.
//! Credentials in the URL are refused (they would be stored and shown).

use hyper::Uri;

/// Longest URL accepted.
const MAX_LENGTH: usize = 2048;

/// A URL ready to be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    /// The host as DNS and TLS need it (IPv6 literals without brackets).
    pub host: String,
    pub port: u16,
    /// The Host header: host and port as the URL wrote them.
    pub authority: String,
    pub path_and_query: String,
}

impl Target {
    /// Whether `host` is an address literal (nothing to resolve).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.host.parse().ok()
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority, self.path_and_query)
    }
}

/// Parses a subscription's URL; the error is for the person who typed it.
pub fn parse(text: &str) -> Result<Target, String> {
    let text = text.trim();
    if text.len() > MAX_LENGTH {
        return Err(format!("the URL is longer than {MAX_LENGTH} characters"));
    }
    // The fragment is the client's business, never sent.
    let text = text.split('#').next().unwrap_or_default();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("{text:?} is not an http, https or webcal URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    let uri: Uri = format!("http://{rest}")
        .parse()
        .map_err(|e| format!("{text:?} is not a valid URL ({e})"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{text:?} names no host"))?;
    if authority.as_str().contains('@') {
        return Err("credentials in the URL are not supported: use a feed address without user name or password".into());
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    let port = authority.port_u16();
    let https = match scheme.as_str() {
        "https" | "webcals" => true,
        "http" => false,
        // Fetched as https, unless the URL names HTTP's port.
        "webcal" => port != Some(80),
        other => {
            return Err(format!(
                "the scheme {other:?} is not supported: use http, https or webcal"
            ))
        }
    };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
        .to_owned();
    Ok(Target {
        https,
        host: host.to_ascii_lowercase(),
        port: port.unwrap_or(if https { 443 } else { 80 }),
        authority: authority.as_str().to_owned(),
        path_and_query,
    })
}

/// Where a redirect's `Location` leads from `base` (absolute, scheme- or
/// path-relative, or relative to the base's folder).
pub fn redirect(base: &Target, location: &str) -> Result<Target, String> {
    let location = location.trim();
    let scheme = if base.https { "https" } else { "http" };
    let has_scheme = location.find(':').is_some_and(|colon| {
        location[..colon].bytes().all(|b| b.is_ascii_alphabetic()) && colon > 0
    });
    let absolute = if has_scheme {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{}{location}", base.authority)
    } else {
        let path = base.path_and_query.split('?').next().unwrap_or("/");
        let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        if location.starts_with('?') {
            format!("{scheme}://{}{path}{location}", base.authority)
        } else {
            format!("{scheme}://{}{folder}{location}", base.authority)
        }
    };
    parse(&absolute).map_err(|e| format!("redirect to {location:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webcal_is_https_unless_it_names_port_80() {
        let t = parse("webcal://calendar.example.org/agenda.ics").unwrap();
        assert!(t.https);
        assert_eq!(t.port, 443);
        assert_eq!(t.to_string(), "https://calendar.example.org/agenda.ics");
        let t = parse("WEBCAL://calendar.example.org:80/agenda.ics?x=1").unwrap();
        assert!(!t.https);
        assert_eq!(
            t.to_string(),
            "http://calendar.example.org:80/agenda.ics?x=1"
        );
        assert!(parse("webcals://a.example/x.ics").unwrap().https);
        let t = parse("http://a.example").unwrap();
        assert_eq!(
            (t.https, t.port, t.path_and_query.as_str()),
            (false, 80, "/")
        );
    }

    #[test]
    fn other_schemes_credentials_and_junk_are_refused() {
        for bad in [
            "ftp://a.example/x.ics",
            "file:///etc/passwd",
            "gopher://a.example/",
            "https://user:secret@a.example/x.ics",
            "a.example/x.ics",
            "https://",
            "https:// space.example/",
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ipv6_literals_keep_brackets_only_in_the_host_header() {
        let t = parse("http://[::1]:8080/f.ics#frag").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.authority, "[::1]:8080");
        assert_eq!(t.path_and_query, "/f.ics");
        assert!(t.ip().is_some());
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let base = parse("https://a.example/cal/feed.ics?k=1").unwrap();
        let to = |l: &str| redirect(&base, l).unwrap().to_string();
        assert_eq!(to("http://b.example/x.ics"), "http://b.example/x.ics");
        assert_eq!(to("//c.example/y.ics"), "https://c.example/y.ics");
        assert_eq!(to("/z.ics"), "https://a.example/z.ics");
        assert_eq!(to("other.ics"), "https://a.example/cal/other.ics");
        assert_eq!(to("?k=2"), "https://a.example/cal/feed.ics?k=2");
        assert_eq!(to("webcal://d.example/w.ics"), "https://d.example/w.ics");
        assert!(redirect(&base, "ftp://e.example/").is_err());
    }
}
