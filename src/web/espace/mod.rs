//! The organisers' space (`/espace/`): an organiser's events, its public
//! card and the help to connect a calendar app. Staff have the desk.

// Guards return the answer to give instead (`Err(Response)`): built once
// per refused request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod connect;
mod event_form;
mod events;
mod home;
mod import;
pub(super) mod permanences;
mod profile;
mod subscriptions;

use super::page;
use super::visit::{self, Visit};
use crate::http::Response;
use crate::store::accounts::Principal;
use hyper::StatusCode;

/// The signed-in organiser, or the answer to give: the sign-in page for
/// anonymous visitors, the desk for staff.
// The refusal is the whole answer, made once per request: boxing it
// would buy nothing.
#[allow(clippy::result_large_err)]
pub fn organiser<'v>(visit: &'v Visit) -> Result<&'v Principal, Response> {
    match visit.user() {
        None => Err(visit::sign_in_first(&path_and_query(visit))),
        Some(user) if user.role.reads_everything() => Err(page::error(
            visit,
            StatusCode::FORBIDDEN,
            "Cet espace est celui des organisateurs ; le personnel utilise la gestion.",
        )),
        Some(user) => Ok(user),
    }
}

pub fn path_and_query(visit: &Visit) -> String {
    match visit.request.query.is_empty() {
        true => visit.request.path.clone(),
        false => format!("{}?{}", visit.request.path, visit.request.query),
    }
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    let user = match organiser(visit) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let path = visit.request.path.as_str();
    let read = visit.request.method != hyper::Method::POST;
    match path {
        "/espace" | "/espace/" if read => home::page(visit, user).await,
        "/espace/importer" => import::handle(visit, user).await,
        "/espace/profil" => profile::handle(visit, user).await,
        "/espace/connecter" if read => connect::page(visit, user).await,
        "/espace/connecter/concord.mobileconfig" if read => connect::mobileconfig(visit, user),
        "/espace/permanences" => permanences::permanences(visit, user).await,
        "/espace/rendez-vous" => permanences::bookings(visit, user).await,
        _ => {
            if let Some(rest) = path.strip_prefix("/espace/importer/abonnements/") {
                return subscriptions::handle(visit, user, rest).await;
            }
            match path.strip_prefix("/espace/evenements/") {
                Some(rest) => events::handle(visit, rest).await,
                None => page::not_found(visit),
            }
        }
    }
}
