//! The small typed model that validation produces and expansion consumes.
//! Only what the index needs is kept; the raw bytes remain the source of truth.

use super::tz::Zone;
use super::{Class, ComponentKind};
use calcard::icalendar::ICalendarRecurrenceRule;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

/// A DATE or a DATE-TIME with the zone it is expressed in.
#[derive(Debug, Clone)]
pub(crate) enum Moment {
    Date(NaiveDate),
    DateTime { local: NaiveDateTime, zone: Zone },
}

impl Moment {
    pub fn is_date(&self) -> bool {
        matches!(self, Moment::Date(_))
    }

    /// The zone local times of this value live in: dates are floating.
    pub fn zone(&self) -> Zone {
        match self {
            Moment::Date(_) => Zone::Floating,
            Moment::DateTime { zone, .. } => zone.clone(),
        }
    }

    /// Wall-clock time; a date is its midnight.
    pub fn local(&self) -> NaiveDateTime {
        match self {
            Moment::Date(date) => date.and_time(NaiveTime::MIN),
            Moment::DateTime { local, .. } => *local,
        }
    }

    pub fn to_utc(&self, floating: Tz) -> i64 {
        self.zone().local_to_utc(self.local(), floating)
    }

    /// True when the UTC value depends on the collection's time zone.
    pub fn is_floating(&self) -> bool {
        matches!(
            self,
            Moment::Date(_)
                | Moment::DateTime {
                    zone: Zone::Floating,
                    ..
                }
        )
    }
}

/// A DURATION split into its nominal part (days, added on the wall clock) and
/// its exact part (seconds), as RFC 5545 3.3.6 distinguishes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dur {
    pub days: i64,
    pub secs: i64,
}

impl Dur {
    pub fn is_negative(&self) -> bool {
        self.days < 0 || self.secs < 0
    }
}

/// How an instance's end is derived from its start.
#[derive(Debug, Clone)]
pub(crate) enum End {
    /// Neither DTEND/DUE nor DURATION: one day for a date, zero otherwise.
    Default,
    /// DTEND (or DUE): the same exact length applies to every instance.
    At(Moment),
    /// DURATION: the same nominal length applies to every instance.
    Length(Dur),
}

/// Which condition of RFC 4791 9.9 decides whether a time range matches an
/// instance of the component: the rows of its VTODO table compare with `<`
/// here and `<=` there, so an instance's span alone cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeRule {
    /// VEVENT and VJOURNAL: the instance's span; an instant matches where
    /// it is.
    Span,
    /// VTODO with DTSTART and DURATION.
    TodoDuration,
    /// VTODO with DTSTART and DUE.
    TodoDue,
    /// VTODO with DTSTART alone (or an override with neither DTSTART nor
    /// DUE, whose effective DTSTART is its RECURRENCE-ID).
    TodoStart,
    /// VTODO with DUE alone; the instance starts at DUE.
    TodoDueOnly,
    /// VTODO with COMPLETED (where the instance starts) and maybe CREATED,
    /// in UTC.
    TodoCompleted { created: Option<i64> },
    /// VTODO with CREATED alone; the instance starts at CREATED.
    TodoCreated,
}

#[derive(Debug, Clone)]
pub(crate) enum RDate {
    At(Moment),
    Period(Moment, End),
}

/// One VEVENT, VTODO or VJOURNAL, reduced to its timing.
#[derive(Debug, Clone)]
pub(crate) struct Comp {
    /// Start of the instance (see the module documentation for VTODO).
    pub start: Option<Moment>,
    pub end: End,
    pub recurrence_id: Option<Moment>,
    pub this_and_future: bool,
    /// Rules with the line they came from, for messages.
    pub rrules: Vec<(ICalendarRecurrenceRule, Option<usize>)>,
    pub rdates: Vec<RDate>,
    pub exdates: Vec<Moment>,
    pub cancelled: bool,
    pub transparent: bool,
    pub range_rule: RangeRule,
}

/// Summary data of the object, from the master component.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub summary: Option<String>,
    pub location: Option<String>,
    pub class: Class,
    pub categories: Vec<String>,
    pub status: Option<String>,
    pub transparent: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub kind: ComponentKind,
    pub uid: String,
    pub master: Option<Comp>,
    pub overrides: Vec<Comp>,
    pub info: Info,
}

impl Model {
    pub fn recurring(&self) -> bool {
        !self.overrides.is_empty()
            || self
                .master
                .as_ref()
                .is_some_and(|m| !m.rrules.is_empty() || !m.rdates.is_empty())
    }

    /// Where the object starts in time, used to place the expansion horizon.
    pub fn anchor(&self, floating: Tz) -> Option<i64> {
        let master = self.master.as_ref().and_then(|m| m.start.as_ref());
        match master {
            Some(start) => Some(start.to_utc(floating)),
            None => self
                .overrides
                .iter()
                .filter_map(|o| o.start.as_ref().or(o.recurrence_id.as_ref()))
                .map(|m| m.to_utc(floating))
                .min(),
        }
    }
}
