//! Checking a date before announcing it: which other organisers' events a
//! planned event would clash with under the conflict rules, and the
//! nearest free dates (same weekday and time first). Behind
//! `/api/availability` and the "Vérifier la date" step of the event form.

use super::{Conflict, Detector};
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
        // Same-day rules need the whole local day around the slot.
        let login = &self.candidate.organiser.login;
        let mut window: Vec<Occurrence> =
            views::occurrences(self.conn, start - 86_400, end + 86_400)?
                .into_iter()
                .filter(|o| &o.organiser.login != login)
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
