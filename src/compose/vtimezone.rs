//! A VTIMEZONE for an IANA zone, as Thunderbird writes one: the zone's
//! current daylight-saving rules as yearly rules from 1970 ("the last
//! Sunday of March at 2:00"), so that any client can read times written
//! with `TZID=Europe/Paris` even without its own copy of the zone.

use crate::query::tree::fold_into;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One change of offset: when (local wall-clock time before it), the
/// offsets around it, its abbreviation and whether summer time begins.
#[derive(Debug, Clone, PartialEq)]
struct Transition {
    local: NaiveDateTime,
    from: i32,
    to: i32,
    name: String,
    daylight: bool,
}

/// "The `nth` (or last, -1) `weekday` of `month` at `time`": the shape of
/// daylight-saving rules almost everywhere.
#[derive(Debug, Clone, Copy, PartialEq)]
struct YearlyRule {
    month: u32,
    weekday: Weekday,
    nth: i32,
    time: chrono::NaiveTime,
}

impl YearlyRule {
    fn of(local: NaiveDateTime) -> YearlyRule {
        let date = local.date();
        let last = date + Duration::days(7) > last_day_of_month(date);
        YearlyRule {
            month: date.month(),
            weekday: date.weekday(),
            nth: if last {
                -1
            } else {
                (date.day0() / 7 + 1) as i32
            },
            time: local.time(),
        }
    }

    fn date_in(&self, year: i32) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, self.month, 1)?;
        if self.nth > 0 {
            NaiveDate::from_weekday_of_month_opt(year, self.month, self.weekday, self.nth as u8)
        } else {
            let last = last_day_of_month(first);
            let back = (last.weekday().num_days_from_monday() + 7
                - self.weekday.num_days_from_monday())
                % 7;
            Some(last - Duration::days(i64::from(back)))
        }
    }
}

fn last_day_of_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = match date.month() {
        12 => (date.year() + 1, 1),
        m => (date.year(), m + 1),
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month") - Duration::days(1)
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    let (h, m, rest) = (s / 3600, (s % 3600) / 60, s % 60);
    if rest == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{rest:02}")
    }
}

/// The offset (seconds east of UTC), abbreviation and summer-time flag at
/// a UTC instant.
fn offset_at(tz: Tz, utc: i64) -> (i32, String, bool) {
    let at = tz
        .timestamp_opt(utc, 0)
        .single()
        .expect("a UTC instant has one local reading");
    let offset = at.offset();
    (
        offset.fix().local_minus_utc(),
        offset
            .abbreviation()
            .map(str::to_owned)
            .unwrap_or_else(|| offset_text(offset.fix().local_minus_utc())),
        !offset.dst_offset().is_zero(),
    )
}

/// The zone's changes of offset during `year`.
fn transitions(tz: Tz, year: i32) -> Vec<Transition> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0);
    let mut found = Vec::new();
    let day = 86_400;
    for n in 0..366 {
        let (a, b) = (start + n * day, start + (n + 1) * day);
        if offset_at(tz, a).0 == offset_at(tz, b).0 {
            continue;
        }
        // The first second with the new offset, by bisection.
        let (mut low, mut high) = (a, b);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if offset_at(tz, mid).0 == offset_at(tz, a).0 {
                low = mid;
            } else {
                high = mid;
            }
        }
        let (from, _, _) = offset_at(tz, low);
        let (to, name, daylight) = offset_at(tz, high);
        let Some(local) = chrono::DateTime::from_timestamp(high + i64::from(from), 0) else {
            continue;
        };
        if local.year() != year {
            continue;
        }
        found.push(Transition {
            local: local.naive_utc(),
            from,
            to,
            name,
            daylight,
        });
    }
    found
}

/// The VTIMEZONE of `tz` as of `year` (the year of the events it serves),
/// CRLF lines, folded. Made once per zone and year: finding the changes
/// of offset walks the year day by day.
pub fn vtimezone(tz: Tz, year: i32) -> String {
    type Made = std::collections::HashMap<(Tz, i32), String>;
    static MADE: std::sync::OnceLock<std::sync::Mutex<Made>> = std::sync::OnceLock::new();
    let made = MADE.get_or_init(Default::default);
    if let Some(text) = crate::locks::lock(made).get(&(tz, year)) {
        return text.clone();
    }
    let text = make(tz, year);
    let mut made = crate::locks::lock(made);
    // Years are those of events people plan: a handful per zone.
    if made.len() < 1024 {
        made.insert((tz, year), text.clone());
    }
    text
}

fn make(tz: Tz, year: i32) -> String {
    let mut out = String::new();
    let mut line = |text: &str| fold_into(&mut out, text);
    line("BEGIN:VTIMEZONE");
    line(&format!("TZID:{}", tz.name()));
    line(&format!("X-LIC-LOCATION:{}", tz.name()));
    let this_year = transitions(tz, year);
    let next_year = transitions(tz, year + 1);
    let regular = !this_year.is_empty()
        && this_year.len() == next_year.len()
        && this_year
            .iter()
            .zip(&next_year)
            .all(|(a, b)| YearlyRule::of(a.local) == YearlyRule::of(b.local) && a.to == b.to);
    if this_year.is_empty() {
        // No change of offset: one standard time from 1970 on.
        let noon = NaiveDate::from_ymd_opt(year, 7, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        let (offset, name, _) = offset_at(tz, noon);
        line("BEGIN:STANDARD");
        line(&format!("TZOFFSETFROM:{}", offset_text(offset)));
        line(&format!("TZOFFSETTO:{}", offset_text(offset)));
        line(&format!("TZNAME:{name}"));
        line("DTSTART:19700101T000000");
        line("END:STANDARD");
    } else if regular {
        for t in &this_year {
            let rule = YearlyRule::of(t.local);
            let start = rule
                .date_in(1970)
                .map(|d| d.and_time(rule.time))
                .unwrap_or(t.local);
            let kind = if t.daylight { "DAYLIGHT" } else { "STANDARD" };
            line(&format!("BEGIN:{kind}"));
            line(&format!("TZOFFSETFROM:{}", offset_text(t.from)));
            line(&format!("TZOFFSETTO:{}", offset_text(t.to)));
            line(&format!("TZNAME:{}", t.name));
            line(&format!("DTSTART:{}", start.format("%Y%m%dT%H%M%S")));
            line(&format!(
                "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY={}{}",
                rule.month,
                rule.nth,
                weekday_code(rule.weekday)
            ));
            line(&format!("END:{kind}"));
        }
    } else {
        // Changes that follow no yearly rule: each one, for the years the
        // events of `year` may reach.
        for t in (year - 1..=year + 5).flat_map(|y| transitions(tz, y)) {
            let kind = if t.daylight { "DAYLIGHT" } else { "STANDARD" };
            line(&format!("BEGIN:{kind}"));
            line(&format!("TZOFFSETFROM:{}", offset_text(t.from)));
            line(&format!("TZOFFSETTO:{}", offset_text(t.to)));
            line(&format!("TZNAME:{}", t.name));
            line(&format!("DTSTART:{}", t.local.format("%Y%m%dT%H%M%S")));
            line(&format!("END:{kind}"));
        }
    }
    line("END:VTIMEZONE");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_as_thunderbird_writes_it() {
        let text = vtimezone(chrono_tz::Europe::Paris, 2027);
        assert!(text.contains("TZID:Europe/Paris\r\n"), "{text}");
        assert!(
            text.contains("BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"),
            "{text}"
        );
        assert!(
            text.contains("BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"),
            "{text}"
        );
    }

    /// Read back under a name no library knows, the VTIMEZONE alone gives
    /// the zone's times: an event on either side of each change of offset
    /// lands at the same instant as with the real zone.
    #[test]
    fn clients_without_the_zone_compute_the_same_times() {
        for (tz, year) in [
            (chrono_tz::Europe::Paris, 2027),
            (chrono_tz::America::New_York, 2027),
            (chrono_tz::Pacific::Tahiti, 2027),
            (chrono_tz::Australia::Sydney, 2027),
        ] {
            let zone = vtimezone(tz, year).replace(
                &format!("TZID:{}\r\n", tz.name()),
                "TZID:Zone du territoire\r\n",
            );
            for (month, day) in [(1, 15), (3, 20), (4, 10), (7, 14), (10, 20), (11, 5)] {
                let local = NaiveDate::from_ymd_opt(year, month, day)
                    .unwrap()
                    .and_hms_opt(20, 30, 0)
                    .unwrap();
                let body = format!(
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{zone}BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Zone du territoire:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                    local.format("%Y%m%dT%H%M%S")
                );
                let object = crate::ical::parse_object(
                    body.as_bytes(),
                    chrono_tz::UTC,
                    &crate::ical::Limits::default(),
                )
                .unwrap_or_else(|e| panic!("{e}: {body}"));
                let expected = tz.from_local_datetime(&local).unwrap().timestamp();
                assert_eq!(object.instances[0].start, expected, "{tz} {local}");
            }
        }
    }
}
