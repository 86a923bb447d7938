//! The services page (`/services`): intercommunal services and town halls
//! (France services, CIAS, libraries, digital help...) with their contact
//! and, from their public calendars, their permanences and workshops as
//! "prochaine permanence : mardi 1er décembre 2026, 9 h 30-12 h, à ...".

use super::cached;
use super::contact::{dial, present};
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::accounts::kind_label;
use crate::event_view::{EventView, Viewer};
use crate::french;
use crate::http::Response;
use crate::places::Places;
use crate::selection::{self, Filters};
use crate::store::accounts::{self, PublicOrganiser};
use askama::Template;
use chrono::{NaiveDate, TimeZone};
use std::collections::HashMap;

/// How far ahead the page looks for permanences, in days.
const AHEAD: i64 = 42;
/// Later dates shown after the next one.
const LATER: usize = 3;

struct Service {
    login: String,
    name: String,
    kind: &'static str,
    commune: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    dial: String,
    website: Option<String>,
    activities: Vec<Activity>,
}

struct Activity {
    title: String,
    href: String,
    /// "prochaine permanence", "prochain atelier", "prochaine date".
    label: &'static str,
    next: String,
    cancelled: bool,
    later: Vec<String>,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    chrome: Chrome,
    services: Vec<Service>,
}

fn is_service(kind: &str) -> bool {
    matches!(kind, "service" | "commune")
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let today = crate::clock::today(visit.app.timezone);
    cached::page(visit, format!("services|{today}"), || render(visit, today)).await
}

async fn render(visit: &Visit<'_>, today: NaiveDate) -> Result<String, Response> {
    let app = visit.app;
    let tz = app.timezone;
    let (from, to) = (
        crate::time::local_midnight(tz, today),
        crate::time::local_midnight(tz, crate::params::add_days(today, AHEAD)),
    );
    let Ok(territory) = app.territory().await else {
        return Err(page::unavailable(visit, "La page des services"));
    };
    let territory2 = territory.clone();
    let read = app
        .store
        .read(move |conn| {
            let organisers: Vec<PublicOrganiser> = accounts::publishing_organisers(conn)?
                .into_iter()
                .filter(|o| is_service(&o.kind))
                .collect();
            let filters = Filters {
                organisers: organisers.iter().map(|o| o.login.clone()).collect(),
                ..Filters::default()
            };
            let occurrences = match filters.organisers.is_empty() {
                true => Vec::new(),
                false => selection::occurrences(conn, &territory2, &filters, from, to)?,
            };
            Ok((organisers, occurrences))
        })
        .await;
    let Ok((mut organisers, occurrences)) = read else {
        return Err(page::unavailable(visit, "La page des services"));
    };
    organisers.sort_by_cached_key(|o| (crate::text::normalize(&o.display_name), o.login.clone()));
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    // Each organiser's events in the order of their next date, each with
    // its dates.
    let mut by_organiser: HashMap<String, Vec<Vec<EventView>>> = HashMap::new();
    for occurrence in occurrences.iter().filter(|o| o.start >= from) {
        let view = viewer.view(occurrence);
        for organiser in &view.organisers {
            let events = by_organiser.entry(organiser.login.clone()).or_default();
            match events.iter_mut().find(|e| e[0].object_id == view.object_id) {
                Some(dates) => dates.push(view.clone()),
                None => events.push(vec![view.clone()]),
            }
        }
    }
    let services = organisers
        .iter()
        .map(|organiser| {
            let events = by_organiser.remove(&organiser.login).unwrap_or_default();
            service(app, organiser, events)
        })
        .collect();
    page::html(
        visit,
        "La page des services",
        &ServicesPage {
            chrome: Chrome::new(visit, "Services et permanences"),
            services,
        },
    )
}

fn service(
    app: &crate::app::App,
    organiser: &PublicOrganiser,
    events: Vec<Vec<EventView>>,
) -> Service {
    let phone = present(&organiser.phone);
    Service {
        login: organiser.login.clone(),
        name: organiser.display_name.clone(),
        kind: kind_label(&organiser.kind),
        commune: present(&organiser.commune)
            .map(|c| app.config.commune(&c).map(|x| x.name.clone()).unwrap_or(c)),
        email: present(&organiser.email),
        dial: dial(phone.as_deref()),
        phone,
        website: present(&organiser.website).filter(|w| crate::event_view::web_address(w)),
        activities: events
            .iter()
            .map(|dates| activity(app.timezone, dates))
            .collect(),
    }
}

fn activity(tz: chrono_tz::Tz, dates: &[EventView]) -> Activity {
    let first = &dates[0];
    let words = crate::text::normalize(&first.title);
    let label = if words.contains("permanence") {
        "prochaine permanence"
    } else if words.contains("atelier") {
        "prochain atelier"
    } else {
        "prochaine date"
    };
    let mut next = slot(tz, first);
    if let Some(place) = first.place() {
        next.push_str(", à ");
        next.push_str(&place);
    }
    Activity {
        title: first.title.clone(),
        href: first.path.clone(),
        label,
        next,
        cancelled: first.cancelled,
        later: dates[1..].iter().take(LATER).map(|d| slot(tz, d)).collect(),
    }
}

/// "mardi 1er décembre 2026, 9 h 30-12 h", "samedi 5 décembre 2026, toute
/// la journée".
fn slot(tz: chrono_tz::Tz, view: &EventView) -> String {
    let local = |t: i64| tz.timestamp_opt(t, 0).earliest();
    let day = french::date(view.date);
    match (view.all_day, local(view.start_utc), local(view.end_utc)) {
        (true, _, _) => format!("{day}, toute la journée"),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!("{day}, {}-{}", french::time_of(&s), french::time_of(&e))
        }
        (false, Some(s), _) => format!("{day}, à partir de {}", french::time_of(&s)),
        _ => day,
    }
}
