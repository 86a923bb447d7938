//! The quarterly agenda (`/agenda/trimestre/2027-T1`): the quarter's
//! public events by month and day, each with its commune, categories and
//! organisers, a closing index of the organisers with their contacts; and
//! its print versions, A4 (`/a4`) and an A5 booklet (`/a5`), with a cover
//! (the territory's name, the quarter, the events put forward) and page
//! numbers from print CSS.
//!
//! [`selection`] is the one selection: the page, its print versions and
//! the desk's exports (CSV, spreadsheet, changes since the last export)
//! all read it. It is made of `views::public_occurrences`, so moderation
//! and privacy apply as on every public output.

use super::page::{self, Chrome};
use super::visit::Visit;
use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::event_view::hours;
use crate::french;
use crate::http::Response;
use crate::places::Places;
use crate::quarter::Quarter;
use crate::store::views::{self, Occurrence};
use crate::store::{agenda, StoreError};
use askama::Template;
use chrono::{Datelike, NaiveDate, TimeZone};
use std::collections::{BTreeMap, HashMap};

/// A series with at least this many dates in the quarter is listed once,
/// among the regular meetings, rather than on each of its days.
const REGULAR_FROM: usize = 4;

/// One occurrence as the agenda lists it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub object_id: i64,
    /// UTC start of the occurrence.
    pub start: i64,
    pub day: NaiveDate,
    /// The day in words: "samedi 13 février 2027".
    pub day_label: String,
    pub time: String,
    pub title: String,
    pub location: String,
    /// The commune's name, where it happens.
    pub commune: String,
    /// Category names.
    pub categories: Vec<String>,
    pub organisers: String,
    pub cancelled: bool,
    pub tentative: bool,
    pub featured: bool,
    pub order: i64,
}

impl Entry {
    /// What identifies the line across exports: the event and its date.
    pub fn key(&self) -> String {
        format!("{}@{}", self.object_id, self.start)
    }
}

pub struct Day {
    pub date: NaiveDate,
    pub label: String,
    pub entries: Vec<Entry>,
}

pub struct Month {
    pub label: String,
    pub days: Vec<Day>,
}

/// A series met often in the quarter, listed once.
pub struct Regular {
    pub entry: Entry,
    /// "chaque mardi, 18 h 30 – 20 h" or "12 dates".
    pub rhythm: String,
    /// "du 5 janvier au 23 mars 2027".
    pub period: String,
    /// Dates cancelled, in words.
    pub cancelled: Vec<String>,
    pub count: usize,
}

impl Regular {
    pub fn key(&self) -> String {
        format!("{}@regulier", self.entry.object_id)
    }
}

/// An organiser of the quarter, with its public contact.
pub struct IndexEntry {
    pub login: String,
    pub name: String,
    pub commune: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub events: usize,
}

pub struct Selection {
    pub quarter: Quarter,
    pub territory: String,
    pub months: Vec<Month>,
    pub regular: Vec<Regular>,
    /// The events put forward, once each (their first date).
    pub featured: Vec<Entry>,
    pub index: Vec<IndexEntry>,
    /// Occurrences listed (regular series count once).
    pub total: usize,
}

/// The quarter's public events as the agenda lists them.
pub async fn selection(app: &App, quarter: Quarter) -> Result<Selection, StoreError> {
    let tz = app.timezone;
    let (from, to) = (
        crate::time::local_midnight(tz, quarter.first_day()),
        crate::time::local_midnight(tz, quarter.next().first_day()),
    );
    let territory = app.territory().await?;
    let (occurrences, marks) = app
        .store
        .read(move |conn| {
            Ok((
                views::public_occurrences(conn, from, to)?,
                agenda::marks(conn)?,
            ))
        })
        .await?;
    let places = Places::new(&territory);
    let mut resolver = places.resolver();
    let matcher = CategoryMatcher::new(&territory);
    let mut per_object: HashMap<i64, usize> = HashMap::new();
    for o in occurrences.iter().filter(|o| !o.cancelled) {
        *per_object.entry(o.object_id).or_default() += 1;
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(occurrences.len());
    let mut index: BTreeMap<String, IndexEntry> = BTreeMap::new();
    for occurrence in &occurrences {
        let Some(start) = tz.timestamp_opt(occurrence.start, 0).single() else {
            continue;
        };
        let commune = resolver
            .commune(
                occurrence.location.as_deref(),
                &occurrence.organiser.commune,
            )
            .to_owned();
        let slugs = matcher.slugs(
            &occurrence.categories,
            &occurrence.organiser.categories,
            occurrence.summary.as_deref().unwrap_or(""),
        );
        // In the configuration's order, so that marks read the same way.
        let categories = territory
            .categories
            .iter()
            .filter(|c| slugs.contains(&c.slug))
            .map(|c| c.name.clone())
            .collect();
        let (featured, order) = marks
            .get(&occurrence.object_id)
            .copied()
            .unwrap_or_default();
        let names: Vec<&str> = occurrence
            .organisers()
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        let day = start.date_naive().max(quarter.first_day());
        entries.push(Entry {
            object_id: occurrence.object_id,
            start: occurrence.start,
            day,
            day_label: french::date(day),
            time: time_of(app, occurrence),
            title: occurrence
                .summary
                .as_deref()
                .unwrap_or("Événement")
                .to_owned(),
            location: occurrence
                .location
                .as_deref()
                .map(str::trim)
                .unwrap_or("")
                .to_owned(),
            commune: territory
                .commune(&commune)
                .map(|c| c.name.clone())
                .unwrap_or(commune),
            categories,
            organisers: french::list(&names),
            cancelled: occurrence.cancelled,
            tentative: occurrence.tentative,
            featured,
            order,
        });
        for card in occurrence.organisers() {
            let item = index
                .entry(card.login.clone())
                .or_insert_with(|| IndexEntry {
                    login: card.login.clone(),
                    name: card.name.clone(),
                    commune: territory
                        .commune(&card.commune)
                        .map(|c| c.name.clone())
                        .unwrap_or_else(|| card.commune.clone()),
                    email: card.email.clone().filter(|v| !v.trim().is_empty()),
                    phone: card.phone.clone().filter(|v| !v.trim().is_empty()),
                    website: card.website.clone().filter(|v| !v.trim().is_empty()),
                    events: 0,
                });
            item.events += 1;
        }
    }
    // Series met often are listed once; the others day by day.
    let mut regular_entries: BTreeMap<i64, Vec<Entry>> = BTreeMap::new();
    let mut daily: Vec<Entry> = Vec::new();
    for entry in entries {
        if per_object.get(&entry.object_id).copied().unwrap_or(0) >= REGULAR_FROM {
            regular_entries
                .entry(entry.object_id)
                .or_default()
                .push(entry);
        } else {
            daily.push(entry);
        }
    }
    let mut featured: Vec<Entry> = Vec::new();
    for entry in daily.iter().chain(regular_entries.values().flatten()) {
        if entry.featured
            && !entry.cancelled
            && !featured.iter().any(|f| f.object_id == entry.object_id)
        {
            featured.push(entry.clone());
        }
    }
    featured.sort_by_key(|e| (e.start, e.object_id));
    let total = daily.len() + regular_entries.len();
    let mut regular: Vec<Regular> = regular_entries.into_values().map(regular_of).collect();
    regular.sort_by_cached_key(|r| (crate::text::normalize(&r.entry.title), r.entry.object_id));
    let mut by_day: BTreeMap<NaiveDate, Vec<Entry>> = BTreeMap::new();
    for entry in daily {
        by_day.entry(entry.day).or_default().push(entry);
    }
    let mut months: Vec<Month> = Vec::new();
    for (date, mut entries) in by_day {
        entries.sort_by(|a, b| {
            (a.order, a.start, &a.title, a.object_id).cmp(&(
                b.order,
                b.start,
                &b.title,
                b.object_id,
            ))
        });
        let label = format!("{} {}", french::month(date), date.year());
        if months.last().is_none_or(|m| m.label != label) {
            months.push(Month {
                label,
                days: Vec::new(),
            });
        }
        if let Some(month) = months.last_mut() {
            month.days.push(Day {
                date,
                label: french::date(date),
                entries,
            });
        }
    }
    let mut index: Vec<IndexEntry> = index.into_values().collect();
    index.sort_by_cached_key(|i| (crate::text::normalize(&i.name), i.login.clone()));
    Ok(Selection {
        quarter,
        territory: app.config.feeds.territory_name.clone(),
        months,
        regular,
        featured,
        index,
        total,
    })
}

/// An occurrence's hours, or its days when it spans several.
fn time_of(app: &App, occurrence: &Occurrence) -> String {
    let tz = app.timezone;
    let day = |t: i64| tz.timestamp_opt(t, 0).single().map(|t| t.date_naive());
    // The end is exclusive: an event ending at midnight ends that day.
    let last = day((occurrence.end - 1).max(occurrence.start));
    if last.is_some_and(|last| Some(last) != day(occurrence.start)) {
        return french::span(tz, occurrence.start, occurrence.end, occurrence.all_day);
    }
    hours(tz, occurrence)
}

fn regular_of(mut series: Vec<Entry>) -> Regular {
    series.sort_by_key(|e| e.start);
    let held: Vec<&Entry> = series.iter().filter(|e| !e.cancelled).collect();
    let first = held.first().copied().unwrap_or(&series[0]);
    let last = held.last().copied().unwrap_or(&series[series.len() - 1]);
    let same_weekday = held.iter().all(|e| e.day.weekday() == first.day.weekday());
    let same_time = held.iter().all(|e| e.time == first.time);
    let rhythm = match (same_weekday, same_time) {
        (true, true) => format!(
            "chaque {}, {}",
            french::weekday(first.day),
            first.time.to_lowercase()
        ),
        (true, false) => format!("chaque {}", french::weekday(first.day)),
        _ => format!("{} dates", held.len()),
    };
    Regular {
        rhythm,
        period: french::period(first.day, last.day),
        cancelled: series
            .iter()
            .filter(|e| e.cancelled)
            .map(|e| french::date(e.day))
            .collect(),
        count: held.len(),
        entry: first.clone(),
    }
}

/// One line per listed occurrence (and one per regular series), for the
/// exports: the columns' titles, then (key, fields).
pub fn rows(selection: &Selection) -> (Vec<&'static str>, Vec<(String, Vec<String>)>) {
    let header = vec![
        "Date",
        "Jour",
        "Heure",
        "Titre",
        "Lieu",
        "Commune",
        "Catégories",
        "Organisateurs",
        "Statut",
        "Mis en avant",
        "Ordre dans la journée",
        "Référence",
    ];
    let line = |entry: &Entry, date: String, day: String, time: String, status: String| {
        vec![
            date,
            day,
            time,
            entry.title.clone(),
            entry.location.clone(),
            entry.commune.clone(),
            entry.categories.join(", "),
            entry.organisers.clone(),
            status,
            if entry.featured { "oui" } else { "non" }.to_owned(),
            entry.order.to_string(),
            entry.object_id.to_string(),
        ]
    };
    let status = |entry: &Entry| {
        if entry.cancelled {
            "annulé".to_owned()
        } else if entry.tentative {
            "date à confirmer".to_owned()
        } else {
            String::new()
        }
    };
    let mut out = Vec::new();
    for month in &selection.months {
        for day in &month.days {
            for entry in &day.entries {
                out.push((
                    entry.key(),
                    line(
                        entry,
                        day.date.to_string(),
                        day.label.clone(),
                        entry.time.clone(),
                        status(entry),
                    ),
                ));
            }
        }
    }
    for regular in &selection.regular {
        let mut status = format!("régulier ({} dates)", regular.count);
        if !regular.cancelled.is_empty() {
            status.push_str(&format!(", annulé le {}", regular.cancelled.join(", le ")));
        }
        out.push((
            regular.key(),
            line(
                &regular.entry,
                regular.entry.day.to_string(),
                regular.period.clone(),
                regular.rhythm.clone(),
                status,
            ),
        ));
    }
    (header, out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Screen,
    A4,
    A5,
}

impl Layout {
    /// Its name in keys, and for print the class that chooses the rules.
    fn name(self) -> &'static str {
        match self {
            Layout::Screen => "screen",
            Layout::A4 => "a4",
            Layout::A5 => "a5",
        }
    }
}

#[derive(Template)]
#[template(path = "trimestre.html")]
struct QuarterPage {
    chrome: Chrome,
    s: Selection,
    slug: String,
    previous: String,
    next: String,
}

#[derive(Template)]
#[template(path = "trimestre_impression.html")]
struct PrintPage {
    s: Selection,
    title: String,
    /// `a4` or `a5`: the class that chooses the print rules.
    format: &'static str,
    slug: String,
}

/// `/agenda/trimestre/{YYYY-Tn}` and its print versions.
pub async fn handle(visit: &Visit<'_>) -> Response {
    let rest = visit
        .request
        .path
        .strip_prefix("/agenda/trimestre/")
        .unwrap_or("");
    let (slug, layout) = match rest.split_once('/') {
        None => (rest, Layout::Screen),
        Some((slug, "a4")) => (slug, Layout::A4),
        Some((slug, "a5")) => (slug, Layout::A5),
        Some(_) => return page::not_found(visit),
    };
    let Some(quarter) = Quarter::parse(slug) else {
        return page::error(
            visit,
            hyper::StatusCode::NOT_FOUND,
            "Ce trimestre n'existe pas\u{202f}: écrivez-le comme 2027-T1 (année, puis T1 à T4).",
        );
    };
    // A quarter's agenda is large (1.6 MB of HTML for the benchmark's
    // 20,000 events) and the same for every anonymous visitor: rendered
    // once per change of the data, not at each visit (16 visitors at once
    // held 16 renders, 60 MB).
    let key = format!("quarter|{}|{}", quarter.slug(), layout.name());
    super::cached::page(visit, key, || render(visit, quarter, layout)).await
}

async fn render(visit: &Visit<'_>, quarter: Quarter, layout: Layout) -> Result<String, Response> {
    const WHAT: &str = "L'agenda trimestriel";
    let Ok(s) = selection(visit.app, quarter).await else {
        return Err(page::unavailable(visit, WHAT));
    };
    let title = format!("{} – {}", s.territory, quarter.label());
    match layout {
        Layout::Screen => page::html(
            visit,
            WHAT,
            &QuarterPage {
                chrome: Chrome::new(visit, format!("Agenda du {}", quarter.label())),
                slug: quarter.slug(),
                previous: quarter.previous().slug(),
                next: quarter.next().slug(),
                s,
            },
        ),
        Layout::A4 | Layout::A5 => page::html(
            visit,
            WHAT,
            &PrintPage {
                title,
                format: layout.name(),
                slug: quarter.slug(),
                s,
            },
        ),
    }
}
