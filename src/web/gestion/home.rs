//! The desk's home: what needs attention now, with counts and links.

use super::Nav;
use crate::conflicts::{self, Audience};
use crate::http::Response;
use crate::store::moderation;
use crate::store::registrations::{self, Status};
use crate::store::subscriptions;
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;

/// How far ahead the home looks for conflicts and unknown places.
pub const AHEAD_DAYS: i64 = 90;

/// Days a feed may fail before the desk says so (the organiser sees its
/// failures at once in its web space).
pub const FAILING_DAYS: i64 = 7;

/// A subscribed feed failing for more than `FAILING_DAYS`.
pub struct Failing {
    pub organiser: String,
    pub calendar: String,
    pub url: String,
    pub since: String,
    pub error: String,
}

struct Item {
    label: &'static str,
    count: usize,
    href: String,
}

#[derive(Template)]
#[template(path = "gestion/home.html")]
struct HomePage {
    chrome: Chrome,
    nav: Nav,
    items: Vec<Item>,
    failing: Vec<Failing>,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let app = visit.app;
    let today = crate::clock::today(app.timezone);
    let last = crate::params::add_days(today, AHEAD_DAYS - 1);
    let (from, to) = (
        crate::time::local_midnight(app.timezone, today),
        crate::time::local_midnight(app.timezone, crate::params::next_day(last)),
    );
    // Counted once per data generation and day: the home is the page
    // staff come back to, and a quarter's conflicts take tens of ms.
    let generation = app.store.generation();
    let cached = *crate::locks::lock(&app.desk_home);
    let counts = match cached {
        Some((seen, day, counts)) if seen == generation && day == today => counts,
        _ => {
            let territory = match app.territory().await {
                Ok(territory) => territory,
                Err(_) => return page::unavailable(visit, "La gestion"),
            };
            let tz = app.timezone;
            let read = app
                .store
                .read(move |conn| {
                    let report =
                        conflicts::compute(conn, &territory, tz, (from, to), Audience::Staff)?;
                    let open = report.conflicts.iter().filter(|c| !c.acknowledged).count();
                    Ok([
                        open,
                        report.unmatched_locations.len(),
                        moderation::waiting_count(conn)? as usize,
                        moderation::hidden(conn)?.len(),
                        registrations::list(conn, Some(Status::Pending))?.len(),
                    ])
                })
                .await;
            let Ok(counts) = read else {
                return page::unavailable(visit, "La gestion");
            };
            *crate::locks::lock(&app.desk_home) = Some((generation, today, counts));
            counts
        }
    };
    let [open_conflicts, unmatched, waiting, hidden, registrations] = counts;
    // Not cached with the counts: a failure is no write the generation
    // would tell of, only the poller's record of it.
    let since = crate::clock::timestamp() - FAILING_DAYS * 86_400;
    let Ok(failing) = app
        .store
        .read(move |conn| subscriptions::failing_since(conn, since))
        .await
    else {
        return page::unavailable(visit, "La gestion");
    };
    let tz = app.timezone;
    let failing: Vec<Failing> = failing
        .into_iter()
        .map(|s| Failing {
            calendar: s.display_name.clone().unwrap_or_else(|| s.path.clone()),
            organiser: s.login,
            url: s.url,
            since: s
                .failing_since
                .map(|t| crate::french::instant(tz, t, false))
                .unwrap_or_default(),
            error: crate::web::subscriptions::plain_error(s.last_error_kind.as_deref()),
        })
        .collect();
    let period = format!("du={today}&au={last}");
    let items = vec![
        Item {
            label: "Inscriptions en attente",
            count: registrations,
            href: "/gestion/inscriptions".into(),
        },
        Item {
            label: "Conflits des 90 prochains jours à voir",
            count: open_conflicts,
            href: format!("/gestion/conflits?{period}&vus=non"),
        },
        Item {
            label: "Événements en attente de validation",
            count: waiting,
            href: "/gestion/moderation".into(),
        },
        Item {
            label: "Lieux non reconnus (90 prochains jours)",
            count: unmatched,
            href: format!("/gestion/lieux?{period}"),
        },
        Item {
            label: "Événements masqués du public",
            count: hidden,
            href: "/gestion/moderation#masques".into(),
        },
        Item {
            label: "Flux importés en échec depuis plus de 7 jours",
            count: failing.len(),
            href: "#flux-en-echec".into(),
        },
    ];
    page::render(&HomePage {
        chrome: Chrome::new(visit, "Gestion"),
        nav: Nav::new(visit, "/gestion/"),
        items,
        failing,
    })
}
