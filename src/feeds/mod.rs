//! Public ICS feeds (webcal): `/feeds/intercommunal.ics` with filters, and
//! `/feeds/{organiser}.ics`. A feed is rendered once per change of the data
//! (the store's generation) and per canonical request (the default window
//! moves with the day), then served from memory with strong ETags, 304s and
//! gzip (see `cache`).

pub mod cache;
pub mod request;

use crate::app::App;
use crate::categories::{CategoryMatcher, Source as CategorySource};
use crate::http::{self, Response};
use crate::places::Places;
use crate::query::export::{escape_text, plain, Export};
use crate::query::public;
use crate::query::tree::{Component, Property};
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

fn respond(rendered: &Rendered, source: Source, headers: &HeaderMap) -> Response {
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
        let mut response = http::response(StatusCode::OK, http::CALENDAR, rendered.gzip.clone());
        http::set_header(&mut response, "content-encoding", "gzip");
        response
    } else {
        http::response(StatusCode::OK, http::CALENDAR, rendered.body.clone())
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
    let publishing = app
        .store
        .read(|conn| {
            Ok(accounts::list(conn)?
                .into_iter()
                .filter(|p| p.role == accounts::Role::Organiser && p.publishes && !p.disabled)
                .collect::<Vec<_>>())
        })
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::from(e).into_response()))?;
    let (title, description) = if name == crate::paths::AGGREGATE {
        for login in &request.organisers {
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
        request.organisers = vec![organiser.login.clone()];
        (
            organiser.display_name.clone(),
            format!(
                "Les événements publics de {} ({}).",
                organiser.display_name, app.config.feeds.territory_name
            ),
        )
    };
    let (from, to) = request.window(app.timezone);
    let query = request.clone();
    let app2 = app.clone();
    let items = app
        .store
        .read(move |conn| {
            // Filters by where each event happens and by its categories,
            // before its body is read.
            let places = Places::new(&app2.config);
            let mut resolver = places.resolver();
            let matcher = CategoryMatcher::new(&app2.config);
            let mut keep = |item: &FeedItem| {
                let first = &item.organisers[0];
                let by_commune = query.communes.is_empty() || {
                    let commune = resolver.commune(item.location.as_deref(), &first.commune);
                    query.communes.iter().any(|c| c == commune)
                };
                by_commune
                    && (query.categories.is_empty() || {
                        let slugs =
                            matcher.slugs(&item.categories, &first.categories, &item.summary);
                        query.categories.iter().any(|c| slugs.contains(c))
                    })
            };
            views::feed_items(conn, from, to, &query.organisers, &mut keep)
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
        let Some(mut calendar) = public::public_calendar(&item.body) else {
            continue;
        };
        let added = added_properties(app, &matcher, &item);
        for component in calendar.children.iter_mut().filter(|c| c.name == "VEVENT") {
            for property in &added {
                let present = component.properties.iter().any(|p| p.name == property.name);
                if property.name != "CATEGORIES" || !present {
                    component.properties.push(property.clone());
                }
            }
            name_organisers(component, &item.organisers);
        }
        export.add(calendar);
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
    let body = Bytes::from(text);
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
