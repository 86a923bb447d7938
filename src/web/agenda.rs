//! The territory's public agenda (`/`): public events by day, a week at a
//! time, with filters (commune, category, organiser, free text), period
//! shortcuts, and the subscription that matches the filters. Its text
//! version (`/agenda/texte`, or `/?version=texte`) says the same in
//! sentences that read well aloud.

use super::cached;
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::app::App;
use crate::event_view::{EventView, Viewer};
use crate::french;
use crate::http::Response;
use crate::places::Places;
use crate::selection::{self, Filters};
use crate::store::accounts::{self, PublicOrganiser};
use askama::Template;
use chrono::{Datelike, NaiveDate, Weekday};
use hyper::StatusCode;
use std::collections::BTreeMap;

/// The longest period one page shows, in days (a year and a bit: the
/// quarterly agenda prints from here).
const MAX_DAYS: i64 = 400;

/// What the address asks: filters and period.
struct Request {
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    /// No end was given: the page shows a week, and its neighbours are
    /// the weeks before and after.
    week: bool,
    text: bool,
}

/// Reads the filters (the feeds' vocabulary, `selection::Filters`), the
/// period (`du`, `au`) and `version=texte`; other parameters are ignored.
fn read(app: &App, query: &str, today: NaiveDate) -> Result<Request, String> {
    let mut filters = Filters::default();
    let (mut from, mut to, mut text) = (None, None, false);
    for (key, value) in crate::params::pairs(query).map_err(|e| e.to_string())? {
        if filters.take(&app.config, &key, value.clone())? {
            continue;
        }
        match crate::params::canonical_name(&key) {
            _ if value.is_empty() => {}
            Some("du") => from = Some(crate::params::date(&value).map_err(|e| e.to_string())?),
            Some("au") => to = Some(crate::params::date(&value).map_err(|e| e.to_string())?),
            _ if key == "version" => text = value == "texte",
            _ => {}
        }
    }
    filters.sort();
    let from = from.unwrap_or(today);
    let week = to.is_none();
    let to = to.unwrap_or_else(|| crate::params::add_days(from, 6));
    if to < from || (to - from).num_days() > MAX_DAYS {
        return Err(
            "La période doit aller d'une date à une date plus tardive, sur un an au plus.".into(),
        );
    }
    Ok(Request {
        filters,
        from,
        to,
        week,
        text,
    })
}

/// One event as the agenda lists it.
pub struct EventItem {
    pub href: String,
    pub hours: String,
    /// The hours as a phrase: "De 20 h à 23 h", "Toute la journée".
    pub spoken: String,
    pub tentative: bool,
    pub cancelled: bool,
    pub title: String,
    pub location: Option<String>,
    /// The commune's name.
    pub commune: Option<String>,
    pub place: Option<String>,
    pub organisers: String,
}

impl EventItem {
    pub fn new(app: &App, view: &EventView) -> EventItem {
        EventItem {
            href: view.path.clone(),
            hours: view.hours.clone(),
            spoken: spoken_hours(app, view),
            tentative: view.tentative,
            cancelled: view.cancelled,
            title: view.title.clone(),
            location: view.location.clone(),
            commune: view.commune.as_ref().map(|c| c.name.clone()),
            place: view.place(),
            organisers: view.organiser_names(),
        }
    }
}

/// "De 20 h 30 à 23 h", "À partir de 20 h", "Toute la journée": hours
/// that read aloud (no dash).
fn spoken_hours(app: &App, view: &EventView) -> String {
    use chrono::TimeZone;
    let tz = app.timezone;
    let time = |t: i64| tz.timestamp_opt(t, 0).earliest();
    match (view.all_day, time(view.start_utc), time(view.end_utc)) {
        (true, _, _) => "Toute la journée".to_owned(),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!("De {} à {}", french::time_of(&s), french::time_of(&e))
        }
        (false, Some(s), _) => format!("À partir de {}", french::time_of(&s)),
        _ => String::new(),
    }
}

pub struct Day {
    pub label: String,
    pub events: Vec<EventItem>,
}

pub struct Select {
    pub name: &'static str,
    pub label: &'static str,
    pub all: &'static str,
    pub options: Vec<SelectOption>,
}

pub struct SelectOption {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

pub struct Link {
    pub href: String,
    pub text: &'static str,
}

/// The "s'abonner" block: the feeds with the page's filters.
pub struct Subscription {
    pub webcal: String,
    pub ics: String,
    pub rss: String,
    pub json: String,
    pub share: String,
}

#[derive(Template)]
#[template(path = "agenda.html")]
struct AgendaPage {
    chrome: Chrome,
    selects: Vec<Select>,
    text: String,
    from: NaiveDate,
    to: NaiveDate,
    period: String,
    shortcuts: Vec<Link>,
    previous: Link,
    next: Link,
    text_version: String,
    subscription: Subscription,
    days: Vec<Day>,
}

#[derive(Template)]
#[template(path = "agenda_text.html")]
struct TextPage {
    chrome: Chrome,
    period: String,
    chosen: String,
    previous: Link,
    next: Link,
    full_version: String,
    days: Vec<Day>,
    count: usize,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    show(visit, false).await
}

pub async fn text_page(visit: &Visit<'_>) -> Response {
    show(visit, true).await
}

async fn show(visit: &Visit<'_>, text: bool) -> Response {
    let app = visit.app;
    let today = crate::clock::today(app.timezone);
    let mut request = match read(app, &visit.request.query, today) {
        Ok(request) => request,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    request.text |= text;
    let key = format!(
        "agenda|{}|{}..{}|{}|{}|{today}",
        request.filters.key(),
        request.from,
        request.to,
        request.week,
        request.text
    );
    cached::page(visit, key, || render(visit, request, today)).await
}

async fn render(visit: &Visit<'_>, request: Request, today: NaiveDate) -> Result<String, Response> {
    let app = visit.app;
    let midnight = |d: NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(request.from),
        midnight(crate::params::next_day(request.to)),
    );
    let filters = request.filters.clone();
    let Ok(territory) = app.territory().await else {
        return Err(page::unavailable(visit, "L'agenda"));
    };
    let territory2 = territory.clone();
    let read = app
        .store
        .read(move |conn| {
            let organisers = accounts::publishing_organisers(conn)?;
            if let Err(message) = filters.check_organisers(&organisers) {
                return Ok(Err(message));
            }
            let occurrences = selection::occurrences(conn, &territory2, &filters, from, to)?;
            Ok(Ok((organisers, occurrences)))
        })
        .await;
    let (organisers, occurrences) = match read {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => return Err(page::error(visit, StatusCode::BAD_REQUEST, &message)),
        Err(_) => return Err(page::unavailable(visit, "L'agenda")),
    };
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    let mut days: BTreeMap<NaiveDate, Vec<EventItem>> = BTreeMap::new();
    for occurrence in &occurrences {
        let view = viewer.view(occurrence);
        // An event that began before the period shows on its first day.
        let day = view.date.max(request.from);
        days.entry(day)
            .or_default()
            .push(EventItem::new(app, &view));
    }
    let days: Vec<Day> = days
        .into_iter()
        .map(|(day, events)| Day {
            label: french::capitalised(&french::date(day)),
            events,
        })
        .collect();
    let period = french::period(request.from, request.to);
    let (previous, next) = neighbours(&request);
    let filters_query = selection::query_string(&request.filters.pairs());
    let with_filters = |path: &str| match filters_query.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{filters_query}"),
    };
    let period_query = {
        let mut pairs = request.filters.pairs();
        let (from, to) = (request.from.to_string(), request.to.to_string());
        pairs.push(("du", &from));
        if !request.week {
            pairs.push(("au", &to));
        }
        selection::query_string(&pairs)
    };
    let title = app.config.feeds.territory_name.clone();
    if request.text {
        let count = days.iter().map(|d| d.events.len()).sum();
        let text_page = TextPage {
            chrome: Chrome::new(visit, format!("{title} (version texte)")),
            period,
            chosen: chosen(app, &request.filters, &organisers),
            previous: previous.to("/agenda/texte"),
            next: next.to("/agenda/texte"),
            full_version: format!("/?{period_query}"),
            days,
            count,
        };
        page::html(visit, "L'agenda", &text_page)
    } else {
        let (webcal, ics) = feed_addresses(app, &with_filters("/feeds/intercommunal.ics"));
        let base = app.config.base_url.trim_end_matches('/');
        let agenda_page = AgendaPage {
            chrome: Chrome::new(visit, title),
            selects: selects_for(app, &request.filters, &organisers),
            text: request.filters.text.clone().unwrap_or_default(),
            from: request.from,
            to: request.to,
            period,
            shortcuts: shortcuts(today, &request.filters),
            previous: previous.to("/"),
            next: next.to("/"),
            text_version: format!("/agenda/texte?{period_query}"),
            subscription: Subscription {
                webcal,
                ics,
                rss: format!("{base}{}", with_filters("/feeds/intercommunal.rss")),
                json: format!("{base}{}", with_filters("/api/public/events")),
                share: with_filters("/partager"),
            },
            days,
        };
        page::html(visit, "L'agenda", &agenda_page)
    }
}

/// A link to the period before or after, as a query string to put after
/// a path.
struct Neighbour {
    query: String,
    text: &'static str,
}

impl Neighbour {
    fn to(&self, path: &str) -> Link {
        Link {
            href: format!("{path}?{}", self.query),
            text: self.text,
        }
    }
}

/// The week (or period of the same length) before and after.
fn neighbours(request: &Request) -> (Neighbour, Neighbour) {
    let length = (request.to - request.from).num_days() + 1;
    let shifted = |days: i64| {
        let from = crate::params::add_days(request.from, days).to_string();
        let to = crate::params::add_days(request.to, days).to_string();
        let mut pairs = request.filters.pairs();
        pairs.push(("du", &from));
        if !request.week {
            pairs.push(("au", &to));
        }
        selection::query_string(&pairs)
    };
    let (before, after) = if length == 7 {
        ("Semaine précédente", "Semaine suivante")
    } else {
        ("Période précédente", "Période suivante")
    };
    (
        Neighbour {
            query: shifted(-length),
            text: before,
        },
        Neighbour {
            query: shifted(length),
            text: after,
        },
    )
}

/// "Aujourd'hui", "Ce week-end", "Cette semaine", "Ce mois-ci", with the
/// filters kept.
fn shortcuts(today: NaiveDate, filters: &Filters) -> Vec<Link> {
    let days_to_saturday = (Weekday::Sat.num_days_from_monday() as i64
        - today.weekday().num_days_from_monday() as i64)
        .max(0);
    let saturday = crate::params::add_days(today, days_to_saturday);
    let sunday = crate::params::add_days(today, 6 - today.weekday().num_days_from_monday() as i64);
    let end_of_month = (28..=31)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(today.year(), today.month(), d))
        .unwrap_or(today);
    let link = |from: NaiveDate, to: Option<NaiveDate>, text: &'static str| {
        let mut pairs = filters.pairs();
        let (from, to) = (from.to_string(), to.map(|t| t.to_string()));
        pairs.push(("du", &from));
        if let Some(to) = &to {
            pairs.push(("au", to));
        }
        Link {
            href: format!("/?{}", selection::query_string(&pairs)),
            text,
        }
    };
    vec![
        link(today, Some(today), "Aujourd'hui"),
        link(saturday, Some(sunday), "Ce week-end"),
        link(today, None, "Cette semaine"),
        link(today, Some(end_of_month), "Ce mois-ci"),
    ]
}

pub fn selects_for(app: &App, filters: &Filters, organisers: &[PublicOrganiser]) -> Vec<Select> {
    let options = |items: Vec<(&str, &str)>, chosen: &[String]| {
        items
            .into_iter()
            .map(|(value, text)| SelectOption {
                selected: chosen.iter().any(|c| c == value),
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
            all: "Toutes les communes",
            options: options(
                items.map(|c| (c.slug.as_str(), c.name.as_str())).collect(),
                &filters.communes,
            ),
        });
    }
    if !app.config.categories.is_empty() {
        let items = app.config.categories.iter();
        selects.push(Select {
            name: "categorie",
            label: "Catégorie",
            all: "Toutes les catégories",
            options: options(
                items.map(|c| (c.slug.as_str(), c.name.as_str())).collect(),
                &filters.categories,
            ),
        });
    }
    if !organisers.is_empty() {
        let mut sorted: Vec<&PublicOrganiser> = organisers.iter().collect();
        sorted.sort_by_cached_key(|o| crate::text::normalize(&o.display_name));
        selects.push(Select {
            name: "organisateur",
            label: "Organisateur",
            all: "Tous les organisateurs",
            options: options(
                sorted
                    .iter()
                    .map(|o| (o.login.as_str(), o.display_name.as_str()))
                    .collect(),
                &filters.organisers,
            ),
        });
    }
    selects
}

/// The filters in words, for the text version: "Commune : Arue. ...".
fn chosen(app: &App, filters: &Filters, organisers: &[PublicOrganiser]) -> String {
    let mut parts = Vec::new();
    let names = |slugs: &[String], name: &dyn Fn(&str) -> Option<String>| {
        let names: Vec<String> = slugs
            .iter()
            .map(|s| name(s).unwrap_or_else(|| s.clone()))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        french::list(&names)
    };
    if !filters.communes.is_empty() {
        let name = |s: &str| app.config.commune(s).map(|c| c.name.clone());
        parts.push(format!(
            "commune\u{202f}: {}",
            names(&filters.communes, &name)
        ));
    }
    if !filters.categories.is_empty() {
        let name = |s: &str| app.config.category(s).map(|c| c.name.clone());
        parts.push(format!(
            "catégorie\u{202f}: {}",
            names(&filters.categories, &name)
        ));
    }
    if !filters.organisers.is_empty() {
        let name = |s: &str| {
            organisers
                .iter()
                .find(|o| o.login == s)
                .map(|o| o.display_name.clone())
        };
        parts.push(format!(
            "organisateur\u{202f}: {}",
            names(&filters.organisers, &name)
        ));
    }
    if let Some(text) = &filters.text {
        parts.push(format!("recherche\u{202f}: «\u{202f}{text}\u{202f}»"));
    }
    parts.join("\u{202f}; ")
}

/// A feed's `webcal://` address (calendar apps subscribe when it is
/// followed) and its plain address, from the configured base URL.
pub fn feed_addresses(app: &App, path: &str) -> (String, String) {
    let base = app.config.base_url.trim_end_matches('/');
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(base);
    (format!("webcal://{host}{path}"), format!("{base}{path}"))
}
