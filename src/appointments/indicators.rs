//! "Le nombre de personnes accompagnées": bookings counted per month, per
//! theme and per commune of residence, with the attendance rate, for the
//! staff desk and its CSV. Anonymised bookings count like the others.

use crate::store::appointments::{counted, CountedBooking, Status};
use chrono::TimeZone;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of one group of bookings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Bookings not cancelled.
    pub booked: u64,
    /// People helped: bookings marked attended.
    pub attended: u64,
    pub missed: u64,
    pub cancelled: u64,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Cancelled => self.cancelled += 1,
            Status::Attended => {
                self.booked += 1;
                self.attended += 1
            }
            Status::Missed => {
                self.booked += 1;
                self.missed += 1
            }
            Status::Booked => self.booked += 1,
        }
    }

    /// Attended among those marked attended or missed; none when no
    /// booking was marked.
    pub fn attendance_rate(&self) -> Option<f64> {
        let marked = self.attended + self.missed;
        (marked > 0).then(|| self.attended as f64 / marked as f64)
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Indicators {
    pub total: Counts,
    /// "2027-01" -> counts.
    pub per_month: BTreeMap<String, Counts>,
    pub per_theme: BTreeMap<String, Counts>,
    /// Commune slug, or "" when not given.
    pub per_commune: BTreeMap<String, Counts>,
}

/// The indicators of the bookings starting in [from, to), of one service
/// or of all.
pub fn compute(
    conn: &Connection,
    service_id: Option<i64>,
    from: i64,
    to: i64,
    tz: chrono_tz::Tz,
) -> crate::store::Result<Indicators> {
    Ok(summarise(&counted(conn, service_id, from, to)?, tz))
}

pub fn summarise(rows: &[CountedBooking], tz: chrono_tz::Tz) -> Indicators {
    let mut out = Indicators::default();
    for row in rows {
        let month = tz
            .timestamp_opt(row.start, 0)
            .earliest()
            .map(|t| t.format("%Y-%m").to_string())
            .unwrap_or_default();
        out.total.add(row.status);
        out.per_month.entry(month).or_default().add(row.status);
        out.per_theme
            .entry(row.theme.clone())
            .or_default()
            .add(row.status);
        out.per_commune
            .entry(row.commune.clone().unwrap_or_default())
            .or_default()
            .add(row.status);
    }
    out
}

/// One line per group: `groupe,valeur,rendez_vous,venus,absents,annules,taux_presence`.
pub fn csv(indicators: &Indicators) -> String {
    let mut out = String::from("groupe,valeur,rendez_vous,venus,absents,annules,taux_presence\r\n");
    let mut line = |group: &str, value: &str, c: &Counts| {
        let rate = c
            .attendance_rate()
            .map(|r| format!("{:.2}", r))
            .unwrap_or_default();
        out.push_str(&format!(
            "{group},{},{},{},{},{},{rate}\r\n",
            csv_field(value),
            c.booked,
            c.attended,
            c.missed,
            c.cancelled
        ));
    };
    line("total", "", &indicators.total);
    for (month, c) in &indicators.per_month {
        line("mois", month, c);
    }
    for (theme, c) in &indicators.per_theme {
        line("theme", theme, c);
    }
    for (commune, c) in &indicators.per_commune {
        line("commune", commune, c);
    }
    out
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@`
/// is quoted after a `'` so that spreadsheets do not run it as a formula.
fn csv_field(value: &str) -> String {
    let value = match value.starts_with(['=', '+', '-', '@']) {
        true => format!("'{value}"),
        false => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_month_theme_commune_and_attendance() {
        let row = |start: i64, theme: &str, commune: Option<&str>, status| CountedBooking {
            start,
            theme: theme.into(),
            commune: commune.map(str::to_owned),
            status,
        };
        let rows = [
            row(1_801_000_000, "CV", Some("arue"), Status::Attended),
            row(1_801_000_000, "CV", None, Status::Missed),
            row(
                1_801_000_000,
                "Impôts, en ligne",
                Some("arue"),
                Status::Attended,
            ),
            row(1_801_000_000, "CV", Some("arue"), Status::Cancelled),
        ];
        let i = summarise(&rows, chrono_tz::Europe::Paris);
        assert_eq!(i.total.booked, 3);
        assert_eq!(i.total.attended, 2);
        assert_eq!(i.total.cancelled, 1);
        assert_eq!(i.per_theme["CV"].attended, 1);
        assert_eq!(i.per_commune["arue"].attended, 2);
        assert_eq!(i.per_commune[""].missed, 1);
        assert!((i.total.attendance_rate().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let csv = csv(&i);
        assert!(csv.contains("total,,3,2,1,1,0.67\r\n"), "{csv}");
        assert!(
            csv.contains("theme,\"Impôts, en ligne\",1,1,0,0,1.00\r\n"),
            "{csv}"
        );
        assert!(csv.contains("mois,2027-01,3,2,1,1,0.67\r\n"), "{csv}");
    }
}
