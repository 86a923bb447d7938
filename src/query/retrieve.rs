//! What a `CALDAV:calendar-data` element asks for (RFC 4791 9.6): the whole
//! object, a selection of components and properties, or the recurrence set
//! expanded into separate instances in UTC.

use super::filter::TimeRange;
use super::tree::{self, Component, Property};
use crate::ical;
use chrono::TimeZone;
use std::borrow::Cow;

/// `CALDAV:comp` selection: which properties and sub-components to keep.
#[derive(Debug, Clone, Default)]
pub struct CompSelection {
    pub name: String,
    /// `None`: all properties (allprop or no prop element).
    pub props: Option<Vec<String>>,
    /// `None`: all sub-components.
    pub comps: Option<Vec<CompSelection>>,
}

#[derive(Debug, Clone, Default)]
pub struct DataRequest {
    pub selection: Option<CompSelection>,
    pub expand: Option<TimeRange>,
    pub limit_recurrence: Option<TimeRange>,
}

impl DataRequest {
    pub fn is_whole(&self) -> bool {
        self.selection.is_none() && self.expand.is_none() && self.limit_recurrence.is_none()
    }
}

/// The calendar-data text for one stored object.
pub fn render<'a>(
    body: &'a [u8],
    request: &DataRequest,
    tz: chrono_tz::Tz,
    limits: &ical::Limits,
) -> Cow<'a, str> {
    if request.is_whole() {
        return whole(body);
    }
    let mut calendar = tree::parse(body);
    if let Some(range) = request.expand {
        expand(&mut calendar, body, range, tz, limits);
    } else if let Some(range) = request.limit_recurrence {
        limit_overrides(&mut calendar, range);
    }
    if let Some(selection) = &request.selection {
        select(&mut calendar, selection);
    }
    Cow::Owned(calendar.to_text())
}

/// The whole object as calendar-data text. Stored bodies are the client's
/// bytes: usually UTF-8, borrowed as they are; but intake also accepts
/// Windows-1252 and folds that cut a UTF-8 character, and those are decoded
/// as intake decodes them (`ical::stored_text`) and folded again on
/// character boundaries, since XML text has to be characters.
pub fn whole(body: &[u8]) -> Cow<'_, str> {
    match ical::stored_text(body) {
        ical::StoredText::Utf8(text) => Cow::Borrowed(text),
        ical::StoredText::Unfolded { text, .. } => {
            let mut out = String::with_capacity(text.len() + text.len() / 32);
            for line in text.lines().filter(|line| !line.is_empty()) {
                tree::fold_into(&mut out, line);
            }
            Cow::Owned(out)
        }
    }
}

fn select(component: &mut Component, selection: &CompSelection) {
    if let Some(props) = &selection.props {
        component
            .properties
            .retain(|p| props.iter().any(|name| name.eq_ignore_ascii_case(&p.name)));
    }
    if let Some(comps) = &selection.comps {
        component.children.retain(|child| {
            comps
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&child.name))
        });
        for child in &mut component.children {
            if let Some(sub) = comps
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&child.name))
            {
                select(child, sub);
            }
        }
    }
}

/// limit-recurrence-set: keep the master and only the overrides that
/// overlap the range.
fn limit_overrides(calendar: &mut Component, range: TimeRange) {
    calendar.children.retain(|child| {
        let Some(recurrence) = child.property("RECURRENCE-ID") else {
            return true;
        };
        let start = child.property("DTSTART").unwrap_or(recurrence);
        let instant = start.instant(chrono_tz::UTC).unwrap_or(0);
        range.end.is_none_or(|e| instant < e) && range.start.is_none_or(|s| instant >= s)
    });
}

/// Replaces the recurring components by one component per instance that
/// overlaps `range`, with DTSTART/DTEND/RECURRENCE-ID in UTC, and drops
/// VTIMEZONE (nothing refers to it any more).
fn expand(
    calendar: &mut Component,
    body: &[u8],
    range: TimeRange,
    tz: chrono_tz::Tz,
    limits: &ical::Limits,
) {
    let from = range.start.unwrap_or(i64::MIN / 2);
    let until = range.end.unwrap_or(i64::MAX / 2);
    let Ok(instances) = ical::expand_between(body, tz, from, until, limits) else {
        return;
    };
    let main: Vec<Component> = calendar
        .children
        .iter()
        .filter(|c| c.name != "VTIMEZONE")
        .cloned()
        .collect();
    let Some(master) = main
        .iter()
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .or_else(|| main.first())
        .cloned()
    else {
        return;
    };
    let mut out = Vec::new();
    for instance in instances {
        if !instance.matches_range(from, until) {
            continue;
        }
        let source = instance
            .recurrence_id
            .and_then(|rid| {
                main.iter().find(|c| {
                    c.property("RECURRENCE-ID")
                        .and_then(|p| p.instant(tz))
                        .is_some_and(|t| t == rid)
                })
            })
            .unwrap_or(&master);
        let mut component = source.clone();
        component.properties.retain(|p| {
            !matches!(
                p.name.as_str(),
                "RRULE"
                    | "RDATE"
                    | "EXDATE"
                    | "EXRULE"
                    | "DTSTART"
                    | "DTEND"
                    | "RECURRENCE-ID"
                    | "DUE"
            )
        });
        let had_end = source.property("DTEND").is_some() || source.property("DUE").is_some();
        let end_name = if source.name == "VTODO" {
            "DUE"
        } else {
            "DTEND"
        };
        let mut times = vec![time_property(
            "DTSTART",
            instance.start,
            instance.all_day,
            tz,
        )];
        if had_end {
            times.push(time_property(end_name, instance.end, instance.all_day, tz));
        }
        if let Some(rid) = instance.recurrence_id {
            times.push(time_property("RECURRENCE-ID", rid, instance.all_day, tz));
        }
        component.properties.splice(0..0, times);
        out.push(component);
    }
    calendar.children = out;
}

fn time_property(name: &str, unix: i64, all_day: bool, tz: chrono_tz::Tz) -> Property {
    if all_day {
        let date = tz
            .timestamp_opt(unix, 0)
            .single()
            .map(|t| t.format("%Y%m%d").to_string())
            .unwrap_or_default();
        return Property {
            name: name.to_owned(),
            params: vec![("VALUE".into(), "DATE".into())],
            raw_value: date,
        };
    }
    let value = chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default();
    Property {
        name: name.to_owned(),
        params: Vec::new(),
        raw_value: value,
    }
}

#[cfg(test)]
mod tests {
    use super::whole;
    use std::borrow::Cow;

    #[test]
    fn whole_objects_are_borrowed_or_decoded_and_folded_again() {
        let utf8 = b"BEGIN:VCALENDAR\r\nSUMMARY:F\xC3\xAAte\r\nEND:VCALENDAR\r\n";
        assert!(matches!(whole(utf8), Cow::Borrowed(_)));

        // Windows-1252 grows in UTF-8: the 75-octet folds are made again.
        let mut legacy = b"BEGIN:VCALENDAR\r\nDESCRIPTION:".to_vec();
        legacy.extend([0xE9; 62]);
        legacy.extend(b"\r\n \xE9t\xE9\r\nEND:VCALENDAR\r\n");
        let text = whole(&legacy);
        assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
        assert_eq!(
            text.replace("\r\n ", ""),
            format!(
                "BEGIN:VCALENDAR\r\nDESCRIPTION:{}t\u{E9}\r\nEND:VCALENDAR\r\n",
                "\u{E9}".repeat(63)
            )
        );
    }
}
