//! The server's one clock: every "now" and "today" comes from here.
//!
//! Test-only: `CONCORD_CLOCK=2026-11-28T10:00:00Z` starts the clock at that
//! instant when the process starts, and it runs at normal speed from there.
//! The test harness sets it for every server and command it starts, so that
//! no test depends on the day it runs (CI runs the suite a second time with
//! the system clock a year ahead to prove it). Nothing else reads it.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::OnceLock;

/// The variable the tests set; not meant for production use.
pub const VARIABLE: &str = "CONCORD_CLOCK";

/// Milliseconds added to the system clock.
static OFFSET_MS: OnceLock<i64> = OnceLock::new();

/// Reads `CONCORD_CLOCK` once; the error names the bad value. Called at
/// start so that a typo stops the process instead of being ignored.
pub fn init() -> Result<(), String> {
    let offset = read_offset()?;
    let _ = OFFSET_MS.set(offset);
    Ok(())
}

fn read_offset() -> Result<i64, String> {
    let Ok(text) = std::env::var(VARIABLE) else {
        return Ok(0);
    };
    let start = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| format!("{VARIABLE}={text:?} is not an RFC 3339 instant ({e})"))?;
    Ok(start.timestamp_millis() - Utc::now().timestamp_millis())
}

fn offset_ms() -> i64 {
    // A process that never called `init` (unit tests) reads the variable
    // the same way, falling back to the system clock if it is malformed.
    *OFFSET_MS.get_or_init(|| read_offset().unwrap_or(0))
}

/// The current instant.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    match offset_ms() {
        0 => now,
        offset => now + chrono::Duration::milliseconds(offset),
    }
}

/// The current instant in Unix seconds.
pub fn timestamp() -> i64 {
    now().timestamp()
}

/// Today's date in the territory's time zone.
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    now().with_timezone(&tz).date_naive()
}
