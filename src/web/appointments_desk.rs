//! The staff's side of the appointments (`/gestion/rendez-vous`): every
//! service offering appointments, each one's bookings to mark attended or
//! missed (the same page as the service's own), and the indicators as CSV
//! (`/gestion/rendez-vous/indicateurs.csv?du=AAAA-MM-JJ&au=AAAA-MM-JJ`).

use super::espace::permanences::bookings_of;
use super::page::{self, Chrome};
use super::visit::{self, Visit};
use crate::appointments::indicators;
use crate::http::{self, Response};
use crate::store::accounts;
use crate::store::appointments::{self as store, Service};
use askama::Template;
use hyper::StatusCode;

#[derive(Template)]
#[template(path = "gestion/rendez-vous.html")]
struct DeskPage {
    chrome: Chrome,
    services: Vec<Service>,
    from: String,
    to: String,
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    match visit.user() {
        None => return visit::sign_in_first(&super::espace::path_and_query(visit)),
        Some(user) if !user.role.reads_everything() => {
            return page::error(
                visit,
                StatusCode::FORBIDDEN,
                "Cette page est réservée au personnel de l'intercommunalité.",
            )
        }
        Some(_) => {}
    }
    let rest = visit
        .request
        .path
        .trim_start_matches("/gestion/rendez-vous")
        .trim_matches('/')
        .to_owned();
    match rest.as_str() {
        "" => desk(visit).await,
        "indicateurs.csv" => csv(visit).await,
        login => {
            let login = login.to_owned();
            let found = visit
                .app
                .store
                .read(move |conn| accounts::by_login(conn, &login))
                .await;
            match found {
                Ok(Some(service)) if service.kind == "service" => {
                    let here = format!("/gestion/rendez-vous/{}", service.login);
                    let title = format!("Rendez-vous\u{202f}: {}", service.display_name);
                    bookings_of(visit, &service, &here, &title).await
                }
                Ok(_) => page::not_found(visit),
                Err(_) => page::unavailable(visit, "La liste des rendez-vous"),
            }
        }
    }
}

/// The default period of the indicators: the last twelve months.
fn period(visit: &Visit) -> Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
    let today = crate::clock::today(visit.app.timezone);
    let mut from = crate::params::add_days(today, -365);
    let mut to = today;
    for (key, value) in crate::params::pairs(&visit.request.query).map_err(|e| e.to_string())? {
        match crate::params::canonical_name(&key) {
            Some("du") => from = crate::params::date(&value).map_err(|e| e.to_string())?,
            Some("au") => to = crate::params::date(&value).map_err(|e| e.to_string())?,
            _ => {}
        }
    }
    Ok((from, to))
}

async fn desk(visit: &Visit<'_>) -> Response {
    let Ok(services) = visit.app.store.read(store::services).await else {
        return page::unavailable(visit, "La liste des services");
    };
    let (from, to) = period(visit).unwrap_or_default();
    page::render(&DeskPage {
        chrome: Chrome::new(visit, "Rendez-vous des permanences"),
        services,
        from: from.to_string(),
        to: to.to_string(),
    })
}

async fn csv(visit: &Visit<'_>) -> Response {
    let (from, to) = match period(visit) {
        Ok(period) => period,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let tz = visit.app.timezone;
    let (start, end) = (
        crate::time::local_midnight(tz, from),
        crate::time::local_midnight(tz, crate::params::next_day(to)),
    );
    let Ok(found) = visit
        .app
        .store
        .read(move |conn| indicators::compute(conn, None, start, end, tz))
        .await
    else {
        return page::unavailable(visit, "Les indicateurs");
    };
    let mut response = http::response(
        StatusCode::OK,
        "text/csv; charset=utf-8",
        indicators::csv(&found),
    );
    http::set_header(
        &mut response,
        "content-disposition",
        &format!("attachment; filename=\"rendez-vous-{from}-{to}.csv\""),
    );
    response
}
