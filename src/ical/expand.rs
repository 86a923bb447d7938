//! Expansion of a validated [`Model`] into UTC instances within a window.
//!
//! The master's occurrences are produced on its wall clock (DTSTART, RRULE,
//! RDATE, minus EXDATE), converted to UTC, then overrides replace or add
//! instances. Only occurrences near the window are materialised, with a margin
//! for instance length and THISANDFUTURE shifts; the final filter is exact.

use super::model::{Comp, Dur, End, Model, Moment, RDate, RangeRule};
use super::rules::{self, Flow};
use super::tz::Zone;
use super::{IcalError, Instance};
use calcard::common::PartialDateTime;
use chrono::{Days, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use std::collections::HashSet;

const DAY: i64 = 86_400;

/// Instances overlapping `[from, until)` are wanted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub from: i64,
    pub until: i64,
}

pub(crate) struct Expanded {
    /// Sorted by start.
    pub instances: Vec<Instance>,
    /// Some instance starts at or after `until` and was left out.
    pub cut: bool,
}

/// One occurrence of the master, before overrides.
struct Occurrence {
    /// Wall clock in the master's zone (for DATE-based matching and durations).
    local: NaiveDateTime,
    /// Original start in UTC: the RECURRENCE-ID that designates it.
    orig: i64,
    start: i64,
    end: i64,
    /// End given by an RDATE period.
    fixed_end: Option<i64>,
    overridden: bool,
    cancelled: bool,
    transparent: bool,
    /// The master's, or a THISANDFUTURE override's.
    range_rule: RangeRule,
}

pub(crate) fn expand(
    model: &Model,
    floating: Tz,
    window: Window,
    max_instances: usize,
) -> Result<Expanded, IcalError> {
    let recurring = model.recurring();
    let mut cut = false;
    let mut instances = Vec::new();

    let mut overrides: Vec<(&Comp, i64)> = model
        .overrides
        .iter()
        .filter_map(|o| Some((o, o.recurrence_id.as_ref()?.to_utc(floating))))
        .collect();
    overrides.sort_by_key(|(_, rid)| *rid);

    if let Some((master, start)) = model
        .master
        .as_ref()
        .and_then(|m| Some((m, m.start.as_ref()?)))
    {
        // THISANDFUTURE overrides move later occurrences; look that much further.
        let shift = overrides
            .iter()
            .filter(|(o, _)| o.this_and_future)
            .filter_map(|(o, rid)| Some((own_start(o)?.to_utc(floating) - rid).abs()))
            .max()
            .unwrap_or(0);
        let series = Series {
            master,
            start,
            frame: start.zone(),
            floating,
        };
        let guard = max_instances
            .saturating_mul(2)
            .saturating_add(master.exdates.len() + overrides.len() + 1000);
        let (mut occurrences, rule_cut) =
            series
                .occurrences(window, shift, guard)
                .map_err(|err| match err {
                    // The guard's placeholder gets the full explanation here.
                    IcalError::TooManyInstances(msg) if msg.is_empty() => {
                        too_many(model, max_instances, window.until)
                    }
                    other => other,
                })?;
        cut |= rule_cut;
        series.apply_overrides(&mut occurrences, &overrides);
        for occ in occurrences {
            instances.push(Instance {
                start: occ.start,
                end: occ.end,
                recurrence_id: recurring.then_some(occ.orig),
                all_day: start.is_date(),
                floating: start.is_floating(),
                overridden: occ.overridden,
                cancelled: occ.cancelled,
                transparent: occ.transparent,
                range_span: range_span(occ.range_rule, occ.start, occ.end),
            });
        }
    }

    // Every override is an instance, whether or not it matched an occurrence.
    for &(o, rid) in &overrides {
        let Some(start) = own_start(o) else { continue };
        let start_utc = start.to_utc(floating);
        let end = end_of(&o.end, start, start.local(), start_utc, floating);
        instances.push(Instance {
            start: start_utc,
            end,
            recurrence_id: Some(rid),
            all_day: start.is_date(),
            floating: start.is_floating(),
            overridden: true,
            cancelled: o.cancelled,
            transparent: o.transparent,
            range_span: range_span(o.range_rule, start_utc, end),
        });
    }

    cut |= instances.iter().any(|i| i.start >= window.until);
    // Wanted both by time-range tests (their span) and by alarms (their
    // real start and end): a to-do's span can lie past its real times.
    instances.retain(|i| {
        super::span_matches((i.start, i.end), window.from, window.until)
            || i.matches_range(window.from, window.until)
    });
    if instances.len() > max_instances {
        return Err(too_many(model, max_instances, window.until));
    }
    instances.sort_by_key(|i| (i.start, i.end));
    Ok(Expanded { instances, cut })
}

/// The span a time range must overlap to match an instance starting at
/// `start` and ending at `end` (see `Instance::range_span`): RFC 4791 9.9's
/// `<=` on a bound becomes `<` on the next second.
fn range_span(rule: RangeRule, start: i64, end: i64) -> (i64, i64) {
    let around = |t: i64| (t.saturating_sub(1), t.saturating_add(1));
    match rule {
        RangeRule::Span => (start, end),
        // start <= S+DURATION and end > S.
        RangeRule::TodoDuration if end > start => (start, end.saturating_add(1)),
        // start < DUE and end > S.
        RangeRule::TodoDue if end > start => (start, end),
        // No length: start <= S and end >= S.
        RangeRule::TodoDuration | RangeRule::TodoDue => around(start),
        // start <= S and end > S, whatever the length of a DATE.
        RangeRule::TodoStart => (start, start.saturating_add(1)),
        // start < DUE and end >= DUE.
        RangeRule::TodoDueOnly => (start.saturating_sub(1), start),
        // start <= COMPLETED and end >= COMPLETED.
        RangeRule::TodoCompleted { created: None } => around(start),
        // start <= either of them and end >= either of them.
        RangeRule::TodoCompleted {
            created: Some(created),
        } => (
            start.min(created).saturating_sub(1),
            start.max(created).saturating_add(1),
        ),
        // end > CREATED.
        RangeRule::TodoCreated => (start, super::OPEN_END),
    }
}

fn own_start(comp: &Comp) -> Option<&Moment> {
    comp.start.as_ref().or(comp.recurrence_id.as_ref())
}

fn too_many(model: &Model, max: usize, until: i64) -> IcalError {
    let date = super::tz::naive(until).date();
    let infinite = model.master.as_ref().is_some_and(|m| {
        m.rrules
            .iter()
            .any(|(r, _)| r.count.is_none() && r.until.is_none())
    });
    IcalError::TooManyInstances(if infinite {
        format!(
            "the RRULE produces more than {max} instances before {date}; \
             add COUNT or UNTIL, or use a coarser frequency"
        )
    } else {
        format!("the recurrence set has more than {max} instances before {date}")
    })
}

/// End of an instance starting at `start` (UTC) / `local` (wall clock of
/// `first`'s zone), for a component whose own first start is `first`.
fn end_of(end: &End, first: &Moment, local: NaiveDateTime, start: i64, floating: Tz) -> i64 {
    let zone = first.zone();
    match end {
        End::Default if first.is_date() => add_days(&zone, local, 1, floating).unwrap_or(start),
        End::Default => start,
        End::At(last) if first.is_date() => {
            let days = (last.local().date() - first.local().date()).num_days();
            add_days(&zone, local, days, floating).unwrap_or(start)
        }
        // DTEND: the same exact length for every instance (RFC 5545 3.8.5.3).
        End::At(last) => {
            start.saturating_add(last.to_utc(floating).saturating_sub(first.to_utc(floating)))
        }
        End::Length(dur) => add_length(&zone, local, start, *dur, floating),
    }
}

/// DURATION: days on the wall clock, then seconds of real time.
fn add_length(zone: &Zone, local: NaiveDateTime, start: i64, dur: Dur, floating: Tz) -> i64 {
    let base = if dur.days == 0 {
        Some(start)
    } else {
        add_days(zone, local, dur.days, floating)
    };
    base.unwrap_or(start).saturating_add(dur.secs)
}

fn add_days(zone: &Zone, local: NaiveDateTime, days: i64, floating: Tz) -> Option<i64> {
    let magnitude = Days::new(days.unsigned_abs());
    let moved = if days >= 0 {
        local.checked_add_days(magnitude)
    } else {
        local.checked_sub_days(magnitude)
    }?;
    Some(zone.local_to_utc(moved, floating))
}

/// The master component with what every step needs.
struct Series<'a> {
    master: &'a Comp,
    start: &'a Moment,
    /// Zone of the master's wall clock (floating for DATE series).
    frame: Zone,
    floating: Tz,
}

impl Series<'_> {
    fn all_day(&self) -> bool {
        self.start.is_date()
    }

    /// The date an EXDATE or RECURRENCE-ID designates on the master's wall clock.
    fn date_key(&self, m: &Moment) -> NaiveDate {
        match m {
            Moment::Date(date) => *date,
            _ => self
                .frame
                .utc_to_local(m.to_utc(self.floating), self.floating)
                .date(),
        }
    }

    /// Occurrences near the window, sorted, with EXDATEs removed. The flag tells
    /// whether a rule went on past the window.
    fn occurrences(
        &self,
        window: Window,
        shift: i64,
        guard: usize,
    ) -> Result<(Vec<Occurrence>, bool), IcalError> {
        let fl = self.floating;
        let first_local = self.start.local();
        let first_utc = self.start.to_utc(fl);
        // Longest plausible instance, so that occurrences starting before the
        // window but ending inside it are kept.
        let length = match &self.master.end {
            End::Default => DAY,
            End::At(last) => last
                .to_utc(fl)
                .saturating_sub(first_utc)
                .max(0)
                .saturating_add(DAY),
            End::Length(d) => d
                .days
                .saturating_mul(DAY)
                .saturating_add(d.secs)
                .saturating_add(DAY),
        };
        let margin = 2 * DAY + shift;
        let high = self
            .frame
            .utc_to_local(window.until.saturating_add(margin), fl);
        let low = (window.from != i64::MIN).then(|| {
            self.frame.utc_to_local(
                window.from.saturating_sub(margin).saturating_sub(length),
                fl,
            )
        });

        let mut locals: Vec<(NaiveDateTime, Option<i64>, Option<i64>)> =
            vec![(first_local, Some(first_utc), None)];
        let mut cut = false;
        for (rule, line) in &self.master.rrules {
            let until = match &rule.until {
                Some(u) => Some(self.until_local(u).map_err(|e| with_line(e, *line))?),
                None => None,
            };
            let Some(prepared) =
                rules::prepare(rule, first_local, until).map_err(|e| with_line(e, *line))?
            else {
                continue;
            };
            // RFC 5545: DTSTART is the first instance and counts toward COUNT,
            // even when it does not match the rule (rrule then omits it).
            let mut limit = prepared.count;
            let mut first = true;
            let mut taken: u32 = 0;
            prepared
                .run(|occ| {
                    if first {
                        first = false;
                        if occ != first_local {
                            limit = limit.map(|c| c.saturating_sub(1));
                        }
                    }
                    if limit.is_some_and(|c| taken >= c) {
                        return Ok(Flow::Stop);
                    }
                    taken = taken.saturating_add(1);
                    if occ > high {
                        cut = true;
                        return Ok(Flow::Stop);
                    }
                    if occ == first_local || low.is_some_and(|low| occ < low) {
                        return Ok(Flow::Continue);
                    }
                    locals.push((occ, None, None));
                    if locals.len() > guard {
                        return Err(IcalError::TooManyInstances(String::new()));
                    }
                    Ok(Flow::Continue)
                })
                .map_err(|e| with_line(e, *line))?;
        }
        if locals.len() > guard {
            return Err(IcalError::TooManyInstances(String::new()));
        }

        for rdate in &self.master.rdates {
            let (m, end) = match rdate {
                RDate::At(m) => (m, None),
                RDate::Period(m, end) => (m, Some(end)),
            };
            let (local, utc) = if self.all_day() {
                let local = self.date_key(m).and_time(chrono::NaiveTime::MIN);
                (local, self.frame.local_to_utc(local, fl))
            } else if let Moment::Date(date) = m {
                // A DATE in a DATE-TIME series: that day at DTSTART's time.
                let local = date.and_time(first_local.time());
                (local, self.frame.local_to_utc(local, fl))
            } else {
                let utc = m.to_utc(fl);
                (self.frame.utc_to_local(utc, fl), utc)
            };
            let fixed_end = end.map(|e| end_of(e, m, m.local(), m.to_utc(fl), fl));
            locals.push((local, Some(utc), fixed_end));
        }

        let mut ex_instants = HashSet::new();
        let mut ex_dates = HashSet::new();
        for m in &self.master.exdates {
            if self.all_day() || m.is_date() {
                ex_dates.insert(self.date_key(m));
            } else {
                ex_instants.insert(m.to_utc(fl));
            }
        }

        let mut occurrences: Vec<Occurrence> = locals
            .into_iter()
            .map(|(local, utc, fixed_end)| {
                let orig = utc.unwrap_or_else(|| self.frame.local_to_utc(local, fl));
                Occurrence {
                    local,
                    orig,
                    start: orig,
                    end: orig,
                    fixed_end,
                    overridden: false,
                    cancelled: self.master.cancelled,
                    transparent: self.master.transparent,
                    range_rule: self.master.range_rule,
                }
            })
            .filter(|o| !ex_instants.contains(&o.orig) && !ex_dates.contains(&o.local.date()))
            .collect();
        occurrences.sort_by_key(|o| o.orig);
        occurrences.dedup_by_key(|o| o.orig);
        for occ in &mut occurrences {
            occ.end = occ
                .fixed_end
                .unwrap_or_else(|| end_of(&self.master.end, self.start, occ.local, occ.start, fl));
        }
        Ok((occurrences, cut))
    }

    /// Removes the occurrences overrides replace; a THISANDFUTURE override also
    /// moves the later occurrences by its shift and gives them its length and
    /// flags (overrides come sorted by RECURRENCE-ID, so the latest range wins).
    fn apply_overrides(&self, occurrences: &mut Vec<Occurrence>, overrides: &[(&Comp, i64)]) {
        // Matching is by instant, or by date when either side is a DATE.
        let mut instants = HashSet::new();
        let mut dates = HashSet::new();
        for (o, rid) in overrides {
            match &o.recurrence_id {
                Some(m) if self.all_day() || m.is_date() => {
                    dates.insert(self.date_key(m));
                }
                Some(_) => {
                    instants.insert(*rid);
                }
                None => {}
            }
        }
        occurrences
            .retain(|occ| !instants.contains(&occ.orig) && !dates.contains(&occ.local.date()));

        for &(o, rid) in overrides.iter().filter(|(o, _)| o.this_and_future) {
            let Some(start) = own_start(o) else { continue };
            let start_utc = start.to_utc(self.floating);
            let end = end_of(&o.end, start, start.local(), start_utc, self.floating);
            let delta = start_utc - rid;
            let length = end - start_utc;
            for occ in occurrences.iter_mut().filter(|occ| occ.orig > rid) {
                occ.start = occ.orig.saturating_add(delta);
                occ.end = occ.start.saturating_add(length);
                occ.overridden = true;
                occ.cancelled = o.cancelled;
                occ.transparent = o.transparent;
                occ.range_rule = o.range_rule;
            }
        }
    }

    /// UNTIL on the master's wall clock, whatever its own type (RFC 5545 says
    /// it must match DTSTART's; clients do not always comply).
    fn until_local(&self, until: &PartialDateTime) -> Result<NaiveDateTime, IcalError> {
        let local = super::tz::local_of(until)
            .ok_or_else(|| IcalError::InvalidData("RRULE has an invalid UNTIL".into()))?;
        if !until.has_time() {
            // A DATE: the whole day counts.
            return Ok(if self.all_day() {
                local
            } else {
                local
                    .checked_add_signed(chrono::Duration::seconds(DAY - 1))
                    .unwrap_or(local)
            });
        }
        match until.tz_hour {
            Some(hours) => {
                let offset = (i64::from(hours) * 3600
                    + i64::from(until.tz_minute.unwrap_or(0)) * 60)
                    * if until.tz_minus { -1 } else { 1 };
                let utc = local.and_utc().timestamp().saturating_sub(offset);
                Ok(self.frame.utc_to_local(utc, self.floating))
            }
            // Floating UNTIL: read on DTSTART's wall clock.
            None => Ok(local),
        }
    }
}

/// Points an error of a rule at the rule's line.
fn with_line(err: IcalError, line: Option<usize>) -> IcalError {
    let prefix = line.map_or(String::new(), |l| format!("line {l}: "));
    match err {
        IcalError::InvalidData(msg) if msg.starts_with("RRULE") => {
            IcalError::InvalidData(format!("{prefix}{msg}"))
        }
        IcalError::InvalidData(msg) => IcalError::InvalidData(format!("{prefix}RRULE {msg}")),
        // An empty message is the guard's placeholder, completed by `expand`.
        IcalError::TooManyInstances(msg) if !msg.is_empty() => {
            IcalError::TooManyInstances(format!("{prefix}{msg}"))
        }
        other => other,
    }
}
