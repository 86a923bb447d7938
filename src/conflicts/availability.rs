//! Checking a date before announcing an event: what a planned event would
//! clash with, and the nearest free dates (same weekday and time first).
//! One reader of the request and one check, for `GET /api/availability`
//! (organisers' tools) and the desk's date checker alike.

use super::{Conflict, Detector};
use crate::config::{Config, Venue};
use crate::store::views::{self, Occurrence, OrganiserCard};
use chrono::{NaiveDateTime, TimeZone};
use std::collections::HashMap;
use std::sync::Arc;

/// A planned event, read from a request.
#[derive(Debug, Clone)]
pub struct Planned {
    pub start: i64,
    pub end: i64,
    pub venue: Option<Venue>,
    /// Commune slug: the venue's, else the one asked, else the organiser's.
    pub commune: String,
    /// Category slug, empty for none.
    pub category: String,
    /// Who plans it: its other events are not counted against it. An empty
    /// login for nobody in particular (staff checking a date).
    pub organiser_login: String,
    pub organiser_name: String,
}

/// The answer: free or not, the conflicts, and free dates nearby.
#[derive(Debug, serde::Serialize)]
pub struct Availability {
    pub free: bool,
    #[allow(clippy::vec_box)] // as in conflicts::Report, where they come from
    pub conflicts: Vec<Box<Conflict>>,
    /// Nearest conflict-free slots, same weekday and time first (RFC 3339).
    pub suggestions: Vec<String>,
}

/// Reads "2027-03-06T20:30" (local time) or an RFC 3339 instant, within
/// the years a request may name.
pub fn instant(tz: chrono_tz::Tz, text: &str) -> Option<i64> {
    let timestamp = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.timestamp(),
        Err(_) => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .ok()?;
            tz.from_local_datetime(&local).earliest()?.timestamp()
        }
    };
    let date = chrono::DateTime::from_timestamp(timestamp, 0)?.date_naive();
    crate::params::within_years(date, text).ok()?;
    Some(timestamp)
}

/// Reads a planned event from parameters named `start`, `end` (default:
/// three hours), `venue` (slug), `commune` and `categorie` (canonical
/// names, `params::canonical_name`), for the organiser `(login, name,
/// home commune)`. Refusals are told in French.
pub fn plan(
    config: &Config,
    tz: chrono_tz::Tz,
    params: &HashMap<String, String>,
    organiser: (&str, &str, Option<&str>),
) -> Result<Planned, String> {
    let present = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let start = present("start").and_then(|s| instant(tz, s)).ok_or(
        "Le début doit être une date et une heure comme 2027-03-06T20:30, entre les années 1900 et 2200.",
    )?;
    let end = match present("end") {
        Some(e) => instant(tz, e).ok_or(
            "La fin doit être une date et une heure comme 2027-03-06T23:00, entre les années 1900 et 2200.",
        )?,
        None => start + 3 * 3600,
    };
    if end <= start || end - start > 14 * 86400 {
        return Err("La fin doit venir après le début, 14 jours plus tard au plus.".into());
    }
    let venue = match present("venue") {
        Some(slug) => Some(
            config
                .venues
                .iter()
                .find(|v| &v.slug == slug)
                .cloned()
                .ok_or_else(|| {
                    crate::params::unknown_value(
                        "un lieu",
                        slug,
                        config.venues.iter().map(|v| v.slug.as_str()),
                    )
                })?,
        ),
        None => None,
    };
    let commune = match present("commune") {
        Some(c) if !config.communes.is_empty() && config.commune(c).is_none() => {
            return Err(crate::params::unknown_value(
                "une commune",
                c,
                config.communes.iter().map(|c| c.slug.as_str()),
            ))
        }
        Some(c) => c.clone(),
        None => venue
            .as_ref()
            .map(|v| v.commune.clone())
            .or(organiser.2.map(str::to_owned))
            .unwrap_or_default(),
    };
    let category = match present("categorie") {
        Some(c) if config.category(c).is_none() => {
            return Err(crate::params::unknown_value(
                "une catégorie",
                c,
                config.categories.iter().map(|c| c.slug.as_str()),
            ))
        }
        other => other.cloned().unwrap_or_default(),
    };
    Ok(Planned {
        start,
        end,
        venue,
        commune,
        category,
        organiser_login: organiser.0.to_owned(),
        organiser_name: organiser.1.to_owned(),
    })
}

/// What `planned` would clash with, and up to five free dates nearby when
/// it clashes. Each slot reads only the occurrences of the days around it
/// (an index range).
pub fn check(
    conn: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    planned: &Planned,
) -> crate::store::Result<Availability> {
    let location: Option<Arc<str>> = planned.venue.as_ref().map(|v| {
        let commune = config
            .commune(&v.commune)
            .map(|c| c.name.as_str())
            .unwrap_or(&v.commune);
        Arc::from(format!("{}, {commune}", v.name))
    });
    let card = Arc::new(OrganiserCard {
        login: planned.organiser_login.clone(),
        name: planned.organiser_name.clone(),
        commune: planned.commune.clone(),
        categories: String::new(),
        email: None,
        phone: None,
        website: None,
    });
    let category: Arc<str> = Arc::from(planned.category.as_str());
    let candidate = |start: i64, end: i64| Occurrence {
        start,
        end,
        all_day: false,
        recurrence_id: None,
        object_id: 0,
        seq: 0,
        summary: Some("Événement envisagé".into()),
        location: location.clone(),
        categories: category.clone(),
        public: true,
        cancelled: false,
        transparent: false,
        uid: Arc::from(""),
        tentative: false,
        organiser: card.clone(),
        co_organisers: None,
    };
    let detector = Detector::new(config, tz);
    let login = &planned.organiser_login;
    let conflicts_at = |start: i64, end: i64| -> crate::store::Result<Vec<Box<Conflict>>> {
        // Same-day rules need the whole local day around the slot.
        let mut window: Vec<Occurrence> = views::occurrences(conn, start - 86_400, end + 86_400)?
            .into_iter()
            .filter(|o| login.is_empty() || &o.organiser.login != login)
            .collect();
        window.push(candidate(start, end));
        window.sort_by_key(|o| o.start);
        Ok(detector
            .detect(&window, &HashMap::new())
            .conflicts
            .into_iter()
            .filter(|c| c.a.object_id == 0 || c.b.as_ref().is_some_and(|b| b.object_id == 0))
            .collect())
    };
    let local = |t: i64| tz.timestamp_opt(t, 0).single().map(|t| t.naive_local());
    let found = conflicts_at(planned.start, planned.end)?;
    let mut suggestions = Vec::new();
    if let (false, Some(local_start), Some(local_end)) =
        (found.is_empty(), local(planned.start), local(planned.end))
    {
        // Shifts are whole days of local time, so a suggestion keeps the
        // wall-clock time across a change of daylight-saving time.
        let shifts = (1..=12i64)
            .flat_map(|n| [7 * n, -7 * n])
            .chain((1..=14i64).flat_map(|d| [d, -d]).filter(|d| d % 7 != 0));
        let shifted = |t: NaiveDateTime, days: i64| {
            t.checked_add_signed(chrono::Duration::days(days))
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.timestamp())
        };
        let now = crate::clock::timestamp();
        for days in shifts {
            let (Some(s), Some(e)) = (shifted(local_start, days), shifted(local_end, days)) else {
                continue;
            };
            if s < now || !conflicts_at(s, e)?.is_empty() {
                continue;
            }
            if let Some(t) = tz.timestamp_opt(s, 0).single() {
                suggestions.push(t.to_rfc3339());
            }
            if suggestions.len() == 5 {
                break;
            }
        }
    }
    Ok(Availability {
        free: found.is_empty(),
        conflicts: found,
        suggestions,
    })
}
