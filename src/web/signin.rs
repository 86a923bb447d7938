//! Signing in (`/connexion`) and out (`/deconnexion`) with the same login
//! and password as CalDAV, checked by the same authenticator (its cache
//! and its slow-down on failures).

use super::page::{self, Chrome};
use super::visit::{self, Visit};
use crate::auth::AuthOutcome;
use crate::http::{self, Response};
use crate::store::sessions;
use crate::tokens;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    chrome: Chrome,
    csrf: String,
    next: &'a str,
    login: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    suite: String,
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    if visit.request.method == Method::POST {
        return sign_in(visit).await;
    }
    let next = crate::params::pairs(&visit.request.query)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "suite")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if let Some(user) = visit.user() {
        return page::see_other(destination(&next, user.role.reads_everything()));
    }
    form(visit, StatusCode::OK, &next, "", None)
}

fn form(
    visit: &Visit,
    status: StatusCode,
    next: &str,
    login: &str,
    error: Option<&str>,
) -> Response {
    let next = visit::local_path(next).unwrap_or("");
    page::render_status(
        status,
        &SignInPage {
            chrome: Chrome::new(visit, "Espace organisateurs : connexion"),
            csrf: visit.csrf_token(),
            next,
            login,
            error,
        },
    )
}

/// Where a signed-in visitor goes: back where it was sent from, else its
/// home (the desk for staff, its space for organisers).
fn destination(next: &str, staff: bool) -> &str {
    visit::local_path(next)
        .filter(|p| *p != "/connexion")
        .unwrap_or(if staff { "/gestion/" } else { "/espace/" })
}

async fn sign_in(visit: &Visit<'_>) -> Response {
    let submitted: SignInForm = match super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let login = submitted.identifiant.trim().to_ascii_lowercase();
    let outcome = visit
        .app
        .auth
        .check_credentials(login.clone(), submitted.mot_de_passe, visit.request.peer)
        .await;
    let user = match outcome {
        AuthOutcome::Authenticated(user) => user,
        AuthOutcome::Throttled => {
            let mut response = form(
                visit,
                StatusCode::TOO_MANY_REQUESTS,
                &submitted.suite,
                &login,
                Some("Trop d'essais ont échoué depuis votre connexion. Attendez une minute avant de réessayer."),
            );
            http::set_header(&mut response, "retry-after", "60");
            return response;
        }
        AuthOutcome::Unavailable => return page::unavailable(visit, "La connexion"),
        AuthOutcome::Anonymous | AuthOutcome::Refused => {
            return form(
                visit,
                StatusCode::FORBIDDEN,
                &submitted.suite,
                &login,
                Some(
                    "Identifiant ou mot de passe incorrect. Vérifiez les majuscules et réessayez.",
                ),
            )
        }
    };
    let token = tokens::new_token();
    let digest = tokens::digest(&token);
    let id = user.id;
    if visit
        .app
        .store
        .write(move |tx| sessions::create(tx, &digest, id))
        .await
        .is_err()
    {
        return page::unavailable(visit, "La connexion");
    }
    signed_in(
        visit,
        &token,
        &submitted.suite,
        user.role.reads_everything(),
    )
}

/// The answer that signs a visitor in once its session is stored: the
/// session's cookie, and a redirect to where it goes next.
pub fn signed_in(visit: &Visit, token: &str, next: &str, staff: bool) -> Response {
    let mut response = page::see_other(destination(next, staff));
    let cookie = visit::set_cookie(
        visit::SESSION_COOKIE,
        token,
        Some(sessions::IDLE_SECONDS),
        visit.secure(),
    );
    visit::append_header(&mut response, "set-cookie", &cookie);
    response
}

pub async fn sign_out(visit: &Visit<'_>) -> Response {
    if let Some(token) = visit.session_token() {
        let digest = tokens::digest(token);
        let _ = visit
            .app
            .store
            .write(move |tx| sessions::delete(tx, &digest))
            .await;
    }
    let mut response = page::see_other("/");
    let cookie = visit::set_cookie(visit::SESSION_COOKIE, "", Some(0), visit.secure());
    visit::append_header(&mut response, "set-cookie", &cookie);
    response
}
