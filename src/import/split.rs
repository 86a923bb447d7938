//! A feed, one VCALENDAR holding every event, split into calendar object
//! resources as a CalDAV client would PUT them: one per UID, the master
//! and its overrides (RECURRENCE-ID) together, with the VTIMEZONEs they
//! use. Components are copied line for line as the feed wrote them (line
//! ends made CRLF), so the same feed always gives the same bodies and
//! comparing them with the mirror tells what changed.
//!
//! One pass over the lines finds where each component begins and ends;
//! only the few lines that matter (BEGIN/END, the calendar's properties,
//! UID, TZID parameters) are read closer. A 1 MB feed splits in a few
//! milliseconds.

use crate::query::tree;
use std::borrow::Cow;
use std::collections::HashMap;

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

/// A top-level component of the feed: where its lines are, and what of
/// them grouping needs.
struct Part {
    kind: String,
    /// Byte range in the text, from its BEGIN line to its END line.
    start: usize,
    end: usize,
    uid: Option<String>,
    tzids: Vec<String>,
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
    let stored = crate::ical::stored_text(bytes);
    let text = stored.as_str();
    let scan = scan(text)?;
    let mut feed = Feed {
        name: scan
            .property("X-WR-CALNAME")
            .or_else(|| scan.property("NAME")),
        timezone: scan.property("X-WR-TIMEZONE"),
        refresh_seconds: ["REFRESH-INTERVAL", "X-PUBLISHED-TTL"]
            .iter()
            .find_map(|name| scan.calendar.get(*name))
            .and_then(|p| crate::query::alarms::duration_seconds(&p.raw_value))
            .filter(|seconds| *seconds > 0),
        ..Feed::default()
    };
    let mut header = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    match scan.raw.get("PRODID") {
        Some(line) => copy_lines(&mut header, line),
        None => header.push_str("PRODID:-//concord//import//FR\r\n"),
    }
    if let Some(line) = scan.raw.get("CALSCALE") {
        copy_lines(&mut header, line);
    }
    let zones: Vec<(&str, &str)> = scan
        .parts
        .iter()
        .filter(|p| p.kind == "VTIMEZONE")
        .filter_map(|p| Some((p.uid.as_deref()?, &text[p.start..p.end])))
        .collect();
    let mut groups: Vec<(String, Vec<&Part>, bool)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for part in &scan.parts {
        match part.kind.as_str() {
            "VEVENT" => {}
            "VTIMEZONE" => continue,
            _ => {
                feed.ignored += 1;
                continue;
            }
        }
        let (uid, derived) = match &part.uid {
            Some(uid) => (uid.clone(), false),
            None => (derived_uid(&text[part.start..part.end]), true),
        };
        let slot = *index.entry(uid.clone()).or_insert_with(|| {
            groups.push((uid, Vec::new(), derived));
            groups.len() - 1
        });
        groups[slot].1.push(part);
    }
    feed.items = groups
        .into_iter()
        .map(|(uid, parts, derived)| Item {
            name: resource_name(&uid),
            body: body(
                text,
                &header,
                &zones,
                &parts,
                derived.then_some(uid.as_str()),
            ),
            uid,
        })
        .collect();
    Ok(feed)
}

/// What one pass over the lines found.
#[derive(Default)]
struct Scan<'a> {
    /// Calendar properties concord reads, parsed, and their raw lines.
    calendar: HashMap<&'static str, tree::Property>,
    raw: HashMap<&'static str, &'a str>,
    parts: Vec<Part>,
}

impl Scan<'_> {
    fn property(&self, name: &str) -> Option<String> {
        let text = self.calendar.get(name)?.text_values().join(",");
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }
}

/// The calendar properties the split reads or copies.
const CALENDAR_PROPERTIES: &[&str] = &[
    "PRODID",
    "CALSCALE",
    "X-WR-CALNAME",
    "NAME",
    "X-WR-TIMEZONE",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
];

fn scan(text: &str) -> Result<Scan<'_>, String> {
    let mut scan = Scan::default();
    let mut depth = 0usize;
    let mut ended = false;
    let mut current: Option<Part> = None;
    for line in LogicalLines::new(text) {
        let logical = line.text.as_ref();
        let name_end = logical.find([';', ':']).unwrap_or(logical.len());
        let name = &logical[..name_end];
        if name.eq_ignore_ascii_case("BEGIN") {
            depth += 1;
            if depth == 2 {
                let kind = logical[name_end..]
                    .trim_start_matches(':')
                    .trim()
                    .to_ascii_uppercase();
                current = Some(Part {
                    kind,
                    start: line.start,
                    end: line.end,
                    uid: None,
                    tzids: Vec::new(),
                });
            }
            continue;
        }
        if name.eq_ignore_ascii_case("END") {
            if depth == 2 {
                if let Some(mut part) = current.take() {
                    part.end = line.end;
                    scan.parts.push(part);
                }
            }
            ended |= depth == 1;
            depth = depth.saturating_sub(1);
            continue;
        }
        match (depth, current.as_mut()) {
            (1, _) => {
                if let Some(known) = CALENDAR_PROPERTIES
                    .iter()
                    .find(|known| name.eq_ignore_ascii_case(known))
                {
                    if let Some(property) = tree::parse_line(logical) {
                        scan.calendar.entry(known).or_insert(property);
                        scan.raw.entry(known).or_insert(&text[line.start..line.end]);
                    }
                }
            }
            (2.., Some(part)) => {
                // A VTIMEZONE's TZID is kept as its "uid", the name events use.
                let own = depth == 2
                    && ((part.kind == "VTIMEZONE" && name.eq_ignore_ascii_case("TZID"))
                        || name.eq_ignore_ascii_case("UID"));
                if own {
                    let value = tree::parse_line(logical).map(|p| p.raw_value.trim().to_owned());
                    part.uid = value.filter(|v| !v.is_empty());
                } else if logical[name_end..].contains("TZID=") {
                    if let Some(tzid) = tree::parse_line(logical)
                        .and_then(|p| p.param("TZID").map(|t| t.trim().to_owned()))
                    {
                        if !part.tzids.contains(&tzid) {
                            part.tzids.push(tzid);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !ended {
        return Err("the feed is truncated: its VCALENDAR never ends".into());
    }
    Ok(scan)
}

/// A content line with its folds removed, and where its physical lines
/// are in the text (line ends excluded).
struct Logical<'a> {
    start: usize,
    end: usize,
    text: Cow<'a, str>,
}

struct LogicalLines<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        LogicalLines { text, at: 0 }
    }

    /// The physical line at `at`: its end (without CR LF) and where the
    /// next one starts.
    fn physical(&self, at: usize) -> (usize, usize) {
        let rest = &self.text.as_bytes()[at..];
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => {
                let end = if i > 0 && rest[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                (at + end, at + i + 1)
            }
            None => (self.text.len(), self.text.len()),
        }
    }
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = Logical<'a>;

    fn next(&mut self) -> Option<Logical<'a>> {
        let bytes = self.text.as_bytes();
        loop {
            if self.at >= bytes.len() {
                return None;
            }
            let start = self.at;
            let (mut end, mut next) = self.physical(start);
            let mut text = Cow::Borrowed(&self.text[start..end]);
            while matches!(bytes.get(next), Some(b' ' | b'\t')) {
                let (more_end, more_next) = self.physical(next);
                text.to_mut().push_str(&self.text[next + 1..more_end]);
                end = more_end;
                next = more_next;
            }
            self.at = next;
            if !text.trim().is_empty() {
                return Some(Logical { start, end, text });
            }
        }
    }
}

/// Appends the physical lines of `raw`, each ended by CR LF.
fn copy_lines(out: &mut String, raw: &str) {
    for line in raw.split('\n') {
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push_str("\r\n");
    }
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

/// One resource: the header, the VTIMEZONEs its components name (in the
/// feed's order), the components (in the feed's order); a derived UID
/// goes right after the component's BEGIN line.
fn body(
    text: &str,
    header: &str,
    zones: &[(&str, &str)],
    parts: &[&Part],
    derived_uid: Option<&str>,
) -> String {
    let size: usize = parts.iter().map(|p| p.end - p.start).sum();
    let mut out = String::with_capacity(header.len() + size + 1024);
    out.push_str(header);
    for (tzid, raw) in zones {
        if parts.iter().any(|p| p.tzids.iter().any(|t| t == tzid)) {
            copy_lines(&mut out, raw);
        }
    }
    for part in parts {
        let raw = &text[part.start..part.end];
        match derived_uid {
            Some(uid) => {
                let (begin, rest) = raw.split_once('\n').unwrap_or((raw, ""));
                copy_lines(&mut out, begin);
                out.push_str("UID:");
                out.push_str(uid);
                out.push_str("\r\n");
                if !rest.is_empty() {
                    copy_lines(&mut out, rest);
                }
            }
            None => copy_lines(&mut out, raw),
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// A UID for an event without one, derived from its content (DTSTAMP left
/// out: many producers set it to the time of the download), so that it
/// keeps its resource from one download to the next while it does not
/// change.
fn derived_uid(raw: &str) -> String {
    use blake2::{Blake2s256, Digest};
    let mut hasher = Blake2s256::new();
    for line in LogicalLines::new(raw) {
        let text = line.text.as_ref();
        let upper = text.get(..8).map(|s| s.to_ascii_uppercase());
        if matches!(upper.as_deref(), Some("DTSTAMP:" | "DTSTAMP;")) {
            continue;
        }
        hasher.update(text.as_bytes());
        hasher.update(b"\n");
    }
    let hex: String = hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("derived-{hex}@concord")
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

    #[test]
    fn folded_uids_lf_line_ends_and_nested_uids_are_read_right() {
        let uid = format!("040000008200E00074C5B7101A82E008{}", "0".repeat(80));
        let feed = format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\nBEGIN:VEVENT\nUID:{}\n {}\nDTSTART:20270110T100000Z\nSUMMARY:Long\n  folded\nBEGIN:VALARM\nUID:alarm-1\nACTION:DISPLAY\nTRIGGER:-PT5M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n",
            &uid[..60],
            &uid[60..]
        );
        let split = split(feed.as_bytes()).unwrap();
        assert_eq!(split.items.len(), 1);
        let item = &split.items[0];
        assert_eq!(item.uid, uid);
        assert!(item.name.len() == 44, "{}", item.name);
        // Copied as written, folds included, every line ended by CR LF.
        assert!(
            item.body.contains("SUMMARY:Long\r\n  folded\r\n"),
            "{}",
            item.body
        );
        assert!(!item.body.replace("\r\n", "").contains('\n'));
        assert!(item.body.contains("UID:alarm-1\r\n"));
    }

    #[test]
    fn a_truncated_feed_is_refused_whole() {
        let cut = &FEED[..FEED.find("END:VCALENDAR").unwrap()];
        assert!(split(cut.as_bytes()).unwrap_err().contains("truncated"));
    }

    #[test]
    fn windows_1252_feeds_become_utf8() {
        let feed = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:f\xeate@x\r\nDTSTART:20270110T100000Z\r\nSUMMARY:F\xeate de l'\xe9t\xe9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let split = split(feed).unwrap();
        assert_eq!(split.items[0].uid, "fête@x");
        assert!(split.items[0].body.contains("SUMMARY:Fête de l'été\r\n"));
        assert!(split.items[0]
            .body
            .contains("PRODID:-//concord//import//FR\r\n"));
    }
}
