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

mod agenda;
mod assets;
mod cached;
mod directory;
mod espace;
mod event;
mod form;
mod page;
mod services;
mod share;
mod signin;
pub mod visit;
mod widget;

use crate::app::App;
use crate::http::{self, Response};
use hyper::{Method, StatusCode};
use std::sync::Arc;
use visit::{Visit, WebRequest};

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
        "/deconnexion" if !read => signin::sign_out(visit).await,
        _ if path.starts_with("/static/") && read => assets::serve(path),
        _ if path == "/espace" || path.starts_with("/espace/") => espace::handle(visit).await,
        _ => page::not_found(visit),
    }
}
