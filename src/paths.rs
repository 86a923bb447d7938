//! The URL layout, parsed once into a typed path. Segments are
//! percent-decoded here; `.`/`..` segments, encoded slashes and control
//! characters are refused before anything looks them up.
//!
//! ```text
//! /dav/                                   DAV root
//! /dav/principals/{login}/                principal
//! /dav/calendars/{login}/                 calendar home
//! /dav/calendars/{login}/{cal}/           collection (maybe nested)
//! /dav/calendars/{login}/{cal}/{name}     calendar object resource
//! ```

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

pub const DAV_ROOT: &str = "/dav/";

/// Name of the intercommunal calendar, also reserved in every home.
pub const AGGREGATE: &str = "intercommunal";

/// Path of every organiser's read-only conflicts calendar in its home.
pub const CONFLICTS: &str = "conflits";

pub fn aggregate_href(alias: Option<&str>) -> String {
    match alias {
        Some(login) => format!("{}{AGGREGATE}/", home_href(login)),
        None => format!("{DAV_ROOT}{AGGREGATE}/"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavPath {
    Root,
    Principals,
    Principal(String),
    CalendarsRoot,
    Home(String),
    /// The intercommunal calendar, at /dav/intercommunal/ or, so that it
    /// shows next to an organiser's own calendar, inside that home.
    Aggregate {
        alias: Option<String>,
        member: Option<String>,
    },
    /// Something inside a home: a collection or an object, told apart by
    /// looking it up.
    InHome {
        login: String,
        segments: Vec<String>,
        trailing_slash: bool,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// Not below `/dav/`, or not a place that can exist.
    NotFound,
    /// A `..` segment, an encoded slash, or an undecodable segment.
    Invalid(String),
}

pub fn parse(path: &str) -> Result<DavPath, PathError> {
    let rest = if path == "/dav" {
        ""
    } else {
        path.strip_prefix(DAV_ROOT).ok_or(PathError::NotFound)?
    };
    let trailing_slash = rest.is_empty() || rest.ends_with('/');
    let mut segments = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        segments.push(decode_segment(raw)?);
    }
    if rest.contains("//") {
        return Err(PathError::Invalid("empty path segment".into()));
    }
    let mut iter = segments.into_iter();
    Ok(match (iter.next().as_deref(), iter.next()) {
        (None, _) => DavPath::Root,
        (Some("principals"), None) => DavPath::Principals,
        (Some("principals"), Some(login)) => {
            if iter.next().is_some() {
                return Err(PathError::NotFound);
            }
            DavPath::Principal(login)
        }
        (Some("calendars"), None) => DavPath::CalendarsRoot,
        (Some("intercommunal"), member) => {
            if iter.next().is_some() {
                return Err(PathError::NotFound);
            }
            DavPath::Aggregate {
                alias: None,
                member,
            }
        }
        (Some("calendars"), Some(login)) => {
            let mut segments: Vec<String> = iter.collect();
            if segments.first().map(String::as_str) == Some(AGGREGATE) && segments.len() <= 2 {
                return Ok(DavPath::Aggregate {
                    alias: Some(login),
                    member: segments.pop().filter(|_| segments.len() == 1),
                });
            }
            if segments.is_empty() {
                DavPath::Home(login)
            } else {
                DavPath::InHome {
                    login,
                    segments,
                    trailing_slash,
                }
            }
        }
        _ => return Err(PathError::NotFound),
    })
}

fn decode_segment(raw: &str) -> Result<String, PathError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| PathError::Invalid("a path segment is not UTF-8".into()))?;
    if decoded == "." || decoded == ".." {
        return Err(PathError::Invalid(
            "'.' and '..' are not allowed in paths".into(),
        ));
    }
    if decoded.contains('/') || decoded.contains('\\') {
        return Err(PathError::Invalid(
            "encoded slashes are not allowed in paths".into(),
        ));
    }
    if decoded.chars().any(char::is_control) {
        return Err(PathError::Invalid(
            "control characters are not allowed in paths".into(),
        ));
    }
    if decoded.len() > 255 {
        return Err(PathError::Invalid(
            "a path segment is longer than 255 octets".into(),
        ));
    }
    Ok(decoded.into_owned())
}

/// Characters escaped in hrefs we write: everything that is not unreserved
/// or a sub-delimiter that is safe inside a segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

pub fn principal_href(login: &str) -> String {
    format!("/dav/principals/{}/", encode_segment(login))
}

pub fn home_href(login: &str) -> String {
    format!("/dav/calendars/{}/", encode_segment(login))
}

/// Href of a collection given its path relative to the home.
pub fn collection_href(login: &str, path: &str) -> String {
    let mut href = home_href(login);
    for segment in path.split('/') {
        href.push_str(&encode_segment(segment));
        href.push('/');
    }
    href
}

pub fn object_href(login: &str, collection_path: &str, name: &str) -> String {
    collection_href(login, collection_path) + &encode_segment(name)
}

/// Decodes an href sent in a request body (multiget, If headers), which may
/// be absolute (`http://host/dav/...`) or a path.
pub fn href_path(href: &str) -> &str {
    match href.find("://") {
        Some(scheme_end) => {
            let after = &href[scheme_end + 3..];
            after.find('/').map(|i| &after[i..]).unwrap_or("/")
        }
        None => href,
    }
}

// ---------------------------------------------------------------------
// Public event pages.

/// Where event pages live.
pub const EVENTS: &str = "/evenements/";

/// What a UID keeps as it is in an event page's address: the unreserved
/// characters and `@` (Google's UIDs end with `@google.com`).
const UID_SEGMENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The page of a public event: `/evenements/{uid}`, or of one of its
/// occurrences, `/evenements/{uid}/{YYYY-MM-DD}` (its local start date).
/// Named by the iCalendar UID, which an edit keeps and which the copies of
/// a co-organised event share.
pub fn event_page(uid: &str, date: Option<chrono::NaiveDate>) -> String {
    let uid = utf8_percent_encode(uid, UID_SEGMENT);
    match date {
        Some(date) => format!("{EVENTS}{uid}/{date}"),
        None => format!("{EVENTS}{uid}"),
    }
}

/// The UID of an event page's first segment, decoded.
pub fn event_uid(segment: &str) -> Option<String> {
    let uid = percent_decode_str(segment).decode_utf8().ok()?;
    (!uid.is_empty() && !uid.chars().any(char::is_control)).then(|| uid.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(parse("/dav/"), Ok(DavPath::Root));
        assert_eq!(
            parse("/dav/principals/asso/"),
            Ok(DavPath::Principal("asso".into()))
        );
        assert_eq!(
            parse("/dav/calendars/asso"),
            Ok(DavPath::Home("asso".into()))
        );
        assert_eq!(
            parse("/dav/calendars/asso/main/a%20b.ics"),
            Ok(DavPath::InHome {
                login: "asso".into(),
                segments: vec!["main".into(), "a b.ics".into()],
                trailing_slash: false
            })
        );
    }

    #[test]
    fn tricks_are_refused() {
        assert!(matches!(
            parse("/dav/calendars/a/../b/"),
            Err(PathError::Invalid(_))
        ));
        assert!(matches!(
            parse("/dav/calendars/a/%2e%2e/b/"),
            Err(PathError::Invalid(_))
        ));
        assert!(matches!(
            parse("/dav/calendars/a/x%2Fy/"),
            Err(PathError::Invalid(_))
        ));
        assert!(matches!(
            parse("/dav/calendars/a/x%00y"),
            Err(PathError::Invalid(_))
        ));
        assert_eq!(parse("/other"), Err(PathError::NotFound));
    }

    #[test]
    fn hrefs_round_trip() {
        let href = object_href("asso", "main", "été 2027.ics");
        assert_eq!(href, "/dav/calendars/asso/main/%C3%A9t%C3%A9%202027.ics");
        assert!(matches!(parse(&href), Ok(DavPath::InHome { .. })));
        assert_eq!(href_path("http://h:1/dav/x"), "/dav/x");
    }
}
