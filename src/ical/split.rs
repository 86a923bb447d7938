//! A whole calendar file (an export from Google Calendar or Outlook, a
//! feed a website publishes) cut into calendar object resources as a
//! CalDAV client would PUT them: one per UID, the master and its changed
//! occurrences (RECURRENCE-ID) together, with the VTIMEZONEs they use.
//! The one-off import of a file (`/espace/importer`) and the mirroring of
//! subscribed feeds both cut files here.
//!
//! Only the file's structure is checked (it is iCalendar, its BEGIN/END
//! balance, it is complete): each object is validated on its own when it
//! is written, so that one bad event (invalid, too deeply nested, too long
//! a line) is refused and reported without refusing the whole file.
//!
//! Components are copied line for line as the file wrote them (line ends
//! made CRLF), so the same file always gives the same bodies: comparing
//! them with what is stored tells what changed. One pass over the lines
//! finds where each component begins and ends; only the few lines that
//! matter (BEGIN/END, the calendar's properties, UID, SUMMARY, TZID
//! parameters) are read closer. A 1 MB feed splits in a few milliseconds.

use super::line::{parse_line, Property};
use std::borrow::Cow;
use std::collections::HashMap;

/// How a file is cut.
#[derive(Debug, Clone)]
pub struct Options {
    /// The largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Only events become objects; other components (to-dos, journals...)
    /// are left out and counted in [`Split::ignored`]. Else every
    /// component does, and the calendar it goes to decides.
    pub events_only: bool,
    /// An event without UID gets one derived from its content (see
    /// [`derived_uid`]), written into its object. Else it is left without,
    /// and its object is refused when validated.
    pub derive_uids: bool,
}

/// What a file holds.
#[derive(Debug, Default)]
pub struct Split {
    /// The calendar's own properties (METHOD, X-WR-CALNAME...), in order.
    pub properties: Vec<Property>,
    pub pieces: Vec<Piece>,
    /// Components left out (`events_only`).
    pub ignored: usize,
}

impl Split {
    /// The calendar's first property called `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// METHOD, upper-cased, when the file has one (PUBLISH for exports;
    /// REQUEST and others are scheduling messages, not calendars).
    pub fn method(&self) -> Option<String> {
        let method = self.property("METHOD")?.raw_value.trim();
        Some(method.to_ascii_uppercase())
    }
}

/// One object cut from a file.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Its UID, as written or derived; `None` when it has none and
    /// `derive_uids` is off.
    pub uid: Option<String>,
    /// The SUMMARY of its first component, as written (escaped), to name
    /// it in reports.
    pub summary: Option<String>,
    /// A complete VCALENDAR, CRLF line ends.
    pub body: String,
}

/// Why a file as a whole cannot be read (then nothing in it is used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// A web page where a calendar was expected.
    #[error("not iCalendar: a web page (HTML)")]
    Html,
    /// Something else than a calendar; its first line, shortened.
    #[error("not iCalendar: it starts with {0:?}")]
    NotICalendar(String),
    /// Cut short: a VCALENDAR never ends.
    #[error("truncated: its VCALENDAR never ends (cut short?)")]
    Truncated,
    #[error("the file is {size} bytes, the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// BEGIN and END lines that do not match.
    #[error("line {line}: {what}")]
    Structure { line: usize, what: String },
}

impl From<Unreadable> for super::IcalError {
    fn from(error: Unreadable) -> Self {
        match error {
            Unreadable::TooLarge { .. } => super::IcalError::TooLarge(error.to_string()),
            other => super::IcalError::InvalidData(other.to_string()),
        }
    }
}

/// What concord writes as PRODID in an object cut from a file without one.
const IMPORT_PRODID: &str = "-//concord//import//FR";

/// A top-level component of the file: where its lines are, and what of
/// them grouping needs.
struct Part {
    kind: String,
    /// Byte range in the text, from its BEGIN line to its END line.
    start: usize,
    end: usize,
    /// Its UID (a VTIMEZONE's TZID, the name events use).
    uid: Option<String>,
    summary: Option<String>,
    tzids: Vec<String>,
}

/// Cuts a calendar file into objects.
pub fn split(bytes: &[u8], options: &Options) -> Result<Split, Unreadable> {
    if bytes.len() > options.max_bytes {
        return Err(Unreadable::TooLarge {
            size: bytes.len(),
            limit: options.max_bytes,
        });
    }
    let start = first_line(bytes);
    if !start.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        return Err(match start.starts_with('<') {
            true => Unreadable::Html,
            false => Unreadable::NotICalendar(start.chars().take(40).collect()),
        });
    }
    let stored = super::stored_text(bytes);
    let text = stored.as_str();
    let scan = scan(text)?;
    let mut header = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    match scan.raw.get("PRODID") {
        Some(line) => copy_lines(&mut header, line),
        None => {
            header.push_str("PRODID:");
            header.push_str(IMPORT_PRODID);
            header.push_str("\r\n");
        }
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
    // Components in file order, grouped by UID (first appearance); one
    // without UID is a group of its own.
    let mut groups: Vec<(Option<String>, Vec<&Part>, bool)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut ignored = 0;
    for part in &scan.parts {
        if part.kind == "VTIMEZONE" {
            continue;
        }
        if options.events_only && part.kind != "VEVENT" {
            ignored += 1;
            continue;
        }
        let (uid, derived) = match &part.uid {
            Some(uid) => (uid.clone(), false),
            None if options.derive_uids => (derived_uid(&text[part.start..part.end]), true),
            None => {
                groups.push((None, vec![part], false));
                continue;
            }
        };
        let slot = *index.entry(uid.clone()).or_insert_with(|| {
            groups.push((Some(uid), Vec::new(), derived));
            groups.len() - 1
        });
        groups[slot].1.push(part);
    }
    let pieces = groups
        .into_iter()
        .map(|(uid, parts, derived)| Piece {
            summary: parts.iter().find_map(|p| p.summary.clone()),
            body: body(
                text,
                &header,
                &zones,
                &parts,
                uid.as_deref().filter(|_| derived),
            ),
            uid,
        })
        .collect();
    Ok(Split {
        properties: scan.calendar,
        pieces,
        ignored,
    })
}

/// What one pass over the lines found.
#[derive(Default)]
struct Scan<'a> {
    /// The calendar's properties, and the raw lines of those copied into
    /// every object.
    calendar: Vec<Property>,
    raw: HashMap<&'static str, &'a str>,
    parts: Vec<Part>,
}

/// The calendar properties copied into every object.
const COPIED: &[&str] = &["PRODID", "CALSCALE"];

fn scan(text: &str) -> Result<Scan<'_>, Unreadable> {
    let mut scan = Scan::default();
    // Open components, outermost first.
    let mut open: Vec<String> = Vec::new();
    let mut current: Option<Part> = None;
    for line in LogicalLines::new(text) {
        let logical = line.text.as_ref();
        let name_end = logical.find([';', ':']).unwrap_or(logical.len());
        let name = &logical[..name_end];
        let value = || {
            logical[name_end..]
                .trim_start_matches(':')
                .trim()
                .to_ascii_uppercase()
        };
        let structure = |what: String| Unreadable::Structure {
            line: line.number,
            what,
        };
        if name.eq_ignore_ascii_case("BEGIN") {
            let kind = value();
            if open.is_empty() && kind != "VCALENDAR" {
                return Err(structure(format!("BEGIN:{kind} outside a VCALENDAR")));
            }
            if open.len() == 1 {
                current = Some(Part {
                    kind: kind.clone(),
                    start: line.start,
                    end: line.end,
                    uid: None,
                    summary: None,
                    tzids: Vec::new(),
                });
            }
            open.push(kind);
            continue;
        }
        if name.eq_ignore_ascii_case("END") {
            let kind = value();
            if open.pop().as_deref() != Some(kind.as_str()) {
                return Err(structure(format!("END:{kind} closes nothing open")));
            }
            if open.len() == 1 {
                if let Some(mut part) = current.take() {
                    part.end = line.end;
                    scan.parts.push(part);
                }
            }
            continue;
        }
        match (open.len(), current.as_mut()) {
            // Text after the end of the calendar is not the calendar's.
            (0, _) => {}
            (1, _) => {
                if let Some(property) = parse_line(logical) {
                    if let Some(copied) = COPIED.iter().find(|c| property.name == **c) {
                        scan.raw
                            .entry(copied)
                            .or_insert(&text[line.start..line.end]);
                    }
                    scan.calendar.push(property);
                }
            }
            (depth, Some(part)) => {
                let own = |wanted: &str| depth == 2 && name.eq_ignore_ascii_case(wanted);
                if own("UID") || (part.kind == "VTIMEZONE" && own("TZID")) {
                    let value = parse_line(logical).map(|p| p.raw_value.trim().to_owned());
                    part.uid = value.filter(|v| !v.is_empty());
                } else if own("SUMMARY") {
                    if part.summary.is_none() {
                        part.summary = parse_line(logical).map(|p| p.raw_value);
                    }
                } else if logical[name_end..].contains("TZID=") {
                    if let Some(tzid) =
                        parse_line(logical).and_then(|p| p.param("TZID").map(|t| t.trim().into()))
                    {
                        if !part.tzids.contains(&tzid) {
                            part.tzids.push(tzid);
                        }
                    }
                }
            }
            (_, None) => {}
        }
    }
    if !open.is_empty() {
        return Err(Unreadable::Truncated);
    }
    Ok(scan)
}

/// A content line with its folds removed, and where its physical lines
/// are in the text (line ends excluded).
struct Logical<'a> {
    start: usize,
    end: usize,
    /// The number of its first physical line, for error messages.
    number: usize,
    text: Cow<'a, str>,
}

struct LogicalLines<'a> {
    text: &'a str,
    at: usize,
    /// Physical lines read so far.
    lines: usize,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        LogicalLines {
            text,
            at: 0,
            lines: 0,
        }
    }

    /// The physical line at `at`: its end (without CR LF) and where the
    /// next one starts.
    fn physical(&mut self, at: usize) -> (usize, usize) {
        self.lines += 1;
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
            let number = self.lines;
            let mut text = Cow::Borrowed(&self.text[start..end]);
            while matches!(bytes.get(next), Some(b' ' | b'\t')) {
                let (more_end, more_next) = self.physical(next);
                text.to_mut().push_str(&self.text[next + 1..more_end]);
                end = more_end;
                next = more_next;
            }
            self.at = next;
            if !text.trim().is_empty() {
                return Some(Logical {
                    start,
                    end,
                    number,
                    text,
                });
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

/// One object: the header, the VTIMEZONEs its components name (in the
/// file's order), the components (in the file's order); a derived UID
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
/// keeps its object from one download (or import) of the file to the next
/// while it does not change.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::Limits;

    fn options() -> Options {
        Options {
            max_bytes: Limits::default().max_bytes,
            events_only: false,
            derive_uids: false,
        }
    }

    const EXPORT: &str = "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Comité\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270313T203000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Loto\\, grand\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270313T100000Z\r\nSUMMARY:Marché\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID;TZID=Europe/Paris:20270320T203000\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270321T203000\r\nSUMMARY:Loto\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn an_export_becomes_one_object_per_uid_with_its_zones() {
        let cut = split(EXPORT.as_bytes(), &options()).unwrap();
        assert_eq!(cut.method().as_deref(), Some("PUBLISH"));
        assert_eq!(cut.property("X-WR-CALNAME").unwrap().raw_value, "Comité");
        assert_eq!(cut.pieces.len(), 2);
        let a = &cut.pieces[0];
        assert_eq!(a.uid.as_deref(), Some("a"));
        assert_eq!(a.summary.as_deref(), Some("Loto\\, grand"));
        assert!(a.body.contains("BEGIN:VTIMEZONE"));
        assert_eq!(a.body.matches("BEGIN:VEVENT").count(), 2);
        assert!(!cut.pieces[1].body.contains("VTIMEZONE"));
        assert!(!a.body.contains("METHOD"));
        for piece in &cut.pieces {
            crate::ical::parse_object(
                piece.body.as_bytes(),
                chrono_tz::Europe::Paris,
                &Limits::default(),
            )
            .unwrap();
        }
    }

    #[test]
    fn broken_files_are_refused_whole() {
        let refused = |file: &[u8]| split(file, &options()).unwrap_err();
        assert_eq!(
            refused(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"),
            Unreadable::Truncated
        );
        assert_eq!(refused(b"hello"), Unreadable::NotICalendar("hello".into()));
        assert_eq!(refused(b"\r\n<!DOCTYPE html><html>"), Unreadable::Html);
        assert!(matches!(
            refused(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"),
            Unreadable::Structure { line: 3, .. }
        ));
        let large = Options {
            max_bytes: 10,
            ..options()
        };
        assert!(matches!(
            split(EXPORT.as_bytes(), &large),
            Err(Unreadable::TooLarge { limit: 10, .. })
        ));
    }

    #[test]
    fn a_bad_event_is_left_to_its_own_validation() {
        // Nested deeper than objects may be, and text after the calendar:
        // the file is still cut, the deep event is refused on its own.
        let deep = "BEGIN:VALARM\r\n".repeat(40) + &"END:VALARM\r\n".repeat(40);
        let file = EXPORT.replace("SUMMARY:Marché\r\n", &format!("SUMMARY:Marché\r\n{deep}"))
            + "<!-- generated in 3 ms -->\r\n";
        let cut = split(file.as_bytes(), &options()).unwrap();
        assert_eq!(cut.pieces.len(), 2);
        let limits = Limits::default();
        let parse = |piece: &Piece| {
            crate::ical::parse_object(piece.body.as_bytes(), chrono_tz::Europe::Paris, &limits)
        };
        assert!(parse(&cut.pieces[0]).is_ok());
        assert!(parse(&cut.pieces[1]).is_err());
    }

    #[test]
    fn events_without_uid_are_kept_apart_or_given_a_derived_one() {
        let file = EXPORT.replace("UID:b\r\n", "");
        let plain = split(file.as_bytes(), &options()).unwrap();
        assert_eq!(plain.pieces[1].uid, None);
        assert!(!plain.pieces[1].body.contains("UID:"));
        let derive = Options {
            derive_uids: true,
            ..options()
        };
        let derived = split(file.as_bytes(), &derive).unwrap();
        let uid = derived.pieces[1].uid.clone().unwrap();
        assert!(uid.starts_with("derived-"), "{uid}");
        assert!(derived.pieces[1].body.contains(&format!("UID:{uid}\r\n")));
        // Only the content counts, not the DTSTAMP.
        let stamped = file.replace("20270101T000000Z", "20270102T000000Z");
        let again = split(stamped.as_bytes(), &derive).unwrap();
        assert_eq!(again.pieces[1].uid.as_deref(), Some(uid.as_str()));
    }

    #[test]
    fn other_components_are_kept_or_counted() {
        let file = EXPORT.replace(
            "END:VCALENDAR",
            "BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR",
        );
        let all = split(file.as_bytes(), &options()).unwrap();
        assert_eq!((all.pieces.len(), all.ignored), (3, 0));
        let events = Options {
            events_only: true,
            ..options()
        };
        let events = split(file.as_bytes(), &events).unwrap();
        assert_eq!((events.pieces.len(), events.ignored), (2, 1));
    }
}
