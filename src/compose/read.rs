//! A stored event as the form shows it, and what the form must leave
//! alone: a repetition it cannot express, or a series whose occurrences
//! were changed one by one in a calendar app (RECURRENCE-ID overrides).
//! In both cases the dates and the repetition are shown, not edited:
//! moving such a series would detach its changed occurrences or rewrite a
//! rule the form cannot show. The rest (title, place...) edits the series
//! master; see `patch` for what reaches the overrides.

use super::{EventDraft, Repeat, When};
use crate::query::tree::{self, Component, Property};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};

/// A stored event read for the form.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub draft: EventDraft,
    /// Why the dates and repetition are read-only, if they are.
    pub locked: Option<Locked>,
    /// The RRULE as written, when there is one.
    pub rule_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locked {
    /// A rule the form cannot express (or RDATE, or several rules).
    Rule,
    /// This many occurrences were changed one by one.
    Overrides(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// Not a VEVENT (a to-do, a journal entry).
    NotAnEvent,
    /// Only changed occurrences, without the series they belong to.
    NoMaster,
    /// No readable DTSTART.
    NoStart,
}

/// Reads the event of a stored body; times come out in `tz`.
pub fn read(body: &[u8], tz: chrono_tz::Tz) -> Result<StoredEvent, ReadError> {
    let calendar = tree::parse(body);
    let events: Vec<&Component> = calendar.children_named("VEVENT").collect();
    if events.is_empty() {
        return Err(ReadError::NotAnEvent);
    }
    let (overrides, masters): (Vec<&Component>, Vec<&Component>) = events
        .iter()
        .partition(|e| e.property("RECURRENCE-ID").is_some());
    let master = *masters.first().ok_or(ReadError::NoMaster)?;
    let when = when_of(master, tz).ok_or(ReadError::NoStart)?;
    // Trimmed, as the form sends them: a stored trailing newline is not a
    // change to write back.
    let text = |name: &str| {
        master
            .property(name)
            .map(|p| p.text_values().join(",").trim().to_owned())
            .unwrap_or_default()
    };
    let rules: Vec<&Property> = master.properties_named("RRULE").collect();
    let rule_text = rules.first().map(|p| p.raw_value.trim().to_owned());
    let repeat = match rules.as_slice() {
        [rule] => Repeat::parse(&rule.raw_value, &when, tz),
        _ => None,
    };
    let other_dates = master.property("RDATE").is_some() || master.property("EXRULE").is_some();
    let locked = if !overrides.is_empty() {
        Some(Locked::Overrides(overrides.len()))
    } else if rules.len() > 1 || (!rules.is_empty() && repeat.is_none()) || other_dates {
        Some(Locked::Rule)
    } else {
        None
    };
    let mut exceptions: Vec<NaiveDate> = master
        .properties_named("EXDATE")
        .flat_map(|p| exception_dates(p, tz))
        .collect();
    exceptions.sort_unstable();
    exceptions.dedup();
    let private = events.iter().any(|e| {
        e.property("CLASS")
            .is_some_and(|c| !c.raw_value.trim().eq_ignore_ascii_case("PUBLIC"))
    });
    Ok(StoredEvent {
        draft: EventDraft {
            summary: text("SUMMARY"),
            when,
            location: text("LOCATION"),
            categories: master
                .properties_named("CATEGORIES")
                .flat_map(|p| p.text_values())
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            description: text("DESCRIPTION"),
            url: master
                .property("URL")
                .map(|p| p.raw_value.trim().to_owned())
                .unwrap_or_default(),
            private,
            repeat,
            exceptions,
        },
        locked,
        rule_text,
    })
}

fn is_date(property: &Property) -> bool {
    property
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || property.raw_value.trim().len() == 8
}

fn date_of(property: &Property) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(property.raw_value.trim().get(..8)?, "%Y%m%d").ok()
}

/// The local time in `tz` of a DATE-TIME property.
fn local_of(property: &Property, tz: chrono_tz::Tz) -> Option<NaiveDateTime> {
    let instant = property.instant(tz)?;
    Some(tz.timestamp_opt(instant, 0).single()?.naive_local())
}

fn when_of(event: &Component, tz: chrono_tz::Tz) -> Option<When> {
    let start = event.property("DTSTART")?;
    let end = event.property("DTEND");
    let duration = event
        .property("DURATION")
        .and_then(|d| seconds(&d.raw_value));
    if is_date(start) {
        let first = date_of(start)?;
        let after = match (end, duration) {
            (Some(end), _) => date_of(end)?,
            (None, Some(seconds)) => first + Duration::days((seconds / 86_400).max(1)),
            (None, None) => first + Duration::days(1),
        };
        let last = (after - Duration::days(1)).max(first);
        return Some(When::AllDay { first, last });
    }
    let local_start = local_of(start, tz)?;
    let local_end = match (end, duration) {
        (Some(end), _) => local_of(end, tz)?,
        (None, Some(seconds)) => {
            let instant = start.instant(tz)? + seconds;
            tz.timestamp_opt(instant, 0).single()?.naive_local()
        }
        (None, None) => local_start,
    };
    Some(When::Timed {
        start: local_start,
        end: local_end.max(local_start),
    })
}

/// Seconds of a DURATION value ("PT2H30M", "P1D", "P1W"); days count as
/// 24 hours here (only to show the end on the form).
fn seconds(value: &str) -> Option<i64> {
    let value = value.trim();
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let rest = rest.strip_prefix('P')?;
    let (mut total, mut number, mut in_time) = (0i64, 0i64, false);
    for c in rest.chars() {
        match c {
            '0'..='9' => number = number.checked_mul(10)? + i64::from(c as u8 - b'0'),
            'T' => in_time = true,
            'W' => (total, number) = (total + number * 7 * 86_400, 0),
            'D' => (total, number) = (total + number * 86_400, 0),
            'H' if in_time => (total, number) = (total + number * 3600, 0),
            'M' if in_time => (total, number) = (total + number * 60, 0),
            'S' if in_time => (total, number) = (total + number, 0),
            _ => return None,
        }
    }
    Some(if negative { -total } else { total })
}

/// The local dates an EXDATE property leaves out.
fn exception_dates(property: &Property, tz: chrono_tz::Tz) -> Vec<NaiveDate> {
    property
        .raw_value
        .split(',')
        .filter_map(|value| {
            let single = Property {
                name: property.name.clone(),
                params: property.params.clone(),
                raw_value: value.trim().to_owned(),
            };
            if is_date(&single) {
                date_of(&single)
            } else {
                local_of(&single, tz).map(|t| t.date())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(seconds("PT2H30M"), Some(9000));
        assert_eq!(seconds("P1DT1S"), Some(86_401));
        assert_eq!(seconds("P2W"), Some(14 * 86_400));
        assert_eq!(seconds("-PT15M"), Some(-900));
        assert_eq!(seconds("2H"), None);
    }
}
