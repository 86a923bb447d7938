//! Validation of a parsed calendar (RFC 4791 5.3.2, RFC 5545) and reduction to
//! the [`Model`]. calcard accepts almost anything and turns unparsable values
//! into text, so every value the index relies on is checked here.

use super::decode::LineMap;
use super::model::{Comp, Dur, End, Info, Model, Moment, RDate, RangeRule};
use super::tz::{self, Zone, Zones};
use super::{Class, ComponentKind, IcalError};
use calcard::common::{CalendarScale, IanaString, PartialDateTime};
use calcard::icalendar::{
    ICalendar, ICalendarClassification, ICalendarComponent, ICalendarComponentType,
    ICalendarDuration, ICalendarEntry, ICalendarParameterName, ICalendarParameterValue,
    ICalendarPeriod, ICalendarProperty as Prop, ICalendarStatus, ICalendarTransparency,
    ICalendarValue,
};
use chrono_tz::Tz;

pub(crate) fn build(ical: &ICalendar, lines: &LineMap, floating: Tz) -> Result<Model, IcalError> {
    let root = ical
        .components
        .first()
        .filter(|c| c.component_type == ICalendarComponentType::VCalendar)
        .ok_or_else(|| IcalError::InvalidData("the body does not contain a VCALENDAR".into()))?;
    check_calendar(root, lines)?;

    let mut vtimezones = Vec::new();
    let mut mains: Vec<(usize, &ICalendarComponent, ComponentKind)> = Vec::new();
    for &id in &root.component_ids {
        let Some((idx, comp)) = usize::try_from(id)
            .ok()
            .and_then(|i| Some((i, ical.components.get(i)?)))
        else {
            continue;
        };
        let line = lines
            .begin(idx)
            .map_or(String::new(), |l| format!("line {l}: "));
        let kind = match &comp.component_type {
            ICalendarComponentType::VTimezone => {
                vtimezones.push(comp);
                continue;
            }
            ICalendarComponentType::VEvent => ComponentKind::Event,
            ICalendarComponentType::VTodo => ComponentKind::Todo,
            ICalendarComponentType::VJournal => ComponentKind::Journal,
            ICalendarComponentType::VFreebusy => {
                return Err(IcalError::UnsupportedComponent(format!(
                    "{line}VFREEBUSY cannot be stored in a calendar collection \
                     (supported: VEVENT, VTODO, VJOURNAL)"
                )))
            }
            // Experimental components are allowed by RFC 5545 and ignored.
            ICalendarComponentType::Other(name)
                if name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("X-")) =>
            {
                continue
            }
            other => {
                return Err(IcalError::UnsupportedComponent(format!(
                    "{line}{} is not supported here (supported: VEVENT, VTODO, VJOURNAL)",
                    other.as_str()
                )))
            }
        };
        mains.push((idx, comp, kind));
    }

    let Some(&(_, _, kind)) = mains.first() else {
        return Err(if vtimezones.is_empty() {
            IcalError::InvalidObject("the calendar contains no VEVENT, VTODO or VJOURNAL".into())
        } else {
            IcalError::UnsupportedComponent(
                "the calendar contains only VTIMEZONE components".into(),
            )
        });
    };
    if let Some(&(idx, _, other)) = mains.iter().find(|(_, _, k)| *k != kind) {
        return Err(IcalError::InvalidObject(format!(
            "{}mixed component types {} and {} in one calendar object resource",
            lines
                .begin(idx)
                .map_or(String::new(), |l| format!("line {l}: ")),
            kind.name(),
            other.name()
        )));
    }

    let mut zones = Zones::new(ical, &vtimezones);
    let mut uid: Option<String> = None;
    let mut master: Option<(Comp, &ICalendarComponent)> = None;
    let mut overrides: Vec<(Comp, &ICalendarComponent)> = Vec::new();
    let mut rids = std::collections::HashSet::new();
    // The object's class is the strictest of its components' (overrides
    // included): one private occurrence keeps the whole object out of
    // public views, as `query::public` decides on stored bodies.
    let mut class = Class::Public;
    for &(idx, comp, kind) in &mains {
        let ctx = Ctx {
            lines,
            ord: idx,
            kind: kind.name(),
        };
        let this_uid = component_uid(comp, &ctx)?;
        match &uid {
            None => uid = Some(this_uid),
            Some(first) if *first != this_uid => {
                return Err(IcalError::InvalidObject(format!(
                    "{}several UIDs in one calendar object resource (\"{}\" and \"{}\")",
                    ctx.prefix(ctx.line("UID", 0)),
                    shorten(first),
                    shorten(&this_uid)
                )))
            }
            Some(_) => {}
        }
        let parsed = component(comp, kind, &ctx, &mut zones, floating)?;
        class = class.or_stricter(class_of(comp, &ctx)?);
        if let Some(rid) = &parsed.recurrence_id {
            if !rids.insert(rid.to_utc(floating)) {
                return Err(IcalError::InvalidObject(format!(
                    "{}two {} components have the same RECURRENCE-ID",
                    ctx.prefix(ctx.line("RECURRENCE-ID", 0)),
                    ctx.kind
                )));
            }
            overrides.push((parsed, comp));
        } else if master.is_some() {
            return Err(IcalError::InvalidObject(format!(
                "{}several {} components without RECURRENCE-ID share one UID",
                ctx.prefix(lines.begin(idx)),
                ctx.kind
            )));
        } else {
            master = Some((parsed, comp));
        }
    }

    let info_source = master
        .as_ref()
        .map(|(_, c)| *c)
        .or_else(|| overrides.first().map(|(_, c)| *c));
    let mut info = info_source.map(info).unwrap_or(Info {
        summary: None,
        location: None,
        class: Class::Public,
        categories: Vec::new(),
        status: None,
        transparent: false,
    });
    info.class = class;
    Ok(Model {
        kind,
        uid: uid.unwrap_or_default(),
        master: master.map(|(m, _)| m),
        overrides: overrides.into_iter().map(|(o, _)| o).collect(),
        info,
    })
}

/// Where errors about one component point to.
struct Ctx<'a> {
    lines: &'a LineMap,
    /// Component number, as calcard and the decoder count them.
    ord: usize,
    kind: &'static str,
}

impl Ctx<'_> {
    fn line(&self, prop: &str, nth: usize) -> Option<usize> {
        self.lines.prop(self.ord, prop, nth)
    }

    fn prefix(&self, line: Option<usize>) -> String {
        line.map_or(String::new(), |l| format!("line {l}: "))
    }

    /// An error about the `nth` property `prop` of this component.
    fn at(&self, prop: &str, nth: usize, msg: impl std::fmt::Display) -> IcalError {
        let line = self.line(prop, nth).or_else(|| self.lines.begin(self.ord));
        IcalError::InvalidData(format!("{}{msg}", self.prefix(line)))
    }

    /// An error about the component as a whole.
    fn whole(&self, msg: impl std::fmt::Display) -> IcalError {
        IcalError::InvalidData(format!("{}{msg}", self.prefix(self.lines.begin(self.ord))))
    }
}

fn check_calendar(root: &ICalendarComponent, lines: &LineMap) -> Result<(), IcalError> {
    let ctx = Ctx {
        lines,
        ord: 0,
        kind: "VCALENDAR",
    };
    if let Some((nth, _)) = occurrences(root, &Prop::Method).next() {
        return Err(IcalError::InvalidObject(format!(
            "{}METHOD is not allowed in a calendar object resource (RFC 4791 4.1)",
            ctx.prefix(ctx.line("METHOD", nth))
        )));
    }
    let Some((nth, version)) = occurrences(root, &Prop::Version).next() else {
        return Err(ctx.whole("VCALENDAR has no VERSION property"));
    };
    let value = version
        .values
        .first()
        .and_then(|v| v.as_text())
        .unwrap_or("");
    if value.trim() != "2.0" {
        return Err(ctx.at(
            "VERSION",
            nth,
            format!("VERSION must be 2.0, not \"{}\"", shorten(value)),
        ));
    }
    for (nth, entry) in occurrences(root, &Prop::Calscale) {
        let gregorian = match entry.values.first() {
            Some(ICalendarValue::CalendarScale(scale)) => *scale == CalendarScale::Gregorian,
            None => true,
            _ => false,
        };
        if !gregorian {
            return Err(ctx.at("CALSCALE", nth, "only CALSCALE:GREGORIAN is supported"));
        }
    }
    Ok(())
}

fn component_uid(comp: &ICalendarComponent, ctx: &Ctx<'_>) -> Result<String, IcalError> {
    let mut uids = occurrences(comp, &Prop::Uid);
    let Some((_, entry)) = uids.next() else {
        return Err(ctx.whole(format!("missing UID in {}", ctx.kind)));
    };
    if let Some((nth, _)) = uids.next() {
        return Err(ctx.at("UID", nth, format!("{} has more than one UID", ctx.kind)));
    }
    let uid = entry
        .values
        .first()
        .and_then(|v| v.as_text())
        .unwrap_or("")
        .trim();
    if uid.is_empty() {
        return Err(ctx.at("UID", 0, format!("empty UID in {}", ctx.kind)));
    }
    Ok(uid.to_string())
}

/// Reduces one VEVENT/VTODO/VJOURNAL to its timing, checking it on the way.
fn component(
    comp: &ICalendarComponent,
    kind: ComponentKind,
    ctx: &Ctx<'_>,
    zones: &mut Zones<'_>,
    floating: Tz,
) -> Result<Comp, IcalError> {
    let dtstart = single_moment(comp, &Prop::Dtstart, ctx, zones)?;
    let duration = single_duration(comp, ctx)?;

    let recurrence_id = single_moment(comp, &Prop::RecurrenceId, ctx, zones)?;
    let this_and_future = occurrences(comp, &Prop::RecurrenceId).any(|(_, e)| {
        e.params.iter().any(|p| {
            p.name == ICalendarParameterName::Range
                && p.value == ICalendarParameterValue::Bool(true)
        })
    });

    let mut rrules = Vec::new();
    for (nth, entry) in occurrences(comp, &Prop::Rrule) {
        match entry.values.first() {
            Some(ICalendarValue::RecurrenceRule(rule)) => {
                rrules.push((rule.as_ref().clone(), ctx.line("RRULE", nth)))
            }
            _ => return Err(ctx.at("RRULE", nth, "RRULE cannot be parsed")),
        }
    }
    let mut rdates = Vec::new();
    for (nth, entry) in occurrences(comp, &Prop::Rdate) {
        for value in &entry.values {
            rdates.push(rdate(entry, value, nth, ctx, zones, floating)?);
        }
    }
    let mut exdates = Vec::new();
    for (nth, entry) in occurrences(comp, &Prop::Exdate) {
        for value in &entry.values {
            let ICalendarValue::PartialDateTime(p) = value else {
                return Err(ctx.at("EXDATE", nth, invalid_value("EXDATE", value)));
            };
            exdates.push(
                to_moment(p, entry.tz_id(), zones)
                    .map_err(|msg| ctx.at("EXDATE", nth, format!("EXDATE {msg}")))?,
            );
        }
    }

    let (start, end, range_rule) = match kind {
        ComponentKind::Event => {
            let Some(start) = dtstart else {
                return Err(ctx.whole("VEVENT has no DTSTART"));
            };
            let dtend = single_moment(comp, &Prop::Dtend, ctx, zones)?;
            let end = end_of(&start, dtend, duration, "DTEND", ctx, floating)?;
            (Some(start), end, RangeRule::Span)
        }
        ComponentKind::Todo => {
            let due = single_moment(comp, &Prop::Due, ctx, zones)?;
            // The rows of RFC 4791 9.9's VTODO table, in its order.
            match (dtstart, due) {
                (Some(start), due) => {
                    let rule = match (&due, &duration) {
                        (Some(_), _) => RangeRule::TodoDue,
                        (None, Some(_)) => RangeRule::TodoDuration,
                        (None, None) => RangeRule::TodoStart,
                    };
                    let end = end_of(&start, due, duration, "DUE", ctx, floating)?;
                    (Some(start), end, rule)
                }
                (None, _) if duration.is_some() => {
                    return Err(ctx.at("DURATION", 0, "VTODO has DURATION but no DTSTART"))
                }
                (None, Some(due)) => (Some(due), End::Default, RangeRule::TodoDueOnly),
                // An override's occurrence starts at its RECURRENCE-ID.
                (None, None) if recurrence_id.is_some() => {
                    (None, End::Default, RangeRule::TodoStart)
                }
                (None, None) => {
                    let completed = single_moment(comp, &Prop::Completed, ctx, zones)?;
                    let created = single_moment(comp, &Prop::Created, ctx, zones)?;
                    match (completed, created) {
                        (Some(completed), created) => (
                            Some(completed),
                            End::Default,
                            RangeRule::TodoCompleted {
                                created: created.map(|c| c.to_utc(floating)),
                            },
                        ),
                        (None, Some(created)) => {
                            (Some(created), End::Default, RangeRule::TodoCreated)
                        }
                        // No instance: the caller matches it with every range.
                        (None, None) => (None, End::Default, RangeRule::Span),
                    }
                }
            }
        }
        _ => (dtstart, End::Default, RangeRule::Span),
    };
    let has_dtstart = occurrences(comp, &Prop::Dtstart).next().is_some();
    if (!rrules.is_empty() || !rdates.is_empty()) && !has_dtstart {
        return Err(ctx.whole(format!("{} has RRULE or RDATE but no DTSTART", ctx.kind)));
    }

    let status = status_of(comp);
    Ok(Comp {
        start,
        end,
        recurrence_id,
        this_and_future,
        rrules,
        rdates,
        exdates,
        cancelled: status.as_deref() == Some("CANCELLED"),
        transparent: transparent_of(comp),
        range_rule,
    })
}

/// DTEND/DUE or DURATION checked against DTSTART (RFC 5545 3.6.1, 3.6.2).
fn end_of(
    start: &Moment,
    end: Option<Moment>,
    duration: Option<Dur>,
    end_name: &str,
    ctx: &Ctx<'_>,
    floating: Tz,
) -> Result<End, IcalError> {
    match (end, duration) {
        (Some(_), Some(_)) => Err(ctx.at(
            "DURATION",
            0,
            format!("{} has both {end_name} and DURATION", ctx.kind),
        )),
        (Some(end), None) => {
            if end.is_date() != start.is_date() {
                let (e, s) = if end.is_date() {
                    ("DATE", "DATE-TIME")
                } else {
                    ("DATE-TIME", "DATE")
                };
                return Err(ctx.at(
                    end_name,
                    0,
                    format!("{end_name} is a {e} but DTSTART is a {s}"),
                ));
            }
            if end.to_utc(floating) < start.to_utc(floating) {
                return Err(ctx.at(end_name, 0, format!("{end_name} is before DTSTART")));
            }
            Ok(End::At(end))
        }
        (None, Some(dur)) => {
            if dur.is_negative() {
                return Err(ctx.at("DURATION", 0, "DURATION must not be negative"));
            }
            Ok(End::Length(dur))
        }
        (None, None) => Ok(End::Default),
    }
}

fn rdate(
    entry: &ICalendarEntry,
    value: &ICalendarValue,
    nth: usize,
    ctx: &Ctx<'_>,
    zones: &mut Zones<'_>,
    floating: Tz,
) -> Result<RDate, IcalError> {
    let tzid = entry.tz_id();
    let moment = |p: &PartialDateTime, zones: &mut Zones<'_>| {
        to_moment(p, tzid, zones).map_err(|msg| ctx.at("RDATE", nth, format!("RDATE {msg}")))
    };
    match value {
        ICalendarValue::PartialDateTime(p) => Ok(RDate::At(moment(p, zones)?)),
        ICalendarValue::Period(ICalendarPeriod::Range { start, end }) => {
            let start = moment(start, zones)?;
            let end = moment(end, zones)?;
            if end.to_utc(floating) < start.to_utc(floating) {
                return Err(ctx.at("RDATE", nth, "RDATE period ends before it starts"));
            }
            Ok(RDate::Period(start, End::At(end)))
        }
        ICalendarValue::Period(ICalendarPeriod::Duration { start, duration }) => {
            let dur = to_dur(duration);
            if dur.is_negative() {
                return Err(ctx.at("RDATE", nth, "RDATE period has a negative duration"));
            }
            Ok(RDate::Period(moment(start, zones)?, End::Length(dur)))
        }
        other => Err(ctx.at("RDATE", nth, invalid_value("RDATE", other))),
    }
}

/// The value of a property that may appear at most once.
fn single_moment(
    comp: &ICalendarComponent,
    prop: &Prop,
    ctx: &Ctx<'_>,
    zones: &mut Zones<'_>,
) -> Result<Option<Moment>, IcalError> {
    let name = prop.as_str();
    let mut found = occurrences(comp, prop);
    let Some((_, entry)) = found.next() else {
        return Ok(None);
    };
    if let Some((nth, _)) = found.next() {
        return Err(ctx.at(name, nth, format!("{} has more than one {name}", ctx.kind)));
    }
    let value = entry.values.first();
    let Some(ICalendarValue::PartialDateTime(p)) = value else {
        let msg = match value {
            Some(v) => invalid_value(name, v),
            None => format!("{name} has no value"),
        };
        return Err(ctx.at(name, 0, msg));
    };
    to_moment(p, entry.tz_id(), zones)
        .map(Some)
        .map_err(|msg| ctx.at(name, 0, format!("{name} {msg}")))
}

fn single_duration(comp: &ICalendarComponent, ctx: &Ctx<'_>) -> Result<Option<Dur>, IcalError> {
    let mut found = occurrences(comp, &Prop::Duration);
    let Some((_, entry)) = found.next() else {
        return Ok(None);
    };
    if let Some((nth, _)) = found.next() {
        return Err(ctx.at(
            "DURATION",
            nth,
            format!("{} has more than one DURATION", ctx.kind),
        ));
    }
    match entry.values.first() {
        Some(ICalendarValue::Duration(d)) => Ok(Some(to_dur(d))),
        Some(other) => Err(ctx.at("DURATION", 0, invalid_value("DURATION", other))),
        None => Err(ctx.at("DURATION", 0, "DURATION has no value")),
    }
}

/// Converts a calcard date or date-time, resolving its TZID.
fn to_moment(
    p: &PartialDateTime,
    tzid: Option<&str>,
    zones: &mut Zones<'_>,
) -> Result<Moment, String> {
    let local = tz::local_of(p).ok_or("has an invalid date-time value")?;
    if !p.has_time() {
        return Ok(Moment::Date(local.date()));
    }
    let zone = if let Some(hours) = p.tz_hour {
        // "Z", or a numeric offset some producers append.
        let secs = i32::from(hours) * 3600 + i32::from(p.tz_minute.unwrap_or(0)) * 60;
        match secs {
            0 => Zone::Utc,
            s if s >= 24 * 3600 => return Err("has an invalid UTC offset".into()),
            s if p.tz_minus => Zone::Fixed(-s),
            s => Zone::Fixed(s),
        }
    } else if let Some(tzid) = tzid {
        zones.resolve(tzid)?
    } else {
        Zone::Floating
    };
    Ok(Moment::DateTime { local, zone })
}

fn to_dur(d: &ICalendarDuration) -> Dur {
    let days = i64::from(d.weeks) * 7 + i64::from(d.days);
    let secs = i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds);
    let sign = if d.neg { -1 } else { 1 };
    Dur {
        days: days * sign,
        secs: secs * sign,
    }
}

fn invalid_value(name: &str, value: &ICalendarValue) -> String {
    match value {
        ICalendarValue::Text(text) => {
            format!("{name} has an invalid value \"{}\"", shorten(text))
        }
        _ => format!("{name} has a value of the wrong type"),
    }
}

/// Properties called `prop`, numbered among themselves (for line lookup).
fn occurrences<'c>(
    comp: &'c ICalendarComponent,
    prop: &'c Prop,
) -> impl Iterator<Item = (usize, &'c ICalendarEntry)> + 'c {
    comp.entries
        .iter()
        .filter(move |e| &e.name == prop)
        .enumerate()
}

fn first_text(comp: &ICalendarComponent, prop: &Prop) -> Option<String> {
    let (_, entry) = occurrences(comp, prop).next()?;
    let text = entry.values.first()?.as_text()?;
    (!text.trim().is_empty()).then(|| text.to_string())
}

fn status_of(comp: &ICalendarComponent) -> Option<String> {
    let (_, entry) = occurrences(comp, &Prop::Status).next()?;
    match entry.values.first()? {
        ICalendarValue::Status(ICalendarStatus::Cancelled) => Some("CANCELLED".into()),
        ICalendarValue::Status(status) => Some(status.as_str().to_string()),
        ICalendarValue::Text(text) if !text.trim().is_empty() => {
            Some(text.trim().to_ascii_uppercase())
        }
        _ => None,
    }
}

fn transparent_of(comp: &ICalendarComponent) -> bool {
    occurrences(comp, &Prop::Transp)
        .next()
        .is_some_and(|(_, e)| {
            matches!(
                e.values.first(),
                Some(ICalendarValue::Transparency(
                    ICalendarTransparency::Transparent
                ))
            )
        })
}

/// The CLASS of one component. RFC 5545 allows one: a second one is refused,
/// since readers disagree on which counts (concord once published
/// `CLASS:PUBLIC` then `CLASS:PRIVATE` on the strength of the first).
fn class_of(comp: &ICalendarComponent, ctx: &Ctx<'_>) -> Result<Class, IcalError> {
    let mut found = occurrences(comp, &Prop::Class);
    let Some((_, entry)) = found.next() else {
        return Ok(Class::Public);
    };
    if let Some((nth, _)) = found.next() {
        return Err(IcalError::InvalidObject(format!(
            "{}{} has more than one CLASS (RFC 5545 allows one)",
            ctx.prefix(ctx.line("CLASS", nth)),
            ctx.kind
        )));
    }
    // RFC 5545 3.8.1.3: an unknown classification is treated as PRIVATE;
    // so is a CLASS without a value, as `query::public` reads it.
    Ok(match entry.values.first() {
        Some(ICalendarValue::Classification(ICalendarClassification::Public)) => Class::Public,
        Some(ICalendarValue::Classification(ICalendarClassification::Confidential)) => {
            Class::Confidential
        }
        _ => Class::Private,
    })
}

/// Index data of the master component (its class is set by `build`, from
/// every component).
fn info(comp: &ICalendarComponent) -> Info {
    let mut categories: Vec<String> = Vec::new();
    for (_, entry) in occurrences(comp, &Prop::Categories) {
        for value in &entry.values {
            if let Some(text) = value.as_text() {
                let text = text.trim();
                if !text.is_empty() && !categories.iter().any(|c| c == text) {
                    categories.push(text.to_string());
                }
            }
        }
    }
    Info {
        summary: first_text(comp, &Prop::Summary),
        location: first_text(comp, &Prop::Location),
        class: Class::Public,
        categories,
        status: status_of(comp),
        transparent: transparent_of(comp),
    }
}

/// Untrusted text quoted in messages is kept short.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or("")),
        None => text.to_string(),
    }
}
