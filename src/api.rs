//! JSON endpoints for staff tools and organisers: the conflict report,
//! acknowledging a conflict, and checking a date before announcing it.
// Handlers return the error response itself (`Err(Response)`): it is built
// once per failed request, so its size does not matter.
#![allow(clippy::result_large_err)]

use crate::app::App;
use crate::conflicts;
use crate::conflicts::availability::{Candidate, Checker};
use crate::dav::error::DavError;
use crate::http::{self, Response};
use crate::store::accounts::Principal;
use crate::store::views::OrganiserCard;
use bytes::Bytes;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use hyper::{Method, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;

const JSON: &str = "application/json; charset=utf-8";

/// Answers an authenticated request (the server authenticates before it
/// reads a body: see `server`).
pub async fn handle(
    app: &Arc<App>,
    user: Principal,
    method: &Method,
    path: &str,
    query: &str,
    body: Bytes,
) -> Response {
    let params = match parse_query(query) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let result = match (method.as_str(), path) {
        ("GET", "/api/conflicts") => report(app, &user, &params).await,
        ("POST", "/api/conflicts/acknowledge") => acknowledge(app, &user, &body).await,
        ("GET", "/api/availability") => availability(app, &user, &params).await,
        (_, "/api/conflicts" | "/api/availability") => Err(method_not_allowed("GET")),
        (_, "/api/conflicts/acknowledge") => Err(method_not_allowed("POST")),
        _ => Err(http::text(StatusCode::NOT_FOUND, "Unknown API endpoint.")),
    };
    result.unwrap_or_else(|response| response)
}

fn method_not_allowed(allow: &str) -> Response {
    let mut response = http::text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed here.");
    http::set_header(&mut response, "allow", allow);
    response
}

fn json(value: &impl serde::Serialize) -> Response {
    json_sized(value, 1024)
}

/// Compact JSON written into a buffer of `size_hint` bytes: a year of
/// conflicts is tens of megabytes, and a buffer grown by doubling spent
/// more time copying and faulting pages than the detection itself.
fn json_sized(value: &impl serde::Serialize, size_hint: usize) -> Response {
    let mut body = Vec::with_capacity(size_hint);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => http::response(StatusCode::OK, JSON, body),
        Err(e) => DavError::Internal(e.to_string()).into_response(),
    }
}

fn bad(message: impl AsRef<str>) -> Response {
    http::text(StatusCode::BAD_REQUEST, message.as_ref())
}

fn internal(error: crate::store::StoreError) -> Response {
    DavError::from(error).into_response()
}

/// The query's parameters; a repeated one keeps its last value. Filters
/// are stored under their canonical name (`du` for `from`, `categorie` for
/// `category`: the pages' and feeds' vocabulary, `params::canonical_name`).
fn parse_query(query: &str) -> Result<HashMap<String, String>, Response> {
    crate::params::pairs(query)
        .map(|pairs| {
            pairs
                .into_iter()
                .map(|(name, value)| match crate::params::canonical_name(&name) {
                    Some(canonical) => (canonical.to_owned(), value),
                    None => (name, value),
                })
                .collect()
        })
        .map_err(|e| bad(e.to_string()))
}

fn require_staff(user: &Principal) -> Result<(), Response> {
    if user.role.reads_everything() {
        Ok(())
    } else {
        Err(http::text(
            StatusCode::FORBIDDEN,
            "Reserved to intercommunal staff.",
        ))
    }
}

fn date_param(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, Response> {
    params
        .get(name)
        .map(|v| crate::params::date(v).map_err(|e| bad(format!("{name}: {e}"))))
        .transpose()
}

/// Local midnight of `date`, in UTC seconds.
fn midnight(app: &App, date: NaiveDate) -> i64 {
    crate::time::local_midnight(app.timezone, date)
}

async fn report(
    app: &Arc<App>,
    user: &Principal,
    params: &HashMap<String, String>,
) -> Result<Response, Response> {
    require_staff(user)?;
    let today = crate::clock::today(app.timezone);
    let from = date_param(params, "du")?.unwrap_or(today);
    let to = date_param(params, "au")?.unwrap_or_else(|| crate::params::add_days(from, 365));
    if to < from {
        return Err(bad(
            "La période doit finir après son début\u{202f}: «\u{202f}au\u{202f}» (ou to) ne peut précéder «\u{202f}du\u{202f}» (ou from).",
        ));
    }
    if let Some(commune) = params.get("commune") {
        if !app.config.communes.is_empty() && app.config.commune(commune).is_none() {
            return Err(bad(crate::params::unknown_value(
                "une commune",
                commune,
                app.config.communes.iter().map(|c| c.slug.as_str()),
            )));
        }
    }
    let (start, end) = (
        midnight(app, from),
        midnight(app, crate::params::next_day(to)),
    );
    let app2 = app.clone();
    let mut report = app
        .store
        .read(move |conn| {
            conflicts::compute(
                conn,
                &app2.config,
                app2.timezone,
                (start, end),
                conflicts::Audience::Staff,
            )
        })
        .await
        .map_err(internal)?;
    conflicts::retain(
        &mut report,
        &app.config,
        params.get("organisateur").map(String::as_str),
        params.get("commune").map(String::as_str),
    );
    Ok(json_sized(&report, report.size_hint()))
}

async fn acknowledge(app: &Arc<App>, user: &Principal, body: &[u8]) -> Result<Response, Response> {
    require_staff(user)?;
    let key = std::str::from_utf8(body)
        .ok()
        .map(|text| {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("key").and_then(|k| k.as_str()).map(str::to_owned))
                .unwrap_or_else(|| text.trim().to_owned())
        })
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad("Send the conflict's key, as text or as {\"key\": \"...\"}."))?;
    let by = user.login.clone();
    let key2 = key.clone();
    let app2 = app.clone();
    let done = app
        .store
        .write(move |tx| conflicts::acknowledge(tx, &app2.config, app2.timezone, &key2, &by))
        .await
        .map_err(internal)?;
    if done {
        Ok(json(&serde_json::json!({ "acknowledged": key })))
    } else {
        Err(http::text(
            StatusCode::NOT_FOUND,
            "No such conflict: its events changed or no longer exist.",
        ))
    }
}

/// Reads "2027-03-06T20:30" (local time) or an RFC 3339 instant, within
/// the years a request may name.
fn instant(app: &App, text: &str) -> Option<i64> {
    let timestamp = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.timestamp(),
        Err(_) => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .ok()?;
            app.timezone
                .from_local_datetime(&local)
                .earliest()?
                .timestamp()
        }
    };
    let date = chrono::DateTime::from_timestamp(timestamp, 0)?.date_naive();
    crate::params::within_years(date, text).ok()?;
    Some(timestamp)
}

#[derive(serde::Serialize)]
struct Availability {
    free: bool,
    #[allow(clippy::vec_box)] // as in conflicts::Report, where they come from
    conflicts: Vec<Box<conflicts::Conflict>>,
    /// Nearest conflict-free slots, same weekday and time first.
    suggestions: Vec<String>,
}

async fn availability(
    app: &Arc<App>,
    user: &Principal,
    params: &HashMap<String, String>,
) -> Result<Response, Response> {
    let start = params
        .get("start")
        .and_then(|s| instant(app, s))
        .ok_or_else(|| bad("start must be a local date-time like 2027-03-06T20:30, between the years 1900 and 2200."))?;
    let end = match params.get("end") {
        Some(e) => instant(app, e)
            .ok_or_else(|| bad("end must be a local date-time like 2027-03-06T23:00, between the years 1900 and 2200."))?,
        None => start + 3 * 3600,
    };
    if end <= start || end - start > 14 * 86400 {
        return Err(bad("end must come after start, at most 14 days later."));
    }
    let config = &app.config;
    let venue =
        match params.get("venue") {
            Some(slug) => Some(config.venues.iter().find(|v| &v.slug == slug).ok_or_else(
                || {
                    bad(crate::params::unknown_value(
                        "un lieu",
                        slug,
                        config.venues.iter().map(|v| v.slug.as_str()),
                    ))
                },
            )?),
            None => None,
        };
    let commune = match params.get("commune") {
        Some(c) if !config.communes.is_empty() && config.commune(c).is_none() => {
            return Err(bad(crate::params::unknown_value(
                "une commune",
                c,
                config.communes.iter().map(|c| c.slug.as_str()),
            )))
        }
        Some(c) => c.clone(),
        None => venue
            .map(|v| v.commune.clone())
            .or(user.commune.clone())
            .unwrap_or_default(),
    };
    let category = match params.get("categorie") {
        Some(c) if config.category(c).is_none() => {
            return Err(bad(crate::params::unknown_value(
                "une catégorie",
                c,
                config.categories.iter().map(|c| c.slug.as_str()),
            )))
        }
        other => other.cloned().unwrap_or_default(),
    };
    let location = venue.map(|v| config.venue_label(v));
    let candidate = Candidate {
        summary: Arc::from("Événement envisagé"),
        location: location.map(Arc::from),
        categories: Arc::from(category),
        public: true,
        organiser: Arc::new(OrganiserCard {
            login: user.login.clone(),
            name: user.display_name.clone(),
            commune,
            categories: String::new(),
            email: None,
            phone: None,
            website: None,
        }),
    };
    let app2 = app.clone();
    // Every slot is checked in one trip to a reader thread.
    let (found, suggestions) = app
        .store
        .read(move |conn| {
            let checker = Checker::new(conn, &app2.config, app2.timezone, candidate);
            let found = checker.conflicts_at(start, end, false)?;
            let free = match found.is_empty() {
                true => Vec::new(),
                false => checker.free_slots(start, end, false)?,
            };
            Ok((found, free))
        })
        .await
        .map_err(internal)?;
    let tz = app.timezone;
    let suggestions = suggestions
        .into_iter()
        .filter_map(|(s, _)| tz.timestamp_opt(s, 0).single().map(|t| t.to_rfc3339()))
        .collect();
    Ok(json(&Availability {
        free: found.is_empty(),
        conflicts: found,
        suggestions,
    }))
}
