//! One public occurrence as people and programs read it: its page's
//! address, its dates in French words and in ISO 8601, its commune and
//! categories by name, its organisers. Shared by the pages, the widget and
//! the RSS and JSON feeds, so that they all say the same of an event.
//!
//! Everything here comes from the index and the organisers' public cards;
//! the text an organiser wrote (the description) is read from the public
//! body by `describe_body`, never from the stored object as sent.

use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::french;
use crate::places::{Places, Resolver};
use crate::query::public;
use crate::store::views::{Occurrence, OrganiserCard};
use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use std::sync::Arc;

/// A configured name: slug and what people read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Named {
    pub slug: String,
    pub name: String,
}

/// One occurrence, ready to show.
#[derive(Debug, Clone)]
pub struct EventView {
    pub uid: String,
    pub object_id: i64,
    /// Its local start date, which names the occurrence.
    pub date: NaiveDate,
    pub recurring: bool,
    /// The page's path: with the date for an occurrence of a series.
    pub path: String,
    pub title: String,
    /// "samedi 6 mars 2027, de 20 h 30 à 23 h".
    pub when: String,
    /// Hours only: "20 h – 23 h", "À partir de 20 h", "Toute la journée".
    pub hours: String,
    /// ISO 8601: a local date-time with its offset, or a date for all-day
    /// events (whose `end` is then the last day, included).
    pub start: String,
    pub end: String,
    pub all_day: bool,
    pub cancelled: bool,
    pub tentative: bool,
    pub location: Option<String>,
    pub commune: Option<Named>,
    pub categories: Vec<Named>,
    pub organisers: Vec<Arc<OrganiserCard>>,
    pub start_utc: i64,
    pub end_utc: i64,
}

/// Makes views of many occurrences, resolving each place and category text
/// once.
pub struct Viewer<'a> {
    app: &'a App,
    resolver: Resolver<'a>,
    matcher: CategoryMatcher,
}

impl<'a> Viewer<'a> {
    pub fn new(app: &'a App, places: &'a Places) -> Viewer<'a> {
        Viewer {
            app,
            resolver: places.resolver(),
            matcher: CategoryMatcher::new(&app.config),
        }
    }

    pub fn view(&mut self, occurrence: &Occurrence) -> EventView {
        let app = self.app;
        let tz = app.timezone;
        let commune = self
            .resolver
            .commune(
                occurrence.location.as_deref(),
                &occurrence.organiser.commune,
            )
            .to_owned();
        let slugs = self.matcher.slugs(
            &occurrence.categories,
            &occurrence.organiser.categories,
            occurrence.summary.as_deref().unwrap_or(""),
        );
        // In the configuration's order.
        let categories = app
            .config
            .categories
            .iter()
            .filter(|c| slugs.contains(&c.slug))
            .map(|c| Named {
                slug: c.slug.clone(),
                name: c.name.clone(),
            })
            .collect();
        let start = local(tz, occurrence.start);
        let date = start.date_naive();
        let recurring = occurrence.recurrence_id.is_some();
        let (start_iso, end_iso) =
            iso_span(tz, occurrence.start, occurrence.end, occurrence.all_day);
        EventView {
            uid: occurrence.uid.to_string(),
            object_id: occurrence.object_id,
            date,
            recurring,
            path: crate::paths::event_page(&occurrence.uid, recurring.then_some(date)),
            title: title(occurrence.summary.as_deref()),
            when: french::span_with_comma(tz, occurrence.start, occurrence.end, occurrence.all_day),
            hours: hours(tz, occurrence),
            start: start_iso,
            end: end_iso,
            all_day: occurrence.all_day,
            cancelled: occurrence.cancelled,
            tentative: occurrence.tentative,
            location: occurrence
                .location
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
            commune: (!commune.is_empty()).then(|| Named {
                name: app
                    .config
                    .commune(&commune)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| commune.clone()),
                slug: commune,
            }),
            categories,
            organisers: occurrence.organisers().to_vec(),
            start_utc: occurrence.start,
            end_utc: occurrence.end,
        }
    }
}

impl EventView {
    /// The page's full address.
    pub fn url(&self, app: &App) -> String {
        format!("{}{}", app.config.base_url.trim_end_matches('/'), self.path)
    }

    /// "Comité des fêtes d'Arue et Football club de Bourriot".
    pub fn organiser_names(&self) -> String {
        let names: Vec<&str> = self.organisers.iter().map(|o| o.name.as_str()).collect();
        french::list(&names)
    }

    /// "Salle des fêtes, Arue": the place and its commune, without saying
    /// the commune twice.
    pub fn place(&self) -> Option<String> {
        let commune = self.commune.as_ref();
        match (&self.location, commune) {
            (Some(location), Some(commune)) if names(location, commune) => Some(location.clone()),
            (Some(location), Some(commune)) => Some(format!("{location}, {}", commune.name)),
            (Some(location), None) => Some(location.clone()),
            (None, Some(commune)) => Some(commune.name.clone()),
            (None, None) => None,
        }
    }
}

/// Whether a place's text names its commune (by name or slug, as whole
/// words), so that it need not be said again.
fn names(location: &str, commune: &Named) -> bool {
    let text = format!(" {} ", crate::text::normalize(location));
    [&commune.name, &commune.slug]
        .iter()
        .map(|n| crate::text::normalize(n))
        .any(|n| !n.is_empty() && text.contains(&format!(" {n} ")))
}

fn title(summary: Option<&str>) -> String {
    summary
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Événement")
        .to_owned()
}

fn local(tz: Tz, t: i64) -> DateTime<Tz> {
    tz.timestamp_opt(t, 0)
        .earliest()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
}

/// Start and end in ISO 8601 (see `EventView::start`).
fn iso_span(tz: Tz, start: i64, end: i64, all_day: bool) -> (String, String) {
    if all_day {
        let first = local(tz, start).date_naive();
        let last = if end > start {
            local(tz, end - 1).date_naive()
        } else {
            first
        };
        (first.to_string(), last.to_string())
    } else {
        let iso = |t| local(tz, t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        (iso(start), iso(end.max(start)))
    }
}

/// An occurrence's hours: "20 h – 23 h", "À partir de 20 h", "Toute la
/// journée".
pub fn hours(tz: Tz, event: &Occurrence) -> String {
    let time = |t: i64| tz.timestamp_opt(t, 0).single();
    match (event.all_day, time(event.start), time(event.end)) {
        (true, _, _) => "Toute la journée".to_owned(),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!("{} – {}", french::time_of(&s), french::time_of(&e))
        }
        (false, Some(s), _) => format!("À partir de {}", french::time_of(&s)),
        _ => String::new(),
    }
}

/// What an organiser wrote of an event, from its public form: the
/// description and the web address it gave (only http and https).
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub description: String,
    pub url: Option<String>,
}

/// Reads the public body of a stored event (the master component).
pub fn describe_body(body: &[u8]) -> Written {
    let Some(calendar) = public::public_calendar(body) else {
        return Written::default();
    };
    let Some(master) = calendar
        .children
        .iter()
        .filter(|c| c.name == "VEVENT")
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .or_else(|| calendar.children.iter().find(|c| c.name == "VEVENT"))
    else {
        return Written::default();
    };
    let text = |name: &str| {
        master
            .property(name)
            .map(|p| p.text_values().join(", "))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    Written {
        description: text("DESCRIPTION").unwrap_or_default(),
        url: text("URL").filter(|u| web_address(u)),
    }
}

/// Whether `text` is an http or https address (the only ones made links).
pub fn web_address(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && text.len() > "https://".len()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}
