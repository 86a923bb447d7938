//! iCalendar model layer: parse untrusted iCalendar bytes sent in a CalDAV PUT,
//! validate them as RFC 4791 section 5.3.2 requires, extract what the index needs
//! and expand recurrences into UTC instances. No HTTP, SQL or XML in here.
//!
//! # API
//!
//! ```text
//! pub struct Limits { max_bytes, max_line_len, max_depth, max_instances, horizon_years }
//! pub enum ComponentKind { Event, Todo, Journal, FreeBusy }      // .name() -> "VEVENT", ...
//! pub enum Class { Public, Private, Confidential }               // .name() -> "PUBLIC", ...
//! pub struct Instance { start, end, recurrence_id, all_day, floating, overridden, cancelled, transparent,
//!                      range_span }                      // .matches_range(from, until)
//! pub struct CalendarObject { component, uid, summary, location, class, categories, status,
//!                             transparent, recurring, instances, expanded_until }
//! pub enum IcalError { InvalidData, InvalidObject, UnsupportedComponent, TooLarge, TooManyInstances }
//!
//! pub fn parse_object(bytes: &[u8], floating_tz: Tz, limits: &Limits) -> Result<CalendarObject, IcalError>;
//! pub fn expand_between(bytes: &[u8], floating_tz: Tz, from: i64, until: i64, limits: &Limits)
//!     -> Result<Vec<Instance>, IcalError>;
//! pub fn resolve_tzid(tzid: &str) -> Option<Tz>;
//! pub fn calendar_timezone(text: &str) -> Option<Tz>; // the zone of a calendar-timezone value
//! pub fn stored_text(bytes: &[u8]) -> StoredText;   // a stored body decoded as intake decodes it
//! ```
//!
//! # Pipeline
//!
//! 1. [`decode`]: size check, BOM strip, byte-level unfolding, line length and
//!    BEGIN/END nesting checks, UTF-8 decoding with a Windows-1252 fallback. No
//!    parser sees the body before this cheap scan accepted it. Bodies are
//!    stored as sent; everything that reads them later decodes them through
//!    [`stored_text`], the same unfolding and fallback, so that a text reads
//!    the same everywhere.
//! 2. calcard parses the unfolded text. It is lenient (unparsable values become
//!    text), so [`validate`] checks everything the index relies on and builds a
//!    small typed model.
//! 3. [`expand`] turns the model into UTC instances; recurrence rules are run by
//!    the `rrule` crate on naive local times ([`rules`]) and converted with
//!    [`tz`].
//!
//! # Semantics worth knowing
//!
//! - Times: a DATE-TIME with `Z` is UTC, with `TZID` it is converted in that zone
//!   (IANA names, Windows and Outlook names, registry-prefixed names such as
//!   `/mozilla.org/20050126_1/Europe/Paris`, or the object's own VTIMEZONE rules
//!   when the name is unknown), without either it is floating and converted in
//!   `floating_tz`. Times in a DST gap use the offset before the gap (RFC 5545
//!   3.3.5); ambiguous times take the first occurrence.
//! - All-day (DATE) values are midnight in `floating_tz`; such instances have
//!   `all_day` and `floating` set.
//! - Instance end: DTEND (exact duration, or whole days for DATE values), or
//!   DURATION (days and weeks are nominal, i.e. added in local time), else one day
//!   for a DATE start and zero for a DATE-TIME start (RFC 4791 9.9).
//! - VTODO: start = DTSTART, else DUE, else COMPLETED, else CREATED; end = DUE or
//!   DTSTART + DURATION when DTSTART is present, else the rule above. VJOURNAL:
//!   start = DTSTART. Without any of these there is no instance (RFC 4791 9.9 says
//!   such a component matches every time range; the caller handles that).
//! - Time ranges: each instance carries the span a time range must overlap
//!   (`range_span`). For VTODOs it follows the row of RFC 4791 9.9's table
//!   that applies, with its exact comparisons: for a range [A, B), DTSTART S
//!   and DURATION: A <= S+DURATION and (B > S or B >= S+DURATION); DTSTART and
//!   DUE: (A < DUE or A <= S) and (B > S or B >= DUE); DTSTART alone
//!   (also a DATE): A <= S < B; DUE alone: A < DUE <= B; COMPLETED and
//!   CREATED: A <= either and B >= either; COMPLETED alone: A <= COMPLETED <=
//!   B; CREATED alone: B > CREATED. An override without DTSTART or DUE starts
//!   at its RECURRENCE-ID.
//! - Recurrence: DTSTART is always the first instance, even when it does not match
//!   its RRULE, and it counts toward COUNT (RFC 5545 3.8.5.3). An UNTIL of another
//!   type than DTSTART is converted (a DATE means the end of that day in DTSTART's
//!   zone, a UTC value is converted to DTSTART's local time). An UNTIL before
//!   DTSTART makes the rule produce nothing. EXDATE matches by instant, or by
//!   local date when one side is a DATE. RDATE may be DATE, DATE-TIME or PERIOD.
//! - Overrides (RECURRENCE-ID) replace the matching instance; an override that
//!   matches nothing is still an instance. `RANGE=THISANDFUTURE` shifts every later
//!   instance by the override's start offset, gives it the override's duration and
//!   takes its STATUS and TRANSP; other changed properties are not carried over.
//! - Horizon: `parse_object` expands until `max(now, DTSTART) + horizon_years`; if
//!   anything lies beyond, `expanded_until` is set and [`expand_between`] serves
//!   later ranges. More than `max_instances` instances within the window, or a rule
//!   too costly to run (e.g. FREQ=SECONDLY over years), gives `TooManyInstances`.
//! - CLASS: absent is PUBLIC, an unknown value is treated as PRIVATE (RFC 5545
//!   3.8.1.3). Summary data come from the master component, or the first override
//!   when there is no master.

mod decode;
mod expand;
pub mod line;
mod model;
mod rules;
pub mod split;
mod tz;
mod tznames;
mod validate;

pub use decode::{stored_text, Charset, StoredText};

#[cfg(test)]
mod tests;

use chrono::{Datelike, TimeZone};

/// What concord writes as PRODID.
pub const PRODID: &str = "-//concord//CalDAV server//FR";

/// Appends `line` folded at 75 octets without splitting a UTF-8 character
/// (RFC 5545 3.1), and CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// Bounds applied to one calendar object resource.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum body size in bytes.
    pub max_bytes: usize,
    /// Maximum length of one line after unfolding, in bytes.
    pub max_line_len: usize,
    /// Maximum BEGIN/END nesting depth, VCALENDAR counting as 1.
    pub max_depth: usize,
    /// Maximum number of instances within an expansion window.
    pub max_instances: usize,
    /// How far past `max(now, DTSTART)` `parse_object` expands.
    pub horizon_years: i32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 20,
            max_line_len: 64 * 1024,
            max_depth: 8,
            max_instances: 5000,
            horizon_years: 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
}

impl ComponentKind {
    pub fn name(&self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    Private,
    Confidential,
}

impl Class {
    /// The stricter of two classes (PRIVATE over CONFIDENTIAL over PUBLIC).
    pub fn or_stricter(self, other: Class) -> Class {
        match (self, other) {
            (Class::Private, _) | (_, Class::Private) => Class::Private,
            (Class::Confidential, _) | (_, Class::Confidential) => Class::Confidential,
            _ => Class::Public,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Class::Public => "PUBLIC",
            Class::Private => "PRIVATE",
            Class::Confidential => "CONFIDENTIAL",
        }
    }
}

/// One occurrence, in UTC unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub start: i64,
    /// Exclusive; equal to `start` for zero-duration instances.
    pub end: i64,
    /// Original start of this occurrence for recurring objects, None otherwise.
    pub recurrence_id: Option<i64>,
    pub all_day: bool,
    /// Computed in `floating_tz` (floating DATE-TIME, or any DATE).
    pub floating: bool,
    /// Comes from a RECURRENCE-ID component (or a THISANDFUTURE range of one).
    pub overridden: bool,
    pub cancelled: bool,
    pub transparent: bool,
    /// What a CALDAV:time-range must overlap for this instance to match it
    /// (see [`span_matches`]): `(start, end)`, except for VTODOs, whose rows
    /// in RFC 4791 9.9 mix inclusive and exclusive comparisons. Those are
    /// turned here into a span in whole seconds (time ranges are UTC
    /// date-times, in seconds): `start <= X` is `start < X + 1`. The end is
    /// [`OPEN_END`] for a to-do that matches every range after its CREATED.
    pub range_span: (i64, i64),
}

/// The end of a range span that no time range reaches past.
pub const OPEN_END: i64 = i64::MAX;

impl Instance {
    /// Whether the instance matches the time range `[from, until)`.
    pub fn matches_range(&self, from: i64, until: i64) -> bool {
        span_matches(self.range_span, from, until)
    }
}

/// Whether a range span (stored as an instance's bounds in the index)
/// matches the time range `[from, until)`: they overlap, and an empty span
/// (an event or journal entry without duration) matches where it is, the
/// range's start included (RFC 4791 9.9). The SQL of `store::views` says
/// the same.
pub fn span_matches((start, end): (i64, i64), from: i64, until: i64) -> bool {
    start < until && (end > from || (end == start && start >= from))
}

/// What the server stores beside the raw bytes.
#[derive(Debug, Clone)]
pub struct CalendarObject {
    pub component: ComponentKind,
    pub uid: String,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub class: Class,
    pub categories: Vec<String>,
    pub status: Option<String>,
    pub transparent: bool,
    pub recurring: bool,
    /// Sorted by start, complete for starts before `expanded_until`.
    pub instances: Vec<Instance>,
    /// Some(t) when instances starting at or after t exist but were not expanded.
    pub expanded_until: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum IcalError {
    /// CALDAV:valid-calendar-data
    #[error("{0}")]
    InvalidData(String),
    /// CALDAV:valid-calendar-object-resource
    #[error("{0}")]
    InvalidObject(String),
    /// CALDAV:supported-calendar-component
    #[error("{0}")]
    UnsupportedComponent(String),
    /// CALDAV:max-resource-size
    #[error("{0}")]
    TooLarge(String),
    /// Refused recurrence (too many instances or too costly to expand).
    #[error("{0}")]
    TooManyInstances(String),
}

/// Decode, parse, validate and index one calendar object resource.
/// `floating_tz` is the collection's time zone, used for floating times and dates.
pub fn parse_object(
    bytes: &[u8],
    floating_tz: chrono_tz::Tz,
    limits: &Limits,
) -> Result<CalendarObject, IcalError> {
    parse_object_at(bytes, floating_tz, limits, crate::clock::timestamp())
}

/// Expands again for `[from, until)`: returns the instances overlapping that range,
/// sorted by start (used when a query reaches past `expanded_until`).
pub fn expand_between(
    bytes: &[u8],
    floating_tz: chrono_tz::Tz,
    from: i64,
    until: i64,
    limits: &Limits,
) -> Result<Vec<Instance>, IcalError> {
    if from >= until {
        return Ok(Vec::new());
    }
    let model = load(bytes, floating_tz, limits)?;
    let window = expand::Window { from, until };
    Ok(expand::expand(&model, floating_tz, window, limits.max_instances)?.instances)
}

/// Maps a TZID as clients send it to an IANA zone: IANA names, Windows names
/// ("Romance Standard Time"), Outlook display names ("(UTC+01:00) Brussels,
/// Copenhagen, Madrid, Paris") and registry-prefixed names
/// ("/mozilla.org/20050126_1/Europe/Paris").
pub fn resolve_tzid(tzid: &str) -> Option<chrono_tz::Tz> {
    tz::resolve_tzid(tzid)
}

/// The time zone named by a `calendar-timezone` value (a VCALENDAR with one
/// VTIMEZONE), if it is one concord can compute with.
pub fn calendar_timezone(text: &str) -> Option<chrono_tz::Tz> {
    if !text.contains("BEGIN:VTIMEZONE") {
        return None;
    }
    let tzid = text
        .lines()
        .find_map(|line| line.trim_end().strip_prefix("TZID:"))?;
    resolve_tzid(tzid.trim())
}

/// `parse_object` with an explicit "now", so tests do not depend on the clock.
pub(crate) fn parse_object_at(
    bytes: &[u8],
    floating_tz: chrono_tz::Tz,
    limits: &Limits,
    now: i64,
) -> Result<CalendarObject, IcalError> {
    let model = load(bytes, floating_tz, limits)?;
    let anchor = model.anchor(floating_tz).unwrap_or(now).max(now);
    let until = add_years(anchor, limits.horizon_years);
    let window = expand::Window {
        from: i64::MIN,
        until,
    };
    let expanded = expand::expand(&model, floating_tz, window, limits.max_instances)?;
    let recurring = model.recurring();
    let info = model.info;
    Ok(CalendarObject {
        component: model.kind,
        uid: model.uid,
        summary: info.summary,
        location: info.location,
        class: info.class,
        categories: info.categories,
        status: info.status,
        transparent: info.transparent,
        recurring,
        instances: expanded.instances,
        expanded_until: expanded.cut.then_some(until),
    })
}

fn load(
    bytes: &[u8],
    floating_tz: chrono_tz::Tz,
    limits: &Limits,
) -> Result<model::Model, IcalError> {
    let decoded = decode::decode(bytes, limits)?;
    let ical = parse_text(&decoded.text)?;
    validate::build(&ical, &decoded.lines, floating_tz)
}

/// Runs calcard on the unfolded text; the pre-scan already guaranteed one
/// balanced VCALENDAR, so anything but a single calendar is a parse failure.
fn parse_text(text: &str) -> Result<calcard::icalendar::ICalendar, IcalError> {
    // calcard is fuzzed and did not crash on the evaluation corpus, but a panic
    // in a dependency must not take a worker down on untrusted input.
    let parsed = std::panic::catch_unwind(|| {
        let mut parser = calcard::Parser::new(text);
        let first = parser.entry();
        let second = parser.entry();
        (first, second)
    });
    match parsed {
        Ok((calcard::Entry::ICalendar(ical), calcard::Entry::Eof)) => Ok(ical),
        Ok((calcard::Entry::ICalendar(_), _)) => Err(IcalError::InvalidObject(
            "the body must contain exactly one VCALENDAR".into(),
        )),
        Ok(_) => Err(IcalError::InvalidData(
            "the body could not be parsed as iCalendar".into(),
        )),
        Err(_) => Err(IcalError::InvalidData(
            "the body could not be parsed as iCalendar".into(),
        )),
    }
}

/// `t + years` on the UTC calendar, saturating far in the future.
fn add_years(t: i64, years: i32) -> i64 {
    let years = years.clamp(0, 1000);
    let Some(dt) = chrono::Utc.timestamp_opt(t, 0).single() else {
        return t;
    };
    let target_year = dt.year().saturating_add(years);
    dt.with_year(target_year)
        // 29 February in a non-leap target year.
        .or_else(|| {
            dt.checked_sub_signed(chrono::Duration::days(1))?
                .with_year(target_year)
        })
        .map(|d| d.timestamp())
        .unwrap_or(t.saturating_add(i64::from(years) * 366 * 86_400))
}
