//! Moderation (`/gestion/moderation`): the events waiting for approval,
//! the hidden ones, the organisers under review and the decisions taken.
//! Approving, hiding and showing again are `store::moderation`'s; this page
//! only asks and tells.

use super::{bad_form, Nav};
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::audit::{self, Action};
use crate::store::moderation::{self, Listed, Policy};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

/// Longest reason a hidden event may carry (its organiser reads it).
pub const MAX_REASON: usize = 500;

pub struct Row {
    pub object_id: i64,
    pub summary: String,
    pub location: String,
    pub organiser: String,
    pub organiser_login: String,
    pub when: String,
    pub since: String,
    pub replaces_public: bool,
    pub reason: String,
    pub by: String,
}

pub struct Decision {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub detail: String,
    pub reason: String,
}

pub struct Reviewed {
    pub login: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "gestion/moderation.html")]
struct ModerationPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    default_reviewed: bool,
    waiting: Vec<Row>,
    hidden: Vec<Row>,
    reviewed: Vec<Reviewed>,
    decisions: Vec<Decision>,
    max_reason: usize,
}

/// A decision to run in a write transaction: the event's description, or
/// `None` when there is no such event.
type DecisionJob =
    Box<dyn FnOnce(&rusqlite::Transaction) -> crate::store::Result<Option<String>> + Send>;

#[derive(Deserialize)]
struct Decide {
    action: String,
    objet: i64,
    #[serde(default)]
    raison: String,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    if visit.request.method == Method::POST {
        return decide(visit, user).await;
    }
    let read = visit
        .app
        .store
        .read(|conn| {
            let reviewed = conn
                .prepare(
                    "SELECT login, display_name, moderation FROM principals
                     WHERE role = 'organiser' AND disabled = 0 ORDER BY display_name",
                )?
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((
                moderation::waiting(conn)?,
                moderation::hidden(conn)?,
                reviewed,
                audit::list(conn, audit::MODERATION, None, 50)?,
            ))
        })
        .await;
    let Ok((waiting, hidden, organisers, decisions)) = read else {
        return page::unavailable(visit, "La modération");
    };
    let default = moderation::default_policy();
    let reviewed = organisers
        .into_iter()
        .filter(|(_, _, policy)| {
            policy.as_deref().and_then(Policy::parse).unwrap_or(default) == Policy::Reviewed
        })
        .map(|(login, name, _)| Reviewed { login, name })
        .collect();
    let tz = visit.app.timezone;
    page::render(&ModerationPage {
        chrome: Chrome::new(visit, "Modération"),
        nav: Nav::new(visit, "/gestion/moderation"),
        csrf: visit.csrf_token(),
        default_reviewed: default == Policy::Reviewed,
        waiting: waiting.iter().map(|l| row(tz, l)).collect(),
        hidden: hidden.iter().map(|l| row(tz, l)).collect(),
        reviewed,
        decisions: decisions.iter().map(|a| decision(tz, a)).collect(),
        max_reason: MAX_REASON,
    })
}

fn row(tz: chrono_tz::Tz, listed: &Listed) -> Row {
    Row {
        object_id: listed.object_id,
        summary: if listed.summary.is_empty() {
            "(sans titre)".into()
        } else {
            listed.summary.clone()
        },
        location: listed.location.clone().unwrap_or_default(),
        organiser: listed.organiser_name.clone(),
        organiser_login: listed.organiser_login.clone(),
        when: listed
            .first_start
            .map(|t| crate::french::instant(tz, t, listed.all_day))
            .unwrap_or_default(),
        since: listed
            .since
            .map(|t| crate::french::instant(tz, t, false))
            .unwrap_or_default(),
        replaces_public: listed.has_approved_copy,
        reason: listed.hidden_reason.clone().unwrap_or_default(),
        by: listed.hidden_by.clone().unwrap_or_default(),
    }
}

pub fn decision(tz: chrono_tz::Tz, action: &Action) -> Decision {
    Decision {
        at: crate::french::instant(tz, action.at, false),
        actor: action.actor.clone(),
        label: audit::label(&action.action).to_owned(),
        detail: action.detail.clone(),
        reason: action.reason.clone(),
    }
}

async fn decide(visit: &Visit<'_>, user: &Principal) -> Response {
    let form: Decide = match crate::web::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return bad_form(visit, &message),
    };
    let reason = form.raison.trim().to_owned();
    let (id, actor) = (form.objet, user.login.clone());
    let (job, done): (DecisionJob, &str) = match form.action.as_str() {
        "valider" => (
            Box::new(move |tx| moderation::approve(tx, id, &actor)),
            "valide",
        ),
        "masquer" => {
            if reason.is_empty() {
                return bad_form(
                        visit,
                        "Indiquez pourquoi l'événement est masqué\u{202f}: son organisateur lira cette raison.",
                    );
            }
            if reason.chars().count() > MAX_REASON {
                return bad_form(
                    visit,
                    &format!("La raison tient en {MAX_REASON} caractères au plus."),
                );
            }
            (
                Box::new(move |tx| moderation::hide(tx, id, &actor, &reason)),
                "masque",
            )
        }
        "retablir" => (
            Box::new(move |tx| moderation::unhide(tx, id, &actor)),
            "retabli",
        ),
        _ => return bad_form(visit, "Cette action n'existe pas."),
    };
    match visit.app.store.write(job).await {
        Ok(Some(_)) => page::see_other(&format!("/gestion/moderation?fait={done}")),
        Ok(None) => page::error(
            visit,
            StatusCode::NOT_FOUND,
            "Cet événement n'existe plus\u{202f}: son organisateur l'a peut-être supprimé.",
        ),
        Err(_) => page::unavailable(visit, "La modération"),
    }
}
