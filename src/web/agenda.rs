//! The territory's public agenda (`/`): public events by day, with
//! filters, and the feed that matches them.

use super::page::{self, Chrome};
use super::visit::Visit;
use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::french;
use crate::http::Response;
use crate::places::Places;
use crate::store::accounts;
use crate::store::views::{self, Occurrence};
use askama::Template;
use chrono::{NaiveDate, TimeZone};
use hyper::StatusCode;
use std::collections::BTreeMap;

struct Filters {
    commune: Option<String>,
    category: Option<String>,
    /// An organiser's login.
    organiser: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
}

/// Reads the page's filters under their French or English names (the
/// feeds' vocabulary, `params::canonical_name`); other parameters are
/// ignored. A value that names nothing gets a 400 listing the valid ones.
fn filters(app: &App, query: &str) -> Result<Filters, String> {
    let today = crate::clock::today(app.timezone);
    let mut filters = Filters {
        commune: None,
        category: None,
        organiser: None,
        from: today,
        to: crate::params::add_days(today, 56),
    };
    let pairs = crate::params::pairs(query).map_err(|e| e.to_string())?;
    for (key, value) in pairs {
        let Some(name) = crate::params::canonical_name(&key) else {
            continue;
        };
        match name {
            _ if value.is_empty() => {}
            "commune" if app.config.commune(&value).is_some() => filters.commune = Some(value),
            "commune" => {
                return Err(crate::params::unknown_value(
                    "une commune",
                    &value,
                    app.config.communes.iter().map(|c| c.slug.as_str()),
                ))
            }
            "categorie" if app.config.category(&value).is_some() => filters.category = Some(value),
            "categorie" => {
                return Err(crate::params::unknown_value(
                    "une catégorie",
                    &value,
                    app.config.categories.iter().map(|c| c.slug.as_str()),
                ))
            }
            // Checked against the publishing organisers by `page`.
            "organisateur" => filters.organiser = Some(value),
            "du" => filters.from = crate::params::date(&value).map_err(|e| e.to_string())?,
            "au" => filters.to = crate::params::date(&value).map_err(|e| e.to_string())?,
            _ => {}
        }
    }
    if filters.to < filters.from || (filters.to - filters.from).num_days() > 400 {
        return Err(
            "La période doit aller d'une date à une date plus tardive, sur un an au plus.".into(),
        );
    }
    Ok(filters)
}

/// One event as the agenda and the directory show it.
pub struct EventItem {
    pub when: String,
    pub tentative: bool,
    pub cancelled: bool,
    pub title: String,
    pub location: Option<String>,
    /// The commune's name.
    pub commune: Option<String>,
    pub organisers: String,
}

impl EventItem {
    pub fn new(app: &App, event: &Occurrence, commune: &str) -> EventItem {
        let names: Vec<&str> = event.organisers().iter().map(|o| o.name.as_str()).collect();
        EventItem {
            when: when(app, event),
            tentative: event.tentative,
            cancelled: event.cancelled,
            title: event.summary.as_deref().unwrap_or("Événement").to_owned(),
            location: event
                .location
                .as_deref()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
            commune: (!commune.is_empty()).then(|| {
                app.config
                    .commune(commune)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| commune.to_owned())
            }),
            organisers: french::list(&names),
        }
    }
}

pub struct Day {
    pub label: String,
    pub events: Vec<EventItem>,
}

struct Select {
    name: &'static str,
    label: &'static str,
    options: Vec<SelectOption>,
}

struct SelectOption {
    value: String,
    text: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "agenda.html")]
struct AgendaPage {
    chrome: Chrome,
    selects: Vec<Select>,
    from: NaiveDate,
    to: NaiveDate,
    webcal: String,
    address: String,
    days: Vec<Day>,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let app = visit.app;
    let filters = match filters(app, &visit.request.query) {
        Ok(filters) => filters,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    if let Some(login) = &filters.organiser {
        let Ok(organisers) = app.store.read(accounts::publishing_organisers).await else {
            return page::unavailable(visit, "L'agenda");
        };
        if !organisers.iter().any(|o| &o.login == login) {
            let message = crate::params::unknown_value(
                "un organisateur",
                login,
                organisers.iter().map(|o| o.login.as_str()),
            );
            return page::error(visit, StatusCode::BAD_REQUEST, &message);
        }
    }
    let midnight = |d: NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(filters.from),
        midnight(crate::params::next_day(filters.to)),
    );
    let Ok(occurrences) = app
        .store
        .read(move |conn| views::public_occurrences(conn, from, to))
        .await
    else {
        return page::unavailable(visit, "L'agenda");
    };
    let Ok(territory) = app.territory().await else {
        return page::unavailable(visit, "L'agenda");
    };
    let matcher = CategoryMatcher::new(&app.config);
    let places = Places::new(&territory);
    let mut resolver = places.resolver();
    let mut days: BTreeMap<NaiveDate, Vec<EventItem>> = BTreeMap::new();
    for occurrence in &occurrences {
        let commune = resolver.commune(
            occurrence.location.as_deref(),
            &occurrence.organiser.commune,
        );
        if filters.commune.as_ref().is_some_and(|c| commune != c) {
            continue;
        }
        if filters
            .organiser
            .as_ref()
            .is_some_and(|login| !occurrence.organisers().iter().any(|o| &o.login == login))
        {
            continue;
        }
        if let Some(category) = &filters.category {
            let slugs = matcher.slugs(
                &occurrence.categories,
                &occurrence.organiser.categories,
                occurrence.summary.as_deref().unwrap_or(""),
            );
            if !slugs.contains(category) {
                continue;
            }
        }
        let Some(start) = app.timezone.timestamp_opt(occurrence.start, 0).single() else {
            continue;
        };
        let item = EventItem::new(app, occurrence, commune);
        let day = start.date_naive().max(filters.from);
        days.entry(day).or_default().push(item);
    }
    let (webcal, address) = feed_addresses(app, &feed_path(&filters));
    page::render(&AgendaPage {
        chrome: Chrome::new(visit, app.config.feeds.territory_name.clone()),
        selects: selects(app, &filters),
        from: filters.from,
        to: filters.to,
        webcal,
        address,
        days: days
            .into_iter()
            .map(|(day, events)| Day {
                label: french::date(day),
                events,
            })
            .collect(),
    })
}

fn selects(app: &App, filters: &Filters) -> Vec<Select> {
    let options = |items: Vec<(&str, &str)>, chosen: &Option<String>| {
        items
            .into_iter()
            .map(|(value, text)| SelectOption {
                selected: chosen.as_deref() == Some(value),
                value: value.to_owned(),
                text: text.to_owned(),
            })
            .collect()
    };
    let mut selects = Vec::new();
    if !app.config.communes.is_empty() {
        let items = app.config.communes.iter();
        selects.push(Select {
            name: "commune",
            label: "Commune",
            options: options(
                items.map(|c| (c.slug.as_str(), c.name.as_str())).collect(),
                &filters.commune,
            ),
        });
    }
    if !app.config.categories.is_empty() {
        let items = app.config.categories.iter();
        selects.push(Select {
            name: "categorie",
            label: "Catégorie",
            options: options(
                items.map(|c| (c.slug.as_str(), c.name.as_str())).collect(),
                &filters.category,
            ),
        });
    }
    selects
}

/// An occurrence's hours: "20 h – 23 h", "À partir de 20 h", "Toute la
/// journée".
pub fn when(app: &App, event: &Occurrence) -> String {
    let time = |t: i64| app.timezone.timestamp_opt(t, 0).single();
    match (event.all_day, time(event.start), time(event.end)) {
        (true, _, _) => "Toute la journée".to_owned(),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!("{} – {}", french::time_of(&s), french::time_of(&e))
        }
        (false, Some(s), _) => format!("À partir de {}", french::time_of(&s)),
        _ => String::new(),
    }
}

/// The intercommunal feed with the page's filters.
fn feed_path(filters: &Filters) -> String {
    let mut query = Vec::new();
    if let Some(c) = &filters.commune {
        query.push(format!("commune={c}"));
    }
    if let Some(c) = &filters.category {
        query.push(format!("category={c}"));
    }
    if let Some(o) = &filters.organiser {
        query.push(format!("organiser={o}"));
    }
    if query.is_empty() {
        "/feeds/intercommunal.ics".to_owned()
    } else {
        format!("/feeds/intercommunal.ics?{}", query.join("&"))
    }
}

/// A feed's `webcal://` address (calendar apps subscribe when it is
/// followed) and its plain address, from the configured base URL.
pub fn feed_addresses(app: &App, path: &str) -> (String, String) {
    let base = app.config.base_url.trim_end_matches('/');
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(base);
    (format!("webcal://{host}{path}"), format!("{base}{path}"))
}
