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
        // Stored bodies are valid UTF-8 (checked on PUT); the strict check
        // is much faster than the lossy one on that path.
        return match std::str::from_utf8(body) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(body),
        };
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
        let overlaps = instance.start < until
            && (instance.end > from || (instance.end == instance.start && instance.start >= from));
        if !overlaps {
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
