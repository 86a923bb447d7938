//! A permanence's weekly opening hours and closed days, written as people
//! write them ("lun 9h-12h 14h-17h; mer 9h30-12h", "2026-12-24,
//! 2026-12-28..2027-01-02") and kept in one canonical text.

use chrono::{Datelike, NaiveDate};

/// Opening ranges (minutes since midnight, end excluded) per weekday,
/// Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [Vec<(u32, u32)>; 7],
}

const SHORT: [&str; 7] = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"];
const ENGLISH: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn weekday_index(word: &str) -> Option<usize> {
    let word = crate::text::normalize(word);
    (0..7).find(|&i| {
        let full = crate::text::normalize(crate::french::weekday(
            monday() + chrono::Duration::days(i as i64),
        ));
        word == SHORT[i] || word == ENGLISH[i] || word == full
    })
}

/// A Monday, to name weekdays by index.
fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 4).expect("a Monday")
}

/// "9", "9h", "9h30", "9:30", "09:30" -> minutes since midnight.
fn minutes(text: &str) -> Option<u32> {
    let text = text.trim().to_ascii_lowercase();
    let (h, m) = match text.split_once([':', 'h']) {
        Some((h, "")) => (h, "0"),
        Some((h, m)) => (h, m),
        None => (text.as_str(), "0"),
    };
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl WeeklyHours {
    /// Reads "lun 09:00-12:00 14:00-17:00; mer 09:00-12:00" (days by French
    /// or English name or abbreviation, `;` or new lines between days).
    pub fn parse(text: &str) -> Result<WeeklyHours, String> {
        let mut hours = WeeklyHours::default();
        for part in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut words = part.split_whitespace();
            let day = words.next().unwrap_or_default();
            let index = weekday_index(day).ok_or_else(|| {
                format!("« {day} » n'est pas un jour de la semaine (lun, mar, mer, jeu, ven, sam, dim).")
            })?;
            let mut any = false;
            for range in words {
                let (from, to) = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)))
                    .filter(|(a, b)| a < b)
                    .ok_or_else(|| {
                        format!("« {range} » n'est pas une plage horaire comme 09:00-12:00.")
                    })?;
                hours.days[index].push((from, to));
                any = true;
            }
            if !any {
                return Err(format!(
                    "Indiquez les heures d'ouverture du {day}, comme « {day} 09:00-12:00 »."
                ));
            }
        }
        for day in &mut hours.days {
            day.sort();
            if day.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err("Deux plages horaires d'un même jour se chevauchent.".into());
            }
        }
        if hours.days.iter().all(Vec::is_empty) {
            return Err("Indiquez au moins un jour d'ouverture, comme « mar 09:00-12:00 ».".into());
        }
        Ok(hours)
    }

    /// The canonical text, which `parse` reads back unchanged.
    pub fn canonical(&self) -> String {
        let mut parts = Vec::new();
        for (i, ranges) in self.days.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            let ranges: Vec<String> = ranges
                .iter()
                .map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
                .collect();
            parts.push(format!("{} {}", SHORT[i], ranges.join(" ")));
        }
        parts.join("; ")
    }

    pub fn ranges(&self, day: NaiveDate) -> &[(u32, u32)] {
        &self.days[day.weekday().num_days_from_monday() as usize]
    }

    /// "le mardi de 9 h à 12 h, le jeudi de 14 h à 17 h", for residents.
    pub fn french(&self) -> String {
        let mut parts = Vec::new();
        for (i, ranges) in self.days.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            let day = crate::french::weekday(monday() + chrono::Duration::days(i as i64));
            let ranges: Vec<String> = ranges
                .iter()
                .map(|(a, b)| {
                    format!(
                        "de {} à {}",
                        crate::french::hour(a / 60, a % 60),
                        crate::french::hour(b / 60, b % 60)
                    )
                })
                .collect();
            let ranges: Vec<&str> = ranges.iter().map(String::as_str).collect();
            parts.push(format!("le {day} {}", crate::french::list(&ranges)));
        }
        parts.join(", ")
    }
}

/// Dates a permanence is closed: single days and periods (both ends in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closed {
    periods: Vec<(NaiveDate, NaiveDate)>,
}

impl Closed {
    /// Reads "2026-12-24, 2026-12-28..2027-01-02" (commas, spaces or new
    /// lines between them).
    pub fn parse(text: &str) -> Result<Closed, String> {
        let mut periods = Vec::new();
        for item in text
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (a, b) = item.split_once("..").unwrap_or((item, item));
            let read = |t: &str| {
                crate::params::date(t.trim()).map_err(|_| {
                    format!("« {item} » n'est pas une date AAAA-MM-JJ ni une période AAAA-MM-JJ..AAAA-MM-JJ.")
                })
            };
            let (from, to) = (read(a)?, read(b)?);
            if to < from {
                return Err(format!("La période « {item} » finit avant de commencer."));
            }
            periods.push((from, to));
        }
        periods.sort();
        Ok(Closed { periods })
    }

    pub fn canonical(&self) -> String {
        let items: Vec<String> = self
            .periods
            .iter()
            .map(|(a, b)| match a == b {
                true => a.to_string(),
                false => format!("{a}..{b}"),
            })
            .collect();
        items.join(", ")
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.periods.iter().any(|(a, b)| *a <= day && day <= *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_as_people_write_them_and_kept_canonical() {
        let hours = WeeklyHours::parse("Lundi 9h-12h 14h-17h30;\nmer 9:30-12").unwrap();
        assert_eq!(
            hours.canonical(),
            "lun 09:00-12:00 14:00-17:30; mer 09:30-12:00"
        );
        assert_eq!(WeeklyHours::parse(&hours.canonical()).unwrap(), hours);
        assert_eq!(
            hours.french(),
            "le lundi de 9 h à 12 h et de 14 h à 17 h 30, le mercredi de 9 h 30 à 12 h"
        );
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(hours.ranges(monday), &[(540, 720), (840, 1050)]);
        assert!(WeeklyHours::parse("lun 12:00-9:00").is_err());
        assert!(WeeklyHours::parse("lun 9:00-12:00 11:00-13:00").is_err());
        assert!(WeeklyHours::parse("funday 9:00-12:00").is_err());
        assert!(WeeklyHours::parse("").is_err());
    }

    #[test]
    fn closed_days_and_periods() {
        let closed = Closed::parse("2026-12-28..2027-01-02, 2026-12-24").unwrap();
        assert_eq!(closed.canonical(), "2026-12-24, 2026-12-28..2027-01-02");
        let day = |m, d| NaiveDate::from_ymd_opt(if m == 1 { 2027 } else { 2026 }, m, d).unwrap();
        assert!(closed.contains(day(12, 24)));
        assert!(!closed.contains(day(12, 25)));
        assert!(closed.contains(day(1, 2)));
        assert!(Closed::parse("2027-01-02..2026-12-28").is_err());
        assert!(Closed::parse("demain").is_err());
        assert_eq!(Closed::parse("").unwrap(), Closed::default());
    }
}
