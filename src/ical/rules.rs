//! Recurrence rules: calcard's typed RRULE fed to the `rrule` crate.
//!
//! Rules run on naive wall-clock times (handed to `rrule` as UTC), and the
//! caller converts each occurrence with its zone afterwards. RFC 5545 defines
//! recurrence on local time, so this is both correct across DST changes and
//! immune to `rrule`'s trouble with times that do not exist in a zone (a DTSTART
//! inside a DST gap).
//!
//! Work is bounded three ways: `rrule`'s own loop limit (`limit()`), a refusal of
//! rules that produce an absurd number of occurrences per period (the crate
//! buffers a whole period at once), and a cap on the number of periods walked.

use super::IcalError;
use calcard::common::CalendarScale;
use calcard::icalendar::{ICalendarFrequency, ICalendarRecurrenceRule, ICalendarWeekday};
use chrono::{Datelike, NaiveDateTime, TimeZone, Weekday};
use rrule::{Frequency, NWeekday, RRule, RRuleSet};

/// What a visitor wants after an occurrence.
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Periods (days for FREQ=DAILY, seconds for FREQ=SECONDLY, ...) a rule may walk.
const MAX_PERIODS: i64 = 1_000_000;
/// Occurrences a rule may produce, in or out of the caller's window.
const MAX_OCCURRENCES: u64 = 1_000_000;
/// Occurrences one period may hold (`rrule` materialises a period at once).
const MAX_PER_PERIOD: u64 = 10_000;

/// A rule validated against its DTSTART, ready to run.
pub(crate) struct Prepared {
    set: RRuleSet,
    dtstart: NaiveDateTime,
    /// Seconds per step of the rule (period length times INTERVAL).
    step: i64,
    freq: &'static str,
    pub count: Option<u32>,
    /// Occurrences before DTSTART that the crate yields when it was started
    /// at the beginning of DTSTART's week (see `prepare`): not instances.
    skip_before: Option<NaiveDateTime>,
}

/// Converts and validates `rule` for a series starting at `dtstart` (wall clock).
/// `until` is the rule's UNTIL already converted to the same wall clock.
/// Returns None when UNTIL lies before DTSTART: the rule then adds nothing.
pub(crate) fn prepare(
    rule: &ICalendarRecurrenceRule,
    dtstart: NaiveDateTime,
    until: Option<NaiveDateTime>,
) -> Result<Option<Prepared>, IcalError> {
    let invalid = |msg: String| IcalError::InvalidData(msg);
    if let Some(scale) = &rule.rscale {
        if *scale != CalendarScale::Gregorian {
            return Err(invalid(
                "RSCALE calendars other than GREGORIAN are not supported".into(),
            ));
        }
    }
    if until.is_some_and(|u| u < dtstart) {
        return Ok(None);
    }
    let (freq, period, freq_name) = match rule.freq {
        ICalendarFrequency::Yearly => (Frequency::Yearly, 365 * 86_400, "YEARLY"),
        ICalendarFrequency::Monthly => (Frequency::Monthly, 28 * 86_400, "MONTHLY"),
        ICalendarFrequency::Weekly => (Frequency::Weekly, 7 * 86_400, "WEEKLY"),
        ICalendarFrequency::Daily => (Frequency::Daily, 86_400, "DAILY"),
        ICalendarFrequency::Hourly => (Frequency::Hourly, 3600, "HOURLY"),
        ICalendarFrequency::Minutely => (Frequency::Minutely, 60, "MINUTELY"),
        ICalendarFrequency::Secondly => (Frequency::Secondly, 1, "SECONDLY"),
    };
    let interval = rule.interval.unwrap_or(1).max(1);

    let per_period = per_period_bound(rule);
    if per_period > MAX_PER_PERIOD {
        return Err(IcalError::TooManyInstances(format!(
            "RRULE FREQ={freq_name} can produce about {per_period} occurrences per period, \
             more than {MAX_PER_PERIOD}"
        )));
    }

    let mut months = Vec::new();
    for month in &rule.bymonth {
        if month.is_leap() {
            return Err(invalid("leap months in BYMONTH are not supported".into()));
        }
        let month = chrono::Month::try_from(month.month())
            .map_err(|_| invalid(format!("BYMONTH value {} is invalid", month.month())))?;
        months.push(month);
    }
    let mut weekdays = Vec::new();
    for day in &rule.byday {
        let weekday = weekday(day.weekday);
        weekdays.push(match day.ordwk {
            Some(0) => return Err(invalid("BYDAY ordinal 0 is invalid".into())),
            Some(n) => NWeekday::Nth(n, weekday),
            None => NWeekday::Every(weekday),
        });
    }

    // RFC 5545: BYSETPOS picks within the whole interval. For WEEKLY the
    // rrule crate builds DTSTART's first week from DTSTART's day on, so the
    // positions shift; start it at the beginning of that week (WKST) and
    // drop what comes before DTSTART. COUNT is then left to the caller,
    // which counts only what it is given.
    let wkst = rule.wkst.map_or(Weekday::Mon, weekday);
    let whole_first_week = matches!(rule.freq, ICalendarFrequency::Weekly)
        && !rule.bysetpos.is_empty()
        && !rule.byday.is_empty();
    let anchor = if whole_first_week {
        let back = (7 + dtstart.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
        dtstart - chrono::Duration::days(i64::from(back))
    } else {
        dtstart
    };
    let start = rrule::Tz::UTC.from_utc_datetime(&anchor);
    let mut unvalidated = RRule::new(freq)
        .interval(interval)
        .by_month(&months)
        .by_weekday(weekdays)
        .by_month_day(rule.bymonthday.clone())
        .by_year_day(rule.byyearday.clone())
        .by_week_no(rule.byweekno.clone())
        .by_set_pos(rule.bysetpos.clone())
        .by_hour(rule.byhour.clone())
        .by_minute(rule.byminute.clone())
        .by_second(rule.bysecond.clone())
        .week_start(wkst);
    if let Some(count) = rule.count.filter(|_| !whole_first_week) {
        unvalidated = unvalidated.count(count);
    }
    if let Some(until) = until {
        unvalidated = unvalidated.until(rrule::Tz::UTC.from_utc_datetime(&until));
    }
    let validated = unvalidated
        .validate(start)
        .map_err(|err| invalid(format!("is invalid: {err}")))?;
    Ok(Some(Prepared {
        set: RRuleSet::new(start).rrule(validated).limit(),
        dtstart,
        step: period * i64::from(interval),
        freq: freq_name,
        count: rule.count,
        skip_before: whole_first_week.then_some(dtstart),
    }))
}

impl Prepared {
    /// Feeds occurrences (wall clock, ascending, DTSTART included only when it
    /// matches the rule) to `visit` until it stops or the rule ends.
    pub fn run(
        &self,
        mut visit: impl FnMut(NaiveDateTime) -> Result<Flow, IcalError>,
    ) -> Result<(), IcalError> {
        let mut produced: u64 = 0;
        // The rrule crate keeps a few `expect`s on paths deemed unreachable; a
        // panic there must not take the server down on untrusted input.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), IcalError> {
                for occurrence in &self.set {
                    let occurrence = occurrence.naive_utc();
                    if self.skip_before.is_some_and(|first| occurrence < first) {
                        continue;
                    }
                    produced += 1;
                    let periods = (occurrence - self.dtstart).num_seconds() / self.step.max(1);
                    if periods > MAX_PERIODS || produced > MAX_OCCURRENCES {
                        return Err(IcalError::TooManyInstances(format!(
                            "RRULE FREQ={} is too costly to expand up to {}; \
                             add COUNT or UNTIL, or use a coarser frequency",
                            self.freq,
                            occurrence.date()
                        )));
                    }
                    if let Flow::Stop = visit(occurrence)? {
                        break;
                    }
                }
                Ok(())
            }));
        match outcome {
            Ok(result) => result,
            Err(_) => Err(IcalError::InvalidData("RRULE could not be expanded".into())),
        }
    }
}

fn weekday(day: ICalendarWeekday) -> Weekday {
    match day {
        ICalendarWeekday::Monday => Weekday::Mon,
        ICalendarWeekday::Tuesday => Weekday::Tue,
        ICalendarWeekday::Wednesday => Weekday::Wed,
        ICalendarWeekday::Thursday => Weekday::Thu,
        ICalendarWeekday::Friday => Weekday::Fri,
        ICalendarWeekday::Saturday => Weekday::Sat,
        ICalendarWeekday::Sunday => Weekday::Sun,
    }
}

/// Upper bound of the occurrences `rrule` builds for one period of the rule.
fn per_period_bound(rule: &ICalendarRecurrenceRule) -> u64 {
    fn distinct<T: Ord + Clone>(values: &[T]) -> u64 {
        let mut v = values.to_vec();
        v.sort_unstable();
        v.dedup();
        (v.len() as u64).max(1)
    }
    let day_filters = !rule.byday.is_empty()
        || !rule.bymonthday.is_empty()
        || !rule.byyearday.is_empty()
        || !rule.byweekno.is_empty();
    let days = match rule.freq {
        // Without day filters `rrule` pins the day to DTSTART's.
        _ if !day_filters => 1,
        ICalendarFrequency::Yearly => 366,
        ICalendarFrequency::Monthly => 31,
        ICalendarFrequency::Weekly => 7,
        _ => 1,
    };
    days * distinct(&rule.byhour) * distinct(&rule.byminute) * distinct(&rule.bysecond)
}

/// Checks the numbers of a raw RRULE value. calcard converts them with `as`
/// (COUNT=0 vanishes, turning a rule infinite; BYHOUR=300 becomes 44), so the
/// text is checked before it gets there.
pub(crate) fn check_raw_rrule(value: &[u8]) -> Result<(), String> {
    let value = String::from_utf8_lossy(value);
    for part in value.split(';') {
        let Some((key, values)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase();
        let range: (i64, i64, bool) = match key.as_str() {
            "COUNT" => (1, i64::from(u32::MAX), false),
            "INTERVAL" => (1, i64::from(u16::MAX), false),
            "BYSECOND" => (0, 60, false),
            "BYMINUTE" => (0, 59, false),
            "BYHOUR" => (0, 23, false),
            "BYMONTHDAY" => (1, 31, true),
            "BYYEARDAY" => (1, 366, true),
            "BYWEEKNO" => (1, 53, true),
            "BYSETPOS" => (1, 366, true),
            "BYMONTH" => (1, 12, false),
            "BYDAY" => (1, 53, true),
            _ => continue,
        };
        for item in values.split(',') {
            let item = item.trim();
            let number = match key.as_str() {
                // "-1SU", "2MO", "TU": only the optional ordinal is a number.
                "BYDAY" => item.trim_end_matches(|c: char| c.is_ascii_alphabetic()),
                // "5L" is an RSCALE leap month; refused later.
                "BYMONTH" => item.trim_end_matches(['L', 'l']),
                _ => item,
            };
            if key == "BYDAY" && number.is_empty() {
                continue;
            }
            let Ok(n) = number.parse::<i64>() else {
                return Err(format!("{key} value \"{item}\" is not a number"));
            };
            let (low, high, signed) = range;
            let magnitude = if signed { n.saturating_abs() } else { n };
            if magnitude < low || magnitude > high {
                let allowed = if signed {
                    format!("{low}..{high} or -{high}..-{low}")
                } else {
                    format!("{low}..{high}")
                };
                return Err(format!("{key} value {n} is out of range {allowed}"));
            }
        }
    }
    Ok(())
}
