//! Choosing a password through an activation link (`/activation/{token}`),
//! after approval or when it was forgotten. The link opens once, until it
//! expires; setting the password ends the account's other sessions and
//! signs this visitor in.

use super::fields::Errors;
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::http::{self, Response};
use crate::store::accounts::{self, Principal};
use crate::store::activations::{self, State};
use crate::store::sessions;
use crate::tokens;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "activation.html")]
struct ActivationPage<'a> {
    chrome: Chrome,
    csrf: String,
    token: &'a str,
    login: &'a str,
    name: &'a str,
    errors: &'a Errors,
}

#[derive(Template)]
#[template(path = "activation_gone.html")]
struct GonePage<'a> {
    chrome: Chrome,
    message: &'a str,
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    confirmation: String,
}

/// A token as `tokens::new_token` makes them; anything else is unknown
/// without asking the database.
fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    let token = visit
        .request
        .path
        .strip_prefix("/activation/")
        .unwrap_or_default();
    let mut response = match open(visit, token).await {
        Err(response) => response,
        Ok(user) if visit.request.method == Method::POST => choose(visit, token, &user).await,
        Ok(user) => form(visit, StatusCode::OK, token, &user, &Errors::default()),
    };
    // The token is in the address: it must not leave in a Referer header,
    // nor stay in a cache.
    http::set_header(&mut response, "referrer-policy", "no-referrer");
    http::set_header(&mut response, "cache-control", "no-store");
    response
}

/// The account an open link leads to, or the page saying why it does not.
async fn open(visit: &Visit<'_>, token: &str) -> Result<Principal, Response> {
    let state = match well_formed(token) {
        false => Ok((State::Unknown, None)),
        true => {
            let digest = tokens::digest(token);
            visit
                .app
                .store
                .read(move |conn| {
                    let state = activations::state(conn, &digest)?;
                    let user = match state {
                        State::Open { principal_id } => accounts::by_id(conn, principal_id)?,
                        _ => None,
                    };
                    Ok((state, user))
                })
                .await
        }
    };
    match state {
        Err(error) => {
            tracing::error!("cannot read an activation link: {error}");
            Err(page::unavailable(visit, "L'activation"))
        }
        Ok((State::Open { .. }, Some(user))) if !user.disabled => Ok(user),
        Ok((State::Open { .. }, _)) => Err(gone(
            visit,
            StatusCode::GONE,
            "Ce compte est désactivé. Contactez l'intercommunalité.",
        )),
        Ok((State::Used, _)) => Err(gone(
            visit,
            StatusCode::GONE,
            "Ce lien a déjà servi\u{202f}: il ne s'utilise qu'une fois.",
        )),
        Ok((State::Expired, _)) => Err(gone(
            visit,
            StatusCode::GONE,
            "Ce lien a expiré, ou un lien plus récent l'a remplacé.",
        )),
        Ok((State::Unknown, _)) => Err(gone(
            visit,
            StatusCode::NOT_FOUND,
            "Ce lien n'existe pas. Vérifiez qu'il a été copié en entier.",
        )),
    }
}

fn gone(visit: &Visit, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Lien inconnu",
        _ => "Lien plus valable",
    };
    page::render_status(
        status,
        &GonePage {
            chrome: Chrome::new(visit, title),
            message,
        },
    )
}

fn form(
    visit: &Visit,
    status: StatusCode,
    token: &str,
    user: &Principal,
    errors: &Errors,
) -> Response {
    page::render_status(
        status,
        &ActivationPage {
            chrome: Chrome::new(visit, "Choisir votre mot de passe"),
            csrf: visit.csrf_token(),
            token,
            login: &user.login,
            name: &user.display_name,
            errors,
        },
    )
}

async fn choose(visit: &Visit<'_>, token: &str, user: &Principal) -> Response {
    let submitted: PasswordForm = match super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let mut errors = Errors::default();
    let password = submitted.mot_de_passe;
    if let Some(refusal) = crate::passwords::refusal(&password, &user.login, &user.display_name) {
        errors.add("mot-de-passe", refusal);
    } else if submitted.confirmation != password {
        errors.add(
            "confirmation",
            "Les deux mots de passe ne sont pas identiques.",
        );
    }
    if !errors.is_empty() {
        return form(visit, StatusCode::BAD_REQUEST, token, user, &errors);
    }
    let settings = visit.app.config.auth.clone();
    let hashed =
        tokio::task::spawn_blocking(move || crate::auth::hash_password(&password, &settings)).await;
    let Ok(Ok(hash)) = hashed else {
        return page::unavailable(visit, "L'activation");
    };
    let link = tokens::digest(token);
    let session = tokens::new_token();
    let session_digest = tokens::digest(&session);
    let (login, id) = (user.login.clone(), user.id);
    let done = visit
        .app
        .store
        .write(move |tx| {
            // Used meanwhile (the form sent twice): nothing changes.
            if !activations::consume(tx, &link)? {
                return Ok(false);
            }
            accounts::set_password_hash(tx, &login, &hash)?;
            sessions::create(tx, &session_digest, id)?;
            Ok(true)
        })
        .await;
    match done {
        Err(error) => {
            tracing::error!("cannot set a password through its link: {error}");
            page::unavailable(visit, "L'activation")
        }
        Ok(false) => gone(
            visit,
            StatusCode::GONE,
            "Ce lien a déjà servi\u{202f}: il ne s'utilise qu'une fois.",
        ),
        Ok(true) => {
            visit.app.auth.forget(&user.login);
            tracing::info!("{} chose a password through an activation link", user.login);
            super::signin::signed_in(visit, &session, "", user.role.reads_everything())
        }
    }
}
