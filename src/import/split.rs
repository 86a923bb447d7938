//! A feed as the mirror reads it: cut by the iCalendar model's splitter
//! (`crate::ical::split`: one resource per UID, the master and its
//! overrides together, with the VTIMEZONEs they use, copied as the feed
//! wrote them so the same feed always gives the same bodies), keeping
//! only events and giving those without UID a stable derived one; plus
//! the feed's name, zone and refresh interval, and the names of the
//! resources in the mirror.

use super::failure::{Failure, FailureKind};
use crate::ical::{
    self,
    split::{Options, Unreadable},
};

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

/// Splits a downloaded feed (the download was already cut at `[import]
/// max_bytes`); the error says why it is not iCalendar.
pub fn split(bytes: &[u8]) -> Result<Feed, Failure> {
    let options = Options {
        max_bytes: usize::MAX,
        events_only: true,
        derive_uids: true,
    };
    let split = ical::split::split(bytes, &options).map_err(|error| {
        let (kind, text) = match error {
            Unreadable::Html => (
                FailureKind::Html,
                "the feed is not iCalendar: the address now answers a web page (HTML)".to_owned(),
            ),
            Unreadable::NotICalendar(start) => (
                FailureKind::NotICalendar,
                format!("the feed is not iCalendar: it starts with {start:?}"),
            ),
            Unreadable::Truncated => (
                FailureKind::Truncated,
                "the feed is truncated: its VCALENDAR never ends".to_owned(),
            ),
            other => (
                FailureKind::NotICalendar,
                format!("the feed is not iCalendar: {other}"),
            ),
        };
        Failure { kind, text }
    })?;
    let text = |name: &str| {
        let text = split.property(name)?.text_values().join(",");
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    Ok(Feed {
        name: text("X-WR-CALNAME").or_else(|| text("NAME")),
        timezone: text("X-WR-TIMEZONE"),
        refresh_seconds: ["REFRESH-INTERVAL", "X-PUBLISHED-TTL"]
            .iter()
            .find_map(|name| split.property(name))
            .and_then(|p| crate::query::alarms::duration_seconds(&p.raw_value))
            .filter(|seconds| *seconds > 0),
        ignored: split.ignored,
        items: split
            .pieces
            .into_iter()
            .filter_map(|piece| {
                let uid = piece.uid?;
                Some(Item {
                    name: resource_name(&uid),
                    body: piece.body,
                    uid,
                })
            })
            .collect(),
    })
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
        assert_eq!(error.kind, FailureKind::Html);
        assert!(error.text.contains("HTML"), "{error}");
        let json = split(b"{\"events\": []}").unwrap_err();
        assert_eq!(json.kind, FailureKind::NotICalendar);
        assert!(json.text.contains("not iCalendar"), "{json}");
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
        let failure = split(cut.as_bytes()).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Truncated);
        assert!(failure.text.contains("truncated"), "{failure}");
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
