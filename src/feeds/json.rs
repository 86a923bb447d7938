//! The public events as JSON (`/api/public/events`), for the communes'
//! websites and apps: anonymous, open to every origin (CORS), cached like
//! the feeds (ETag, 304, gzip), paged, with the feeds' filters. Its fields
//! are described by the JSON Schema served at `/api/public/schema.json`
//! (`docs/public-events.schema.json` in the repository).
//!
//! Also the list requests shared with the RSS feed: filters, a window of
//! dates (`du`/`au`, both included) and a number of events.

use crate::app::App;
use crate::event_view::{self, EventView, Named, Viewer};
use crate::http::{self, Response};
use crate::places::Places;
use crate::selection::{self, Filters};
use crate::store::accounts;
use crate::store::views::{self, Occurrence, Scope};
use chrono::NaiveDate;
use hyper::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use std::sync::Arc;

const JSON: &str = "application/json; charset=utf-8";
const SCHEMA: &str = include_str!("../../docs/public-events.schema.json");

/// Default window of the lists: from today, this many days.
pub const DEFAULT_DAYS: i64 = 92;

/// A list of occurrences as asked: filters, dates, size and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub filters: Filters,
    pub from: NaiveDate,
    /// Included.
    pub to: NaiveDate,
    pub limit: usize,
    /// From 1.
    pub page: usize,
}

impl ListRequest {
    pub fn key(&self) -> String {
        format!(
            "{}..{};{};n={};p={}",
            self.from,
            self.to,
            self.filters.key(),
            self.limit,
            self.page
        )
    }

    /// The query string of this request, for `page` (the next link).
    pub fn query(&self, page: usize) -> String {
        let mut pairs = self.filters.pairs();
        let (from, to, limit, page) = (
            self.from.to_string(),
            self.to.to_string(),
            self.limit.to_string(),
            page.to_string(),
        );
        pairs.push(("du", &from));
        pairs.push(("au", &to));
        pairs.push(("limit", &limit));
        pairs.push(("page", &page));
        selection::query_string(&pairs)
    }

    /// The window in UTC seconds: from `from`'s midnight to the end of
    /// `to`.
    pub fn window(&self, tz: chrono_tz::Tz) -> (i64, i64) {
        (
            crate::time::local_midnight(tz, self.from),
            crate::time::local_midnight(tz, crate::params::next_day(self.to)),
        )
    }
}

/// Reads a list's query string: the filters, `du`/`from` and `au`/`to`
/// (default: today and 92 days later), `limit`/`limite` (1 to `max`) and,
/// when `paged`, `page`. Anything else is refused, as the feeds do.
pub fn parse(
    app: &App,
    query: &str,
    today: NaiveDate,
    (default_limit, max): (usize, usize),
    paged: bool,
) -> Result<ListRequest, String> {
    let mut request = ListRequest {
        filters: Filters::default(),
        from: today,
        to: crate::params::add_days(today, DEFAULT_DAYS),
        limit: default_limit,
        page: 1,
    };
    let mut to = None;
    for (key, value) in crate::params::pairs(query).map_err(|e| e.to_string())? {
        if request.filters.take(&app.config, &key, value.clone())? {
            continue;
        }
        let number = |name: &str, max: usize| {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    format!("«\u{202f}{name}\u{202f}» est un nombre de 1 à {max}\u{202f}: «\u{202f}{value}\u{202f}» ne convient pas.")
                })
        };
        match (crate::params::canonical_name(&key), key.as_str()) {
            (Some("du"), _) => {
                request.from = crate::params::date(&value).map_err(|e| e.to_string())?
            }
            (Some("au"), _) => to = Some(crate::params::date(&value).map_err(|e| e.to_string())?),
            (_, "limit" | "limite") => request.limit = number("limit", max)?,
            (_, "page") if paged => request.page = number("page", 100_000)?,
            _ => return Err(crate::params::unknown_parameter(&key)),
        }
    }
    request.to = to.unwrap_or_else(|| crate::params::add_days(request.from, DEFAULT_DAYS));
    if request.to < request.from {
        return Err(format!(
            "La période doit finir après son début\u{202f}: «\u{202f}au\u{202f}» ({}) est avant «\u{202f}du\u{202f}» ({}).",
            request.to, request.from
        ));
    }
    let years = app.config.feeds.max_window_years;
    if (request.to - request.from).num_days() > 366 * i64::from(years) {
        return Err(format!(
            "La période peut couvrir {years} an{} au plus.",
            if years == 1 { "" } else { "s" }
        ));
    }
    request.filters.sort();
    Ok(request)
}

/// The occurrences a list asks for, all of them (the caller pages), and
/// the bodies of the events of the page `[skip, skip + take)`, by object
/// id. Organisers are checked first: `Ok(Err(message))` is a 400.
pub async fn read(
    app: &Arc<App>,
    request: &ListRequest,
    (skip, take): (usize, usize),
) -> crate::store::Result<Result<(Vec<Occurrence>, Vec<(i64, Vec<u8>, i64)>), String>> {
    let filters = request.filters.clone();
    let (from, to) = request.window(app.timezone);
    let territory = app.territory().await?;
    app.store
        .read(move |conn| {
            if let Err(message) = filters.check_organisers(&accounts::publishing_organisers(conn)?)
            {
                return Ok(Err(message));
            }
            let found = selection::occurrences(conn, &territory, &filters, from, to)?;
            let mut bodies: Vec<(i64, Vec<u8>, i64)> = Vec::new();
            for occurrence in found.iter().skip(skip).take(take) {
                if bodies.iter().any(|(id, _, _)| *id == occurrence.object_id) {
                    continue;
                }
                let name = format!("{}.ics", occurrence.object_id);
                if let Some((meta, body)) = views::with_body(conn, Scope::Public, &name)? {
                    bodies.push((meta.id, body, meta.modified_at));
                }
            }
            Ok(Ok((found, bodies)))
        })
        .await
}

/// One occurrence in the JSON answer (see the schema for each field).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    id: &'a str,
    occurrence_id: String,
    url: String,
    ics: String,
    title: &'a str,
    description: &'a str,
    start: &'a str,
    end: &'a str,
    all_day: bool,
    status: &'static str,
    location: Option<&'a str>,
    commune: Option<&'a Named>,
    categories: &'a [Named],
    organisers: Vec<Organiser<'a>>,
}

#[derive(Serialize)]
struct Organiser<'a> {
    id: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    website: Option<&'a str>,
    url: String,
}

#[derive(Serialize)]
struct Answer<'a> {
    events: Vec<Event<'a>>,
    total: usize,
    page: usize,
    limit: usize,
    from: String,
    to: String,
    next: Option<String>,
}

/// `/api/public/...`, for anyone.
pub async fn handle(
    app: &Arc<App>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Response {
    let mut response = match (method.as_str(), path) {
        ("OPTIONS", _) => {
            let mut response = http::empty(StatusCode::NO_CONTENT);
            http::set_header(
                &mut response,
                "access-control-allow-methods",
                "GET, HEAD, OPTIONS",
            );
            http::set_header(
                &mut response,
                "access-control-allow-headers",
                "If-None-Match",
            );
            http::set_header(&mut response, "access-control-max-age", "86400");
            response
        }
        ("GET" | "HEAD", "/api/public/events") => events(app, query, headers).await,
        ("GET" | "HEAD", "/api/public/schema.json") => {
            let mut response = http::response(StatusCode::OK, "application/schema+json", SCHEMA);
            http::set_header(&mut response, "cache-control", "public, max-age=86400");
            response
        }
        (_, "/api/public/events" | "/api/public/schema.json") => {
            let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "Lecture seule (GET).");
            http::set_header(&mut response, "allow", "GET, HEAD, OPTIONS");
            response
        }
        _ => error(StatusCode::NOT_FOUND, "Cette adresse n'existe pas."),
    };
    http::set_header(&mut response, "access-control-allow-origin", "*");
    http::set_header(
        &mut response,
        "access-control-expose-headers",
        "ETag, Last-Modified",
    );
    response
}

/// A refusal as JSON: `{"error": "..."}`.
fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    http::response(status, JSON, body)
}

async fn events(app: &Arc<App>, query: &str, headers: &HeaderMap) -> Response {
    let today = crate::clock::today(app.timezone);
    let request = match parse(app, query, today, (50, 500), true) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let key = format!("json|{}", request.key());
    let mut response = super::cached(app, key, JSON, headers, || render(app, request)).await;
    response.headers_mut().remove("content-disposition");
    response
}

async fn render(app: &Arc<App>, request: ListRequest) -> Result<super::cache::Content, Response> {
    let skip = (request.page - 1) * request.limit;
    let (occurrences, bodies) = match read(app, &request, (skip, request.limit)).await {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => return Err(error(StatusCode::BAD_REQUEST, &message)),
        Err(_) => {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service momentanément indisponible.",
            ))
        }
    };
    // The same place rules as `read` (cached per store generation).
    let Ok(territory) = app.territory().await else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service momentanément indisponible.",
        ));
    };
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    let views: Vec<EventView> = occurrences
        .iter()
        .skip(skip)
        .take(request.limit)
        .map(|o| viewer.view(o))
        .collect();
    let written: Vec<event_view::Written> = views
        .iter()
        .map(|view| {
            bodies
                .iter()
                .find(|(id, _, _)| *id == view.object_id)
                .map(|(_, body, _)| event_view::describe_body(body))
                .unwrap_or_default()
        })
        .collect();
    let base = app.config.base_url.trim_end_matches('/');
    let events = views
        .iter()
        .zip(&written)
        .map(|(view, written)| event(app, base, view, written))
        .collect();
    let total = occurrences.len();
    let answer = Answer {
        events,
        total,
        page: request.page,
        limit: request.limit,
        from: request.from.to_string(),
        to: request.to.to_string(),
        next: (skip + request.limit < total).then(|| {
            format!(
                "{base}/api/public/events?{}",
                request.query(request.page + 1)
            )
        }),
    };
    let body = serde_json::to_vec(&answer)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?;
    Ok(super::content(
        bytes::Bytes::from(body),
        "events.json".into(),
    ))
}

fn event<'a>(
    app: &App,
    base: &str,
    view: &'a EventView,
    written: &'a event_view::Written,
) -> Event<'a> {
    let present = |v: &'a Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty());
    Event {
        id: &view.uid,
        occurrence_id: format!("{}/{}", view.uid, view.date),
        url: view.url(app),
        ics: format!(
            "{base}{}/evenement.ics",
            crate::paths::event_page(&view.uid, None)
        ),
        title: &view.title,
        description: &written.description,
        start: &view.start,
        end: &view.end,
        all_day: view.all_day,
        status: if view.cancelled {
            "cancelled"
        } else if view.tentative {
            "tentative"
        } else {
            "confirmed"
        },
        location: view.location.as_deref(),
        commune: view.commune.as_ref(),
        categories: &view.categories,
        organisers: view
            .organisers
            .iter()
            .map(|o| Organiser {
                id: &o.login,
                name: &o.name,
                email: present(&o.email),
                phone: present(&o.phone),
                website: present(&o.website).filter(|w| event_view::web_address(w)),
                url: format!("{base}/associations#{}", o.login),
            })
            .collect(),
    }
}
