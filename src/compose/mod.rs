//! The iCalendar concord writes for organisers without a calendar app: an
//! event as the web form describes it ([`EventDraft`]), made into a new
//! calendar object ([`build`]), read back from a stored one ([`read`]),
//! or applied to a stored one by changing only the properties that differ
//! ([`patch`]), so that what a calendar app wrote (alarms, attendees, X-
//! properties, other components, parameters, order) stays byte for byte.
//! Everything it writes then goes through `crate::write`, as a PUT does.
//! No HTTP and no storage in here.

pub mod build;
pub mod patch;
pub mod read;
pub mod recurrence;
pub mod vtimezone;

use chrono::{NaiveDate, NaiveDateTime};
pub use recurrence::{Ends, Frequency, Repeat};

/// An event as the form shows it; times are local to the territory.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub summary: String,
    pub when: When,
    /// Empty for none.
    pub location: String,
    /// CATEGORIES values as written (a configured category's name).
    pub categories: Vec<String>,
    pub description: String,
    /// Empty for none.
    pub url: String,
    /// CLASS:PRIVATE (else PUBLIC).
    pub private: bool,
    pub repeat: Option<Repeat>,
    /// Dates of the series left out (EXDATE).
    pub exceptions: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// From `start` to `end` (after it), local times.
    Timed {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
    /// Whole days, `first` to `last` included.
    AllDay { first: NaiveDate, last: NaiveDate },
}

impl When {
    pub fn first_day(&self) -> NaiveDate {
        match self {
            When::Timed { start, .. } => start.date(),
            When::AllDay { first, .. } => *first,
        }
    }

    pub fn all_day(&self) -> bool {
        matches!(self, When::AllDay { .. })
    }
}

/// A new UID: 128 random bits written as a UUID, as calendar apps do.
pub fn new_uid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A UTC timestamp as iCalendar writes it: 20261128T100000Z.
pub fn utc_stamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// A TEXT value with its escapes resolved (`\,` `\;` `\n` `\\`).
pub fn unescape_text(raw: &str) -> String {
    crate::query::tree::Property {
        name: String::new(),
        params: Vec::new(),
        raw_value: raw.to_owned(),
    }
    .text_values()
    .join(",")
}
