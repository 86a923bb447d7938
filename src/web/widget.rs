//! The widget (`/widget?commune=arue&limite=5`): the next public events
//! of a selection as a small page made for an `<iframe>` on a commune's or
//! an association's website. No JavaScript, a few lines of CSS, a colour
//! and a text size chosen in the address (checked: a colour must read on
//! white), links that open the event's page in the whole window. Any site
//! may frame it (`frame-ancestors *`).

use super::cached;
use super::page;
use super::visit::Visit;
use crate::app::App;
use crate::event_view::Viewer;
use crate::http::{self, Response};
use crate::places::Places;
use crate::selection::{self, Filters};
use crate::store::accounts;
use askama::Template;
use chrono::NaiveDate;
use hyper::StatusCode;

pub const DEFAULT_LIMIT: usize = 5;
pub const MAX_LIMIT: usize = 50;
const DEFAULT_SIZE: u32 = 16;
pub const SIZES: std::ops::RangeInclusive<u32> = 12..=24;
const DEFAULT_COLOUR: &str = "1b5e20";

/// What the widget's address asks.
#[derive(Debug, Clone)]
pub struct WidgetRequest {
    pub filters: Filters,
    pub limit: usize,
    /// Six lower-case hex digits, without `#`; `None`: the default.
    pub colour: Option<String>,
    /// Text size in CSS pixels; `None`: the default.
    pub size: Option<u32>,
}

impl WidgetRequest {
    /// The widget's address for this request, parameters in one order.
    pub fn path(&self) -> String {
        let mut pairs = self.filters.pairs();
        let limit = self.limit.to_string();
        pairs.push(("limite", &limit));
        if let Some(colour) = &self.colour {
            pairs.push(("couleur", colour));
        }
        let size = self.size.map(|s| s.to_string());
        if let Some(size) = &size {
            pairs.push(("taille", size));
        }
        format!("/widget?{}", selection::query_string(&pairs))
    }
}

/// Reads the filters, `limite` (or `limit`, 1 to 50), `couleur` (or
/// `color`: 3 or 6 hex digits, `#` optional, dark enough to read on white)
/// and `taille` (or `size`: 12 to 24 pixels). Other parameters are ignored.
pub fn read(app: &App, query: &str) -> Result<WidgetRequest, String> {
    let mut request = WidgetRequest {
        filters: Filters::default(),
        limit: DEFAULT_LIMIT,
        colour: None,
        size: None,
    };
    for (key, value) in crate::params::pairs(query).map_err(|e| e.to_string())? {
        if request.filters.take(&app.config, &key, value.clone())? {
            continue;
        }
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "limite" | "limit" => {
                request.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        format!("«\u{202f}limite\u{202f}» est un nombre d'événements de 1 à {MAX_LIMIT}\u{202f}: «\u{202f}{value}\u{202f}» ne convient pas.")
                    })?
            }
            "couleur" | "color" => request.colour = Some(colour(&value)?),
            "taille" | "size" => {
                request.size = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| SIZES.contains(n))
                        .ok_or_else(|| {
                            format!(
                                "«\u{202f}taille\u{202f}» est une taille de texte en pixels, de {} à {}\u{202f}: «\u{202f}{value}\u{202f}» ne convient pas.",
                                SIZES.start(),
                                SIZES.end()
                            )
                        })?,
                )
            }
            _ => {}
        }
    }
    request.filters.sort();
    Ok(request)
}

/// A colour as 3 or 6 hex digits (`#` optional), as six lower-case
/// digits; refused when text of that colour would not read on white
/// (contrast under 4.5:1, WCAG 2.1 AA).
pub fn colour(text: &str) -> Result<String, String> {
    let digits = text.trim().trim_start_matches('#');
    let bad = || {
        format!("«\u{202f}couleur\u{202f}» s'écrit avec 3 ou 6 chiffres hexadécimaux (par exemple 1b5e20)\u{202f}: «\u{202f}{text}\u{202f}» ne convient pas.")
    };
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let six: String = match digits.len() {
        3 => digits.chars().flat_map(|c| [c, c]).collect(),
        6 => digits.to_owned(),
        _ => return Err(bad()),
    }
    .to_ascii_lowercase();
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&six[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    let contrast = 1.05 / (luminance + 0.05);
    if contrast < 4.5 {
        return Err(format!(
            "La couleur «\u{202f}{text}\u{202f}» est trop claire pour se lire sur fond blanc (contraste {contrast:.1}:1, il faut au moins 4,5:1). Choisissez une couleur plus foncée."
        ));
    }
    Ok(six)
}

struct Item {
    href: String,
    day: String,
    hours: String,
    title: String,
    place: Option<String>,
    cancelled: bool,
    tentative: bool,
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetPage {
    title: String,
    colour: String,
    size: u32,
    items: Vec<Item>,
    more: String,
    site: String,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let app = visit.app;
    let request = match read(app, &visit.request.query) {
        Ok(request) => request,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let today = crate::clock::today(app.timezone);
    let key = format!("widget|{}|{today}", request.path());
    let mut response = cached::output(visit, format!("page:{key}"), page::HTML, || {
        render(visit, request, today)
    })
    .await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        http::set_header(&mut response, "cache-control", "no-cache");
        // Made to be framed by any site; it reads nothing and sends nothing.
        http::set_header(
            &mut response,
            "content-security-policy",
            "frame-ancestors *; default-src 'none'; style-src 'unsafe-inline'",
        );
    }
    response
}

/// Windows tried in turn until the widget has its events: most widgets
/// fill within two weeks, and a short read is a fast one.
const WINDOWS: [i64; 3] = [14, 92, 366];

async fn render(
    visit: &Visit<'_>,
    request: WidgetRequest,
    today: NaiveDate,
) -> Result<String, Response> {
    let app = visit.app;
    let tz = app.timezone;
    let filters = request.filters.clone();
    let limit = request.limit;
    let Ok(territory) = app.territory().await else {
        return Err(page::unavailable(visit, "L'agenda"));
    };
    let territory2 = territory.clone();
    let read = app
        .store
        .read(move |conn| {
            if let Err(message) = filters.check_organisers(&accounts::publishing_organisers(conn)?)
            {
                return Ok(Err(message));
            }
            let from = crate::time::local_midnight(tz, today);
            let mut found = Vec::new();
            for days in WINDOWS {
                let to = crate::time::local_midnight(tz, crate::params::add_days(today, days));
                found = selection::occurrences(conn, &territory2, &filters, from, to)?;
                if found.len() >= limit {
                    break;
                }
            }
            found.truncate(limit);
            Ok(Ok(found))
        })
        .await;
    let occurrences = match read {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => return Err(page::error(visit, StatusCode::BAD_REQUEST, &message)),
        Err(_) => return Err(page::unavailable(visit, "L'agenda")),
    };
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    let base = app.config.base_url.trim_end_matches('/');
    let items = occurrences
        .iter()
        .map(|occurrence| {
            let view = viewer.view(occurrence);
            Item {
                href: view.url(app),
                day: crate::french::capitalised(&crate::french::date(view.date)),
                hours: view.hours.clone(),
                title: view.title.clone(),
                place: view.place(),
                cancelled: view.cancelled,
                tentative: view.tentative,
            }
        })
        .collect();
    let filters_query = selection::query_string(&request.filters.pairs());
    let title = match request.filters.communes.as_slice() {
        [one] => format!(
            "Prochains événements à {}",
            app.config
                .commune(one)
                .map(|c| c.name.as_str())
                .unwrap_or(one)
        ),
        _ => "Prochains événements".to_owned(),
    };
    let widget = WidgetPage {
        title,
        colour: request.colour.unwrap_or_else(|| DEFAULT_COLOUR.to_owned()),
        size: request.size.unwrap_or(DEFAULT_SIZE),
        items,
        more: format!("{base}/?{filters_query}"),
        site: app.config.feeds.territory_name.clone(),
    };
    page::html(visit, "L'agenda", &widget)
}
