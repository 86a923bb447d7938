//! Public ICS feeds (webcal): `/feeds/intercommunal.ics` with filters, and
//! `/feeds/{organiser}.ics`. A feed is rendered once per change of the data
//! (the store's generation) and per canonical request (the default window
//! moves with the day), then served from memory with strong ETags, 304s and
//! gzip (see `cache`).

// Handlers answer a refusal with the response itself (`Err(Response)`):
// built once per refused request, its size does not matter.
#![allow(clippy::result_large_err)]

pub mod cache;
pub mod json;
pub mod request;
pub mod rss;
pub mod usage;

use crate::app::App;
use crate::categories::{CategoryMatcher, Source as CategorySource};
use crate::http::{self, Response};
use crate::places::Places;
use crate::query::export::{escape_text, plain, Export};
use crate::query::public;
use crate::query::tree::{Component, Property};
use crate::selection::Sieve;
use crate::store::accounts;
use crate::store::views::{self, FeedItem, OrganiserCard};
use bytes::Bytes;
use cache::{Content, Rendered, Source};
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Method, StatusCode};
use request::FeedRequest;
use std::io::Write;
use std::sync::Arc;

pub use cache::FeedCache;

pub async fn handle(
    app: &Arc<App>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = http::text(StatusCode::METHOD_NOT_ALLOWED, "Feeds are read with GET.");
        http::set_header(&mut response, "allow", "GET, HEAD");
        return response;
    }
    if let Some(name) = path
        .strip_prefix("/feeds/")
        .and_then(|n| n.strip_suffix(".rss"))
    {
        return rss::handle(app, name, query, headers).await;
    }
    let Some(name) = path
        .strip_prefix("/feeds/")
        .and_then(|n| n.strip_suffix(".ics"))
    else {
        return http::text(StatusCode::NOT_FOUND, "Ce calendrier n'existe pas.");
    };
    let today = crate::clock::today(app.timezone);
    let request = match request::parse(query, &app.config, today) {
        Ok(request) => request,
        Err(message) => return http::text(StatusCode::BAD_REQUEST, &message),
    };
    let generation = app.store.generation();
    let rendered = app
        .feeds
        .get(request.key(name), generation, || render(app, name, request))
        .await;
    match rendered {
        Ok((rendered, source)) => respond(&rendered, source, headers),
        Err(response) => *response,
    }
}

/// Serves an output of type `content_type` rendered once per data change
/// and `key` (pages, RSS, JSON): from the cache, else from `render`, whose
/// errors are answered as they are and not kept.
pub async fn cached<F, Fut>(
    app: &Arc<App>,
    key: String,
    content_type: &str,
    headers: &HeaderMap,
    render: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Content, Response>>,
{
    let generation = app.store.generation();
    let rendered = app
        .feeds
        .get(key, generation, || async {
            render().await.map_err(Box::new)
        })
        .await;
    match rendered {
        Ok((rendered, source)) => respond_as(&rendered, source, headers, content_type),
        Err(response) => *response,
    }
}

/// What an organiser's feeds (ICS and RSS) say of it: its own public
/// description (`/espace/profil`, the desk) when it wrote one.
pub fn organiser_description(
    organiser: &crate::store::accounts::PublicOrganiser,
    territory: &str,
) -> String {
    match organiser
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(own) => own.to_owned(),
        None => format!(
            "Les événements publics de {} ({territory}).",
            organiser.display_name
        ),
    }
}

fn respond(rendered: &Rendered, source: Source, headers: &HeaderMap) -> Response {
    respond_as(rendered, source, headers, http::CALENDAR)
}

/// Answers a request from a cached render of type `content_type`: 304 when
/// the client holds it, gzip when it takes it, the render's validators.
pub fn respond_as(
    rendered: &Rendered,
    source: Source,
    headers: &HeaderMap,
    content_type: &str,
) -> Response {
    let not_modified = match http::header(headers, "if-none-match") {
        Some(tags) => crate::dav::object::etag_matches(tags, &rendered.etag),
        None => http::header(headers, "if-modified-since")
            .and_then(|since| httpdate::parse_http_date(since).ok())
            .and_then(|since| since.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|since| rendered.last_modified <= since.as_secs() as i64),
    };
    let gzip = http::header(headers, "accept-encoding").is_some_and(accepts_gzip);
    let mut response = if not_modified {
        http::empty(StatusCode::NOT_MODIFIED)
    } else if gzip {
        let mut response = http::response(StatusCode::OK, content_type, rendered.gzip.clone());
        http::set_header(&mut response, "content-encoding", "gzip");
        response
    } else {
        http::response(StatusCode::OK, content_type, rendered.body.clone())
    };
    response
        .headers_mut()
        .extend(rendered.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    // Whether this answer needed a render: cheap, and it lets operators
    // (and the tests) see that equivalent URLs share one.
    response
        .headers_mut()
        .insert("x-concord-cache", HeaderValue::from_static(source.as_str()));
    response
}

fn accepts_gzip(header: &str) -> bool {
    header.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

async fn render(
    app: &Arc<App>,
    name: &str,
    mut request: FeedRequest,
) -> Result<Content, Box<Response>> {
    let bad = |message: String| Box::new(http::text(StatusCode::BAD_REQUEST, &message));
    // Enabled organisers that publish, with their public cards.
    let publishing = app
        .store
        .read(accounts::publishing_organisers)
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::from(e).into_response()))?;
    let (title, description) = if name == crate::paths::AGGREGATE {
        for login in &request.filters.organisers {
            if !publishing.iter().any(|p| &p.login == login) {
                return Err(bad(crate::params::unknown_value(
                    "un organisateur",
                    login,
                    publishing.iter().map(|p| p.login.as_str()),
                )));
            }
        }
        let territory = &app.config.feeds.territory_name;
        (
            territory.clone(),
            format!("Les événements publics des associations, communes et services : {territory}."),
        )
    } else {
        let Some(organiser) = publishing.iter().find(|p| p.login == name) else {
            return Err(Box::new(http::text(
                StatusCode::NOT_FOUND,
                "Cet organisateur n'existe pas ou ne publie pas son agenda.",
            )));
        };
        request.filters.organisers = vec![organiser.login.clone()];
        (
            organiser.display_name.clone(),
            organiser_description(organiser, &app.config.feeds.territory_name),
        )
    };
    let (from, to) = request.window(app.timezone);
    let query = request.clone();
    let territory = app
        .territory()
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::from(e).into_response()))?;
    let items = app
        .store
        .read(move |conn| {
            // Filters by where each event happens, its categories and the
            // free text, before its body is read.
            let places = Places::new(&territory);
            let mut sieve = Sieve::new(conn, &territory, &places, &query.filters)?;
            let mut keep = |item: &FeedItem| sieve.keeps_item(item);
            views::feed_items(conn, from, to, &query.filters.organisers, &mut keep)
        })
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::from(e).into_response()))?;
    let app = app.clone();
    let filename = format!("{name}.ics");
    tokio::task::spawn_blocking(move || build(&app, items, (&title, &description), filename))
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::Internal(e.to_string()).into_response()))
}

/// What a feed says of an event beyond what its organiser wrote: the
/// categories it is filed under when its own CATEGORIES name none of the
/// territory's (its organiser's defaults, or words of its SUMMARY), in the
/// configuration's order; and, for a co-organised event, each organiser's
/// name as a CONTACT.
fn added_properties(app: &App, matcher: &CategoryMatcher, item: &FeedItem) -> Vec<Property> {
    let mut added = Vec::new();
    let first = &item.organisers[0];
    let (slugs, source) = matcher.effective(&item.categories, &first.categories, &item.summary);
    if matches!(source, CategorySource::Organiser | CategorySource::Summary) {
        let names: Vec<String> = app
            .config
            .categories
            .iter()
            .filter(|c| slugs.contains(&c.slug))
            .map(|c| escape_text(&c.name))
            .collect();
        if !names.is_empty() {
            added.push(plain("CATEGORIES", &names.join(",")));
        }
    }
    added.push(organizer(app, first));
    added
}

/// Points the event's URL at its page on the site (a VEVENT has one URL);
/// an address the organiser gave is kept as a line of the description.
fn link_to_page(app: &App, component: &mut Component) {
    let Some(uid) = component
        .property("UID")
        .and_then(|p| p.text_values().pop())
    else {
        return;
    };
    let page = format!(
        "{}{}",
        app.config.base_url.trim_end_matches('/'),
        crate::paths::event_page(&uid, None)
    );
    let own = component
        .properties
        .iter()
        .position(|p| p.name == "URL")
        .map(|at| component.properties.remove(at));
    if let Some(own) = own.filter(|u| u.raw_value.trim() != page) {
        let line = escape_text(&format!(
            "Plus d'informations\u{202f}: {}",
            own.raw_value.trim()
        ));
        match component
            .properties
            .iter_mut()
            .find(|p| p.name == "DESCRIPTION")
        {
            Some(description) if !description.raw_value.trim().is_empty() => {
                description.raw_value.push_str("\\n\\n");
                description.raw_value.push_str(&line);
            }
            Some(description) => description.raw_value = line,
            None => component.properties.push(plain("DESCRIPTION", &line)),
        }
    }
    component.properties.push(plain("URL", &page));
}

/// The organiser as calendar apps show it: ORGANIZER with its name and its
/// public e-mail, else its entry in the directory (a client's own
/// ORGANIZER, often a volunteer's address, never reaches a feed).
fn organizer(app: &App, card: &OrganiserCard) -> Property {
    let address = match card.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(email) => format!("mailto:{}", email.trim()),
        None => format!(
            "{}/associations#{}",
            app.config.base_url.trim_end_matches('/'),
            card.login
        ),
    };
    Property {
        name: "ORGANIZER".into(),
        // A parameter value cannot hold a double quote (RFC 5545 3.2).
        params: vec![("CN".into(), card.name.replace('"', "'"))],
        raw_value: address,
    }
}

/// Appends "Organisé par : A et B" as the last line of the description,
/// so that every organiser of a co-organised event is named.
fn name_organisers(component: &mut Component, organisers: &[Arc<OrganiserCard>]) {
    let names: Vec<&str> = organisers.iter().map(|o| o.name.as_str()).collect();
    let line = escape_text(&format!(
        "Organisé par\u{202f}: {}",
        crate::french::list(&names)
    ));
    match component
        .properties
        .iter_mut()
        .find(|p| p.name == "DESCRIPTION")
    {
        Some(description) if !description.raw_value.trim().is_empty() => {
            description.raw_value.push_str("\\n\\n");
            description.raw_value.push_str(&line);
        }
        Some(description) => description.raw_value = line,
        None => component.properties.push(plain("DESCRIPTION", &line)),
    }
}

/// An event as every calendar file carries it: its public form, its
/// organisers named, its categories, its URL pointing at its page; `None`
/// when it is not public.
pub fn publish_item(app: &App, matcher: &CategoryMatcher, item: &FeedItem) -> Option<Component> {
    let mut calendar = public::public_calendar(&item.body)?;
    let added = added_properties(app, matcher, item);
    for component in calendar.children.iter_mut().filter(|c| c.name == "VEVENT") {
        for property in &added {
            let present = component.properties.iter().any(|p| p.name == property.name);
            if property.name != "CATEGORIES" || !present {
                component.properties.push(property.clone());
            }
        }
        link_to_page(app, component);
        name_organisers(component, &item.organisers);
    }
    Some(calendar)
}

/// Renders, compresses and tags a feed (CPU work, off the async workers).
fn build(
    app: &App,
    items: Vec<FeedItem>,
    (title, description): (&str, &str),
    filename: String,
) -> Content {
    let matcher = CategoryMatcher::new(&app.config);
    let mut export = Export::new();
    // Each item (its body) is let go once written.
    for item in items {
        if let Some(calendar) = publish_item(app, &matcher, &item) {
            export.add(calendar);
        }
    }
    let refresh = format!("PT{}M", app.config.feeds.refresh_minutes.max(1));
    let name = escape_text(title);
    let text = export.finish(vec![
        plain("CALSCALE", "GREGORIAN"),
        plain("METHOD", "PUBLISH"),
        plain("NAME", &name),
        plain("X-WR-CALNAME", &name),
        plain("DESCRIPTION", &escape_text(description)),
        plain("X-WR-CALDESC", &escape_text(description)),
        plain("X-WR-TIMEZONE", &app.config.default_timezone),
        Property {
            name: "REFRESH-INTERVAL".into(),
            params: vec![("VALUE".into(), "DURATION".into())],
            raw_value: refresh.clone(),
        },
        plain("X-PUBLISHED-TTL", &refresh),
    ]);
    content(Bytes::from(text), filename)
}

/// A render ready for the cache: its body, a gzip copy and a strong ETag
/// (a digest of the body).
pub fn content(body: Bytes, filename: String) -> Content {
    let etag = {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    };
    // The fastest level: it compresses feeds (repetitive text) almost as
    // well as the default, in a fraction of the first render's time.
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    let gzip = encoder
        .write_all(&body)
        .and_then(|_| encoder.finish())
        .map(Bytes::from)
        .unwrap_or_default();
    Content {
        body,
        gzip,
        etag,
        filename,
    }
}
