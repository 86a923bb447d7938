//! What people type into addresses and command lines: query strings and
//! dates. One decoder and one date reader for every page, feed, API and
//! command, so that they accept and refuse the same things.

use chrono::{Datelike, NaiveDate};
use percent_encoding::percent_decode_str;
use std::ops::RangeInclusive;

/// The years a request may name. Wider ranges buy nothing (no agenda spans
/// centuries) and chrono parses signed years (`+262142-12-01`) whose day
/// arithmetic overflows.
pub const YEARS: RangeInclusive<i32> = 1900..=2200;

/// A query string that is not valid UTF-8 once decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8;

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Un paramètre de l'adresse n'est pas du texte UTF-8 valide.")
    }
}

/// Decodes `a=1&b=x+y&c=%C3%A9` into (name, value) pairs in order, `+` as a
/// space, values trimmed; empty segments are skipped, a name without `=`
/// has an empty value.
pub fn pairs(query: &str) -> Result<Vec<(String, String)>, NotUtf8> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?.trim().to_owned()))
        })
        .collect()
}

fn decode(text: &str) -> Result<String, NotUtf8> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| NotUtf8)
}

/// The filters that pages, feeds and the conflicts API take, each under
/// its French and its English name.
pub const FILTERS: [(&str, &[&str]); 5] = [
    ("commune", &["commune"]),
    ("categorie", &["categorie", "catégorie", "category"]),
    ("organisateur", &["organisateur", "organiser", "organizer"]),
    ("du", &["du", "from"]),
    ("au", &["au", "to"]),
];

/// A query's parameters by name, filters under their canonical name
/// (`du` for `from`, `categorie` for `category`); a repeated one keeps its
/// last value.
pub fn canonical_map(query: &str) -> Result<std::collections::HashMap<String, String>, NotUtf8> {
    Ok(pairs(query)?
        .into_iter()
        .map(|(name, value)| match canonical_name(&name) {
            Some(canonical) => (canonical.to_owned(), value),
            None => (name, value),
        })
        .collect())
}

/// The canonical (French) name of a filter parameter, whatever the name it
/// came under (`category=` is `categorie`, `from=` is `du`...); `None` for
/// a name no page, feed or API takes. The one alias table: everything that
/// reads a query string asks it.
pub fn canonical_name(name: &str) -> Option<&'static str> {
    FILTERS
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(canonical, _)| *canonical)
}

/// The refusal of a parameter name nothing takes, listing those it could be.
pub fn unknown_parameter(name: &str) -> String {
    format!(
        "Le paramètre «\u{202f}{name}\u{202f}» n'est pas connu. Paramètres possibles\u{202f}: commune, categorie (ou category), organisateur (ou organiser), du (ou from), au (ou to), q (texte recherché)."
    )
}

/// The refusal of a value not in a configured list, listing the valid ones.
/// `what` names the filter with its indefinite article ("une commune",
/// "une catégorie", "un organisateur"), so that nothing needs agreeing.
pub fn unknown_value<'a>(what: &str, value: &str, valid: impl Iterator<Item = &'a str>) -> String {
    let valid: Vec<&str> = valid.collect();
    let valid = if valid.is_empty() {
        "aucune n'est configurée".to_owned()
    } else {
        valid.join(", ")
    };
    format!(
        "«\u{202f}{value}\u{202f}» n'est pas {what} de l'agenda. Valeurs possibles\u{202f}: {valid}."
    )
}

/// A date that was refused, with the text as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Malformed(String),
    OutOfRange(String),
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateError::Malformed(text) => {
                write!(
                    f,
                    "La date «\u{202f}{text}\u{202f}» doit s'écrire AAAA-MM-JJ."
                )
            }
            DateError::OutOfRange(text) => write!(
                f,
                "La date «\u{202f}{text}\u{202f}» est hors des années acceptées ({} à {}).",
                YEARS.start(),
                YEARS.end()
            ),
        }
    }
}

impl std::error::Error for DateError {}

/// Reads a calendar date written `YYYY-MM-DD` (four-digit year, no sign)
/// within [`YEARS`].
pub fn date(text: &str) -> Result<NaiveDate, DateError> {
    let text = text.trim();
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| DateError::Malformed(text.to_owned()))?;
    within_years(date, text)
}

/// Checks that a date parsed elsewhere (a date-time) is within [`YEARS`].
pub fn within_years(date: NaiveDate, text: &str) -> Result<NaiveDate, DateError> {
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange(text.to_owned()))
    }
}

/// The day after `date`; `date` itself at chrono's very last day (never
/// reached from [`date`], whose years are bounded).
pub fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

/// `date` moved by `days`, stopping at chrono's bounds instead of
/// overflowing.
pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let delta = chrono::Days::new(days.unsigned_abs());
    let moved = if days >= 0 {
        date.checked_add_days(delta)
    } else {
        date.checked_sub_days(delta)
    };
    moved.unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded_in_order() {
        assert_eq!(
            pairs("du=2027-01-01&&q=f%C3%AAte+de+nuit&x").unwrap(),
            [
                ("du".to_owned(), "2027-01-01".to_owned()),
                ("q".to_owned(), "fête de nuit".to_owned()),
                ("x".to_owned(), String::new()),
            ]
        );
        assert_eq!(pairs("q=%FF"), Err(NotUtf8));
    }

    #[test]
    fn dates_are_bounded_and_strict() {
        assert_eq!(date("2027-03-06").unwrap().to_string(), "2027-03-06");
        for bad in [
            "+262142-12-01",
            "-0001-01-01",
            "2027-3-6",
            "2027-02-30",
            "",
            "06/03/2027",
        ] {
            assert!(matches!(date(bad), Err(DateError::Malformed(_))), "{bad}");
        }
        for far in ["1899-12-31", "2201-01-01", "9999-12-31", "0000-01-01"] {
            assert!(matches!(date(far), Err(DateError::OutOfRange(_))), "{far}");
        }
        assert!(date("1900-01-01").is_ok() && date("2200-12-31").is_ok());
    }

    #[test]
    fn every_filter_has_one_canonical_name() {
        for (name, canonical) in [
            ("categorie", "categorie"),
            ("category", "categorie"),
            ("organizer", "organisateur"),
            ("organiser", "organisateur"),
            ("from", "du"),
            ("to", "au"),
            ("commune", "commune"),
        ] {
            assert_eq!(canonical_name(name), Some(canonical), "{name}");
        }
        assert_eq!(canonical_name("communes"), None);
        assert_eq!(canonical_name("Category"), None);
    }

    #[test]
    fn day_arithmetic_saturates() {
        assert_eq!(add_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_days(NaiveDate::MIN, -1), NaiveDate::MIN);
        assert_eq!(next_day(NaiveDate::MAX), NaiveDate::MAX);
    }
}
