//! Quarters, as the printed agenda and the indicators count them:
//! `2027-T1` is January to March 2027.

use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub number: u32,
}

const ORDINALS: [&str; 4] = ["1er", "2e", "3e", "4e"];

impl Quarter {
    /// Reads `2027-T1` (`t` accepted), within the years a request may name.
    pub fn parse(text: &str) -> Option<Quarter> {
        let (year, number) = text.split_once(['-'])?;
        let number = number.strip_prefix(['T', 't'])?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(number, 1) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let number: u32 = number.parse().ok()?;
        (crate::params::YEARS.contains(&year) && (1..=4).contains(&number))
            .then_some(Quarter { year, number })
    }

    /// The quarter `day` falls in.
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            number: day.month0() / 3 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1).expect("a valid quarter")
    }

    /// Its last day, included.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a day before")
    }

    pub fn next(self) -> Quarter {
        match self.number {
            4 => Quarter {
                year: self.year + 1,
                number: 1,
            },
            n => Quarter {
                year: self.year,
                number: n + 1,
            },
        }
    }

    pub fn previous(self) -> Quarter {
        match self.number {
            1 => Quarter {
                year: self.year - 1,
                number: 4,
            },
            n => Quarter {
                year: self.year,
                number: n - 1,
            },
        }
    }

    /// `2027-T1`, as in addresses.
    pub fn slug(self) -> String {
        format!("{}-T{}", self.year, self.number)
    }

    /// "1er trimestre 2027".
    pub fn label(self) -> String {
        format!(
            "{} trimestre {}",
            ORDINALS[(self.number - 1) as usize],
            self.year
        )
    }

    /// "janvier – mars 2027".
    pub fn months(self) -> String {
        format!(
            "{} – {} {}",
            crate::french::month(self.first_day()),
            crate::french::month(self.last_day()),
            self.year
        )
    }

    /// The day the quarter's printed agenda goes to the printer: `weeks`
    /// weeks before it starts (`[agenda] deadline_weeks`).
    pub fn deadline(self, weeks: u32) -> NaiveDate {
        self.first_day() - chrono::Duration::weeks(weeks as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_read_and_count() {
        let q = Quarter::parse("2027-T1").unwrap();
        assert_eq!(q.first_day(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(q.last_day(), NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        assert_eq!(q.label(), "1er trimestre 2027");
        assert_eq!(q.months(), "janvier – mars 2027");
        assert_eq!(q.previous().slug(), "2026-T4");
        assert_eq!(Quarter::parse("2026-t4").unwrap().next(), q);
        assert_eq!(
            Quarter::of(NaiveDate::from_ymd_opt(2027, 9, 30).unwrap()).slug(),
            "2027-T3"
        );
        assert_eq!(
            q.deadline(6),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        for bad in [
            "2027-T5", "2027-T0", "2027T1", "27-T1", "+2027-T1", "3000-T1", "",
        ] {
            assert_eq!(Quarter::parse(bad), None, "{bad}");
        }
    }
}
