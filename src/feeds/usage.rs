//! Feed use per day for the indicators: how many feed requests, and how
//! many distinct subscribers, without keeping who they are.
//!
//! A subscriber is a (address, user agent) pair, counted through a keyed
//! hash whose key (the salt) is drawn at random for each day and lives in
//! memory only: when the day changes, the key and the day's hashes are
//! dropped, and only the two counts stay (table `feed_use`). No address or
//! user agent is written anywhere; a stored count cannot be traced back.
//! A restart during the day draws a new key, so a subscriber seen before
//! and after it counts twice that day.

use crate::locks::lock;
use chrono::NaiveDate;
use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Default)]
pub struct FeedUse {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    today: Option<Day>,
    /// Counts of past days not yet written to the database.
    finished: Vec<Counts>,
}

struct Day {
    day: NaiveDate,
    /// The day's bounds (UTC): the date is worked out again only when the
    /// clock leaves them, not on every request.
    starts: i64,
    ends: i64,
    /// The day's key: replaced (and so thrown away) with the day.
    salt: RandomState,
    seen: HashSet<u64>,
    requests: u64,
    /// What was already written of this day.
    written_requests: u64,
    written_subscribers: u64,
}

/// Requests and new subscribers of one day, to add to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub day: NaiveDate,
    pub requests: u64,
    pub subscribers: u64,
}

impl Day {
    fn new(day: NaiveDate, (starts, ends): (i64, i64)) -> Day {
        Day {
            day,
            starts,
            ends,
            salt: RandomState::new(),
            seen: HashSet::new(),
            requests: 0,
            written_requests: 0,
            written_subscribers: 0,
        }
    }

    /// What is not written yet, marked as written.
    fn unwritten(&mut self) -> Counts {
        let counts = Counts {
            day: self.day,
            requests: self.requests - self.written_requests,
            subscribers: self.seen.len() as u64 - self.written_subscribers,
        };
        self.written_requests = self.requests;
        self.written_subscribers = self.seen.len() as u64;
        counts
    }
}

impl FeedUse {
    /// Counts one feed request from `peer` with `user_agent`, now (the
    /// server's clock) in the territory's zone `tz`.
    pub fn count(&self, tz: chrono_tz::Tz, peer: IpAddr, user_agent: &str) {
        let now = crate::clock::timestamp();
        let mut state = lock(&self.state);
        if state
            .today
            .as_ref()
            .is_none_or(|d| now < d.starts || now >= d.ends)
        {
            let day = crate::clock::today(tz);
            let bounds = (
                crate::time::local_midnight(tz, day),
                crate::time::local_midnight(tz, crate::params::next_day(day)),
            );
            self.start_day(&mut state, day, bounds);
        }
        self.add(&mut state, peer, user_agent);
    }

    /// Moves to `day` unless it is the day being counted.
    fn start_day(&self, state: &mut State, day: NaiveDate, bounds: (i64, i64)) {
        if state.today.as_ref().is_some_and(|d| d.day == day) {
            return;
        }
        if let Some(mut past) = state.today.take() {
            let counts = past.unwritten();
            state.finished.push(counts);
        }
        state.today = Some(Day::new(day, bounds));
    }

    fn add(&self, state: &mut State, peer: IpAddr, user_agent: &str) {
        let Some(today) = state.today.as_mut() else {
            return;
        };
        today.requests += 1;
        let hash = today.salt.hash_one((peer, user_agent));
        today.seen.insert(hash);
    }

    /// Counts a request of `day` (tests: the clock cannot be moved).
    #[cfg(test)]
    fn count_on(&self, day: NaiveDate, peer: IpAddr, user_agent: &str) {
        let mut state = lock(&self.state);
        self.start_day(&mut state, day, (0, 0));
        self.add(&mut state, peer, user_agent);
    }

    /// What to add to the database since the last call.
    pub fn take(&self) -> Vec<Counts> {
        let mut state = lock(&self.state);
        let mut out = std::mem::take(&mut state.finished);
        if let Some(today) = state.today.as_mut() {
            out.push(today.unwritten());
        }
        out.retain(|c| c.requests > 0 || c.subscribers > 0);
        out
    }
}

/// Adds counts to their days' rows.
pub fn write(conn: &rusqlite::Connection, counts: &[Counts]) -> crate::store::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO feed_use (day, requests, subscribers) VALUES (?1, ?2, ?3)
         ON CONFLICT (day) DO UPDATE SET requests = requests + ?2, subscribers = subscribers + ?3",
    )?;
    for c in counts {
        stmt.execute(rusqlite::params![
            c.day.to_string(),
            c.requests as i64,
            c.subscribers as i64
        ])?;
    }
    Ok(())
}

/// Writes what was counted since the last time (the indicators call it
/// before reading, and the server every few minutes).
pub async fn flush(app: &crate::app::App) -> crate::store::Result<()> {
    let counts = app.feed_use.take();
    if counts.is_empty() {
        return Ok(());
    }
    app.store.write(move |tx| write(tx, &counts)).await
}

/// The rows of days in [from, to]: (day, requests, subscribers).
pub fn per_day(
    conn: &rusqlite::Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> crate::store::Result<Vec<(NaiveDate, i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, requests, subscribers FROM feed_use WHERE day >= ?1 AND day <= ?2 ORDER BY day",
    )?;
    let rows = stmt.query_map([from.to_string(), to.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (day, requests, subscribers) = row?;
        if let Ok(day) = day.parse() {
            out.push((day, requests, subscribers));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_are_counted_once_a_day_and_days_apart() {
        let usage = FeedUse::default();
        let day = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let next = day.succ_opt().unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        usage.count_on(day, a, "DAVx5");
        usage.count_on(day, a, "DAVx5");
        usage.count_on(day, a, "Thunderbird");
        usage.count_on(day, b, "DAVx5");
        let first = usage.take();
        assert_eq!(
            first,
            vec![Counts {
                day,
                requests: 4,
                subscribers: 3
            }]
        );
        usage.count_on(day, b, "DAVx5");
        usage.count_on(next, b, "DAVx5");
        let second = usage.take();
        assert_eq!(
            second,
            vec![
                Counts {
                    day,
                    requests: 1,
                    subscribers: 0
                },
                Counts {
                    day: next,
                    requests: 1,
                    subscribers: 1
                }
            ]
        );
        assert!(usage.take().is_empty());
    }
}
