//! Dates, times and punctuation as French readers expect them: "samedi
//! 13 février 2027 à 20 h 30". The one place that names days and months,
//! for the public pages and the conflicts calendar alike.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike};

/// U+202F NARROW NO-BREAK SPACE: inside « » and before : ; ! ? in French
/// typography, so that the sign never starts a line.
pub const NNBSP: char = '\u{202f}';

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "lundi", "mardi"...
pub fn weekday(day: NaiveDate) -> &'static str {
    day_name(day.weekday())
}

/// "lundi" for Monday...
pub fn day_name(day: chrono::Weekday) -> &'static str {
    DAYS[day.num_days_from_monday() as usize]
}

/// "janvier", "février"...
pub fn month(day: NaiveDate) -> &'static str {
    MONTHS[day.month0() as usize]
}

/// "samedi 13 février 2027", "lundi 1er mars 2027".
pub fn date(day: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        weekday(day),
        day_of_month(day),
        month(day),
        day.year()
    )
}

fn day_of_month(day: NaiveDate) -> String {
    if day.day() == 1 {
        "1er".to_owned()
    } else {
        day.day().to_string()
    }
}

/// A period of whole days, both included: "du 1er au 30 avril 2027", "du
/// 20 décembre 2026 au 3 janvier 2027", "le 13 février 2027".
pub fn period(from: NaiveDate, to: NaiveDate) -> String {
    let full = |d: NaiveDate| format!("{} {} {}", day_of_month(d), month(d), d.year());
    if from == to {
        format!("le {}", full(from))
    } else if from.year() != to.year() {
        format!("du {} au {}", full(from), full(to))
    } else if from.month() != to.month() {
        format!("du {} {} au {}", day_of_month(from), month(from), full(to))
    } else {
        format!("du {} au {}", day_of_month(from), full(to))
    }
}

/// "20 h", "20 h 30", "9 h 05".
pub fn hour(h: u32, m: u32) -> String {
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

/// The time of day of a local date-time, as [`hour`].
pub fn time_of<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    hour(at.hour(), at.minute())
}

/// "samedi 13 février 2027 à 20 h 30" for the instant `t` (Unix seconds)
/// in `tz`; only the date for an all-day event.
pub fn instant(tz: chrono_tz::Tz, t: i64, all_day: bool) -> String {
    let Some(local) = tz.timestamp_opt(t, 0).single().or_else(|| {
        // A wall-clock time that does not exist cannot come from a Unix
        // instant; ambiguity can: take the earlier reading.
        tz.timestamp_opt(t, 0).earliest()
    }) else {
        return String::new();
    };
    if all_day {
        date(local.date_naive())
    } else {
        format!("{} à {}", date(local.date_naive()), time_of(&local))
    }
}

/// When an event happens, in words: "samedi 13 février 2027 de 20 h à
/// 23 h 30", "du samedi 13 au lundi 15 février 2027"... `end` is exclusive
/// (an all-day event ending on the 16th covers the 15th).
pub fn span(tz: chrono_tz::Tz, start: i64, end: i64, all_day: bool) -> String {
    span_after(tz, start, end, all_day, " ")
}

/// [`span`] with a comma after the day, as event pages write it:
/// "samedi 6 mars 2027, de 20 h 30 à 23 h".
pub fn span_with_comma(tz: chrono_tz::Tz, start: i64, end: i64, all_day: bool) -> String {
    span_after(tz, start, end, all_day, ", ")
}

fn span_after(tz: chrono_tz::Tz, start: i64, end: i64, all_day: bool, after_day: &str) -> String {
    let local = |t: i64| tz.timestamp_opt(t, 0).earliest();
    let (Some(s), Some(e)) = (local(start), local(end.max(start))) else {
        return String::new();
    };
    if all_day {
        let last = if end > start {
            local(end - 1)
                .map(|e| e.date_naive())
                .unwrap_or(s.date_naive())
        } else {
            s.date_naive()
        };
        return if last == s.date_naive() {
            date(last)
        } else {
            format!("du {} au {}", date(s.date_naive()), date(last))
        };
    }
    if e == s {
        return format!("{}{after_day}à {}", date(s.date_naive()), time_of(&s));
    }
    if e.date_naive() == s.date_naive() {
        format!(
            "{}{after_day}de {} à {}",
            date(s.date_naive()),
            time_of(&s),
            time_of(&e)
        )
    } else {
        format!(
            "du {} à {} au {} à {}",
            date(s.date_naive()),
            time_of(&s),
            date(e.date_naive()),
            time_of(&e)
        )
    }
}

/// The text with its first letter in capitals: "Samedi 6 mars 2027" at
/// the head of a line.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "A", "A et B", "A, B et C".
pub fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_french() {
        let day = NaiveDate::from_ymd_opt(2027, 2, 13).unwrap();
        assert_eq!(date(day), "samedi 13 février 2027");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            "lundi 1er mars 2027"
        );
        assert_eq!(hour(20, 0), "20 h");
        let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        assert_eq!(period(d(4, 1), d(4, 30)), "du 1er au 30 avril 2027");
        assert_eq!(period(d(2, 1), d(3, 3)), "du 1er février au 3 mars 2027");
        assert_eq!(period(d(2, 13), d(2, 13)), "le 13 février 2027");
        assert_eq!(hour(9, 5), "9 h 05");
        let tz = chrono_tz::Europe::Paris;
        // 2027-02-13T19:00:00Z is 20:00 in Paris.
        let t = 1_802_545_200;
        assert_eq!(instant(tz, t, false), "samedi 13 février 2027 à 20 h");
        assert_eq!(
            span(tz, t, t + 3 * 3600 + 1800, false),
            "samedi 13 février 2027 de 20 h à 23 h 30"
        );
        assert_eq!(
            span_with_comma(tz, t + 1800, t + 3 * 3600, false),
            "samedi 13 février 2027, de 20 h 30 à 23 h"
        );
    }
}
