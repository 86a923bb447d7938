//! Registrations (`/gestion/inscriptions`): the requests of associations,
//! town halls and services that came forward (`/inscription`), approved
//! (a new organiser, or the request linked to an existing one) or rejected
//! with a reason. The decisions themselves are `crate::registration`'s, the
//! same the command line takes; this page asks, records each decision in
//! the audit log in the same transaction, and shows the activation link
//! once (mailed too with `[mail]`).

use super::{bad_form, Nav};
use crate::accounts::{self, kind_label};
use crate::http::Response;
use crate::registration::{self, Approval, Approved, DecisionError};
use crate::store::accounts::{self as stored, Principal};
use crate::store::audit;
use crate::store::registrations::{self, Registration, Status};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

/// Longest reason a refusal may give (the contact reads it).
const MAX_REASON: usize = 1000;

/// How many past decisions the page lists.
const RECENT: usize = 20;

pub struct Request {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub commune: String,
    pub contact: String,
    pub email: String,
    pub phone: String,
    pub categories: String,
    pub description: String,
    pub received: String,
}

pub struct Decided {
    pub name: String,
    pub approved: bool,
    pub at: String,
    pub reason: String,
    pub login: String,
}

/// What an approval gives staff to hand out.
pub struct Link {
    pub name: String,
    pub login: String,
    pub created: bool,
    pub url: String,
    pub until: String,
    pub mailed_to: Option<String>,
}

#[derive(Template)]
#[template(path = "gestion/inscriptions.html")]
struct RegistrationsPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    link: Option<Link>,
    pending: Vec<Request>,
    decided: Vec<Decided>,
    organisers: Vec<(String, String)>,
    max_reason: usize,
}

#[derive(Deserialize)]
struct Decide {
    action: String,
    demande: i64,
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    rattacher: String,
    #[serde(default)]
    raison: String,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    match visit.request.method {
        Method::POST => decide(visit, user).await,
        _ => show(visit, None).await,
    }
}

async fn show(visit: &Visit<'_>, link: Option<Link>) -> Response {
    let read = visit
        .app
        .store
        .read(|conn| Ok((registrations::list(conn, None)?, stored::list(conn)?)))
        .await;
    let Ok((all, principals)) = read else {
        return page::unavailable(visit, "Les inscriptions");
    };
    let logins: std::collections::HashMap<i64, &str> = principals
        .iter()
        .map(|p| (p.id, p.login.as_str()))
        .collect();
    let mut organisers: Vec<(String, String)> = principals
        .iter()
        .filter(|p| p.role == stored::Role::Organiser)
        .map(|p| (p.login.clone(), p.display_name.clone()))
        .collect();
    organisers.sort_by_cached_key(|(login, name)| (crate::text::normalize(name), login.clone()));
    let app = visit.app;
    let tz = app.timezone;
    let at = |t: i64| crate::french::instant(tz, t, false);
    let pending = all
        .iter()
        .filter(|r| r.status == Status::Pending)
        .map(|r| request(app, r, &at))
        .collect();
    let decided = all
        .iter()
        .rev()
        .filter(|r| r.status != Status::Pending)
        .take(RECENT)
        .map(|r| Decided {
            name: r.form.name.clone(),
            approved: r.status == Status::Approved,
            at: r.decided_at.map(at).unwrap_or_default(),
            reason: r.reason.clone().unwrap_or_default(),
            login: r
                .principal_id
                .and_then(|id| logins.get(&id).map(|l| l.to_string()))
                .unwrap_or_default(),
        })
        .collect();
    page::render(&RegistrationsPage {
        chrome: Chrome::new(visit, "Inscriptions"),
        nav: Nav::new(visit, "/gestion/inscriptions"),
        csrf: visit.csrf_token(),
        link,
        pending,
        decided,
        organisers,
        max_reason: MAX_REASON,
    })
}

fn request(app: &crate::app::App, r: &Registration, at: &dyn Fn(i64) -> String) -> Request {
    let config = &app.config;
    let form = &r.form;
    Request {
        id: r.id,
        name: form.name.clone(),
        kind: kind_label(&form.kind),
        commune: form
            .commune
            .as_deref()
            .map(|c| {
                config
                    .commune(c)
                    .map(|n| n.name.clone())
                    .unwrap_or(c.to_owned())
            })
            .unwrap_or_default(),
        contact: form.contact_name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone().unwrap_or_default(),
        categories: form
            .categories
            .iter()
            .map(|c| {
                config
                    .category(c)
                    .map(|n| n.name.clone())
                    .unwrap_or(c.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
        description: form.description.clone().unwrap_or_default(),
        received: at(r.created_at),
    }
}

async fn decide(visit: &Visit<'_>, user: &Principal) -> Response {
    let form: Decide = match crate::web::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return bad_form(visit, &message),
    };
    match form.action.as_str() {
        "approuver" => approve(visit, user, form).await,
        "refuser" => reject(visit, user, form).await,
        _ => bad_form(visit, "Cette action n'existe pas."),
    }
}

async fn approve(visit: &Visit<'_>, user: &Principal, form: Decide) -> Response {
    let login = form.identifiant.trim().to_lowercase();
    let link_to = form.rattacher.trim().to_owned();
    if !login.is_empty() && !link_to.is_empty() {
        return bad_form(
            visit,
            "Choisissez soit un nouvel identifiant, soit un organisateur existant, pas les deux.",
        );
    }
    if !login.is_empty() && !stored::valid_login(&login) {
        return bad_form(
            visit,
            "L'identifiant doit faire de 2 à 64 caractères\u{202f}: lettres minuscules sans accent, chiffres, « - » ou « _ », en commençant par une lettre ou un chiffre.",
        );
    }
    if stored::reserved_login(&login) {
        return bad_form(
            visit,
            "Cet identifiant est réservé aux adresses du serveur\u{202f}; choisissez-en un autre.",
        );
    }
    let app = visit.app;
    let config = app.config.clone();
    let Ok(Ok(hash)) =
        tokio::task::spawn_blocking(move || accounts::unknown_password_hash(&config)).await
    else {
        return page::unavailable(visit, "Les inscriptions");
    };
    let approval = Approval {
        login: (!login.is_empty()).then_some(login),
        link_to: (!link_to.is_empty()).then_some(link_to),
    };
    let (id, actor) = (form.demande, user.login.clone());
    let decided = app
        .store
        .write(move |tx| {
            let approved = match registration::approve(tx, id, &approval, &hash) {
                Ok(approved) => approved,
                Err(error) => return Ok(Err(error)),
            };
            let detail = match approved.created {
                true => format!(
                    "{} : organisateur {} créé",
                    approved.registration.form.name, approved.login
                ),
                false => format!(
                    "{} : rattachée à l'organisateur {}",
                    approved.registration.form.name, approved.login
                ),
            };
            audit::record(
                tx,
                &actor,
                "registration-approve",
                &id.to_string(),
                &detail,
                "",
            )?;
            Ok(Ok(approved))
        })
        .await;
    let approved = match decided {
        Ok(Ok(approved)) => approved,
        Ok(Err(error)) => return refusal(visit, error),
        Err(_) => return page::unavailable(visit, "Les inscriptions"),
    };
    app.auth.forget(&approved.login);
    let mailed_to = mail(visit, registration::approval_mail(&app.config, &approved));
    show(visit, Some(link(visit, &approved, mailed_to))).await
}

fn link(visit: &Visit, approved: &Approved, mailed_to: Option<String>) -> Link {
    let config = &visit.app.config;
    Link {
        name: approved.registration.form.name.clone(),
        login: approved.login.clone(),
        created: approved.created,
        url: accounts::link_url(config, &approved.token),
        until: registration::french_instant(config, approved.expires),
        mailed_to,
    }
}

/// Sends `mail` after the answer when `[mail]` is set; to whom, if so.
fn mail(visit: &Visit, mail: crate::mail::Mail) -> Option<String> {
    let to = mail.to.clone();
    match crate::mail::configured(&visit.app.config) {
        true => {
            crate::mail::send_later(visit.app, mail);
            Some(to)
        }
        false => None,
    }
}

async fn reject(visit: &Visit<'_>, user: &Principal, form: Decide) -> Response {
    let reason = form.raison.trim().to_owned();
    if reason.is_empty() {
        return bad_form(
            visit,
            "Indiquez la raison du refus\u{202f}: la personne qui a fait la demande la lira.",
        );
    }
    if reason.chars().count() > MAX_REASON {
        return bad_form(
            visit,
            &format!("La raison tient en {MAX_REASON} caractères au plus."),
        );
    }
    let (id, actor) = (form.demande, user.login.clone());
    let reason2 = reason.clone();
    let decided = visit
        .app
        .store
        .write(move |tx| {
            let rejected = match registration::reject(tx, id, &reason2) {
                Ok(rejected) => rejected,
                Err(error) => return Ok(Err(error)),
            };
            let detail = rejected.form.name.clone();
            audit::record(
                tx,
                &actor,
                "registration-reject",
                &id.to_string(),
                &detail,
                &reason2,
            )?;
            Ok(Ok(rejected))
        })
        .await;
    match decided {
        Ok(Ok(rejected)) => {
            mail(
                visit,
                registration::rejection_mail(&visit.app.config, &rejected, &reason),
            );
            page::see_other("/gestion/inscriptions?fait=refuse")
        }
        Ok(Err(error)) => refusal(visit, error),
        Err(_) => page::unavailable(visit, "Les inscriptions"),
    }
}

/// A decision that could not be taken, told in French.
fn refusal(visit: &Visit, error: DecisionError) -> Response {
    let (status, message) = match error {
        DecisionError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "Cette demande d'inscription n'existe pas.".to_owned(),
        ),
        DecisionError::AlreadyDecided(_, _) => (
            StatusCode::CONFLICT,
            "Cette demande a déjà été traitée (peut-être par un collègue, ou en ligne de commande)."
                .to_owned(),
        ),
        DecisionError::Refused(detail) if detail.contains("already taken") => (
            StatusCode::CONFLICT,
            "Cet identifiant est déjà pris\u{202f}: choisissez-en un autre, ou rattachez la demande à l'organisateur existant.".to_owned(),
        ),
        DecisionError::Refused(detail) if detail.starts_with("no account") => (
            StatusCode::BAD_REQUEST,
            "Aucun organisateur n'a cet identifiant.".to_owned(),
        ),
        DecisionError::Refused(detail) if detail.contains("not an organiser") => (
            StatusCode::BAD_REQUEST,
            "On ne peut rattacher une demande qu'à un compte d'organisateur.".to_owned(),
        ),
        DecisionError::Refused(detail) => (StatusCode::BAD_REQUEST, detail),
        DecisionError::Store(_) => return page::unavailable(visit, "Les inscriptions"),
    };
    page::error(visit, status, &message)
}
