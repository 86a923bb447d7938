//! Web pages in French: the public side for residents (agenda, event
//! pages, directory, services, widget and its snippet generator),
//! the organisers' space (`/espace/`) and the staff desk (`/gestion/`).
//!
//! Pages are askama templates (`templates/`, escaped at compile time),
//! usable without JavaScript. Every POST is checked against the visit's
//! CSRF token here, before any page sees it.

// Handlers answer a refusal with the response itself (`Err(Response)`):
// built once per refused request, its size does not matter.
#![allow(clippy::result_large_err)]

mod activation;
mod agenda;
mod appointments_desk;
mod assets;
mod cached;
mod contact;
mod directory;
mod espace;
mod event;
mod fields;
mod forgotten;
mod form;
mod gestion;
mod page;
mod quarter;
mod registration;
mod rendezvous;
mod services;
mod share;
mod signin;
mod spreadsheet;
mod subscriptions;
pub mod visit;
mod widget;

use crate::app::App;
use crate::http::{self, Response};
use crate::rate::RateLimit;
use hyper::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use visit::{Visit, WebRequest};

/// Limits on the forms anyone may send, per client address (an IPv6 /64
/// is one client) and per account; in memory, forgotten after an hour
/// without attempts.
pub struct FormLimits {
    /// Registrations stored (or dropped as robots') per address.
    pub registrations: RateLimit,
    /// "Mot de passe oublié" requests per address.
    pub resets: RateLimit,
    /// Links e-mailed per account, however many addresses ask.
    pub resets_per_account: RateLimit,
    /// Appointments booked per address by people not signed in (staff
    /// and services booking for callers are not counted).
    pub bookings: RateLimit,
    /// Cancellations and moves by personal link per address.
    pub booking_changes: RateLimit,
}

const HOUR: Duration = Duration::from_secs(3600);

/// Bookings from one address within an hour: a family, or a public
/// computer at the médiathèque, stays far below; a robot taking every
/// slot of a service does not.
pub const BOOKINGS_PER_HOUR: u32 = 20;

/// Cancellations and moves by personal link from one address within an
/// hour (each rewrites an event on the advisers' phones).
pub const BOOKING_CHANGES_PER_HOUR: u32 = 20;

impl Default for FormLimits {
    fn default() -> Self {
        FormLimits {
            registrations: RateLimit::new(5, HOUR),
            resets: RateLimit::new(5, HOUR),
            resets_per_account: RateLimit::new(3, HOUR),
            bookings: RateLimit::new(BOOKINGS_PER_HOUR, HOUR),
            booking_changes: RateLimit::new(BOOKING_CHANGES_PER_HOUR, HOUR),
        }
    }
}

/// How large a body a page may be sent.
pub fn body_limit(app: &App, content_type: Option<&str>) -> usize {
    let multipart =
        content_type.is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    match multipart {
        true => app.config.web.max_upload_bytes,
        false => app.config.web.max_form_bytes,
    }
}

/// A page's body that could not be read, told in French.
pub fn body_refused(error: http::BodyError) -> Response {
    use http::BodyError::*;
    let (status, message) = match error {
        TooLarge(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Ce qui a été envoyé est trop volumineux.",
        ),
        Broken => (StatusCode::BAD_REQUEST, "L'envoi n'a pas pu être lu."),
        TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            "L'envoi a pris trop de temps ; réessayez.",
        ),
        Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Le serveur est très sollicité ; réessayez dans quelques instants.",
        ),
    };
    let mut response = http::text(status, message);
    http::set_header(&mut response, "connection", "close");
    response
}

pub async fn handle(app: &Arc<App>, request: WebRequest) -> Response {
    let visit = match Visit::open(app, request).await {
        Ok(visit) => visit,
        Err(error) => {
            tracing::error!("cannot read a web session: {error}");
            let mut response = http::text(
                StatusCode::SERVICE_UNAVAILABLE,
                "Le service est momentanément indisponible.",
            );
            http::set_header(&mut response, "retry-after", "5");
            return response;
        }
    };
    let response = route(&visit).await;
    visit.finish(response)
}

async fn route(visit: &Visit<'_>) -> Response {
    let method = &visit.request.method;
    let path = visit.request.path.as_str();
    let read = *method == Method::GET || *method == Method::HEAD;
    if *method == Method::POST {
        let valid = form::submitted_csrf(visit).is_some_and(|token| visit.csrf_valid(&token));
        if !valid {
            return page::error(
                visit,
                StatusCode::FORBIDDEN,
                "Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page, puis recommencez.",
            );
        }
    } else if !read {
        let mut response = page::error(
            visit,
            StatusCode::METHOD_NOT_ALLOWED,
            "Cette adresse ne s'utilise pas ainsi.",
        );
        http::set_header(&mut response, "allow", "GET, HEAD, POST");
        return response;
    }
    match path {
        "/" if read => agenda::page(visit).await,
        "/associations" if read => directory::page(visit).await,
        "/agenda/texte" if read => agenda::text_page(visit).await,
        "/services" if read => services::page(visit).await,
        "/widget" if read => widget::page(visit).await,
        "/partager" if read => share::page(visit).await,
        _ if path.starts_with(crate::paths::EVENTS) && read => event::handle(visit).await,
        "/connexion" => signin::handle(visit).await,
        "/inscription" => registration::handle(visit).await,
        "/mot-de-passe-oublie" => forgotten::handle(visit).await,
        _ if path.starts_with("/activation/") => activation::handle(visit).await,
        "/deconnexion" if !read => signin::sign_out(visit).await,
        _ if path.starts_with("/static/") && read => assets::serve(path),
        _ if path.starts_with("/agenda/trimestre/") && read => quarter::handle(visit).await,
        _ if path == "/espace" || path.starts_with("/espace/") => espace::handle(visit).await,
        _ if path == "/gestion/rendez-vous" || path.starts_with("/gestion/rendez-vous/") => {
            appointments_desk::handle(visit).await
        }
        _ if path == "/gestion" || path.starts_with("/gestion/") => gestion::handle(visit).await,
        _ if path == "/rendez-vous" || path.starts_with("/rendez-vous/") => {
            rendezvous::handle(visit).await
        }
        _ => page::not_found(visit),
    }
}
