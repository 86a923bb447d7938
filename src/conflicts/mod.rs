//! Conflict detection between organisers, from the instance index: two
//! lotos the same evening in one commune, a festival and a tournament in
//! the same hall. Occurrences are swept in start order, so the work grows
//! with the number of overlapping pairs, not with the square of the events.

pub mod availability;
pub mod calendar;
pub mod key;
pub mod venues;

use crate::categories::CategoryMatcher;
use crate::config::{Config, ConflictRule, RuleKind, Severity};
use crate::places::Places;
use crate::store::views::{Occurrence, OrganiserCard};
use chrono::TimeZone;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

/// One side of a conflict, as others may see it: a private event shows
/// only its time and organiser.
#[derive(Debug, Clone, Serialize)]
pub struct EventSide {
    pub object_id: i64,
    #[serde(skip)]
    pub seq: i64,
    pub recurrence_id: Option<i64>,
    pub summary: Arc<str>,
    pub location: Option<Arc<str>>,
    pub start: String,
    pub end: String,
    pub organiser: Arc<OrganiserCard>,
    /// Where it happens (commune slug; see `crate::places`).
    pub commune: Arc<str>,
    #[serde(skip)]
    pub start_utc: i64,
    #[serde(skip)]
    pub end_utc: i64,
    #[serde(skip)]
    pub all_day: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// Stable while both events exist: used to acknowledge it.
    pub key: String,
    pub rule: Arc<str>,
    pub kind: RuleKind,
    pub severity: Severity,
    /// Text and sides are shared: one venue's description, one
    /// occurrence's side, stand in many conflicts of a busy year.
    pub description: Arc<str>,
    pub venue: Option<Arc<str>>,
    pub commune: Option<Arc<str>>,
    pub category: Option<Arc<str>>,
    pub a: Arc<EventSide>,
    pub b: Option<Arc<EventSide>>,
    pub acknowledged: bool,
    #[serde(skip)]
    pub start: i64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    /// Boxed: a conflict is large, and a year holds tens of thousands;
    /// growing and sorting the list then moves pointers, not conflicts.
    pub conflicts: Vec<Box<Conflict>>,
    /// Locations that matched no venue, with how often they occur, so that
    /// staff can add aliases.
    pub unmatched_locations: BTreeMap<String, usize>,
    /// The same, per commune where they happen: (location, commune, count).
    #[serde(skip)]
    pub unmatched_by_commune: Vec<(String, Arc<str>, usize)>,
    /// Public events in no category (not by their CATEGORIES, their
    /// organiser's defaults or their SUMMARY): the rules on categories
    /// cannot see them.
    pub uncategorised: Vec<Uncategorised>,
    /// Public events several organisers put (the same UID): shown once and
    /// never in conflict with themselves; staff see whether copies differ.
    pub co_organised: Vec<CoOrganised>,
    #[serde(skip)]
    pub timings: Timings,
}

#[derive(Debug, Clone, Serialize)]
pub struct Uncategorised {
    pub object_id: i64,
    pub summary: Arc<str>,
    /// Its first occurrence in the report's period.
    pub start: String,
    pub commune: Arc<str>,
    pub organiser: Arc<OrganiserCard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoOrganised {
    pub uid: Arc<str>,
    /// The earliest copy's summary, what the public sees.
    pub summary: Arc<str>,
    pub start: String,
    pub commune: Arc<str>,
    /// Its organisers, the earliest copy's first.
    pub organisers: Vec<Arc<OrganiserCard>>,
    /// What differs between copies: "summary", "location", "categories",
    /// "times"; empty when they agree.
    pub differences: Vec<&'static str>,
}

/// Where the time of `compute` went (benchmarks, `--timings`).
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub occurrences: usize,
    pub read: std::time::Duration,
    pub detect: std::time::Duration,
}

impl Report {
    /// About the size of the report as JSON, to size buffers.
    pub fn size_hint(&self) -> usize {
        1024 + self.conflicts.len() * 1200 + self.unmatched_locations.len() * 64
    }
}

/// What each event brings to the rules, computed once per event; its
/// parts once per distinct location, and per distinct categories and
/// organiser (a venue's events share them).
struct Facts {
    venue: Option<Arc<str>>,
    /// Where it happens (see `crate::places`).
    commune: Arc<str>,
    kinds: Rc<Kinds>,
}

/// What an event's categories mean to the rules.
struct Kinds {
    /// Its territory-wide categories, by slug.
    territory_wide: Vec<String>,
    /// In a "large public event" category.
    large: bool,
    /// In no category at all (listed to staff when public).
    none: bool,
}

pub struct Detector<'a> {
    config: &'a Config,
    tz: chrono_tz::Tz,
    places: Places,
    categories: CategoryMatcher,
    /// Staff see private events as they are; organisers only their time.
    reveal_private: bool,
}

impl<'a> Detector<'a> {
    pub fn new(config: &'a Config, tz: chrono_tz::Tz) -> Detector<'a> {
        Detector {
            config,
            tz,
            places: Places::new(config),
            categories: CategoryMatcher::new(config),
            reveal_private: false,
        }
    }

    /// For staff, who read every calendar.
    pub fn revealing_private(mut self) -> Self {
        self.reveal_private = true;
        self
    }

    fn kinds(&self, categories: &HashSet<String>) -> Kinds {
        let category = |slug: &String| self.config.category(slug);
        let mut territory_wide: Vec<String> = categories
            .iter()
            .filter(|c| category(c).is_some_and(|c| c.territory_wide))
            .cloned()
            .collect();
        territory_wide.sort_unstable();
        Kinds {
            territory_wide,
            large: categories
                .iter()
                .any(|c| category(c).is_some_and(|c| c.large_public_event)),
            none: categories.is_empty(),
        }
    }

    /// Every conflict among `occurrences` (sorted by start); `acknowledged`
    /// holds the keys staff acknowledged, with the sequence numbers then.
    pub fn detect(
        &self,
        occurrences: &[Occurrence],
        acknowledged: &HashMap<String, (i64, i64)>,
    ) -> Report {
        // The first enabled rule of each kind, with its name shared by all
        // of its conflicts.
        let rules = self.config.rules();
        let mut enabled: HashMap<RuleKind, (&ConflictRule, Arc<str>)> = HashMap::new();
        for rule in rules.iter().filter(|r| r.enabled) {
            enabled
                .entry(rule.kind)
                .or_insert_with(|| (rule, Arc::from(rule.name.as_str())));
        }
        // Whether an occurrence takes part in a rule: an event marked free
        // (TRANSP:TRANSPARENT, iOS's default for all-day events) still
        // takes part when public, unless the rule says otherwise; a
        // private one does not block anything.
        let takes_part = |kind: RuleKind, x: &Occurrence| {
            !x.transparent
                || (x.public
                    && !enabled
                        .get(&kind)
                        .is_some_and(|(rule, _)| rule.ignore_transparent))
        };
        // Facts are computed once per event, from parts computed once per
        // distinct location (matching normalises text, which is not free)
        // and per distinct categories, organiser (and summary, for events
        // without category); organisers and UIDs are numbered so that
        // telling them apart is cheap.
        let mut resolver = self.places.resolver();
        let mut kinds_known: HashMap<(&str, &str), Option<Rc<Kinds>>> = HashMap::new();
        let mut kinds_by_summary: HashMap<&str, Rc<Kinds>> = HashMap::new();
        let mut organiser_numbers: HashMap<&str, (usize, Arc<str>)> = HashMap::new();
        let mut uid_numbers: HashMap<&str, usize> = HashMap::new();
        // The occurrences of one series follow the first one's facts.
        let mut by_object: HashMap<i64, usize> = HashMap::new();
        let mut facts: Vec<Rc<Facts>> = Vec::with_capacity(occurrences.len());
        let mut organiser: Vec<usize> = Vec::with_capacity(occurrences.len());
        let mut uid: Vec<usize> = Vec::with_capacity(occurrences.len());
        // Public events by UID (first occurrence of each), to find
        // co-organised ones.
        let mut public_by_uid: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut report = Report::default();
        for (i, occurrence) in occurrences.iter().enumerate() {
            if let Some(&first) = by_object.get(&occurrence.object_id) {
                facts.push(facts[first].clone());
                organiser.push(organiser[first]);
                uid.push(uid[first]);
                continue;
            }
            by_object.insert(occurrence.object_id, i);
            let card = &occurrence.organiser;
            let next = organiser_numbers.len();
            let (number, home) = organiser_numbers
                .entry(&card.login)
                .or_insert_with(|| (next, Arc::from(card.commune.as_str())));
            organiser.push(*number);
            let located = resolver.locate(occurrence.location.as_deref());
            let venue = located.venue.clone();
            let commune = located.commune.clone().unwrap_or_else(|| home.clone());
            let kinds = kinds_known
                .entry((&occurrence.categories, &card.categories))
                .or_insert_with(|| {
                    let (slugs, source) =
                        self.categories
                            .effective(&occurrence.categories, &card.categories, "");
                    (source != crate::categories::Source::None).then(|| Rc::new(self.kinds(&slugs)))
                })
                .clone()
                .unwrap_or_else(|| {
                    let summary = occurrence.summary.as_deref().unwrap_or("");
                    kinds_by_summary
                        .entry(summary)
                        .or_insert_with(|| {
                            Rc::new(self.kinds(&self.categories.in_summary(summary)))
                        })
                        .clone()
                });
            let next = uid_numbers.len();
            let number = *uid_numbers.entry(&occurrence.uid).or_insert(next);
            uid.push(number);
            if occurrence.public {
                let copies = public_by_uid.entry(&occurrence.uid).or_default();
                if kinds.none && copies.is_empty() {
                    report.uncategorised.push(Uncategorised {
                        object_id: occurrence.object_id,
                        summary: occurrence.summary.clone().unwrap_or_default(),
                        start: self.time(occurrence.start),
                        commune: commune.clone(),
                        organiser: card.clone(),
                    });
                }
                copies.push(i);
            }
            facts.push(Rc::new(Facts {
                venue,
                commune,
                kinds,
            }));
        }
        self.co_organised(occurrences, &public_by_uid, &facts, &mut report);
        let mut unmatched: HashMap<(&str, &str), usize> = HashMap::new();
        for (occurrence, fact) in occurrences.iter().zip(&facts) {
            if let (Some(location), None) = (&occurrence.location, &fact.venue) {
                if !location.trim().is_empty() {
                    *unmatched
                        .entry((location.trim(), &fact.commune))
                        .or_default() += 1;
                }
            }
        }
        for ((location, commune), count) in unmatched {
            *report
                .unmatched_locations
                .entry(location.to_owned())
                .or_default() += count;
            report
                .unmatched_by_commune
                .push((location.to_owned(), Arc::from(commune), count));
        }
        // Each occurrence's side is made once, when a first conflict needs it.
        let sides: Vec<std::cell::OnceCell<Arc<EventSide>>> =
            (0..occurrences.len()).map(|_| Default::default()).collect();
        let push =
            |report: &mut Report, kind: RuleKind, i: usize, j: Option<usize>, detail: Detail| {
                let Some((rule, rule_name)) = enabled.get(&kind) else {
                    return;
                };
                // Copies of one co-organised event never clash.
                if j.is_some_and(|j| uid[j] == uid[i]) {
                    return;
                }
                let (i, j) = match j {
                    Some(j) if occurrences[j].object_id < occurrences[i].object_id => (j, Some(i)),
                    _ => (i, j),
                };
                let side = |k: usize| {
                    sides[k]
                        .get_or_init(|| Arc::new(self.side(&occurrences[k], &facts[k].commune)))
                        .clone()
                };
                let a = side(i);
                let b = j.map(side);
                let key = key::format(&rule.name, &a, b.as_deref());
                let acknowledged = acknowledged.get(&key).is_some_and(|(sa, sb)| {
                    *sa == a.seq && *sb == b.as_ref().map(|b| b.seq).unwrap_or(0)
                });
                report.conflicts.push(Box::new(Conflict {
                    key,
                    rule: rule_name.clone(),
                    kind,
                    severity: rule.severity,
                    description: detail.description,
                    venue: detail.venue,
                    commune: detail.commune,
                    category: detail.category,
                    start: occurrences[i]
                        .start
                        .max(j.map(|j| occurrences[j].start).unwrap_or(i64::MIN)),
                    a,
                    b,
                    acknowledged,
                }));
            };

        // Overlapping pairs of different organisers: same venue, or the same
        // territory-wide category. Each venue and each such category keeps
        // its own list of occurrences still running, so an occurrence is
        // only compared with those that share its venue or category: the
        // work grows with the pairs that matter, not with every overlap.
        let mut at_venue: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut in_category: HashMap<&str, Vec<usize>> = HashMap::new();
        let wide = |i: usize| &facts[i].kinds.territory_wide;
        let still_running = |list: &mut Vec<usize>, start: i64| {
            list.retain(|&k| effective_end(&occurrences[k]) > start);
        };
        let mut venue_texts: HashMap<&str, (Arc<str>, Arc<str>)> = HashMap::new();
        let mut category_texts: HashMap<&str, (Arc<str>, Arc<str>)> = HashMap::new();
        for (i, x) in occurrences.iter().enumerate() {
            if let Some(venue) = facts[i]
                .venue
                .as_deref()
                .filter(|_| takes_part(RuleKind::SameVenue, x))
            {
                let (slug, description) = venue_texts
                    .entry(venue)
                    .or_insert_with(|| {
                        (
                            Arc::from(venue),
                            Arc::from(format!(
                                "Même lieu au même moment : {}",
                                self.venue_name(venue)
                            )),
                        )
                    })
                    .clone();
                let list = at_venue.entry(venue).or_default();
                still_running(list, x.start);
                for &k in list.iter() {
                    if organiser[k] == organiser[i] {
                        continue;
                    }
                    push(
                        &mut report,
                        RuleKind::SameVenue,
                        k,
                        Some(i),
                        Detail {
                            description: description.clone(),
                            venue: Some(slug.clone()),
                            ..Detail::default()
                        },
                    );
                }
                list.push(i);
            }
            let in_wide_rule = takes_part(RuleKind::SameCategoryTerritory, x);
            for category in wide(i).iter().map(String::as_str).filter(|_| in_wide_rule) {
                let list = in_category.entry(category).or_default();
                still_running(list, x.start);
                for &k in list.iter() {
                    // One conflict per pair: under the first category
                    // (by slug) the two share.
                    let first_shared = wide(i).iter().find(|c| wide(k).contains(c));
                    if organiser[k] == organiser[i]
                        || first_shared.map(String::as_str) != Some(category)
                    {
                        continue;
                    }
                    let (slug, description) = category_texts
                        .entry(category)
                        .or_insert_with(|| {
                            let name = self
                                .config
                                .category(category)
                                .map(|c| c.name.as_str())
                                .unwrap_or_default();
                            (
                                Arc::from(category),
                                Arc::from(format!(
                                    "Deux événements « {name} » en même temps sur le territoire"
                                )),
                            )
                        })
                        .clone();
                    push(
                        &mut report,
                        RuleKind::SameCategoryTerritory,
                        k,
                        Some(i),
                        Detail {
                            description,
                            category: Some(slug),
                            ..Detail::default()
                        },
                    );
                }
                list.push(i);
            }
        }

        // Large public events in the same commune on the same day.
        let mut by_day: BTreeMap<(&str, chrono::NaiveDate), Vec<usize>> = BTreeMap::new();
        // Only two occurrences of several days each can meet on two days.
        let mut several_days = vec![false; occurrences.len()];
        for (i, x) in occurrences.iter().enumerate() {
            if !facts[i].kinds.large
                || facts[i].commune.is_empty()
                || !takes_part(RuleKind::SameCommuneLargeEvents, x)
            {
                continue;
            }
            let days = self.days(x);
            several_days[i] = days.len() > 1;
            for day in days {
                by_day.entry((&*facts[i].commune, day)).or_default().push(i);
            }
        }
        let mut seen = HashSet::new();
        for ((commune, day), list) in &by_day {
            // Made once for the day: the texts every pair of it shares.
            let texts = std::cell::OnceCell::new();
            for (n, &k) in list.iter().enumerate() {
                for &i in &list[n + 1..] {
                    let repeated =
                        several_days[i] && several_days[k] && !seen.insert((k.min(i), k.max(i)));
                    if organiser[i] == organiser[k] || repeated {
                        continue;
                    }
                    let (slug, description): &(Arc<str>, Arc<str>) = texts.get_or_init(|| {
                        let name = self
                            .config
                            .commune(commune)
                            .map(|c| c.name.as_str())
                            .unwrap_or(commune);
                        (
                            Arc::from(*commune),
                            Arc::from(format!(
                                "Deux grands événements à {name} le {}",
                                crate::french::date(*day)
                            )),
                        )
                    });
                    push(
                        &mut report,
                        RuleKind::SameCommuneLargeEvents,
                        k,
                        Some(i),
                        Detail {
                            description: description.clone(),
                            commune: Some(slug.clone()),
                            ..Detail::default()
                        },
                    );
                }
            }
        }

        // Events at a venue while it is closed.
        for (i, x) in occurrences.iter().enumerate() {
            let Some(slug) = &facts[i].venue else {
                continue;
            };
            if !takes_part(RuleKind::VenueClosed, x) {
                continue;
            }
            let Some(venue) = self.config.venues.iter().find(|v| *v.slug == **slug) else {
                continue;
            };
            let days = self.days(x);
            if let Some(period) = venue
                .closed
                .iter()
                .find(|p| days.iter().any(|d| *d >= p.from && *d <= p.to))
            {
                let reason = if period.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", period.reason)
                };
                push(
                    &mut report,
                    RuleKind::VenueClosed,
                    i,
                    None,
                    Detail {
                        // Worded so that nothing agrees with the venue's
                        // gender, which config.toml does not give.
                        description: Arc::from(format!(
                            "{} : fermeture {}{reason}",
                            self.venue_name(slug),
                            crate::french::period(period.from, period.to)
                        )),
                        venue: Some(slug.clone()),
                        ..Detail::default()
                    },
                );
            }
        }
        report
            .conflicts
            .sort_unstable_by(|x, y| x.start.cmp(&y.start).then_with(|| x.key.cmp(&y.key)));
        report
    }

    /// Lists the public events several organisers put, and what differs
    /// between their copies (`public_by_uid`: the first occurrence of each
    /// copy, by UID, copies in order of their first occurrence).
    fn co_organised(
        &self,
        occurrences: &[Occurrence],
        public_by_uid: &HashMap<&str, Vec<usize>>,
        facts: &[Rc<Facts>],
        report: &mut Report,
    ) {
        let shared: Vec<&Vec<usize>> = public_by_uid.values().filter(|c| c.len() > 1).collect();
        if shared.is_empty() {
            return;
        }
        // The times of each copy in the period, to compare them.
        let mut times: HashMap<i64, Vec<(i64, i64)>> = shared
            .iter()
            .flat_map(|copies| {
                copies
                    .iter()
                    .map(|&i| (occurrences[i].object_id, Vec::new()))
            })
            .collect();
        for x in occurrences {
            if let Some(list) = times.get_mut(&x.object_id) {
                list.push((x.start, x.end));
            }
        }
        for copies in shared {
            let mut copies = copies.clone();
            // The earliest created (lowest id) is what the public sees.
            copies.sort_by_key(|&i| occurrences[i].object_id);
            let first = &occurrences[copies[0]];
            let mut differences = Vec::new();
            let differ = |f: &dyn Fn(&Occurrence) -> Option<&str>| {
                copies.iter().any(|&i| f(&occurrences[i]) != f(first))
            };
            if differ(&|x| x.summary.as_deref()) {
                differences.push("summary");
            }
            if differ(&|x| x.location.as_deref().map(str::trim)) {
                differences.push("location");
            }
            if differ(&|x| Some(&*x.categories)) {
                differences.push("categories");
            }
            let times_of = |i: usize| times.get(&occurrences[i].object_id);
            if copies.iter().any(|&i| times_of(i) != times_of(copies[0])) {
                differences.push("times");
            }
            let mut organisers: Vec<Arc<OrganiserCard>> = Vec::new();
            for &i in &copies {
                let card = &occurrences[i].organiser;
                if !organisers.iter().any(|c| c.login == card.login) {
                    organisers.push(card.clone());
                }
            }
            report.co_organised.push(CoOrganised {
                uid: first.uid.clone(),
                summary: first.summary.clone().unwrap_or_default(),
                start: self.time(first.start),
                commune: facts[copies[0]].commune.clone(),
                organisers,
                differences,
            });
        }
        report
            .co_organised
            .sort_unstable_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    }

    fn venue_name(&self, slug: &str) -> String {
        self.config
            .venues
            .iter()
            .find(|v| v.slug == slug)
            .map(|v| self.config.venue_label(v))
            .unwrap_or_else(|| slug.to_owned())
    }

    /// Local dates an occurrence covers (an all-day event's exclusive end
    /// day excluded).
    fn days(&self, occurrence: &Occurrence) -> Vec<chrono::NaiveDate> {
        let local = |t: i64| self.tz.timestamp_opt(t, 0).single().map(|t| t.date_naive());
        let (Some(first), Some(last)) = (
            local(occurrence.start),
            local((effective_end(occurrence) - 1).max(occurrence.start)),
        ) else {
            return Vec::new();
        };
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .take(400)
            .collect()
    }

    fn time(&self, t: i64) -> String {
        self.tz
            .timestamp_opt(t, 0)
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    }

    fn side(&self, occurrence: &Occurrence, commune: &Arc<str>) -> EventSide {
        let time = |t: i64| self.time(t);
        EventSide {
            object_id: occurrence.object_id,
            seq: occurrence.seq,
            recurrence_id: occurrence.recurrence_id,
            summary: if occurrence.public || self.reveal_private {
                occurrence.summary.clone().unwrap_or_default()
            } else {
                Arc::from("Événement privé")
            },
            location: occurrence
                .location
                .clone()
                .filter(|_| occurrence.public || self.reveal_private),
            start: time(occurrence.start),
            end: time(occurrence.end),
            organiser: occurrence.organiser.clone(),
            commune: commune.clone(),
            start_utc: occurrence.start,
            end_utc: occurrence.end,
            all_day: occurrence.all_day,
        }
    }
}

#[derive(Default)]
struct Detail {
    description: Arc<str>,
    venue: Option<Arc<str>>,
    commune: Option<Arc<str>>,
    category: Option<Arc<str>>,
}

/// Zero-length events still occupy their instant.
fn effective_end(occurrence: &Occurrence) -> i64 {
    occurrence.end.max(occurrence.start + 1)
}

/// Who reads a report: staff see private events, organisers do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Organisers,
}

/// Conflicts among every organiser's events in [from, to).
pub fn compute(
    conn: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    (from, to): (i64, i64),
    audience: Audience,
) -> crate::store::Result<Report> {
    let started = std::time::Instant::now();
    let occurrences = crate::store::views::occurrences(conn, from, to)?;
    let acknowledged = crate::store::acks::all(conn)?;
    let read = started.elapsed();
    let detector = match audience {
        Audience::Staff => Detector::new(config, tz).revealing_private(),
        Audience::Organisers => Detector::new(config, tz),
    };
    let mut report = detector.detect(&occurrences, &acknowledged);
    report.timings = Timings {
        occurrences: occurrences.len(),
        read,
        detect: started.elapsed() - read,
    };
    Ok(report)
}

/// The conflict `key` names, if it exists now (staff may only
/// acknowledge those), as staff see it.
pub fn find(
    conn: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    key: &str,
) -> crate::store::Result<Option<Box<Conflict>>> {
    let Some((a, b)) = key::objects(key) else {
        return Ok(None);
    };
    let ids: Vec<i64> = std::iter::once(a).chain(b).collect();
    let Some((from, to)) = crate::store::views::instance_bounds(conn, &ids)? else {
        return Ok(None);
    };
    let day = 86_400;
    let report = compute(conn, config, tz, (from - day, to + day), Audience::Staff)?;
    Ok(report.conflicts.into_iter().find(|c| c.key == key))
}

/// Whether `key` names a conflict that exists now.
pub fn exists(
    conn: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    key: &str,
) -> crate::store::Result<bool> {
    Ok(find(conn, config, tz, key)?.is_some())
}

/// Acknowledges the conflict named `key`, as it stands now (until either
/// event changes); false when there is no such conflict.
pub fn acknowledge(
    tx: &rusqlite::Connection,
    config: &Config,
    tz: chrono_tz::Tz,
    key: &str,
    by: &str,
) -> crate::store::Result<bool> {
    let Some((a, b)) = key::objects(key) else {
        return Ok(false);
    };
    if !exists(tx, config, tz, key)? {
        return Ok(false);
    }
    crate::store::acks::acknowledge_current(tx, key, (a, b), by)
}

/// Keeps the conflicts that involve `organiser` (a login) or happen in
/// `commune` (a slug: where either event happens, see `crate::places`),
/// and likewise the lists for staff: unmatched locations, uncategorised
/// and co-organised events.
pub fn retain(
    report: &mut Report,
    config: &Config,
    organiser: Option<&str>,
    commune: Option<&str>,
) {
    report.conflicts.retain(|c| {
        let sides = || std::iter::once(&c.a).chain(c.b.as_ref());
        let by_organiser = organiser.is_none_or(|o| sides().any(|s| s.organiser.login == o));
        let venue_commune = c
            .venue
            .as_ref()
            .and_then(|v| config.venues.iter().find(|x| *x.slug == **v))
            .map(|v| v.commune.as_str());
        let by_commune = commune.is_none_or(|m| {
            c.commune.as_deref() == Some(m)
                || venue_commune == Some(m)
                || sides().any(|s| &*s.commune == m)
        });
        by_organiser && by_commune
    });
    if let Some(m) = commune {
        report.unmatched_locations.clear();
        for (location, _, count) in report.unmatched_by_commune.iter().filter(|u| &*u.1 == m) {
            *report
                .unmatched_locations
                .entry(location.clone())
                .or_default() += count;
        }
        report.uncategorised.retain(|u| &*u.commune == m);
        report.co_organised.retain(|e| &*e.commune == m);
    }
    if let Some(o) = organiser {
        report.uncategorised.retain(|u| u.organiser.login == o);
        report
            .co_organised
            .retain(|e| e.organisers.iter().any(|c| c.login == o));
    }
}

/// One line per conflict, for people.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.conflicts {
        let other =
            c.b.as_ref()
                .map(|b| format!(" <> {} ({}, {})", b.summary, b.organiser.name, b.start))
                .unwrap_or_default();
        out.push_str(&format!(
            "{:<7} {}{} | {} ({}, {}){}\n          key: {}\n",
            c.severity.as_str(),
            c.description,
            if c.acknowledged { " [vu]" } else { "" },
            c.a.summary,
            c.a.organiser.name,
            c.a.start,
            other,
            c.key
        ));
    }
    out.push_str(&format!("{} conflict(s)\n", report.conflicts.len()));
    if !report.unmatched_locations.is_empty() {
        out.push_str("locations matching no venue (add aliases in config.toml):\n");
        for (location, count) in &report.unmatched_locations {
            out.push_str(&format!("  {count:>4}  {location}\n"));
        }
    }
    if !report.uncategorised.is_empty() {
        out.push_str(
            "public events in no category (add CATEGORIES, organiser categories or aliases):\n",
        );
        for u in &report.uncategorised {
            out.push_str(&format!(
                "  {}  {} ({}, {})\n",
                u.start, u.summary, u.organiser.name, u.commune
            ));
        }
    }
    if !report.co_organised.is_empty() {
        out.push_str("co-organised events (shown once, never in conflict):\n");
        for e in &report.co_organised {
            let names: Vec<&str> = e.organisers.iter().map(|c| c.name.as_str()).collect();
            let differences = if e.differences.is_empty() {
                String::new()
            } else {
                format!(" [copies differ: {}]", e.differences.join(", "))
            };
            out.push_str(&format!(
                "  {}  {} ({}){differences}\n",
                e.start,
                e.summary,
                names.join(" + ")
            ));
        }
    }
    out
}

/// How many conflicts of each rule and severity, for a quick look.
pub fn summary(report: &Report) -> String {
    // Rules are few: a short list is quicker than a map for each conflict.
    // ((rule, severity), (conflicts, acknowledged))
    type Count<'r> = ((&'r str, &'static str), (usize, usize));
    let mut counts: Vec<Count> = Vec::new();
    for c in &report.conflicts {
        let rule = (&*c.rule, c.severity.as_str());
        let at = match counts.iter().position(|(r, _)| *r == rule) {
            Some(at) => at,
            None => {
                counts.push((rule, (0, 0)));
                counts.len() - 1
            }
        };
        counts[at].1 .0 += 1;
        counts[at].1 .1 += usize::from(c.acknowledged);
    }
    counts.sort_unstable();
    let mut out = String::new();
    for ((rule, severity), (count, acknowledged)) in counts {
        out.push_str(&format!(
            "{count:>7}  {rule} ({severity}), {acknowledged} acknowledged\n"
        ));
    }
    out.push_str(&format!(
        "{:>7}  conflict(s) in all; {} location(s) match no venue; {} public event(s) in no category; {} co-organised event(s), {} with differing copies\n",
        report.conflicts.len(),
        report.unmatched_locations.len(),
        report.uncategorised.len(),
        report.co_organised.len(),
        report.co_organised.iter().filter(|e| !e.differences.is_empty()).count()
    ));
    out
}

/// RFC 4180 CSV, one row per conflict.
pub fn csv(report: &Report) -> String {
    let field = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut out = String::from("key,rule,severity,acknowledged,description,start_a,summary_a,organiser_a,start_b,summary_b,organiser_b\r\n");
    for c in &report.conflicts {
        let b = c.b.as_ref();
        let row = [
            field(&c.key),
            field(&c.rule),
            field(c.severity.as_str()),
            field(if c.acknowledged { "yes" } else { "no" }),
            field(&c.description),
            field(&c.a.start),
            field(&c.a.summary),
            field(&c.a.organiser.login),
            field(b.map(|b| b.start.as_str()).unwrap_or("")),
            field(b.map(|b| &*b.summary).unwrap_or("")),
            field(b.map(|b| b.organiser.login.as_str()).unwrap_or("")),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_the_hall(object_id: i64, login: &str) -> Occurrence {
        Occurrence {
            start: 1_800_000_000,
            end: 1_800_007_200,
            all_day: false,
            recurrence_id: None,
            object_id,
            seq: object_id,
            summary: Some(Arc::from("Loto")),
            location: Some(Arc::from("Salle des fêtes, Arue")),
            categories: Arc::from(""),
            public: true,
            cancelled: false,
            transparent: false,
            uid: Arc::from(format!("{object_id}@test")),
            co_organisers: None,
            tentative: false,
            organiser: Arc::new(OrganiserCard {
                login: login.into(),
                name: login.into(),
                commune: "arue".into(),
                categories: String::new(),
                email: None,
                phone: None,
                website: None,
            }),
        }
    }

    /// With several rules of one kind, the first enabled one names the
    /// conflict, in its key as in its `rule`.
    #[test]
    fn the_first_enabled_rule_of_a_kind_names_its_conflicts() {
        let config: Config = toml::from_str(
            r#"
            [[communes]]
            slug = "arue"
            name = "Arue"
            [[venues]]
            slug = "salle-des-fetes-arue"
            name = "Salle des fêtes"
            commune = "arue"
            [[conflict_rules]]
            name = "ancienne-regle"
            kind = "same-venue"
            severity = "info"
            enabled = false
            [[conflict_rules]]
            name = "meme-salle"
            kind = "same-venue"
            severity = "hard"
            [[conflict_rules]]
            name = "autre-regle"
            kind = "same-venue"
            severity = "warning"
            "#,
        )
        .unwrap();
        let occurrences = [at_the_hall(1, "asso-a"), at_the_hall(2, "asso-b")];
        let report =
            Detector::new(&config, chrono_tz::Europe::Paris).detect(&occurrences, &HashMap::new());
        let rules: Vec<(&str, &str, Severity)> = report
            .conflicts
            .iter()
            .map(|c| (&*c.rule, c.key.as_str(), c.severity))
            .collect();
        assert_eq!(
            rules,
            [("meme-salle", "meme-salle:1@0:2@0", Severity::Hard)]
        );
    }
}
