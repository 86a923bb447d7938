//! Dates as people mean them: a calendar day starts at local midnight.

use chrono::{NaiveDate, TimeZone};

/// The UTC instant (Unix seconds) of local midnight of `date` in `tz`; the
/// first one when midnight happens twice, and 0 if it cannot be computed.
pub fn local_midnight(tz: chrono_tz::Tz, date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp())
        .unwrap_or(0)
}
