//! An event's page (`/evenements/{uid}`, one occurrence of a series at
//! `/evenements/{uid}/{YYYY-MM-DD}`): when in words, where, who organises
//! it and how to reach them, what they wrote (web addresses made links),
//! the next dates of a series, a calendar file to add it to one's agenda
//! (`/evenements/{uid}/evenement.ics`), an address to share, and
//! schema.org `Event` data for search engines.
//!
//! Only public events of publishing organisers have a page: anything else
//! is the same 404 as an address that never existed.

use super::cached;
use super::contact::{dial, present};
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::event_view::{self, EventView, Viewer, Written};
use crate::http::{self, Response};
use crate::places::Places;
use crate::query::export::{plain, Export};
use crate::store::views::{self, EventInstance, FeedItem, Occurrence, PublicEvent};
use askama::Template;
use chrono::{NaiveDate, TimeZone};
use hyper::StatusCode;
use std::sync::Arc;

/// How many later dates of a series the page lists.
const NEXT_DATES: usize = 10;

/// The calendar file's name in the address.
const ICS: &str = "evenement.ics";

struct Organiser {
    name: String,
    anchor: String,
    email: Option<String>,
    phone: Option<String>,
    dial: String,
    website: Option<String>,
}

struct NextDate {
    href: String,
    when: String,
    cancelled: bool,
}

/// A piece of a description's line: text, or a web address made a link.
pub struct Piece {
    pub text: String,
    pub link: bool,
}

pub struct Paragraph {
    pub lines: Vec<Vec<Piece>>,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    chrome: Chrome,
    json_ld: String,
    when: String,
    past: bool,
    cancelled: bool,
    tentative: bool,
    location: Option<String>,
    commune: Option<String>,
    categories: String,
    organisers: Vec<Organiser>,
    description: Vec<Paragraph>,
    more: Option<String>,
    next: Vec<NextDate>,
    recurring: bool,
    ics: String,
    url: String,
    share_mail: String,
    agenda: String,
}

/// Routes `/evenements/...`.
pub async fn handle(visit: &Visit<'_>) -> Response {
    let rest = visit
        .request
        .path
        .strip_prefix(crate::paths::EVENTS)
        .unwrap_or("");
    let mut segments = rest.split('/');
    let Some(uid) = segments.next().and_then(crate::paths::event_uid) else {
        return page::not_found(visit);
    };
    let (date, file) = match (segments.next(), segments.next()) {
        (None, None) => (None, false),
        (Some(ICS), None) => (None, true),
        (Some(date), None) => match crate::params::date(date) {
            Ok(date) => (Some(date), false),
            Err(_) => return page::not_found(visit),
        },
        _ => return page::not_found(visit),
    };
    if file {
        return calendar_file(visit, uid).await;
    }
    let today = crate::clock::today(visit.app.timezone);
    let key = format!("event|{uid:?}|{date:?}|{today}");
    cached::page(visit, key, || render(visit, uid, date, today)).await
}

/// What the page needs from the store, in one read.
struct Found {
    event: PublicEvent,
    /// The occurrence shown, then the next ones.
    shown: EventInstance,
    next: Vec<EventInstance>,
    past: bool,
}

async fn find(
    app: &Arc<App>,
    uid: String,
    date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<Found>, crate::store::StoreError> {
    let tz = app.timezone;
    app.store
        .read(move |conn| {
            let Some(event) = views::public_event(conn, &uid)? else {
                return Ok(None);
            };
            let id = event.meta.id;
            let local_date = |t: i64| tz.timestamp_opt(t, 0).earliest().map(|d| d.date_naive());
            let (shown, next, past) = match date {
                Some(date) => {
                    let after = crate::time::local_midnight(tz, date);
                    let mut list = views::instances_of(conn, id, after, NEXT_DATES + 8)?;
                    let Some(at) = list.iter().position(|i| local_date(i.start) == Some(date))
                    else {
                        return Ok(None);
                    };
                    let shown = list[at];
                    list.drain(..=at);
                    (shown, list, date < today)
                }
                None => {
                    let after = crate::time::local_midnight(tz, today);
                    let mut list = views::instances_of(conn, id, after, NEXT_DATES + 1)?;
                    if list.is_empty() {
                        // Past: the page stays, and says so.
                        match views::instances_of(conn, id, i64::MIN, 1)?.first() {
                            Some(first) => (*first, Vec::new(), true),
                            None => return Ok(None),
                        }
                    } else {
                        let shown = list.remove(0);
                        (shown, list, false)
                    }
                }
            };
            Ok(Some(Found {
                event,
                shown,
                next,
                past,
            }))
        })
        .await
}

/// The event as an occurrence of the public selection, so that it reads
/// as the agenda shows it.
fn occurrence(event: &PublicEvent, instance: &EventInstance, uid: &str) -> Occurrence {
    let organisers: Arc<[Arc<views::OrganiserCard>]> = Arc::from(event.organisers.clone());
    Occurrence {
        start: instance.start,
        end: instance.end,
        all_day: instance.all_day,
        recurrence_id: instance.recurring.then_some(instance.start),
        object_id: event.meta.id,
        seq: event.meta.seq,
        summary: event.summary.as_deref().map(Arc::from),
        location: event.location.as_deref().map(Arc::from),
        categories: Arc::from(event.categories.as_str()),
        public: true,
        cancelled: instance.cancelled,
        transparent: false,
        uid: Arc::from(uid),
        tentative: event.tentative,
        organiser: event.organisers[0].clone(),
        co_organisers: (organisers.len() > 1).then_some(organisers),
    }
}

async fn render(
    visit: &Visit<'_>,
    uid: String,
    date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<String, Response> {
    let app = visit.app;
    let found = match find(app, uid.clone(), date, today).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(page::not_found(visit)),
        Err(_) => return Err(page::unavailable(visit, "Cette page")),
    };
    let Ok(territory) = app.territory().await else {
        return Err(page::unavailable(visit, "Cette page"));
    };
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    let view = viewer.view(&occurrence(&found.event, &found.shown, &uid));
    let written = event_view::describe_body(&found.event.body);
    let url = view.url(app);
    let next = found
        .next
        .iter()
        .map(|instance| {
            let other = viewer.view(&occurrence(&found.event, instance, &uid));
            NextDate {
                href: other.path,
                when: other.when,
                cancelled: other.cancelled,
            }
        })
        .collect();
    let title = view.title.clone();
    let page = EventPage {
        chrome: Chrome::new(visit, title.clone()),
        json_ld: json_ld(app, &view, &written, &url),
        when: crate::french::capitalised(&view.when),
        past: found.past,
        cancelled: view.cancelled,
        tentative: view.tentative,
        location: view.location.clone(),
        commune: view.commune.as_ref().map(|c| c.name.clone()),
        categories: view
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        organisers: view.organisers.iter().map(|o| organiser(o)).collect(),
        description: paragraphs(&written.description),
        more: written.url.clone(),
        next,
        recurring: view.recurring,
        ics: format!("{}/{ICS}", crate::paths::event_page(&view.uid, None)),
        share_mail: format!(
            "mailto:?subject={}&body={}",
            mail_encode(&title),
            mail_encode(&format!("{title}\n{}\n{url}", view.when))
        ),
        url,
        agenda: format!("/?du={}", view.date),
    };
    page::html(visit, "Cette page", &page)
}

fn organiser(card: &views::OrganiserCard) -> Organiser {
    let phone = present(&card.phone);
    Organiser {
        name: card.name.clone(),
        anchor: format!("/associations#{}", card.login),
        email: present(&card.email),
        dial: dial(phone.as_deref()),
        phone,
        website: present(&card.website).filter(|w| event_view::web_address(w)),
    }
}

/// Percent-encodes text for a `mailto:` address's fields.
fn mail_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A description as paragraphs (blank lines) of lines, web addresses made
/// links. Only http and https addresses become links; everything is
/// escaped by the template.
pub fn paragraphs(text: &str) -> Vec<Paragraph> {
    let normalised = text.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|paragraph| Paragraph {
            lines: paragraph.lines().map(linked).collect(),
        })
        .collect()
}

/// Cuts a line into text and web addresses.
fn linked(line: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(start) = find_address(rest) {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '«' | '»'))
            .unwrap_or(candidate.len());
        let address = trim_address(&candidate[..end]);
        if !event_view::web_address(address) {
            // "http://" alone: text.
            let skip = start + "http://".len().min(candidate.len());
            pieces.push(Piece {
                text: rest[..skip].to_owned(),
                link: false,
            });
            rest = &rest[skip..];
            continue;
        }
        if start > 0 {
            pieces.push(Piece {
                text: rest[..start].to_owned(),
                link: false,
            });
        }
        pieces.push(Piece {
            text: address.to_owned(),
            link: true,
        });
        rest = &rest[start + address.len()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece {
            text: rest.to_owned(),
            link: false,
        });
    }
    pieces
}

/// Where the next `http://` or `https://` starts (any case).
fn find_address(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

/// An address without the punctuation that ends its sentence ("voir
/// https://x.fr/a." or "(https://x.fr/a)").
fn trim_address(address: &str) -> &str {
    let mut address = address;
    loop {
        let Some(last) = address.chars().last() else {
            return address;
        };
        let unbalanced = last == ')' && address.matches('(').count() < address.matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | ']' | '}') || unbalanced {
            address = &address[..address.len() - last.len_utf8()];
        } else {
            return address;
        }
    }
}

/// schema.org `Event` data, as JSON that is safe inside `<script>`: no
/// `<`, `>` or `&` survives (they are written as `\u003c`...), so no text
/// can close the element.
fn json_ld(app: &App, view: &EventView, written: &Written, url: &str) -> String {
    use serde_json::{json, Value};
    let base = app.config.base_url.trim_end_matches('/');
    let organizers: Vec<Value> = view
        .organisers
        .iter()
        .map(|o| {
            let mut organizer = json!({
                "@type": "Organization",
                "name": o.name,
                "url": format!("{base}/associations#{}", o.login),
            });
            if let Some(email) = o.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                organizer["email"] = json!(email);
            }
            if let Some(phone) = o.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                organizer["telephone"] = json!(phone);
            }
            organizer
        })
        .collect();
    let mut address = json!({"@type": "PostalAddress", "addressCountry": "FR"});
    if let Some(commune) = &view.commune {
        address["addressLocality"] = json!(commune.name);
    }
    let place_name = view
        .location
        .clone()
        .or_else(|| view.commune.as_ref().map(|c| c.name.clone()))
        .unwrap_or_else(|| app.config.feeds.territory_name.clone());
    let status = if view.cancelled {
        "https://schema.org/EventCancelled"
    } else {
        "https://schema.org/EventScheduled"
    };
    let mut event = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": view.title,
        "startDate": view.start,
        "endDate": view.end,
        "eventStatus": status,
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": place_name, "address": address},
        "organizer": organizers,
        "url": url,
    });
    if !written.description.is_empty() {
        event["description"] = json!(written.description);
    }
    let text = event.to_string();
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    safe
}

/// The event as a calendar file of its own ("ajouter à mon agenda"):
/// what the feeds carry of it, and nothing else.
async fn calendar_file(visit: &Visit<'_>, uid: String) -> Response {
    let app = visit.app;
    let found = app
        .store
        .read(move |conn| views::public_event(conn, &uid))
        .await;
    let event = match found {
        Ok(Some(event)) => event,
        Ok(None) => return page::not_found(visit),
        Err(_) => return page::unavailable(visit, "Ce fichier"),
    };
    let item = FeedItem {
        id: event.meta.id,
        body: event.body,
        modified_at: event.meta.modified_at,
        categories: event.categories,
        summary: event.summary.unwrap_or_default(),
        location: event.location,
        organisers: event.organisers,
    };
    let matcher = CategoryMatcher::new(&app.config);
    let Some(calendar) = crate::feeds::publish_item(app, &matcher, &item) else {
        return page::not_found(visit);
    };
    let mut export = Export::new();
    export.add(calendar);
    let text = export.finish(vec![
        plain("CALSCALE", "GREGORIAN"),
        plain("METHOD", "PUBLISH"),
    ]);
    let mut response = http::response(StatusCode::OK, http::CALENDAR, text);
    http::set_header(
        &mut response,
        "content-disposition",
        &format!("attachment; filename=\"{ICS}\""),
    );
    http::set_header(&mut response, "cache-control", "no-cache");
    response
}
