//! Free slots of a permanence: its opening hours cut into slots, minus
//! closed days, minus what is too soon or too far, minus the time its
//! service's calendar is busy (advisers' own events: free-busy over the
//! instance index), minus the slots already full.

use super::hours::{Closed, WeeklyHours};
use chrono::{Duration, NaiveDate, TimeZone};
use std::collections::HashMap;

/// One slot: UTC bounds and the places left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: i64,
    pub end: i64,
    pub free: i64,
}

/// What decides where slots are, read from a stored permanence.
pub struct Rules {
    pub hours: WeeklyHours,
    pub closed: Closed,
    pub slot_minutes: i64,
    pub capacity: i64,
    pub days_ahead: i64,
    pub minutes_before: i64,
}

impl Rules {
    pub fn of(p: &crate::store::appointments::Permanence) -> Result<Rules, String> {
        Ok(Rules {
            hours: WeeklyHours::parse(&p.hours)?,
            closed: Closed::parse(&p.closed)?,
            slot_minutes: p.slot_minutes.max(1),
            capacity: p.capacity,
            days_ahead: p.days_ahead,
            minutes_before: p.minutes_before,
        })
    }

    /// The UTC window slots may start in, from `now`: from `minutes_before`
    /// on, until the end of the day `days_ahead` days after today.
    pub fn window(&self, tz: chrono_tz::Tz, now: i64) -> (i64, i64) {
        let today = today(tz, now);
        let last = today + Duration::days(self.days_ahead);
        (
            now + self.minutes_before * 60,
            crate::time::local_midnight(tz, last + Duration::days(1)),
        )
    }

    /// Every slot the hours make in the window, busy or not, by start.
    pub fn candidates(&self, tz: chrono_tz::Tz, now: i64) -> Vec<(i64, i64)> {
        let (earliest, latest) = self.window(tz, now);
        let mut out = Vec::new();
        let mut day = today(tz, now);
        let last = day + Duration::days(self.days_ahead);
        let length = self.slot_minutes as u32;
        while day <= last {
            if !self.closed.contains(day) {
                for &(open, close) in self.hours.ranges(day) {
                    let mut at = open;
                    while at + length <= close {
                        if let Some(start) = local(tz, day, at) {
                            let end = start + i64::from(length) * 60;
                            if start >= earliest && start < latest {
                                out.push((start, end));
                            }
                        }
                        at += length;
                    }
                }
            }
            day += Duration::days(1);
        }
        out
    }

    /// Whether `start` is a slot these rules offer at `now` (busy time and
    /// bookings aside); its end when it is.
    pub fn slot_at(&self, tz: chrono_tz::Tz, now: i64, start: i64) -> Option<i64> {
        self.candidates(tz, now)
            .into_iter()
            .find(|(s, _)| *s == start)
            .map(|(_, e)| e)
    }
}

fn today(tz: chrono_tz::Tz, now: i64) -> NaiveDate {
    tz.timestamp_opt(now, 0)
        .earliest()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// The instant of a local wall-clock time; none inside a DST gap.
fn local(tz: chrono_tz::Tz, day: NaiveDate, minutes: u32) -> Option<i64> {
    let time = day.and_hms_opt(minutes / 60, minutes % 60, 0)?;
    tz.from_local_datetime(&time)
        .earliest()
        .map(|t| t.timestamp())
}

/// The slots of `candidates` (sorted by start) that no busy period
/// overlaps and that still have a place; `busy` is any order, `taken`
/// counts the bookings holding a place per slot start.
pub fn free(
    candidates: &[(i64, i64)],
    busy: &[(i64, i64)],
    taken: &HashMap<i64, i64>,
    capacity: i64,
) -> Vec<Slot> {
    let mut busy: Vec<(i64, i64)> = busy.iter().copied().filter(|(s, e)| e > s).collect();
    busy.sort_unstable();
    // Merged into disjoint periods, walked once beside the sorted slots.
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(busy.len());
    for (s, e) in busy {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut periods = merged.iter().peekable();
    let mut out = Vec::with_capacity(candidates.len());
    for &(start, end) in candidates {
        while periods.peek().is_some_and(|(_, e)| *e <= start) {
            periods.next();
        }
        if periods.peek().is_some_and(|(s, _)| *s < end) {
            continue;
        }
        let left = capacity - taken.get(&start).copied().unwrap_or(0);
        if left > 0 {
            out.push(Slot {
                start,
                end,
                free: left,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp()
    }

    fn rules(hours: &str, closed: &str) -> Rules {
        Rules {
            hours: WeeklyHours::parse(hours).unwrap(),
            closed: Closed::parse(closed).unwrap(),
            slot_minutes: 30,
            capacity: 2,
            days_ahead: 14,
            minutes_before: 60,
        }
    }

    #[test]
    fn slots_follow_the_hours_in_local_time_within_the_window() {
        let paris = chrono_tz::Europe::Paris;
        // Saturday 2026-11-28 at 11:00 in Paris.
        let now = utc("2026-11-28T10:00:00Z");
        let r = rules("sam 09:00-12:00; mar 09:00-10:15", "2026-12-08");
        let slots = r.candidates(paris, now);
        // Today: 11:30 is too soon (60 minutes before), 12:00 is the end.
        assert!(!slots.iter().any(|(s, _)| *s < utc("2026-11-28T11:00:00Z")));
        // Tuesday 1 December: 9:00, 9:30 (10:00 + 30 min passes 10:15).
        assert!(slots.contains(&(utc("2026-12-01T08:00:00Z"), utc("2026-12-01T08:30:00Z"))));
        assert!(slots.contains(&(utc("2026-12-01T08:30:00Z"), utc("2026-12-01T09:00:00Z"))));
        assert!(!slots.iter().any(|(s, _)| *s == utc("2026-12-01T09:00:00Z")));
        // Closed on Tuesday 8 December.
        assert!(!slots.iter().any(|(s, _)| *s == utc("2026-12-08T08:00:00Z")));
        // 14 days ahead: Saturday 12 December yes, nothing after.
        assert!(slots.iter().any(|(s, _)| *s == utc("2026-12-12T08:00:00Z")));
        assert!(slots.iter().all(|(s, _)| *s < utc("2026-12-13T00:00:00Z")));
        assert_eq!(
            r.slot_at(paris, now, utc("2026-12-01T08:30:00Z")),
            Some(utc("2026-12-01T09:00:00Z"))
        );
        assert_eq!(r.slot_at(paris, now, utc("2026-12-01T08:10:00Z")), None);
    }

    #[test]
    fn busy_time_and_full_slots_are_not_free() {
        let slots = [(0, 30), (30, 60), (60, 90), (90, 120)];
        let busy = [(100, 110), (25, 31), (40, 45)];
        let taken = HashMap::from([(60, 2)]);
        let free = free(&slots, &busy, &taken, 2);
        assert_eq!(free, vec![]);
        let taken = HashMap::from([(60, 1)]);
        assert_eq!(
            free_at(&slots, &[(30, 60)], &taken),
            vec![(0, 2), (60, 1), (90, 2)]
        );
        // A busy period ending when a slot starts leaves it free.
        assert_eq!(
            free_at(&slots, &[(0, 30), (120, 200)], &HashMap::new()).len(),
            3
        );
    }

    fn free_at(
        slots: &[(i64, i64)],
        busy: &[(i64, i64)],
        taken: &HashMap<i64, i64>,
    ) -> Vec<(i64, i64)> {
        free(slots, busy, taken, 2)
            .into_iter()
            .map(|s| (s.start, s.free))
            .collect()
    }
}
