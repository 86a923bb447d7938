//! "Mot de passe oublié" (`/mot-de-passe-oublie`). With `[mail]`, a new
//! activation link goes to the account's address; the answer is the same
//! whether an account matched or not, and comes before anything is looked
//! up, so that neither its words nor its time tell which accounts exist.
//! Without mail, the page sends people to staff (`concord organiser
//! reset-link`).

use super::page::{self, Chrome};
use super::visit::Visit;
use crate::accounts::{self, EMAILED_LINK_SECONDS};
use crate::app::App;
use crate::http::Response;
use crate::store::accounts::{self as stored, Principal};
use crate::store::registrations;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use std::sync::Arc;

/// Accounts one request may send links to (one address can be the
/// contact of several organisers).
const MAX_ACCOUNTS: usize = 3;

#[derive(Template)]
#[template(path = "forgotten.html")]
struct ForgottenPage<'a> {
    chrome: Chrome,
    csrf: String,
    by_mail: bool,
    sent: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct ForgottenForm {
    #[serde(default)]
    identifiant: String,
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    let by_mail = crate::mail::configured(&visit.app.config);
    if visit.request.method != Method::POST || !by_mail {
        return render(visit, StatusCode::OK, false, None);
    }
    let submitted: ForgottenForm = match super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let wanted = submitted.identifiant.trim().to_owned();
    if wanted.is_empty() || wanted.chars().count() > super::fields::EMAIL_CHARS {
        return render(
            visit,
            StatusCode::BAD_REQUEST,
            false,
            Some("Indiquez votre identifiant ou votre adresse électronique."),
        );
    }
    if !visit
        .app
        .form_limits
        .resets
        .allow_source(visit.request.peer)
    {
        return page::too_many(
            visit,
            "Plusieurs demandes sont déjà parties de votre connexion. Réessayez dans une heure, ou demandez un lien à l'intercommunalité.",
            3600,
        );
    }
    tokio::spawn(send_links(visit.app.clone(), wanted));
    render(visit, StatusCode::OK, true, None)
}

fn render(visit: &Visit, status: StatusCode, sent: bool, error: Option<&str>) -> Response {
    page::render_status(
        status,
        &ForgottenPage {
            chrome: Chrome::new(visit, "Mot de passe oublié"),
            csrf: visit.csrf_token(),
            by_mail: crate::mail::configured(&visit.app.config),
            sent,
            error,
        },
    )
}

/// The accounts `wanted` names, each with the address its link goes to:
/// by e-mail, the accounts whose public card or approved registration
/// gives it; by login, that account at its registration's contact
/// address, else its public one.
fn recipients(
    conn: &rusqlite::Connection,
    wanted: &str,
) -> crate::store::Result<Vec<(Principal, String)>> {
    let mut found: Vec<(Principal, String)> = Vec::new();
    if wanted.contains('@') {
        let mut principals = stored::with_email(conn, wanted)?;
        for id in registrations::principals_with_contact(conn, wanted)? {
            principals.extend(stored::by_id(conn, id)?);
        }
        for principal in principals {
            if !found.iter().any(|(p, _)| p.id == principal.id) {
                found.push((principal, wanted.to_owned()));
            }
        }
    } else if let Some(principal) = stored::by_login(conn, &wanted.to_ascii_lowercase())? {
        let contact = registrations::contact_emails_of(conn, principal.id)?
            .into_iter()
            .next()
            .or(stored::public_card(conn, &principal.login)?.and_then(|card| card.email));
        if let Some(to) = contact {
            found.push((principal, to));
        }
    }
    found.retain(|(p, _)| !p.disabled);
    found.truncate(MAX_ACCOUNTS);
    Ok(found)
}

async fn send_links(app: Arc<App>, wanted: String) {
    let lookup = wanted.clone();
    let found = match app.store.read(move |conn| recipients(conn, &lookup)).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!("cannot look up accounts for a password reset: {error}");
            return;
        }
    };
    for (principal, to) in found {
        if !app.form_limits.resets_per_account.allow(principal.id) {
            tracing::info!(
                "password reset for {} not sent: asked too often",
                principal.login
            );
            continue;
        }
        let id = principal.id;
        let issued = app
            .store
            .write(move |tx| accounts::issue_link(tx, id, EMAILED_LINK_SECONDS))
            .await;
        match issued {
            Ok((token, expires)) => {
                let mail = crate::registration::reset_mail(
                    &app.config,
                    &to,
                    &principal.login,
                    &token,
                    expires,
                );
                crate::mail::send_later(&app, mail);
            }
            Err(error) => tracing::error!("cannot make a reset link: {error}"),
        }
    }
}
