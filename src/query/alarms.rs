//! When alarms ring, for time ranges inside VALARM (RFC 4791 9.9): a
//! TRIGGER is either an absolute UTC time or a duration from the start (or,
//! with RELATED=END, the end) of each instance of the alarm's component,
//! and REPEAT/DURATION add that many later rings.

use super::filter::{Context, TimeRange};
use super::tree::{Component, Property};

/// Most repetitions considered: RFC 5545 sets no bound, and an alarm
/// repeating more often than this is not one people rely on.
const MAX_REPEAT: i64 = 1000;

/// Whether `alarm`, a VALARM of `parent`, rings within `range`.
pub fn rings_within(
    parent: &Component,
    alarm: &Component,
    range: TimeRange,
    context: Context,
) -> bool {
    let Some(trigger) = alarm.property("TRIGGER") else {
        return false;
    };
    let repeat = alarm
        .property("REPEAT")
        .and_then(|p| p.raw_value.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, MAX_REPEAT);
    let interval = alarm
        .property("DURATION")
        .and_then(|p| duration_seconds(&p.raw_value))
        .unwrap_or(0);
    // Rings at `first`, first + interval, ... (REPEAT needs DURATION).
    let repeats = if interval > 0 { repeat } else { 0 };
    let rings_from =
        |first: i64| (0..=repeats).any(|k| range.contains_instant(first + k * interval));
    if is_absolute(trigger) {
        return trigger.instant(context.floating).is_some_and(rings_from);
    }
    let Some(offset) = duration_seconds(&trigger.raw_value) else {
        return false;
    };
    let from_end = trigger
        .param("RELATED")
        .is_some_and(|r| r.eq_ignore_ascii_case("END"));
    // Instances whose start (or end) plus the offset can reach the range.
    let (start, end) = (
        range.start.unwrap_or(i64::MIN / 4),
        range.end.unwrap_or(i64::MAX / 4),
    );
    let earliest = start - offset - repeats * interval - 1;
    let latest = end - offset;
    (context.instances)(parent, earliest, latest.max(earliest + 1))
        .into_iter()
        .any(|(instance_start, instance_end)| {
            rings_from(
                if from_end {
                    instance_end
                } else {
                    instance_start
                } + offset,
            )
        })
}

fn is_absolute(trigger: &Property) -> bool {
    trigger
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
        || !trigger.raw_value.trim_start().starts_with(['P', '+', '-'])
}

/// An RFC 5545 duration (`-PT15M`, `P1DT2H`, `P2W`) in seconds; days and
/// weeks count as 24 hours, as alarm offsets are taken by clients.
pub fn duration_seconds(value: &str) -> Option<i64> {
    let value = value.trim();
    let (sign, rest) = match value.as_bytes().first()? {
        b'-' => (-1, &value[1..]),
        b'+' => (1, &value[1..]),
        _ => (1, value),
    };
    let rest = rest.strip_prefix('P')?;
    let mut total = 0i64;
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds)?)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn durations_as_alarm_offsets() {
        assert_eq!(duration_seconds("-PT15M"), Some(-900));
        assert_eq!(duration_seconds("PT0S"), Some(0));
        assert_eq!(duration_seconds("+P1DT2H3M4S"), Some(93_784));
        assert_eq!(duration_seconds("-P2W"), Some(-1_209_600));
        assert_eq!(duration_seconds("P"), None);
        assert_eq!(duration_seconds("PT"), None);
        assert_eq!(duration_seconds("PT5"), None);
        assert_eq!(duration_seconds("P1H"), None);
        assert_eq!(duration_seconds("20270110T074500Z"), None);
    }
}
