//! Time zones: resolving TZIDs and converting wall-clock times to UTC.
//!
//! A TZID is resolved, in order: by name (IANA, Windows, Outlook display name,
//! registry-prefixed IANA), then from the object's own VTIMEZONE (its
//! X-LIC-LOCATION or X-MICROSOFT-CDO-TZID, else the offsets and rules of its
//! STANDARD/DAYLIGHT blocks), and last from a bare "(UTC+hh:mm)" prefix as a
//! fixed offset. An unresolvable TZID is an error, never silently UTC.

use super::rules::{self, Flow};
use super::tznames;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarPeriod, ICalendarProperty,
    ICalendarValue,
};
use chrono::{DateTime, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

/// The zone a local time is expressed in.
#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Utc,
    /// No zone: interpreted in the collection's time zone.
    Floating,
    /// Offset east of UTC in seconds (e.g. a "+0100" suffix, or a weak TZID guess).
    Fixed(i32),
    Iana(Tz),
    /// Computed from a VTIMEZONE whose name is not known.
    Custom(Arc<CustomZone>),
}

const DAY: i64 = 86_400;

impl Zone {
    /// Offset (local minus UTC, seconds) in force at the UTC instant `utc`.
    fn offset_at(&self, utc: i64, floating: Tz) -> i64 {
        let iana = |tz: Tz| {
            DateTime::from_timestamp(utc, 0)
                .map(|dt| {
                    i64::from(
                        tz.offset_from_utc_datetime(&dt.naive_utc())
                            .fix()
                            .local_minus_utc(),
                    )
                })
                .unwrap_or(0)
        };
        match self {
            Zone::Utc => 0,
            Zone::Fixed(offset) => i64::from(*offset),
            Zone::Floating => iana(floating),
            Zone::Iana(tz) => iana(*tz),
            Zone::Custom(custom) => i64::from(custom.offset_at(utc)),
        }
    }

    /// Converts a wall-clock time to UTC seconds. In a DST gap the offset before
    /// the gap applies (RFC 5545 3.3.5: 02:30 becomes 03:30 summer time); in an
    /// overlap the first occurrence wins. Assumes at most one transition within a
    /// day of the given time, which holds for every real zone.
    pub fn local_to_utc(&self, local: NaiveDateTime, floating: Tz) -> i64 {
        let wall = local.and_utc().timestamp();
        let before = self.offset_at(wall.saturating_sub(DAY), floating);
        let after = self.offset_at(wall.saturating_add(DAY), floating);
        if before == after {
            return wall.saturating_sub(before);
        }
        let early = wall.saturating_sub(before);
        let late = wall.saturating_sub(after);
        let early_ok = self.offset_at(early, floating) == before;
        let late_ok = self.offset_at(late, floating) == after;
        match (early_ok, late_ok) {
            (true, true) => early.min(late),
            (false, true) => late,
            // Only the pre-transition reading is valid, or a gap.
            _ => early,
        }
    }

    /// Wall-clock time at the UTC instant `utc` (saturating at chrono's range).
    pub fn utc_to_local(&self, utc: i64, floating: Tz) -> NaiveDateTime {
        let wall = utc.saturating_add(self.offset_at(utc, floating));
        naive(wall)
    }
}

/// UTC seconds to a naive date-time, clamped to what chrono can represent.
pub(crate) fn naive(secs: i64) -> NaiveDateTime {
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => dt.naive_utc(),
        None if secs < 0 => NaiveDateTime::MIN,
        None => NaiveDateTime::MAX,
    }
}

/// Transitions computed from a VTIMEZONE's STANDARD/DAYLIGHT blocks.
#[derive(Debug)]
pub(crate) struct CustomZone {
    /// Offset before the first transition.
    initial: i32,
    /// (UTC instant, offset from then on), sorted by instant.
    transitions: Vec<(i64, i32)>,
}

impl CustomZone {
    fn offset_at(&self, utc: i64) -> i32 {
        let idx = self.transitions.partition_point(|(at, _)| *at <= utc);
        match idx.checked_sub(1).and_then(|i| self.transitions.get(i)) {
            Some((_, offset)) => *offset,
            None => self.initial,
        }
    }
}

/// Rules are evaluated up to this year; later times keep the last offset.
const CUSTOM_LAST_YEAR: i32 = 2200;
/// Bound on onsets taken from one STANDARD/DAYLIGHT rule.
const CUSTOM_MAX_ONSETS: usize = 1000;
/// Bound on onsets computed for all the VTIMEZONEs of one object.
const CUSTOM_BUDGET: usize = 20_000;
/// Offsets beyond this are nonsense (real ones stay within +-14h).
const MAX_OFFSET: i32 = 24 * 3600;

/// Builds a zone from the STANDARD/DAYLIGHT children of `vtimezone`.
/// `budget` is what remains of [`CUSTOM_BUDGET`]. The error completes
/// "DTSTART refers to VTIMEZONE \"X\", which ...".
fn custom_zone(
    ical: &ICalendar,
    vtimezone: &ICalendarComponent,
    budget: &mut usize,
) -> Result<CustomZone, &'static str> {
    const UNUSABLE: &str = "has no usable STANDARD or DAYLIGHT definition";
    let mut transitions: Vec<(i64, i32, i32)> = Vec::new();
    let last = chrono::NaiveDate::from_ymd_opt(CUSTOM_LAST_YEAR, 12, 31)
        .ok_or(UNUSABLE)?
        .and_time(NaiveTime::MIN);
    for &id in &vtimezone.component_ids {
        let Some(obs) = usize::try_from(id)
            .ok()
            .and_then(|i| ical.components.get(i))
        else {
            continue;
        };
        if !matches!(
            obs.component_type,
            ICalendarComponentType::Standard | ICalendarComponentType::Daylight
        ) {
            continue;
        }
        let Some(to) = offset_prop(obs, &ICalendarProperty::Tzoffsetto) else {
            continue;
        };
        let from = offset_prop(obs, &ICalendarProperty::Tzoffsetfrom).unwrap_or(to);
        let Some(start) = first_datetime(obs, &ICalendarProperty::Dtstart) else {
            continue;
        };
        let mut onsets = vec![start];
        for entry in obs.entries.iter() {
            match entry.name {
                ICalendarProperty::Rdate => {
                    for value in &entry.values {
                        let pdt = match value {
                            ICalendarValue::PartialDateTime(p) => Some(p.as_ref()),
                            ICalendarValue::Period(ICalendarPeriod::Range { start, .. })
                            | ICalendarValue::Period(ICalendarPeriod::Duration { start, .. }) => {
                                Some(start)
                            }
                            _ => None,
                        };
                        if let Some(local) = pdt.and_then(local_of) {
                            onsets.push(local);
                        }
                    }
                }
                ICalendarProperty::Rrule => {
                    for value in &entry.values {
                        if let ICalendarValue::RecurrenceRule(rule) = value {
                            // UNTIL in UTC is turned into the local time before the
                            // transition; a local or DATE UNTIL is used as is.
                            let until = rule.until.as_ref().and_then(|u| {
                                let local = local_of(u)?;
                                let shift = match u.tz_hour {
                                    Some(_) => i64::from(from),
                                    None if !u.has_time() => DAY - 1,
                                    None => 0,
                                };
                                local.checked_add_signed(chrono::Duration::seconds(shift))
                            });
                            rule_onsets(rule, start, until, last, budget, &mut onsets);
                            if *budget == 0 {
                                return Err("has too many STANDARD or DAYLIGHT rules");
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for onset in onsets {
            let utc = onset.and_utc().timestamp().saturating_sub(i64::from(from));
            transitions.push((utc, from, to));
        }
    }
    transitions.sort_unstable();
    transitions.dedup_by_key(|t| t.0);
    let initial = transitions.first().ok_or(UNUSABLE)?.1;
    Ok(CustomZone {
        initial,
        transitions: transitions
            .into_iter()
            .map(|(at, _, to)| (at, to))
            .collect(),
    })
}

fn rule_onsets(
    rule: &calcard::icalendar::ICalendarRecurrenceRule,
    start: NaiveDateTime,
    until: Option<NaiveDateTime>,
    last: NaiveDateTime,
    budget: &mut usize,
    onsets: &mut Vec<NaiveDateTime>,
) {
    let Ok(Some(prepared)) = rules::prepare(rule, start, until) else {
        return;
    };
    let mut taken = 0;
    // A failing or too costly rule just yields fewer onsets: the zone is
    // best-effort, and the observance's own DTSTART is still used.
    let _ = prepared.run(|onset| {
        if onset > last || taken >= CUSTOM_MAX_ONSETS || *budget == 0 {
            return Ok(Flow::Stop);
        }
        taken += 1;
        *budget -= 1;
        onsets.push(onset);
        Ok(Flow::Continue)
    });
}

fn offset_prop(comp: &ICalendarComponent, name: &ICalendarProperty) -> Option<i32> {
    let entry = comp.entries.iter().find(|e| &e.name == name)?;
    let Some(ICalendarValue::PartialDateTime(p)) = entry.values.first() else {
        return None;
    };
    let hours = i32::from(p.tz_hour?);
    let minutes = i32::from(p.tz_minute.unwrap_or(0));
    let secs = (hours * 3600 + minutes * 60) * if p.tz_minus { -1 } else { 1 };
    (secs.abs() < MAX_OFFSET).then_some(secs)
}

fn first_datetime(comp: &ICalendarComponent, name: &ICalendarProperty) -> Option<NaiveDateTime> {
    let entry = comp.entries.iter().find(|e| &e.name == name)?;
    match entry.values.first() {
        Some(ICalendarValue::PartialDateTime(p)) => local_of(p),
        _ => None,
    }
}

/// The wall-clock reading of a calcard value, ignoring any zone suffix.
pub(crate) fn local_of(p: &calcard::common::PartialDateTime) -> Option<NaiveDateTime> {
    let year = i32::from(p.year?);
    if !(1..=9999).contains(&year) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year, u32::from(p.month?), u32::from(p.day?))?;
    let time = if p.has_time() {
        NaiveTime::from_hms_opt(
            u32::from(p.hour?),
            u32::from(p.minute?),
            // A leap second (60) is read as 59.
            u32::from(p.second.unwrap_or(0).min(59)),
        )?
    } else {
        NaiveTime::MIN
    };
    Some(NaiveDateTime::new(date, time))
}

/// Resolves the TZIDs an object references, with its VTIMEZONEs at hand.
pub(crate) struct Zones<'a> {
    ical: &'a ICalendar,
    defined: HashMap<&'a str, &'a ICalendarComponent>,
    cache: HashMap<String, Zone>,
    /// Onsets left for custom zones (see [`CUSTOM_BUDGET`]).
    budget: usize,
}

impl<'a> Zones<'a> {
    pub fn new(ical: &'a ICalendar, vtimezones: &[&'a ICalendarComponent]) -> Self {
        let mut defined = HashMap::new();
        for &vtz in vtimezones {
            let tzid = vtz
                .entries
                .iter()
                .find(|e| e.name == ICalendarProperty::Tzid)
                .and_then(|e| e.values.first())
                .and_then(|v| v.as_text());
            if let Some(tzid) = tzid {
                defined.entry(tzid.trim()).or_insert(vtz);
            }
        }
        Zones {
            ical,
            defined,
            cache: HashMap::new(),
            budget: CUSTOM_BUDGET,
        }
    }

    pub fn resolve(&mut self, tzid: &str) -> Result<Zone, String> {
        if let Some(zone) = self.cache.get(tzid) {
            return Ok(zone.clone());
        }
        let zone = self.resolve_uncached(tzid)?;
        self.cache.insert(tzid.to_string(), zone.clone());
        Ok(zone)
    }

    fn resolve_uncached(&mut self, tzid: &str) -> Result<Zone, String> {
        if let Some(tz) = resolve_strong(tzid) {
            return Ok(Zone::Iana(tz));
        }
        if let Some(vtz) = self.defined.get(tzid.trim()) {
            if let Some(tz) = vtimezone_alias(vtz) {
                return Ok(Zone::Iana(tz));
            }
            return custom_zone(self.ical, vtz, &mut self.budget)
                .map(|custom| Zone::Custom(Arc::new(custom)))
                .map_err(|why| format!("refers to VTIMEZONE \"{tzid}\", which {why}"));
        }
        if let Some(offset) = outlook_offset(tzid) {
            return Ok(Zone::Fixed(offset));
        }
        Err(format!(
            "uses the unknown time zone \"{tzid}\" (not an IANA or Windows name, and no \
             VTIMEZONE defines it)"
        ))
    }
}

/// X-LIC-LOCATION (Evolution, Thunderbird) or X-MICROSOFT-CDO-TZID (Exchange)
/// name the real zone of a VTIMEZONE whose TZID is a private label.
fn vtimezone_alias(vtz: &ICalendarComponent) -> Option<Tz> {
    vtz.entries.iter().find_map(|entry| {
        let ICalendarProperty::Other(name) = &entry.name else {
            return None;
        };
        let value = entry.values.first()?.as_text()?;
        if name.eq_ignore_ascii_case("X-LIC-LOCATION") {
            resolve_strong(value)
        } else if name.eq_ignore_ascii_case("X-MICROSOFT-CDO-TZID") {
            match calcard::common::timezone::Tz::from_ms_cdo_zone_id(value.trim())? {
                calcard::common::timezone::Tz::Tz(tz) => Some(tz),
                _ => None,
            }
        } else {
            None
        }
    })
}

/// See [`super::resolve_tzid`].
pub(crate) fn resolve_tzid(tzid: &str) -> Option<Tz> {
    resolve_strong(tzid).or_else(|| {
        let offset = outlook_offset(tzid)?;
        // Etc/GMT signs are inverted: Etc/GMT-1 is UTC+01:00.
        let hours = offset / 3600;
        if offset % 3600 != 0 {
            return None;
        }
        let name = match hours {
            0 => "Etc/UTC".to_string(),
            h if h > 0 => format!("Etc/GMT-{h}"),
            h => format!("Etc/GMT+{}", -h),
        };
        Tz::from_str(&name).ok()
    })
}

/// Resolution by name only, without guessing from an offset.
fn resolve_strong(tzid: &str) -> Option<Tz> {
    let name = tzid.trim().trim_matches('"').trim();
    if name.is_empty() || name.len() > 256 {
        return None;
    }
    if let Ok(tz) = Tz::from_str(name) {
        return Some(tz);
    }
    // Registry prefixes: "/mozilla.org/20050126_1/Europe/Paris",
    // "/softwarestudio.org/Olson_20011030_5/America/Chicago", "SystemV/EST5".
    for (idx, _) in name.match_indices('/') {
        if let Some(Ok(tz)) = name.get(idx + 1..).map(Tz::from_str) {
            return Some(tz);
        }
    }
    if let Some(tz) = tznames::lookup(name) {
        return Some(tz);
    }
    // Outlook: "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris".
    if let Some(tz) = display_name(name).and_then(tznames::lookup) {
        return Some(tz);
    }
    // calcard knows many more Windows and legacy Outlook names; its own guess
    // from a bare offset is left to `outlook_offset`, which callers rank last.
    if let Ok(calcard::common::timezone::Tz::Tz(tz)) = calcard::common::timezone::Tz::from_str(name)
    {
        let guessed = name.starts_with('(') && tz.name().starts_with("Etc/");
        if !guessed {
            return Some(tz);
        }
    }
    // Case-insensitive IANA names ("europe/paris").
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .copied()
}

/// "(UTC+01:00) Some, Cities" -> "Some, Cities".
fn display_name(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('(')?;
    let (_, cities) = rest.split_once(')')?;
    Some(cities.trim())
}

/// The offset of "(UTC+01:00) ..." or "(GMT-05:00) ...", in seconds east.
fn outlook_offset(tzid: &str) -> Option<i32> {
    let name = tzid.trim().trim_matches('"').trim();
    let inner = name.strip_prefix('(')?.split_once(')')?.0.trim();
    let rest = inner
        .strip_prefix("UTC")
        .or_else(|| inner.strip_prefix("GMT"))?;
    if rest.is_empty() {
        return Some(0);
    }
    let sign = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = rest.get(1..)?;
    let (h, m) = digits.split_once(':').unwrap_or((digits, "0"));
    let h: i32 = h.trim().parse().ok()?;
    let m: i32 = m.trim().parse().ok()?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}
