//! Dates as people mean them: a calendar day starts at local midnight.

use chrono::{Duration, NaiveDate, TimeZone};

/// The UTC instant (Unix seconds) at which `date` starts in `tz`: local
/// midnight, the first one when midnight happens twice, and the end of the
/// gap when the clocks skip midnight (America/Sao_Paulo on 2018-11-04 went
/// from 00:00 straight to 01:00); 0 only for dates chrono cannot represent.
pub fn local_midnight(tz: chrono_tz::Tz, date: NaiveDate) -> i64 {
    let Some(midnight) = date.and_hms_opt(0, 0, 0) else {
        return 0;
    };
    // Gaps last an hour or so, at most a day (Pacific/Apia skipped
    // 2011-12-30 whole); zones move on whole minutes.
    (0..=2 * 24 * 60)
        .map(|minutes| midnight + Duration::minutes(minutes))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map_or(0, |t| t.timestamp())
}

/// The local date of the instant `t` (Unix seconds) in `tz`.
pub fn local_date(tz: chrono_tz::Tz, t: i64) -> NaiveDate {
    // An instant has exactly one local reading; `earliest` only guards
    // against instants chrono cannot represent.
    tz.timestamp_opt(t, 0)
        .earliest()
        .map_or(NaiveDate::MIN, |local| local.date_naive())
}

#[cfg(test)]
mod tests {
    use super::local_midnight;
    use chrono::NaiveDate;

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_ordinary_day_starts_at_midnight() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(
            local_midnight(paris, date(2025, 7, 14)),
            utc("2025-07-13T22:00:00Z")
        );
    }

    /// Where the clocks skip midnight, the day starts when they land.
    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_the_end_of_the_gap() {
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        assert_eq!(
            local_midnight(sao_paulo, date(2018, 11, 4)),
            utc("2018-11-04T01:00:00-02:00")
        );
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            local_midnight(havana, date(2023, 3, 12)),
            utc("2023-03-12T01:00:00-04:00")
        );
        // Samoa skipped 2011-12-30 whole: it "starts" when the 31st does.
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(
            local_midnight(apia, date(2011, 12, 30)),
            utc("2011-12-31T00:00:00+14:00")
        );
    }

    /// Where midnight happens twice, the day starts at the first.
    #[test]
    fn a_day_whose_midnight_repeats_starts_at_the_first() {
        // Havana left summer time at 01:00 on 2023-11-05, back to 00:00.
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            local_midnight(havana, date(2023, 11, 5)),
            utc("2023-11-05T00:00:00-04:00")
        );
    }
}
