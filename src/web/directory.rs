//! The directory (`/associations`): publishing organisers by name in
//! French order (accents and case ignored: "Écoles" sorts with E), each
//! with its public contact, commune, categories, next events (within a
//! year) and feed.

use super::agenda::feed_addresses;
use super::contact::{dial, present};
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::accounts::kind_label;
use crate::app::App;
use crate::event_view::hours;
use crate::french;
use crate::http::Response;
use crate::store::accounts::{self, PublicOrganiser};
use crate::store::views::{self, Occurrence};
use askama::Template;
use chrono::TimeZone;
use std::collections::HashMap;

/// How many upcoming events the directory shows per organiser.
const NEXT_EVENTS: usize = 3;

struct Entry {
    login: String,
    name: String,
    kind: &'static str,
    commune: Option<String>,
    categories: String,
    /// What the organiser says of itself (`/espace/profil`).
    description: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// The phone number as a `tel:` address takes it.
    dial: String,
    website: Option<String>,
    /// Only web addresses become links: a stored value is not trusted to
    /// be one (a `javascript:` address stays text).
    website_is_link: bool,
    next: Vec<NextEvent>,
    webcal: String,
    address: String,
}

struct NextEvent {
    /// Its page.
    href: String,
    day: String,
    when: String,
    title: String,
    tentative: bool,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    chrome: Chrome,
    entries: Vec<Entry>,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    // The same for every anonymous visitor until the data or the day
    // changes: rendered once, not at each visit (a year of the territory's
    // occurrences is read to find each organiser's next events; 16
    // visitors at once held 90 MB).
    let today = crate::clock::today(visit.app.timezone);
    super::cached::page(visit, format!("directory|{today}"), || render(visit, today)).await
}

async fn render(visit: &Visit<'_>, today: chrono::NaiveDate) -> Result<String, Response> {
    let app = visit.app;
    let (from, to) = (
        crate::time::local_midnight(app.timezone, today),
        crate::time::local_midnight(app.timezone, crate::params::add_days(today, 366)),
    );
    let read = app
        .store
        .read(move |conn| {
            Ok((
                accounts::publishing_organisers(conn)?,
                views::public_occurrences(conn, from, to)?,
            ))
        })
        .await;
    let Ok((mut organisers, occurrences)) = read else {
        return Err(page::unavailable(visit, "L'annuaire"));
    };
    organisers.sort_by_cached_key(|o| {
        (
            crate::text::normalize(&o.display_name),
            o.display_name.clone(),
            o.login.clone(),
        )
    });
    // Occurrences come in start order: the first ones of each organiser
    // are its next ones.
    let mut upcoming: HashMap<&str, Vec<&Occurrence>> = HashMap::new();
    for occurrence in occurrences.iter().filter(|o| !o.cancelled) {
        let list = upcoming
            .entry(occurrence.organiser.login.as_str())
            .or_default();
        if list.len() < NEXT_EVENTS {
            list.push(occurrence);
        }
    }
    let entries = organisers
        .iter()
        .map(|organiser| {
            let next = upcoming
                .get(organiser.login.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            entry(app, organiser, next)
        })
        .collect();
    page::html(
        visit,
        "L'annuaire",
        &DirectoryPage {
            chrome: Chrome::new(visit, "Les organisateurs"),
            entries,
        },
    )
}

fn entry(app: &App, organiser: &PublicOrganiser, next: &[&Occurrence]) -> Entry {
    let commune = present(&organiser.commune)
        .map(|c| app.config.commune(&c).map(|x| x.name.clone()).unwrap_or(c));
    let categories: Vec<&str> = organiser
        .categories
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| app.config.category(c).map(|x| x.name.as_str()).unwrap_or(c))
        .collect();
    let phone = present(&organiser.phone);
    let website = present(&organiser.website);
    let lower = website.as_deref().unwrap_or("").to_ascii_lowercase();
    let (webcal, address) = feed_addresses(app, &format!("/feeds/{}.ics", organiser.login));
    Entry {
        login: organiser.login.clone(),
        name: organiser.display_name.clone(),
        kind: kind_label(&organiser.kind),
        commune,
        categories: categories.join(", "),
        description: present(&organiser.description),
        email: present(&organiser.email),
        dial: dial(phone.as_deref()),
        phone,
        website_is_link: lower.starts_with("https://") || lower.starts_with("http://"),
        website,
        next: next
            .iter()
            .map(|event| {
                let date = app
                    .timezone
                    .timestamp_opt(event.start, 0)
                    .earliest()
                    .map(|s| s.date_naive());
                let recurring = event.recurrence_id.is_some();
                NextEvent {
                    href: crate::paths::event_page(&event.uid, date.filter(|_| recurring)),
                    day: date.map(french::date).unwrap_or_default(),
                    when: hours(app.timezone, event).to_lowercase(),
                    title: event.summary.as_deref().unwrap_or("Événement").to_owned(),
                    tentative: event.tentative,
                }
            })
            .collect(),
        webcal,
        address,
    }
}
