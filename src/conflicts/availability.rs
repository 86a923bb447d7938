//! Checking a date before announcing it: which other organisers' events a
//! planned event would clash with under the conflict rules, and the
//! nearest free dates (same weekday and time first). Behind
//! `/api/availability`, the desk's date checker (both read the request with
//! `plan` and answer with `check`) and the "Vérifier la date" step of the
//! event form (a `Checker` of the event being edited).

use super::{Conflict, Detector};
use crate::config::{Config, Venue};
use crate::store::views::{self, Occurrence, OrganiserCard};
use chrono::{NaiveDateTime, TimeZone};
use std::collections::HashMap;
use std::sync::Arc;

/// A planned event as the conflict rules see it, its times aside.
#[derive(Clone)]
pub struct Candidate {
    pub summary: Arc<str>,
    /// Its LOCATION: the rules find the venue and commune in it.
    pub location: Option<Arc<str>>,
    /// Its CATEGORIES, comma-joined.
    pub categories: Arc<str>,
    pub public: bool,
    /// Who plans it: its commune when the location names none, its
    /// default categories; its own events never clash with it.
    pub organiser: Arc<OrganiserCard>,
}

impl Candidate {
    /// One occurrence of it; object id 0 tells it apart from stored events.
    fn at(&self, start: i64, end: i64, all_day: bool) -> Occurrence {
        Occurrence {
            start,
            end,
            all_day,
            recurrence_id: None,
            object_id: 0,
            seq: 0,
            summary: Some(self.summary.clone()),
            location: self.location.clone(),
            categories: self.categories.clone(),
            public: self.public,
            cancelled: false,
            transparent: false,
            uid: Arc::from(""),
            tentative: false,
            organiser: self.organiser.clone(),
            co_organisers: None,
        }
    }
}

/// Checks slots for one candidate, reading only the occurrences of the
/// days around each slot (an index range).
pub struct Checker<'a> {
    conn: &'a rusqlite::Connection,
    detector: Detector<'a>,
    tz: chrono_tz::Tz,
    candidate: Candidate,
}

/// How many free dates are suggested at most.
const SUGGESTIONS: usize = 5;

impl<'a> Checker<'a> {
    pub fn new(
        conn: &'a rusqlite::Connection,
        config: &'a crate::config::Config,
        tz: chrono_tz::Tz,
        candidate: Candidate,
    ) -> Checker<'a> {
        Checker {
            conn,
            detector: Detector::new(config, tz),
            tz,
            candidate,
        }
    }

    /// The conflicts the candidate would have at [start, end).
    pub fn conflicts_at(
        &self,
        start: i64,
        end: i64,
        all_day: bool,
    ) -> crate::store::Result<Vec<Box<Conflict>>> {
        // Same-day rules need the whole local day around the slot. An
        // empty login plans for nobody in particular (staff checking a
        // date): every event counts.
        let login = &self.candidate.organiser.login;
        let mut window: Vec<Occurrence> =
            views::occurrences(self.conn, start - 86_400, end + 86_400)?
                .into_iter()
                .filter(|o| login.is_empty() || &o.organiser.login != login)
                .collect();
        window.push(self.candidate.at(start, end, all_day));
        window.sort_by_key(|o| o.start);
        Ok(self
            .detector
            .detect(&window, &HashMap::new())
            .conflicts
            .into_iter()
            .filter(|c| c.a.object_id == 0 || c.b.as_ref().is_some_and(|b| b.object_id == 0))
            .collect())
    }

    /// The nearest slots without conflict, as (start, end): the same
    /// weekday and time in the weeks around first, then the days around.
    /// Shifts are whole days of local time, so a suggestion keeps the
    /// wall-clock time across a change of daylight-saving time; none is
    /// in the past.
    pub fn free_slots(
        &self,
        start: i64,
        end: i64,
        all_day: bool,
    ) -> crate::store::Result<Vec<(i64, i64)>> {
        let tz = self.tz;
        let local = |t: i64| tz.timestamp_opt(t, 0).single().map(|t| t.naive_local());
        let (Some(local_start), Some(local_end)) = (local(start), local(end)) else {
            return Ok(Vec::new());
        };
        let shifts = (1..=12i64)
            .flat_map(|n| [7 * n, -7 * n])
            .chain((1..=14i64).flat_map(|d| [d, -d]).filter(|d| d % 7 != 0));
        let shifted = |t: NaiveDateTime, days: i64| {
            t.checked_add_signed(chrono::Duration::days(days))
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.timestamp())
        };
        let now = crate::clock::timestamp();
        let mut found = Vec::new();
        for days in shifts {
            let (Some(s), Some(e)) = (shifted(local_start, days), shifted(local_end, days)) else {
                continue;
            };
            if s < now || !self.conflicts_at(s, e, all_day)?.is_empty() {
                continue;
            }
            found.push((s, e));
            if found.len() == SUGGESTIONS {
                break;
            }
        }
        Ok(found)
    }
}

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

/// What `planned` would clash with, and free dates nearby when it clashes.
pub fn check(
    conn: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    planned: &Planned,
) -> crate::store::Result<Availability> {
    let candidate = Candidate {
        summary: Arc::from("Événement envisagé"),
        location: planned
            .venue
            .as_ref()
            .map(|v| Arc::from(config.venue_label(v))),
        categories: Arc::from(planned.category.as_str()),
        public: true,
        organiser: Arc::new(OrganiserCard {
            login: planned.organiser_login.clone(),
            name: planned.organiser_name.clone(),
            commune: planned.commune.clone(),
            categories: String::new(),
            email: None,
            phone: None,
            website: None,
        }),
    };
    let checker = Checker::new(conn, config, tz, candidate);
    let found = checker.conflicts_at(planned.start, planned.end, false)?;
    let suggestions = match found.is_empty() {
        true => Vec::new(),
        false => checker
            .free_slots(planned.start, planned.end, false)?
            .into_iter()
            .filter_map(|(s, _)| tz.timestamp_opt(s, 0).single().map(|t| t.to_rfc3339()))
            .collect(),
    };
    Ok(Availability {
        free: found.is_empty(),
        conflicts: found,
        suggestions,
    })
}
