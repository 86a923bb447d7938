//! Venues (`/gestion/lieux`): the LOCATION texts of a period that match no
//! venue, with how many events use each; adding one as another name of a
//! venue, or adding a venue. What staff add is stored in the database on
//! top of config.toml's venues (`places::territory`), and the page says
//! where each entry comes from.

use super::{bad_form, Nav};
use crate::conflicts::{self, Audience};
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::{audit, venues};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use chrono::NaiveDate;
use hyper::{Method, StatusCode};
use serde::Deserialize;

struct Unmatched {
    text: String,
    count: usize,
    /// A field id made from its rank (the text may hold anything).
    id: usize,
}

struct VenueRow {
    slug: String,
    name: String,
    commune: String,
    from_desk: bool,
    aliases: Vec<(String, bool)>,
}

struct Choice {
    value: String,
    text: String,
}

#[derive(Template)]
#[template(path = "gestion/lieux.html")]
struct VenuesPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    from: NaiveDate,
    to: NaiveDate,
    unmatched: Vec<Unmatched>,
    venues: Vec<VenueRow>,
    choices: Vec<Choice>,
    communes: Vec<Choice>,
}

#[derive(Deserialize)]
struct Add {
    action: String,
    #[serde(default)]
    texte: String,
    #[serde(default)]
    lieu: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    retour: String,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    if visit.request.method == Method::POST {
        return add(visit, user).await;
    }
    let app = visit.app;
    let today = crate::clock::today(app.timezone);
    let mut from = today;
    let mut to = crate::params::add_days(today, super::home::AHEAD_DAYS - 1);
    for (key, value) in crate::params::pairs(&visit.request.query).unwrap_or_default() {
        let parsed = || crate::params::date(&value).map_err(|e| e.to_string());
        let result = match crate::params::canonical_name(&key) {
            Some("du") if !value.is_empty() => parsed().map(|d| from = d),
            Some("au") if !value.is_empty() => parsed().map(|d| to = d),
            _ => Ok(()),
        };
        if let Err(message) = result {
            return page::error(visit, StatusCode::BAD_REQUEST, &message);
        }
    }
    if to < from || (to - from).num_days() > 400 {
        return page::error(
            visit,
            StatusCode::BAD_REQUEST,
            "La période doit aller d'une date à une date plus tardive, sur un an au plus.",
        );
    }
    let Ok(territory) = app.territory().await else {
        return page::unavailable(visit, "La page des lieux");
    };
    let tz = app.timezone;
    let (start, end) = (
        crate::time::local_midnight(tz, from),
        crate::time::local_midnight(tz, crate::params::next_day(to)),
    );
    let territory2 = territory.clone();
    let read = app
        .store
        .read(move |conn| {
            let report = conflicts::compute(conn, &territory2, tz, (start, end), Audience::Staff)?;
            Ok((report.unmatched_locations, venues::all(conn)?))
        })
        .await;
    let Ok((unmatched, (desk_venues, desk_aliases))) = read else {
        return page::unavailable(visit, "La page des lieux");
    };
    let mut unmatched: Vec<(String, usize)> = unmatched.into_iter().collect();
    unmatched.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let commune_name = |slug: &str| {
        territory
            .commune(slug)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| slug.to_owned())
    };
    let venues = territory
        .venues
        .iter()
        .map(|v| VenueRow {
            slug: v.slug.clone(),
            name: v.name.clone(),
            commune: commune_name(&v.commune),
            from_desk: desk_venues.iter().any(|d| d.slug == v.slug)
                && !app.config.venues.iter().any(|c| c.slug == v.slug),
            aliases: v
                .aliases
                .iter()
                .map(|a| {
                    let from_desk = desk_aliases
                        .iter()
                        .any(|d| d.venue_slug == v.slug && &d.alias == a);
                    (a.clone(), from_desk)
                })
                .collect(),
        })
        .collect();
    page::render(&VenuesPage {
        chrome: Chrome::new(visit, "Lieux"),
        nav: Nav::new(visit, "/gestion/lieux"),
        csrf: visit.csrf_token(),
        from,
        to,
        unmatched: unmatched
            .into_iter()
            .enumerate()
            .map(|(id, (text, count))| Unmatched { text, count, id })
            .collect(),
        choices: territory
            .venues
            .iter()
            .map(|v| Choice {
                value: v.slug.clone(),
                text: format!("{}, {}", v.name, commune_name(&v.commune)),
            })
            .collect(),
        communes: territory
            .communes
            .iter()
            .map(|c| Choice {
                value: c.slug.clone(),
                text: c.name.clone(),
            })
            .collect(),
        venues,
    })
}

fn valid_slug(slug: &str) -> bool {
    (2..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

async fn add(visit: &Visit<'_>, user: &Principal) -> Response {
    let form: Add = match crate::web::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return bad_form(visit, &message),
    };
    let Ok(territory) = visit.app.territory().await else {
        return page::unavailable(visit, "La page des lieux");
    };
    let actor = user.login.clone();
    let done = match form.action.as_str() {
        "alias" => {
            let text = form.texte.trim().to_owned();
            if crate::text::normalize(&text).is_empty() || text.chars().count() > 300 {
                return bad_form(
                    visit,
                    "L'autre nom du lieu est vide ou trop long (300 caractères au plus).",
                );
            }
            let Some(venue) = territory.venues.iter().find(|v| v.slug == form.lieu) else {
                return bad_form(visit, "Choisissez un lieu de la liste.");
            };
            let (slug, name) = (venue.slug.clone(), venue.name.clone());
            visit
                .app
                .store
                .write(move |tx| {
                    if !venues::add_alias(tx, &text, &slug, &actor)? {
                        return Ok(false);
                    }
                    audit::record(
                        tx,
                        &actor,
                        "venue-alias",
                        &slug,
                        &format!("{text} → {name}"),
                        "",
                    )?;
                    Ok(true)
                })
                .await
                .map(|added| added.then_some("alias"))
        }
        "lieu" => {
            let (slug, name, commune) = (
                form.slug.trim().to_owned(),
                form.nom.trim().to_owned(),
                form.commune.trim().to_owned(),
            );
            if !valid_slug(&slug) {
                return bad_form(
                    visit,
                    "L'identifiant du lieu s'écrit en minuscules, chiffres et tirets (2 à 64).",
                );
            }
            if territory.venues.iter().any(|v| v.slug == slug) {
                return bad_form(visit, "Un lieu a déjà cet identifiant.");
            }
            if name.is_empty() || name.chars().count() > 200 {
                return bad_form(
                    visit,
                    "Le nom du lieu est obligatoire (200 caractères au plus).",
                );
            }
            if territory.commune(&commune).is_none() {
                return bad_form(visit, "Choisissez la commune du lieu.");
            }
            visit
                .app
                .store
                .write(move |tx| {
                    if !venues::add_venue(tx, &slug, &name, &commune, &actor)? {
                        return Ok(false);
                    }
                    audit::record(
                        tx,
                        &actor,
                        "venue-add",
                        &slug,
                        &format!("{name} ({commune})"),
                        "",
                    )?;
                    Ok(true)
                })
                .await
                .map(|added| added.then_some("lieu"))
        }
        _ => return bad_form(visit, "Cette action n'existe pas."),
    };
    match done {
        Ok(Some(notice)) => {
            let back = crate::web::visit::local_path(&form.retour)
                .filter(|p| p.starts_with("/gestion/lieux"))
                .unwrap_or("/gestion/lieux");
            let separator = if back.contains('?') { '&' } else { '?' };
            page::see_other(&format!("{back}{separator}fait={notice}"))
        }
        Ok(None) => bad_form(visit, "Ce nom ou ce lieu existe déjà."),
        Err(_) => page::unavailable(visit, "La page des lieux"),
    }
}
