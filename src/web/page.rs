//! What every page shares: the frame (`templates/base.html`), rendering,
//! the error page and redirects.

use super::visit::Visit;
use crate::http::{self, Response};
use askama::Template;
use hyper::StatusCode;

pub const HTML: &str = "text/html; charset=utf-8";

/// The frame's data: the page title, the site's name and who is signed in
/// (for the navigation and the sign-out form's CSRF field).
pub struct Chrome {
    pub title: String,
    pub site: String,
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
}

pub struct SignedIn {
    pub name: String,
    pub staff: bool,
}

impl Chrome {
    pub fn new(visit: &Visit, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            site: visit.app.config.feeds.territory_name.clone(),
            signed_in: visit.user().map(|user| SignedIn {
                name: user.display_name.clone(),
                staff: user.role.reads_everything(),
            }),
            csrf: match visit.user() {
                Some(_) => visit.csrf_token(),
                None => String::new(),
            },
        }
    }
}

/// Renders a page with status 200.
pub fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = http::response(status, HTML, body);
            // Pages that show one person's data are not kept by shared
            // caches; every page may change at the next write anyway.
            http::set_header(&mut response, "cache-control", "no-cache, private");
            response
        }
        Err(error) => {
            tracing::error!("cannot render a page: {error}");
            http::text(StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne.")
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    message: &'a str,
    back_href: &'a str,
    back_label: &'a str,
}

/// The French error page, with a way back to the agenda.
pub fn error(visit: &Visit, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Page introuvable",
        StatusCode::FORBIDDEN => "Accès refusé",
        s if s.is_server_error() => "Service indisponible",
        _ => "Erreur",
    };
    let (back_href, back_label) = match visit.user() {
        Some(user) if user.role.reads_everything() => ("/gestion/", "Retour à la gestion"),
        Some(_) => ("/espace/", "Retour à mon espace"),
        None => ("/", "Retour à l'agenda"),
    };
    render_status(
        status,
        &ErrorPage {
            chrome: Chrome::new(visit, title),
            message,
            back_href,
            back_label,
        },
    )
}

/// "429 Too Many Requests": a limit on a form was reached; come back in
/// `retry_after` seconds.
pub fn too_many(visit: &Visit, message: &str, retry_after: u32) -> Response {
    let mut response = error(visit, StatusCode::TOO_MANY_REQUESTS, message);
    http::set_header(&mut response, "retry-after", &retry_after.to_string());
    response
}

pub fn not_found(visit: &Visit) -> Response {
    error(visit, StatusCode::NOT_FOUND, "Cette page n'existe pas.")
}

/// A page's HTML for a cache ([`super::cached::page`]); when the template
/// fails, the error is logged and `what` is said to be unavailable.
pub fn html(visit: &Visit, what: &str, template: &impl Template) -> Result<String, Response> {
    template.render().map_err(|error| {
        tracing::error!("cannot render a page ({what}): {error}");
        unavailable(visit, what)
    })
}

/// A database error: logged, and told in French without details.
pub fn unavailable(visit: &Visit, what: &str) -> Response {
    error(
        visit,
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("{what} est momentanément indisponible. Réessayez dans quelques instants."),
    )
}

/// After a form that changed something: "303 See Other" to a page to read
/// (reloading it does not send the form again).
pub fn see_other(location: &str) -> Response {
    let mut response = http::empty(StatusCode::SEE_OTHER);
    http::set_header(&mut response, "location", location);
    response
}
