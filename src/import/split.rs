//! A feed, one VCALENDAR holding every event, split into calendar object
//! resources as a CalDAV client would PUT them: one per UID, the master
//! and its overrides (RECURRENCE-ID) together, with the VTIMEZONEs they
//! use. The same feed always gives the same bodies, byte for byte, so
//! that comparing them with the mirror tells what changed.

use crate::query::tree::{self, Component, Property};

/// What a feed holds.
#[derive(Debug, Default)]
pub struct Feed {
    /// X-WR-CALNAME (or RFC 7986 NAME).
    pub name: Option<String>,
    /// X-WR-TIMEZONE, the zone of the feed's floating times.
    pub timezone: Option<String>,
    /// How often the feed asks to be fetched (REFRESH-INTERVAL, else
    /// X-PUBLISHED-TTL), in seconds.
    pub refresh_seconds: Option<i64>,
    pub items: Vec<Item>,
    /// Components that are not events (to-dos, journals...), not mirrored.
    pub ignored: usize,
}

/// One event's resource.
#[derive(Debug, Clone)]
pub struct Item {
    pub uid: String,
    /// The resource's name in the mirror, derived from the UID.
    pub name: String,
    pub body: String,
}

/// Splits a downloaded feed; the error says why it is not iCalendar.
pub fn split(bytes: &[u8]) -> Result<Feed, String> {
    let start = first_line(bytes);
    if !start.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        let looks_like_html = start.starts_with('<');
        return Err(if looks_like_html {
            "the feed is not iCalendar: the address now answers a web page (HTML)".into()
        } else {
            format!(
                "the feed is not iCalendar: it starts with {:?}",
                start.chars().take(40).collect::<String>()
            )
        });
    }
    let calendar = tree::parse(bytes);
    if calendar.name != "VCALENDAR" {
        return Err("the feed is not iCalendar: no VCALENDAR in it".into());
    }
    let header = header(&calendar);
    let timezones: Vec<&Component> = calendar.children_named("VTIMEZONE").collect();
    let mut groups: Vec<(String, Vec<Component>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut feed = Feed {
        name: text(&calendar, "X-WR-CALNAME").or_else(|| text(&calendar, "NAME")),
        timezone: text(&calendar, "X-WR-TIMEZONE"),
        refresh_seconds: ["REFRESH-INTERVAL", "X-PUBLISHED-TTL"]
            .iter()
            .find_map(|name| calendar.property(name))
            .and_then(|p| crate::query::alarms::duration_seconds(&p.raw_value))
            .filter(|seconds| *seconds > 0),
        ..Feed::default()
    };
    for component in &calendar.children {
        match component.name.as_str() {
            "VEVENT" => {}
            "VTIMEZONE" => continue,
            _ => {
                feed.ignored += 1;
                continue;
            }
        }
        let mut component = component.clone();
        let uid = match component.property("UID").map(|p| p.raw_value.trim()) {
            Some(uid) if !uid.is_empty() => uid.to_owned(),
            _ => give_uid(&mut component),
        };
        let slot = *index.entry(uid.clone()).or_insert_with(|| {
            groups.push((uid.clone(), Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(component);
    }
    feed.items = groups
        .into_iter()
        .map(|(uid, components)| Item {
            name: resource_name(&uid),
            body: body(&header, &timezones, &components),
            uid,
        })
        .collect();
    Ok(feed)
}

/// The first line that is not blank, after a byte order mark.
fn first_line(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let end = rest
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(rest.len())
        .min(200);
    String::from_utf8_lossy(&rest[..end]).trim().to_owned()
}

fn text(component: &Component, name: &str) -> Option<String> {
    component
        .property(name)
        .map(|p| p.text_values().join(","))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The calendar properties every resource carries: VERSION, the feed's
/// PRODID, CALSCALE. (METHOD is a scheduling message's, not a stored
/// object's; the X-WR- names are the feed's, kept by the subscription.)
fn header(calendar: &Component) -> Vec<Property> {
    let plain = |name: &str, value: &str| Property {
        name: name.into(),
        params: Vec::new(),
        raw_value: value.into(),
    };
    let mut out = vec![plain("VERSION", "2.0")];
    out.push(
        calendar
            .property("PRODID")
            .cloned()
            .unwrap_or_else(|| plain("PRODID", "-//concord//import//FR")),
    );
    if let Some(scale) = calendar.property("CALSCALE") {
        out.push(scale.clone());
    }
    out
}

/// One resource: the header, the VTIMEZONEs its components name (in the
/// feed's order), the components (in the feed's order).
fn body(header: &[Property], timezones: &[&Component], components: &[Component]) -> String {
    let mut used: Vec<&str> = Vec::new();
    for component in components {
        collect_tzids(component, &mut used);
    }
    let mut out = String::with_capacity(512 * components.len() + 256);
    out.push_str("BEGIN:VCALENDAR\r\n");
    for property in header {
        property.write(&mut out);
    }
    for zone in timezones {
        let named = zone
            .property("TZID")
            .is_some_and(|tzid| used.contains(&tzid.raw_value.trim()));
        if named {
            zone.write(&mut out);
        }
    }
    for component in components {
        component.write(&mut out);
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn collect_tzids<'a>(component: &'a Component, into: &mut Vec<&'a str>) {
    for property in &component.properties {
        if let Some(tzid) = property.param("TZID") {
            let tzid = tzid.trim();
            if !into.contains(&tzid) {
                into.push(tzid);
            }
        }
    }
    for child in &component.children {
        collect_tzids(child, into);
    }
}

/// Gives an event without UID one derived from its content (DTSTAMP left
/// out: many producers set it to the time of the download), so that it
/// keeps its resource from one download to the next while it does not
/// change.
fn give_uid(component: &mut Component) -> String {
    component.properties.retain(|p| p.name != "UID");
    let mut content = component.clone();
    without_dtstamp(&mut content);
    let uid = format!(
        "derived-{}@concord",
        digest_hex(content.to_text().as_bytes(), 16)
    );
    component.properties.insert(
        0,
        Property {
            name: "UID".into(),
            params: Vec::new(),
            raw_value: uid.clone(),
        },
    );
    uid
}

fn without_dtstamp(component: &mut Component) {
    component.properties.retain(|p| p.name != "DTSTAMP");
    for child in &mut component.children {
        without_dtstamp(child);
    }
}

/// The resource name of a UID: the UID itself when it is short and made of
/// characters safe in a URL segment, else a digest of it.
pub fn resource_name(uid: &str) -> String {
    let safe = uid.len() <= 100
        && !uid.starts_with('.')
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    if safe {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", digest_hex(uid.as_bytes(), 20))
    }
}

/// The first `bytes` bytes of the blake2s digest of `data`, in hex.
pub fn digest_hex(data: &[u8], bytes: usize) -> String {
    use blake2::{Blake2s256, Digest};
    Blake2s256::digest(data)
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A body without its DTSTAMP lines: two bodies that differ only there
/// hold the same event (Google and Outlook stamp every event with the
/// time of the download).
pub fn without_stamps(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == b'\n')
        .filter(|line| !(line.starts_with(b"DTSTAMP:") || line.starts_with(b"DTSTAMP;")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Club\r\nREFRESH-INTERVAL;VALUE=DURATION:PT4H\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:weekly@x\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270105T180000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nSUMMARY:Training\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20270110T100000Z\r\nSUMMARY:No uid\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nUID:todo@x\r\nEND:VTODO\r\nBEGIN:VEVENT\r\nUID:weekly@x\r\nRECURRENCE-ID;TZID=Europe/Paris:20270112T180000\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270112T190000\r\nSUMMARY:Training (late)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn overrides_go_with_their_master_and_only_used_zones_come_along() {
        let feed = split(FEED.as_bytes()).unwrap();
        assert_eq!(feed.name.as_deref(), Some("Club"));
        assert_eq!(feed.refresh_seconds, Some(4 * 3600));
        assert_eq!(feed.ignored, 1);
        assert_eq!(feed.items.len(), 2);
        let weekly = &feed.items[0];
        assert_eq!(weekly.name, "weekly@x.ics");
        assert_eq!(weekly.body.matches("BEGIN:VEVENT").count(), 2);
        assert!(weekly.body.contains("TZID:Europe/Paris"));
        assert!(!weekly.body.contains("America/New_York"));
        assert!(!weekly.body.contains("METHOD"));
        assert!(weekly
            .body
            .starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"));
        // The body is a valid calendar object resource.
        let limits = crate::ical::Limits::default();
        let object =
            crate::ical::parse_object(weekly.body.as_bytes(), chrono_tz::Europe::Paris, &limits)
                .unwrap();
        assert_eq!(object.uid, "weekly@x");
        assert_eq!(object.instances.len(), 5);
    }

    #[test]
    fn an_event_without_uid_gets_one_that_ignores_dtstamp() {
        let first = split(FEED.as_bytes()).unwrap();
        let again = split(
            FEED.replace("20261101T000000Z", "20261128T101010Z")
                .as_bytes(),
        )
        .unwrap();
        let derived = &first.items[1];
        assert!(derived.uid.starts_with("derived-"), "{}", derived.uid);
        assert_eq!(derived.uid, again.items[1].uid);
        assert!(derived.body.contains(&format!("UID:{}\r\n", derived.uid)));
        let changed = split(FEED.replace("No uid", "Other").as_bytes()).unwrap();
        assert_ne!(derived.uid, changed.items[1].uid);
        // Bodies that differ only by DTSTAMP compare equal without stamps.
        let a: Vec<_> = without_stamps(first.items[0].body.as_bytes()).collect();
        let b: Vec<_> = without_stamps(again.items[0].body.as_bytes()).collect();
        assert_eq!(a, b);
        assert_ne!(first.items[0].body, again.items[0].body);
    }

    #[test]
    fn html_and_other_text_are_not_ical() {
        let error = split(b"\r\n<!DOCTYPE html><html><body>Maintenance</body></html>").unwrap_err();
        assert!(error.contains("HTML"), "{error}");
        assert!(split(b"{\"events\": []}")
            .unwrap_err()
            .contains("not iCalendar"));
        assert!(split(b"").is_err());
        let empty =
            split(b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").unwrap();
        assert!(empty.items.is_empty());
    }

    #[test]
    fn unsafe_uids_get_digest_names() {
        assert_eq!(resource_name("abc-1@google.com"), "abc-1@google.com.ics");
        let name = resource_name("a/b c?");
        assert_eq!(name.len(), 44);
        assert_eq!(name, resource_name("a/b c?"));
        assert_ne!(
            resource_name(&"x".repeat(101)),
            format!("{}.ics", "x".repeat(101))
        );
    }
}
