//! Public ICS feeds (webcal): `/feeds/intercommunal.ics` with filters, and
//! `/feeds/{organiser}.ics`. A feed is rendered once per change of the data
//! (the store's generation) and per day (the default window moves), then
//! served from memory with strong ETags, 304s and gzip.

pub mod request;

use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::http::{self, Response};
use crate::locks::lock;
use crate::query::export::{escape_text, plain, Export};
use crate::query::public;
use crate::query::tree::Property;
use crate::store::accounts;
use crate::store::views::{self, FeedItem};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Method, StatusCode};
use request::FeedRequest;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Rendered feeds kept in memory; cleared when it holds too many.
const MAX_CACHED: usize = 512;

#[derive(Default)]
pub struct FeedCache {
    entries: Mutex<HashMap<String, Arc<Rendered>>>,
}

pub struct Rendered {
    generation: u64,
    body: Bytes,
    gzip: Bytes,
    etag: String,
    last_modified: i64,
    filename: String,
    /// Validators and caching headers, made once: a 304 is the most
    /// frequent answer of a subscribed feed.
    headers: HeaderMap,
}

impl Rendered {
    fn new(
        generation: u64,
        body: Bytes,
        gzip: Bytes,
        etag: String,
        last_modified: i64,
        filename: String,
    ) -> Rendered {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        put("etag", &etag);
        put("last-modified", &http::http_date(last_modified));
        put("cache-control", "public, max-age=300");
        put("vary", "Accept-Encoding");
        put(
            "content-disposition",
            &format!("inline; filename=\"{filename}\""),
        );
        Rendered {
            generation,
            body,
            gzip,
            etag,
            last_modified,
            filename,
            headers,
        }
    }
}

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
    let cache_key = format!("{name}?{query}@{today}");
    let generation = app.store.generation();
    let cached = lock(&app.feeds.entries).get(&cache_key).cloned();
    let rendered = match cached {
        Some(rendered) if rendered.generation == generation => rendered,
        _ => match render(app, name, query, today, generation).await {
            Ok(rendered) => {
                let rendered = Arc::new(rendered);
                let mut entries = lock(&app.feeds.entries);
                if entries.len() >= MAX_CACHED {
                    entries.clear();
                }
                // Keep the older Last-Modified when nothing really changed.
                let rendered = match entries.get(&cache_key) {
                    Some(old) if old.etag == rendered.etag => Arc::new(Rendered::new(
                        generation,
                        old.body.clone(),
                        old.gzip.clone(),
                        old.etag.clone(),
                        old.last_modified,
                        old.filename.clone(),
                    )),
                    _ => rendered,
                };
                entries.insert(cache_key, rendered.clone());
                rendered
            }
            Err(response) => return *response,
        },
    };
    respond(&rendered, headers)
}

fn respond(rendered: &Rendered, headers: &HeaderMap) -> Response {
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
    query: &str,
    today: chrono::NaiveDate,
    generation: u64,
) -> Result<Rendered, Box<Response>> {
    let bad = |message: String| Box::new(http::text(StatusCode::BAD_REQUEST, &message));
    let mut request = request::parse(query, &app.config, today).map_err(bad)?;
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
    let title = if name == crate::paths::AGGREGATE {
        for login in &request.organisers {
            if !publishing.iter().any(|p| &p.login == login) {
                return Err(bad(request::unknown(
                    "organiser",
                    login,
                    publishing.iter().map(|p| p.login.as_str()),
                )));
            }
        }
        app.config.feeds.territory_name.clone()
    } else {
        let Some(organiser) = publishing.iter().find(|p| p.login == name) else {
            return Err(Box::new(http::text(
                StatusCode::NOT_FOUND,
                "Cet organisateur n'existe pas ou ne publie pas son agenda.",
            )));
        };
        request.organisers = vec![organiser.login.clone()];
        organiser.display_name.clone()
    };
    let (from, to) = request.window(app.timezone);
    let query = request.clone();
    let items = app
        .store
        .read(move |conn| views::feed_items(conn, from, to, &query.organisers, &query.communes))
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::from(e).into_response()))?;
    let app = app.clone();
    let filename = format!("{name}.ics");
    tokio::task::spawn_blocking(move || build(&app, &request, items, &title, generation, filename))
        .await
        .map_err(|e| Box::new(crate::dav::error::DavError::Internal(e.to_string()).into_response()))
}

/// Renders, compresses and tags a feed (CPU work, off the async workers).
fn build(
    app: &App,
    request: &FeedRequest,
    items: Vec<FeedItem>,
    title: &str,
    generation: u64,
    filename: String,
) -> Rendered {
    let matcher = CategoryMatcher::new(&app.config);
    let mut export = Export::new();
    let mut last_modified = 0;
    for item in &items {
        if !request.categories.is_empty() {
            let slugs = matcher.slugs(&item.categories, &item.organiser_categories);
            if !request.categories.iter().any(|c| slugs.contains(c)) {
                continue;
            }
        }
        last_modified = last_modified.max(item.modified_at);
        export.add(&item.body, public::strip);
    }
    let refresh = format!("PT{}M", app.config.feeds.refresh_minutes.max(1));
    let name = escape_text(title);
    let text = export.finish(vec![
        plain("CALSCALE", "GREGORIAN"),
        plain("METHOD", "PUBLISH"),
        plain("NAME", &name),
        plain("X-WR-CALNAME", &name),
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
    Rendered::new(
        generation,
        body,
        gzip,
        etag,
        if last_modified == 0 {
            crate::store::now()
        } else {
            last_modified
        },
        filename,
    )
}
