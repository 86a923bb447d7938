//! A service's side of the appointments: its permanences
//! (`/espace/permanences`: add, remove) and its bookings
//! (`/espace/rendez-vous`: who comes when, marked attended or missed).
//! Only organisers of kind `service` have them.

use super::super::page::{self, Chrome};
use super::super::visit::Visit;
use crate::appointments::{self, hours, PermanenceInput};
use crate::french;
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::appointments::{self as store, Status};
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

fn service_only(visit: &Visit, user: &Principal) -> Option<Response> {
    (user.kind != "service").then(|| {
        page::error(
            visit,
            StatusCode::FORBIDDEN,
            "Les rendez-vous sont proposés par les services (France services, CIAS, médiathèque…)\u{202f}; votre compte n'en est pas un.",
        )
    })
}

struct PermanenceRow {
    id: i64,
    place: String,
    themes: String,
    hours: String,
    closed: String,
    settings: String,
    bring: String,
}

#[derive(Template)]
#[template(path = "espace/permanences.html")]
struct PermanencesPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    permanences: Vec<PermanenceRow>,
    form: PermanenceForm,
    errors: Vec<String>,
    done: Option<&'static str>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct PermanenceForm {
    action: String,
    id: String,
    lieu: String,
    themes: String,
    horaires: String,
    fermetures: String,
    duree: String,
    places: String,
    jours: String,
    delai: String,
    apporter: String,
}

pub async fn permanences(visit: &Visit<'_>, user: &Principal) -> Response {
    if let Some(refused) = service_only(visit, user) {
        return refused;
    }
    let mut form = PermanenceForm {
        duree: "30".into(),
        places: "1".into(),
        jours: "28".into(),
        delai: "120".into(),
        ..Default::default()
    };
    let mut errors = Vec::new();
    let mut done = None;
    let mut status = StatusCode::OK;
    if visit.request.method == Method::POST {
        let submitted: PermanenceForm = match super::super::form::parse(visit) {
            Ok(form) => form,
            Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
        };
        let service_id = user.id;
        match submitted.action.as_str() {
            "supprimer" => {
                let id: i64 = submitted.id.parse().unwrap_or(0);
                let removed = visit
                    .app
                    .store
                    .write(move |tx| store::remove_permanence(tx, service_id, id))
                    .await;
                match removed {
                    Ok(true) => return page::see_other("/espace/permanences?fait=supprimee"),
                    Ok(false) => return page::not_found(visit),
                    Err(_) => return page::unavailable(visit, "L'enregistrement"),
                }
            }
            _ => {
                let number = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
                let input = PermanenceInput {
                    place: &submitted.lieu,
                    themes: &submitted.themes,
                    hours: &submitted.horaires,
                    closed: &submitted.fermetures,
                    slot_minutes: number(&submitted.duree),
                    capacity: number(&submitted.places),
                    days_ahead: number(&submitted.jours),
                    minutes_before: number(&submitted.delai),
                    bring: &submitted.apporter,
                };
                match appointments::permanence_from(service_id, &input) {
                    Ok(permanence) => {
                        let added = visit
                            .app
                            .store
                            .write(move |tx| store::add_permanence(tx, &permanence))
                            .await;
                        return match added {
                            Ok(_) => page::see_other("/espace/permanences?fait=ajoutee"),
                            Err(_) => page::unavailable(visit, "L'enregistrement"),
                        };
                    }
                    Err(messages) => {
                        errors = messages;
                        form = submitted;
                        status = StatusCode::BAD_REQUEST;
                    }
                }
            }
        }
    } else {
        done = match crate::params::pairs(&visit.request.query)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "fait")
            .map(|(_, v)| v)
            .as_deref()
        {
            Some("ajoutee") => {
                Some("La permanence est ajoutée : ses créneaux sont proposés dès maintenant.")
            }
            Some("supprimee") => Some(
                "La permanence est supprimée. Les rendez-vous déjà pris restent dans votre liste.",
            ),
            _ => None,
        };
    }
    let service_id = user.id;
    let Ok(list) = visit
        .app
        .store
        .read(move |conn| store::permanences_of(conn, service_id))
        .await
    else {
        return page::unavailable(visit, "La liste des permanences");
    };
    let permanences = list
        .into_iter()
        .map(|p| PermanenceRow {
            id: p.id,
            themes: p.themes.join(", "),
            hours: hours::WeeklyHours::parse(&p.hours)
                .map(|h| h.french())
                .unwrap_or(p.hours.clone()),
            closed: p.closed.clone(),
            settings: format!(
                "créneaux de {} minutes, {} personne(s) à la fois, réservables jusqu'à {} jours à l'avance et au plus tard {} minutes avant",
                p.slot_minutes, p.capacity, p.days_ahead, p.minutes_before
            ),
            bring: p.bring,
            place: p.place,
        })
        .collect();
    page::render_status(
        status,
        &PermanencesPage {
            chrome: Chrome::new(visit, "Mes permanences"),
            csrf: visit.csrf_token(),
            login: user.login.clone(),
            permanences,
            form,
            errors,
            done,
        },
    )
}

struct BookingRow {
    id: i64,
    when: String,
    theme: String,
    name: String,
    contact: String,
    commune: String,
    note: String,
    status: &'static str,
    markable: bool,
}

#[derive(Template)]
#[template(path = "espace/rendez-vous.html")]
struct BookingsPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    /// This page's address (the service's space or the staff desk).
    here: String,
    /// Whether the service's own links (its permanences) apply.
    own: bool,
    bookings: Vec<BookingRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MarkForm {
    id: String,
    statut: String,
}

/// How far back the list goes: the last month, to mark who came.
const LIST_DAYS_BACK: i64 = 31;

pub async fn bookings(visit: &Visit<'_>, user: &Principal) -> Response {
    if let Some(refused) = service_only(visit, user) {
        return refused;
    }
    bookings_of(visit, user, "/espace/rendez-vous", "Mes rendez-vous").await
}

/// A service's bookings of the last month and to come, with the forms
/// that mark them attended or missed: for the service in its space, and
/// for staff at the desk (`here` is the page's address).
pub async fn bookings_of(
    visit: &Visit<'_>,
    service: &Principal,
    here: &str,
    title: &str,
) -> Response {
    let user = service;
    if visit.request.method == Method::POST {
        let form: MarkForm = match super::super::form::parse(visit) {
            Ok(form) => form,
            Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
        };
        let status = match form.statut.as_str() {
            "venu" => Status::Attended,
            "absent" => Status::Missed,
            "prevu" => Status::Booked,
            _ => {
                return page::error(
                    visit,
                    StatusCode::BAD_REQUEST,
                    "Choisissez « venu » ou « absent ».",
                )
            }
        };
        let id = form.id.parse().unwrap_or(0);
        return match appointments::mark(visit.app, user.id, id, status).await {
            Ok(true) => page::see_other(here),
            Ok(false) => page::not_found(visit),
            Err(_) => page::unavailable(visit, "L'enregistrement"),
        };
    }
    let service_id = user.id;
    let from = crate::clock::timestamp() - LIST_DAYS_BACK * 86_400;
    let Ok(list) = visit
        .app
        .store
        .read(move |conn| store::of_service(conn, service_id, from))
        .await
    else {
        return page::unavailable(visit, "La liste des rendez-vous");
    };
    let tz = visit.app.timezone;
    let communes = &visit.app.config.communes;
    let bookings = list
        .into_iter()
        .map(|b| BookingRow {
            id: b.id,
            when: french::span(tz, b.start, b.end, false),
            theme: b.theme,
            name: match b.anonymised {
                true => "(effacé)".into(),
                false => b.name.unwrap_or_default(),
            },
            contact: [b.phone, b.email]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            commune: b
                .commune
                .map(|slug| {
                    communes
                        .iter()
                        .find(|c| c.slug == slug)
                        .map(|c| c.name.clone())
                        .unwrap_or(slug)
                })
                .unwrap_or_default(),
            note: b.note.unwrap_or_default(),
            markable: b.status != Status::Cancelled,
            status: b.status.french(),
        })
        .collect();
    page::render(&BookingsPage {
        chrome: Chrome::new(visit, title),
        csrf: visit.csrf_token(),
        login: user.login.clone(),
        here: here.to_owned(),
        own: here.starts_with("/espace/"),
        bookings,
    })
}
