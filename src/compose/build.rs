//! New calendar objects from the form, written as Thunderbird would write
//! them: times in the territory's zone (`TZID=Europe/Paris`) with its
//! VTIMEZONE, UID, DTSTAMP, CREATED, LAST-MODIFIED, SEQUENCE:0, and
//! concord's PRODID. The content lines of each form field come from here,
//! for new objects and for patches alike.

use super::{utc_stamp, EventDraft, When};
use crate::query::export::{escape_text, PRODID};
use crate::query::tree::fold_into;
use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// What the form edits, each owning some properties of the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Summary,
    When,
    /// RRULE and EXDATE: they follow the dates as well as the repetition.
    Recurrence,
    Location,
    Categories,
    Description,
    Url,
    Class,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Summary,
        Field::When,
        Field::Recurrence,
        Field::Location,
        Field::Categories,
        Field::Description,
        Field::Url,
        Field::Class,
    ];

    /// The properties this field writes; a patch replaces all of them.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Field::Summary => &["SUMMARY"],
            Field::When => &["DTSTART", "DTEND", "DURATION"],
            Field::Recurrence => &["RRULE", "EXDATE"],
            Field::Location => &["LOCATION"],
            Field::Categories => &["CATEGORIES"],
            Field::Description => &["DESCRIPTION"],
            Field::Url => &["URL"],
            Field::Class => &["CLASS"],
        }
    }

    /// Whether `a` and `b` differ in this field.
    pub fn differs(self, a: &EventDraft, b: &EventDraft) -> bool {
        match self {
            Field::Summary => a.summary != b.summary,
            Field::When => a.when != b.when,
            Field::Recurrence => {
                a.repeat != b.repeat
                    || a.when != b.when
                    || sorted(&a.exceptions) != sorted(&b.exceptions)
            }
            Field::Location => a.location != b.location,
            Field::Categories => a.categories != b.categories,
            Field::Description => a.description != b.description,
            Field::Url => a.url != b.url,
            Field::Class => a.private != b.private,
        }
    }

    /// Its content lines (unfolded) for `draft`; none when empty.
    pub fn lines(self, draft: &EventDraft, tz: chrono_tz::Tz) -> Vec<String> {
        let text = |name: &str, value: &str| match value.trim().is_empty() {
            true => vec![],
            false => vec![format!("{name}:{}", escape_text(value))],
        };
        match self {
            Field::Summary => text("SUMMARY", &draft.summary),
            Field::When => {
                let (start, end) = bounds(&draft.when, tz);
                match draft.when {
                    // Without an end time: an instant (RFC 5545 3.6.1).
                    When::Timed { start: s, end: e } if s == e => vec![format!("DTSTART{start}")],
                    _ => vec![format!("DTSTART{start}"), format!("DTEND{end}")],
                }
            }
            Field::Recurrence => {
                let Some(repeat) = &draft.repeat else {
                    return vec![];
                };
                let mut lines = vec![format!("RRULE:{}", repeat.rrule(&draft.when, tz))];
                if !draft.exceptions.is_empty() {
                    lines.push(exdate(&draft.when, &sorted(&draft.exceptions), tz));
                }
                lines
            }
            Field::Location => text("LOCATION", &draft.location),
            Field::Categories => match draft.categories.is_empty() {
                true => vec![],
                false => vec![format!(
                    "CATEGORIES:{}",
                    draft
                        .categories
                        .iter()
                        .map(|c| escape_text(c))
                        .collect::<Vec<_>>()
                        .join(",")
                )],
            },
            Field::Description => text("DESCRIPTION", &draft.description),
            // A URI, not text: written as given (the form checked it).
            Field::Url => match draft.url.trim() {
                "" => vec![],
                url => vec![format!("URL:{url}")],
            },
            Field::Class => vec![format!(
                "CLASS:{}",
                if draft.private { "PRIVATE" } else { "PUBLIC" }
            )],
        }
    }
}

fn sorted(dates: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut dates = dates.to_vec();
    dates.sort_unstable();
    dates.dedup();
    dates
}

fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// Parameters and value of DTSTART and DTEND (from ";" or ":" on).
fn bounds(when: &When, tz: chrono_tz::Tz) -> (String, String) {
    match when {
        When::Timed { start, end } => (
            format!(";TZID={}:{}", tz.name(), local_text(*start)),
            format!(";TZID={}:{}", tz.name(), local_text(*end)),
        ),
        When::AllDay { first, last } => (
            format!(";VALUE=DATE:{}", date_text(*first)),
            // DTEND of a DATE event is the day after its last.
            format!(
                ";VALUE=DATE:{}",
                date_text(*last + chrono::Duration::days(1))
            ),
        ),
    }
}

/// EXDATE for the occurrences of `dates`, at the series' time of day.
fn exdate(when: &When, dates: &[NaiveDate], tz: chrono_tz::Tz) -> String {
    match when {
        When::Timed { start, .. } => format!(
            "EXDATE;TZID={}:{}",
            tz.name(),
            dates
                .iter()
                .map(|d| local_text(d.and_time(start.time())))
                .collect::<Vec<_>>()
                .join(",")
        ),
        When::AllDay { .. } => format!(
            "EXDATE;VALUE=DATE:{}",
            dates
                .iter()
                .map(|d| date_text(*d))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// Whether these lines name the territory's zone (and so need its
/// VTIMEZONE in the object).
pub fn uses_zone(lines: &[String], tz: chrono_tz::Tz) -> bool {
    let param = format!(";TZID={}:", tz.name());
    lines.iter().any(|l| l.contains(&param))
}

/// A new calendar object for `draft`, CRLF lines folded at 75 octets.
pub fn new_event(draft: &EventDraft, uid: &str, tz: chrono_tz::Tz, now: i64) -> String {
    let mut out = String::new();
    let stamp = utc_stamp(now);
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        format!("PRODID:{PRODID}"),
        "VERSION:2.0".to_owned(),
    ] {
        fold_into(&mut out, &line);
    }
    let mut event = vec![
        "BEGIN:VEVENT".to_owned(),
        format!("CREATED:{stamp}"),
        format!("LAST-MODIFIED:{stamp}"),
        format!("DTSTAMP:{stamp}"),
        format!("UID:{}", escape_text(uid)),
    ];
    for field in Field::ALL {
        event.extend(field.lines(draft, tz));
    }
    // As Thunderbird does: busy for timed events, free for all-day ones.
    event.push(
        match draft.when.all_day() {
            true => "TRANSP:TRANSPARENT",
            false => "TRANSP:OPAQUE",
        }
        .to_owned(),
    );
    event.push("SEQUENCE:0".to_owned());
    event.push("END:VEVENT".to_owned());
    if uses_zone(&event, tz) {
        out.push_str(&super::vtimezone::vtimezone(
            tz,
            draft.when.first_day().year(),
        ));
    }
    for line in &event {
        fold_into(&mut out, line);
    }
    fold_into(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Ends, Frequency, Repeat};

    #[test]
    fn a_new_weekly_event_indexes_as_its_form_says() {
        let tz = chrono_tz::Europe::Paris;
        let day = NaiveDate::from_ymd_opt(2027, 3, 13).unwrap();
        let draft = EventDraft {
            summary: "Loto, grand; prix".into(),
            when: When::Timed {
                start: day.and_hms_opt(20, 30, 0).unwrap(),
                end: day.and_hms_opt(23, 0, 0).unwrap(),
            },
            location: "Salle des fêtes, Arue".into(),
            categories: vec!["Loto".into()],
            description: "Première ligne\nDeuxième".into(),
            url: "https://example.org/loto".into(),
            private: false,
            repeat: Some(Repeat {
                frequency: Frequency::Weekly { days: vec![] },
                interval: 1,
                ends: Ends::Count(4),
            }),
            exceptions: vec![NaiveDate::from_ymd_opt(2027, 3, 20).unwrap()],
        };
        let text = new_event(&draft, "u-1", tz, 1_795_000_000);
        assert!(text.contains("DTSTART;TZID=Europe/Paris:20270313T203000\r\n"));
        assert!(text.contains("EXDATE;TZID=Europe/Paris:20270320T203000\r\n"));
        assert!(text.contains("SUMMARY:Loto\\, grand\\; prix\r\n"));
        assert!(text.contains("BEGIN:VTIMEZONE\r\n"));
        let object =
            crate::ical::parse_object(text.as_bytes(), tz, &crate::ical::Limits::default())
                .unwrap();
        // Four occurrences counted, the second one left out.
        assert_eq!(object.instances.len(), 3);
        assert_eq!(object.summary.as_deref(), Some("Loto, grand; prix"));
        assert_eq!(object.categories, ["Loto"]);
    }
}
