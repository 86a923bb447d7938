//! The repetitions the form offers, as RRULE values and in French words:
//! every week or every N weeks (on chosen weekdays), every month or every
//! N months by date ("le 13") or by weekday ("le 2e samedi", "le dernier
//! samedi"); without end, until a date, or N times. A rule outside these
//! ([`Repeat::parse`] gives `None`) is shown as written and kept untouched.

use super::When;
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Weekday};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    pub frequency: Frequency,
    /// Every `interval` weeks or months (1 and more).
    pub interval: u32,
    pub ends: Ends,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequency {
    /// On these weekdays (Monday first); the first date's when empty.
    Weekly { days: Vec<Weekday> },
    /// On the first date's day of the month.
    MonthlyByDate,
    /// On the first date's weekday of the month: its rank (the 2nd
    /// Saturday), or the last one of the month.
    MonthlyByWeekday { last: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    Never,
    /// The last day an occurrence may start, included.
    Until(NaiveDate),
    Count(u32),
}

pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

pub fn code(day: Weekday) -> &'static str {
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

fn from_code(code: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .copied()
        .find(|d| self::code(*d).eq_ignore_ascii_case(code))
}

/// The rank of `date`'s weekday in its month (1 for the first Saturday).
pub fn rank(date: NaiveDate) -> u32 {
    date.day0() / 7 + 1
}

/// Whether `date` falls in the last seven days of its month.
pub fn in_last_week(date: NaiveDate) -> bool {
    (date + chrono::Duration::days(7)).month() != date.month()
}

impl Repeat {
    /// The RRULE value (after `RRULE:`) for an event happening `when`,
    /// whose times are in `tz`.
    pub fn rrule(&self, when: &When, tz: chrono_tz::Tz) -> String {
        let first = when.first_day();
        let mut parts = vec![match self.frequency {
            Frequency::Weekly { .. } => "FREQ=WEEKLY".to_owned(),
            _ => "FREQ=MONTHLY".to_owned(),
        }];
        if self.interval > 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        match &self.frequency {
            Frequency::Weekly { days } => {
                let days: Vec<&str> = match days.is_empty() {
                    true => vec![code(first.weekday())],
                    false => days.iter().map(|d| code(*d)).collect(),
                };
                parts.push(format!("BYDAY={}", days.join(",")));
            }
            Frequency::MonthlyByDate => parts.push(format!("BYMONTHDAY={}", first.day())),
            Frequency::MonthlyByWeekday { last } => {
                let rank = if *last { -1 } else { rank(first) as i32 };
                parts.push(format!("BYDAY={rank}{}", code(first.weekday())));
            }
        }
        match self.ends {
            Ends::Never => {}
            Ends::Count(n) => parts.push(format!("COUNT={n}")),
            Ends::Until(day) => parts.push(match when {
                When::AllDay { .. } => format!("UNTIL={}", day.format("%Y%m%d")),
                // A series in local time ends at a UTC instant (RFC 5545
                // 3.3.10): the end of its last day.
                When::Timed { .. } => {
                    let end = day.and_hms_opt(23, 59, 59).expect("valid time");
                    let instant = tz
                        .from_local_datetime(&end)
                        .earliest()
                        .map(|t| t.timestamp())
                        .unwrap_or_else(|| end.and_utc().timestamp());
                    format!("UNTIL={}", super::utc_stamp(instant))
                }
            }),
        }
        parts.join(";")
    }

    /// The form's reading of an RRULE value, for an event whose first
    /// occurrence is `when`; `None` when the form cannot show it (the rule
    /// is then kept as it is).
    pub fn parse(value: &str, when: &When, tz: chrono_tz::Tz) -> Option<Repeat> {
        let first = when.first_day();
        let (mut freq, mut interval, mut count, mut until) = (None, 1u32, None, None);
        let (mut by_day, mut by_month_day, mut week_start) = (None, None, None);
        for part in value.trim().split(';').filter(|p| !p.is_empty()) {
            let (key, v) = part.split_once('=')?;
            match key.to_ascii_uppercase().as_str() {
                "FREQ" => freq = Some(v.to_ascii_uppercase()),
                "INTERVAL" => interval = v.parse().ok().filter(|n| *n >= 1)?,
                "COUNT" => count = Some(v.parse::<u32>().ok().filter(|n| *n >= 1)?),
                "UNTIL" => until = Some(until_date(v, tz)?),
                "BYDAY" => by_day = Some(v.to_ascii_uppercase()),
                "BYMONTHDAY" => by_month_day = Some(v.parse::<i32>().ok()?),
                "WKST" => week_start = Some(v.to_ascii_uppercase()),
                _ => return None,
            }
        }
        let ends = match (count, until) {
            (Some(_), Some(_)) => return None,
            (Some(n), None) => Ends::Count(n),
            (None, Some(day)) => Ends::Until(day),
            (None, None) => Ends::Never,
        };
        let frequency = match freq.as_deref()? {
            "WEEKLY" if by_month_day.is_none() => {
                let mut days = Vec::new();
                for code in by_day.as_deref().unwrap_or("").split(',') {
                    if code.is_empty() {
                        continue;
                    }
                    let day = from_code(code)?;
                    if !days.contains(&day) {
                        days.push(day);
                    }
                }
                days.sort_by_key(|d| d.num_days_from_monday());
                // The week's first day changes which days go together
                // only when weeks are skipped; the form writes none (MO).
                let matters = interval > 1 && days.len() > 1;
                if matters && week_start.as_deref().is_some_and(|w| w != "MO") {
                    return None;
                }
                Frequency::Weekly { days }
            }
            "MONTHLY" => match (by_day.as_deref(), by_month_day) {
                (None, None) => Frequency::MonthlyByDate,
                (None, Some(day)) if day == first.day() as i32 => Frequency::MonthlyByDate,
                (Some(code), None) => {
                    let split = code.len().checked_sub(2)?;
                    let (rank_text, day) = code.split_at(split);
                    if from_code(day)? != first.weekday() {
                        return None;
                    }
                    match rank_text.trim_start_matches('+').parse::<i32>().ok()? {
                        -1 if in_last_week(first) => Frequency::MonthlyByWeekday { last: true },
                        n if (1..=4).contains(&n) && n as u32 == rank(first) => {
                            Frequency::MonthlyByWeekday { last: false }
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            },
            _ => return None,
        };
        Some(Repeat {
            frequency,
            interval,
            ends,
        })
    }

    /// In French: "toutes les 2 semaines le mardi et le jeudi, jusqu'au
    /// mercredi 30 juin 2027".
    pub fn describe(&self, when: &When) -> String {
        let first = when.first_day();
        let every = |unit_one: &str, units: &str| match self.interval {
            1 => format!("chaque {unit_one}"),
            n => format!("tous les {n} {units}"),
        };
        let mut out = match &self.frequency {
            Frequency::Weekly { days } => {
                let names: Vec<String> = match days.is_empty() {
                    true => vec![format!("le {}", crate::french::weekday(first))],
                    false => days
                        .iter()
                        .map(|d| format!("le {}", crate::french::day_name(*d)))
                        .collect(),
                };
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let start = match self.interval {
                    1 => "chaque semaine".to_owned(),
                    n => format!("toutes les {n} semaines"),
                };
                format!("{start} {}", crate::french::list(&names))
            }
            Frequency::MonthlyByDate => {
                let day = match first.day() {
                    1 => "1er".to_owned(),
                    d => d.to_string(),
                };
                format!("{} le {day}", every("mois", "mois"))
            }
            Frequency::MonthlyByWeekday { last } => {
                let rank = match (*last, rank(first)) {
                    (true, _) => "dernier".to_owned(),
                    (false, 1) => "1er".to_owned(),
                    (false, n) => format!("{n}e"),
                };
                format!(
                    "{} le {rank} {}",
                    every("mois", "mois"),
                    crate::french::weekday(first)
                )
            }
        };
        match self.ends {
            Ends::Never => {}
            Ends::Until(day) => out.push_str(&format!(", jusqu'au {}", crate::french::date(day))),
            Ends::Count(1) => out.push_str(", une fois"),
            Ends::Count(n) => out.push_str(&format!(", {n} fois")),
        }
        out
    }
}

/// The local date an UNTIL value designates: a DATE as is, a UTC
/// DATE-TIME in the territory's time, a local one as written.
fn until_date(value: &str, tz: chrono_tz::Tz) -> Option<NaiveDate> {
    let value = value.trim();
    if let Some(utc) = value.strip_suffix(['Z', 'z']) {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(tz.from_utc_datetime(&t).date_naive());
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map(|t| t.date())
        .or_else(|_| NaiveDate::parse_from_str(value, "%Y%m%d"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saturday_evening() -> When {
        let day = NaiveDate::from_ymd_opt(2027, 3, 13).unwrap();
        When::Timed {
            start: day.and_hms_opt(20, 30, 0).unwrap(),
            end: day.and_hms_opt(23, 0, 0).unwrap(),
        }
    }

    #[test]
    fn rules_round_trip_through_their_rrule() {
        let tz = chrono_tz::Europe::Paris;
        let when = saturday_evening();
        let until = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
        for (repeat, rrule, words) in [
            (
                Repeat {
                    frequency: Frequency::Weekly { days: vec![] },
                    interval: 1,
                    ends: Ends::Count(10),
                },
                "FREQ=WEEKLY;BYDAY=SA;COUNT=10",
                "chaque semaine le samedi, 10 fois",
            ),
            (
                Repeat {
                    frequency: Frequency::Weekly {
                        days: vec![Weekday::Tue, Weekday::Sat],
                    },
                    interval: 2,
                    ends: Ends::Until(until),
                },
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA;UNTIL=20270630T215959Z",
                "toutes les 2 semaines le mardi et le samedi, jusqu'au mercredi 30 juin 2027",
            ),
            (
                Repeat {
                    frequency: Frequency::MonthlyByDate,
                    interval: 1,
                    ends: Ends::Never,
                },
                "FREQ=MONTHLY;BYMONTHDAY=13",
                "chaque mois le 13",
            ),
            (
                Repeat {
                    frequency: Frequency::MonthlyByWeekday { last: false },
                    interval: 3,
                    ends: Ends::Never,
                },
                "FREQ=MONTHLY;INTERVAL=3;BYDAY=2SA",
                "tous les 3 mois le 2e samedi",
            ),
        ] {
            assert_eq!(repeat.rrule(&when, tz), rrule);
            assert_eq!(repeat.describe(&when), words);
            let mut read = Repeat::parse(rrule, &when, tz).unwrap();
            if let (Frequency::Weekly { days }, Frequency::Weekly { days: wanted }) =
                (&mut read.frequency, &repeat.frequency)
            {
                if wanted.is_empty() {
                    days.clear();
                }
            }
            assert_eq!(read, repeat, "{rrule}");
        }
    }

    #[test]
    fn rules_the_form_cannot_show_are_left_alone() {
        let tz = chrono_tz::Europe::Paris;
        let when = saturday_evening();
        for rule in [
            "FREQ=MONTHLY;BYDAY=SA;BYSETPOS=2",
            "FREQ=HOURLY;COUNT=3",
            "FREQ=MONTHLY;BYDAY=1SA,3SA",
            "FREQ=MONTHLY;BYDAY=1SA",
            "FREQ=YEARLY",
            "FREQ=WEEKLY;COUNT=3;UNTIL=20270630",
            "FREQ=MONTHLY;BYMONTHDAY=1,15",
        ] {
            assert_eq!(Repeat::parse(rule, &when, tz), None, "{rule}");
        }
    }
}
