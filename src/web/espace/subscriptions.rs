//! The organiser's own subscriptions to calendars kept elsewhere, on its
//! import page (`/espace/importer`): `crate::web::subscriptions` with the
//! signed-in organiser as owner. An organiser only ever sees and changes
//! its own subscriptions.

use super::super::page::{self, Chrome};
use super::super::subscriptions::{self as shared, Answer, Place, Removal};
use super::super::visit::Visit;
use crate::http::Response;
use crate::store::accounts::Principal;
use askama::Template;
use hyper::StatusCode;

/// The import page's place: the organiser's own subscriptions.
pub fn place(user: &Principal) -> Place<'_> {
    Place {
        owner: user,
        base: "/espace/importer".into(),
        staff: None,
    }
}

#[derive(Template)]
#[template(path = "espace/subscription_delete.html")]
struct ConfirmPage {
    chrome: Chrome,
    csrf: String,
    removal: Removal,
}

/// Addresses under `/espace/importer/abonnements/`.
pub async fn handle(visit: &Visit<'_>, user: &Principal, rest: &str) -> Response {
    match shared::handle(visit, &place(user), rest).await {
        Answer::Response(response) => response,
        Answer::Form(form, errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            super::import::page(visit, user, status, None, form, errors).await
        }
        Answer::Confirm(removal) => page::render(&ConfirmPage {
            chrome: Chrome::new(visit, "Supprimer un abonnement"),
            csrf: visit.csrf_token(),
            removal,
        }),
    }
}
