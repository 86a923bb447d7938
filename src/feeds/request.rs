//! A feed's parameters, parsed and checked against the territory's lists
//! from config.toml, so that a typo gets a clear 400 instead of an empty
//! calendar.

use crate::config::Config;
use crate::selection::Filters;
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    /// Communes, categories, organisers (empty: every publishing one) and
    /// free text.
    pub filters: Filters,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl FeedRequest {
    /// A stable text naming feed `feed` (its file name without `.ics`)
    /// asked with these parameters: its cache key. URLs that ask the same
    /// (parameters in another order, repeated or percent-encoded, under
    /// their French or English names, the default window written out) give
    /// the same key, so they share one render. An organiser's own feed
    /// ignores `organiser=`, so its key does too.
    pub fn key(&self, feed: &str) -> String {
        let mut filters = self.filters.clone();
        if feed != crate::paths::AGGREGATE {
            filters.organisers.clear();
        }
        // Debug quotes each value, so that no value can pass for two.
        let mut key = String::with_capacity(96 + feed.len());
        let _ = write!(key, "{feed:?}?{}..{};{}", self.from, self.to, filters.key());
        key
    }

    /// The window in UTC seconds, dates read in the territory's time zone.
    pub fn window(&self, tz: chrono_tz::Tz) -> (i64, i64) {
        (
            crate::time::local_midnight(tz, self.from),
            crate::time::local_midnight(tz, self.to),
        )
    }
}

/// Parses the query string of `/feeds/...` (the selection's filters and
/// the window `du`/`au`); `today` anchors the default window. The error message is shown to the person who typed the URL.
pub fn parse(query: &str, config: &Config, today: NaiveDate) -> Result<FeedRequest, String> {
    let feeds = &config.feeds;
    let mut request = FeedRequest {
        filters: Filters::default(),
        from: add_months(today, -(feeds.months_back as i32)),
        to: add_months(today, feeds.months_ahead as i32),
    };
    let pairs = crate::params::pairs(query).map_err(|e| e.to_string())?;
    for (key, value) in pairs {
        // One vocabulary with the pages: `categorie=` or `category=`,
        // `du=` or `from=`... (params::canonical_name), and `q`.
        if request.filters.take(config, &key, value.clone())? {
            continue;
        }
        match crate::params::canonical_name(&key) {
            Some("du") => request.from = date(&value)?,
            Some("au") => request.to = date(&value)?,
            _ => return Err(crate::params::unknown_parameter(&key)),
        }
    }
    if request.to <= request.from {
        return Err(format!(
            "La période doit finir après son début\u{202f}: «\u{202f}au\u{202f}» ({}) doit être après «\u{202f}du\u{202f}» ({}).",
            request.to, request.from
        ));
    }
    let years = feeds.max_window_years;
    let last = add_months(request.from, 12 * years as i32);
    if request.to > last {
        return Err(format!(
            "La période peut couvrir {years} an{} au plus\u{202f}: avec du={}, au vaut au plus {last}.",
            if years == 1 { "" } else { "s" },
            request.from
        ));
    }
    request.filters.sort();
    Ok(request)
}

fn date(value: &str) -> Result<NaiveDate, String> {
    crate::params::date(value).map_err(|e| e.to_string())
}

fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + months;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    (0..4)
        .find_map(|back| NaiveDate::from_ymd_opt(year, month, date.day().saturating_sub(back)))
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_and_month_ends() {
        let config = Config::default();
        let today = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
        let request = parse("", &config, today).unwrap();
        assert_eq!(request.from, NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());
        assert_eq!(request.to, NaiveDate::from_ymd_opt(2028, 3, 31).unwrap());
    }

    #[test]
    fn typos_are_refused_with_the_valid_values() {
        let mut config = Config::default();
        config.communes.push(crate::config::Named {
            slug: "arue".into(),
            name: "Arue".into(),
        });
        let today = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let error = parse("commune=aru", &config, today).unwrap_err();
        assert!(error.contains("arue"), "{error}");
        assert!(parse("communes=arue", &config, today).is_err());
        assert!(parse("from=2027-02-01&to=2027-01-01", &config, today).is_err());
        let ok = parse("commune=arue&commune=arue", &config, today).unwrap();
        assert_eq!(ok.filters.communes, vec!["arue"]);
    }

    #[test]
    fn equivalent_requests_share_a_key_and_others_do_not() {
        let mut config = Config::default();
        for slug in ["arue", "losse"] {
            config.communes.push(crate::config::Named {
                slug: slug.into(),
                name: slug.into(),
            });
        }
        let today = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let key = |feed: &str, query: &str| parse(query, &config, today).unwrap().key(feed);
        let base = key("intercommunal", "commune=arue&commune=losse&organiser=b");
        for same in [
            "organizer=b&commune=losse&commune=arue",
            "organisateur=b&commune=losse&commune=arue&du=2026-12-01&au=2028-01-01",
            "commune=losse&commune=arue&commune=arue&organiser=b",
            "commune=%61rue&commune=losse&organiser=b&from=2026-12-01&to=2028-01-01",
        ] {
            assert_eq!(key("intercommunal", same), base, "{same}");
        }
        assert_ne!(key("intercommunal", "commune=arue&organiser=b"), base);
        assert_ne!(key("asso-a", "commune=arue&commune=losse"), base);
        // An organiser's feed ignores organiser=.
        assert_eq!(key("asso-a", "organiser=b"), key("asso-a", ""));
        // A value holding the separator does not pass for two.
        assert_ne!(
            key("intercommunal", "organiser=a,b"),
            key("intercommunal", "organiser=a&organiser=b")
        );
    }
}
