//! Registrations (`/gestion/inscriptions`).
//!
//! TODO(lead, at merge with the `accounts` branch): list the requests of
//! `store::registrations` waiting for a decision, approve one (creating
//! the organiser, or linking the request to an existing one, and showing
//! or mailing its activation link) or reject it with a reason, through the
//! accounts branch's approve/reject function; record each decision with
//! `store::audit::record` (actions "registration-approve" and
//! "registration-reject", to add to `audit::ACTIONS`); and give the desk's
//! home its "Inscriptions en attente" line (`home.rs`, the slot marked
//! there). Until then this page says where registrations are handled.

use super::Nav;
use crate::http::Response;
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;

#[derive(Template)]
#[template(path = "gestion/inscriptions.html")]
struct RegistrationsPage {
    chrome: Chrome,
    nav: Nav,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    page::render(&RegistrationsPage {
        chrome: Chrome::new(visit, "Inscriptions"),
        nav: Nav::new(visit, "/gestion/"),
    })
}
