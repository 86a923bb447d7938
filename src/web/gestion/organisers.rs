//! Organisers (`/gestion/organisateurs`): search and list; one organiser's
//! page (`/gestion/organisateurs/{login}`) to edit its public card,
//! disable or enable it, set its moderation policy, publish or withdraw
//! each of its calendars, see its events waiting or hidden, and manage
//! its subscriptions to calendars kept elsewhere (`{login}/abonnements/`,
//! `crate::web::subscriptions` as on the organiser's import page, each
//! change in the audit log). The checks are the command line's
//! (`cli::profile`), which stays.

use super::{bad_form, Nav};
use crate::http::Response;
use crate::store::accounts::{self, Principal, Role};
use crate::store::collections;
use crate::store::moderation::{self, Policy};
use crate::store::{audit, StoreError};
use crate::web::fields::Errors;
use crate::web::page::{self, Chrome};
use crate::web::subscriptions::{self, Answer, Place, Removal, Section, SubscribeForm};
use crate::web::visit::Visit;
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

struct Row {
    login: String,
    name: String,
    kind: &'static str,
    commune: String,
    policy: String,
    disabled: bool,
    publishes: bool,
}

#[derive(Template)]
#[template(path = "gestion/organisateurs.html")]
struct ListPage {
    chrome: Chrome,
    nav: Nav,
    search: String,
    rows: Vec<Row>,
    total: usize,
}

fn policy_label(policy: Option<Policy>) -> String {
    let name = |p: Policy| match p {
        Policy::Trusted => "de confiance",
        Policy::Reviewed => "à valider",
    };
    match policy {
        Some(p) => name(p).to_owned(),
        None => format!("{} (par défaut)", name(moderation::default_policy())),
    }
}

pub async fn handle(visit: &Visit<'_>, user: &Principal, tail: &str) -> Response {
    match (tail, visit.request.method == Method::POST) {
        ("", false) => list(visit).await,
        ("", true) => page::error(
            visit,
            StatusCode::METHOD_NOT_ALLOWED,
            "Cette adresse ne s'utilise pas ainsi.",
        ),
        (login, false) if !login.contains('/') => {
            let form = SubscribeForm::empty(&visit.app.config.import);
            show(visit, user, login, StatusCode::OK, form, Errors::default()).await
        }
        (login, true) if !login.contains('/') => act(visit, user, login).await,
        (tail, _) => match tail.split_once("/abonnements/") {
            Some((login, rest)) if !login.contains('/') => feeds(visit, user, login, rest).await,
            _ => page::not_found(visit),
        },
    }
}

/// The organiser's card's place for its subscriptions: staff acting.
fn place<'a>(owner: &'a Principal, staff: &'a Principal) -> Place<'a> {
    Place {
        base: format!("/gestion/organisateurs/{}", owner.login),
        owner,
        staff: Some(staff),
    }
}

#[derive(Template)]
#[template(path = "gestion/abonnement_supprimer.html")]
struct ConfirmPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    login: String,
    name: String,
    removal: Removal,
}

/// Addresses under `/gestion/organisateurs/{login}/abonnements/`: an
/// organiser's subscriptions, changed by staff.
async fn feeds(visit: &Visit<'_>, user: &Principal, login: &str, rest: &str) -> Response {
    let wanted = login.to_owned();
    let owner = match visit
        .app
        .store
        .read(move |conn| accounts::by_login(conn, &wanted))
        .await
    {
        Ok(Some(owner)) if owner.role == Role::Organiser => owner,
        Ok(_) => return page::not_found(visit),
        Err(_) => return page::unavailable(visit, "La fiche de l'organisateur"),
    };
    match subscriptions::handle(visit, &place(&owner, user), rest).await {
        Answer::Response(response) => response,
        Answer::Form(form, errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(visit, user, login, status, form, errors).await
        }
        Answer::Confirm(removal) => page::render(&ConfirmPage {
            chrome: Chrome::new(visit, "Supprimer un abonnement"),
            nav: Nav::new(visit, "/gestion/organisateurs"),
            csrf: visit.csrf_token(),
            login: owner.login.clone(),
            name: owner.display_name.clone(),
            removal,
        }),
    }
}

async fn list(visit: &Visit<'_>) -> Response {
    let search = crate::params::pairs(&visit.request.query)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let read = visit
        .app
        .store
        .read(|conn| Ok((accounts::list(conn)?, moderation::policies(conn)?)))
        .await;
    let Ok((all, policies)) = read else {
        return page::unavailable(visit, "La liste des organisateurs");
    };
    let config = &visit.app.config;
    let wanted = crate::text::normalize(&search);
    let mut rows: Vec<Row> = all
        .into_iter()
        .filter(|p| p.role == Role::Organiser)
        .map(|p| Row {
            commune: p
                .commune
                .as_deref()
                .map(|c| {
                    config
                        .commune(c)
                        .map(|x| x.name.clone())
                        .unwrap_or(c.to_owned())
                })
                .unwrap_or_default(),
            kind: crate::accounts::kind_label(&p.kind),
            policy: policy_label(policies.get(&p.id).copied()),
            disabled: p.disabled,
            publishes: p.publishes,
            login: p.login,
            name: p.display_name,
        })
        .filter(|r| {
            wanted.is_empty()
                || [&r.name, &r.login, &r.commune]
                    .iter()
                    .any(|field| crate::text::normalize(field).contains(&wanted))
        })
        .collect();
    rows.sort_by_cached_key(|r| (crate::text::normalize(&r.name), r.login.clone()));
    let total = rows.len();
    page::render(&ListPage {
        chrome: Chrome::new(visit, "Organisateurs"),
        nav: Nav::new(visit, "/gestion/organisateurs"),
        search,
        rows,
        total,
    })
}

struct Choice {
    value: String,
    text: String,
    selected: bool,
}

struct Calendar {
    path: String,
    name: String,
    published: bool,
}

struct Waiting {
    summary: String,
    state: String,
}

#[derive(Template)]
#[template(path = "gestion/organisateur.html")]
struct OrganiserPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    login: String,
    name: String,
    kinds: Vec<Choice>,
    communes: Vec<Choice>,
    categories: Vec<Choice>,
    email: String,
    phone: String,
    website: String,
    description: String,
    publishes: bool,
    disabled: bool,
    policies: Vec<Choice>,
    calendars: Vec<Calendar>,
    events: Vec<Waiting>,
    /// Its subscriptions to calendars kept elsewhere (organisers only).
    feeds: Option<Section>,
}

/// The organiser's card, with the subscription form as given (empty, or
/// sent with errors: `status` is then 422).
async fn show(
    visit: &Visit<'_>,
    user: &Principal,
    login: &str,
    status: StatusCode,
    form: SubscribeForm,
    errors: Errors,
) -> Response {
    let wanted = login.to_owned();
    let read = visit
        .app
        .store
        .read(move |conn| {
            let Some(principal) = accounts::by_login(conn, &wanted)? else {
                return Ok(None);
            };
            let Some(details) = accounts::details(conn, &wanted)? else {
                return Ok(None);
            };
            Ok(Some((
                moderation::policy_of(conn, principal.id)?,
                collections::calendars_of(conn, principal.id)?,
                moderation::states_of_owner(conn, principal.id)?,
                principal,
                details,
            )))
        })
        .await;
    let (policy, calendars, states, principal, details) = match read {
        Ok(Some(found)) => found,
        Ok(None) => return page::not_found(visit),
        Err(_) => return page::unavailable(visit, "La fiche de l'organisateur"),
    };
    let config = &visit.app.config;
    let chosen_categories: Vec<&str> = details
        .categories
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let commune = details.commune.clone().unwrap_or_default();
    let feeds = match principal.role {
        Role::Organiser => {
            let place = place(&principal, user);
            match subscriptions::section(visit, &place, form, errors).await {
                Ok(section) => Some(section),
                Err(_) => return page::unavailable(visit, "La fiche de l'organisateur"),
            }
        }
        _ => None,
    };
    page::render_status(
        status,
        &OrganiserPage {
            feeds,
            chrome: Chrome::new(visit, principal.display_name.clone()),
            nav: Nav::new(visit, "/gestion/organisateurs"),
            csrf: visit.csrf_token(),
            login: principal.login.clone(),
            name: principal.display_name.clone(),
            kinds: crate::cli::KINDS
                .iter()
                .map(|k| Choice {
                    value: (*k).to_owned(),
                    text: crate::accounts::kind_label(k).to_owned(),
                    selected: details.kind == *k,
                })
                .collect(),
            communes: config
                .communes
                .iter()
                .map(|c| Choice {
                    value: c.slug.clone(),
                    text: c.name.clone(),
                    selected: c.slug == commune,
                })
                .collect(),
            categories: config
                .categories
                .iter()
                .map(|c| Choice {
                    value: c.slug.clone(),
                    text: c.name.clone(),
                    selected: chosen_categories.contains(&c.slug.as_str()),
                })
                .collect(),
            email: details.email.unwrap_or_default(),
            phone: details.phone.unwrap_or_default(),
            website: details.website.unwrap_or_default(),
            description: details.description.unwrap_or_default(),
            publishes: principal.publishes,
            disabled: principal.disabled,
            policies: [
                ("", policy_label(None)),
                (
                    "trusted",
                    "de confiance\u{202f}: ses événements paraissent aussitôt".into(),
                ),
                (
                    "reviewed",
                    "à valider\u{202f}: ses événements attendent la validation".into(),
                ),
            ]
            .into_iter()
            .map(|(value, text)| Choice {
                selected: policy.map(Policy::as_str).unwrap_or("") == value,
                value: value.to_owned(),
                text,
            })
            .collect(),
            calendars: calendars
                .into_iter()
                .map(|c| Calendar {
                    name: c.display_name.clone().unwrap_or_else(|| c.path.clone()),
                    path: c.path,
                    published: c.published,
                })
                .collect(),
            events: states
                .into_iter()
                .map(|s| Waiting {
                    summary: s.summary,
                    state: match &s.hidden {
                        Some((reason, _, _)) => format!("masqué\u{202f}: {reason}"),
                        None => "en attente de validation".into(),
                    },
                })
                .collect(),
        },
    )
}

#[derive(Deserialize)]
struct Act {
    action: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    genre: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    publie: Option<String>,
    #[serde(default)]
    politique: String,
    #[serde(default)]
    agenda: String,
}

/// What an action changed, to go back to the page with.
type Done = Result<Option<&'static str>, StoreError>;

async fn act(visit: &Visit<'_>, user: &Principal, login: &str) -> Response {
    let form: Act = match crate::web::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return bad_form(visit, &message),
    };
    let (login, actor) = (login.to_owned(), user.login.clone());
    if form.action == "activation" {
        return new_link(visit, login, actor).await;
    }
    let store = &visit.app.store;
    let done: Done = match form.action.as_str() {
        "fiche" => {
            let name = form.nom.trim().to_owned();
            if name.is_empty() || name.chars().count() > 200 {
                return bad_form(visit, "Le nom est obligatoire (200 caractères au plus).");
            }
            let long = [&form.courriel, &form.telephone, &form.site];
            if long.iter().any(|v| v.chars().count() > 300) {
                return bad_form(visit, "Chaque coordonnée tient en 300 caractères au plus.");
            }
            if form.description.chars().count() > 2000 {
                return bad_form(visit, "La présentation tient en 2000 caractères au plus.");
            }
            let change = crate::cli::ProfileChange {
                kind: Some(form.genre.clone()).filter(|k| !k.is_empty()),
                commune: Some(form.commune.clone()).filter(|c| !c.is_empty()),
                categories: Some(form.categories.join(",")),
                email: Some(form.courriel.trim().to_owned()),
                phone: Some(form.telephone.trim().to_owned()),
                website: Some(form.site.trim().to_owned()),
                description: Some(form.description.trim().to_owned()),
                publishes: Some(form.publie.is_some()),
            };
            let profile = match crate::cli::profile(&visit.app.config, change) {
                Ok(profile) => profile,
                Err(message) => return bad_form(visit, &french_refusal(&message)),
            };
            let detail = format!(
                "{name}\u{202f}; {}\u{202f}; {}\u{202f}; {}\u{202f}; {}",
                profile.email.as_deref().unwrap_or(""),
                profile.phone.as_deref().unwrap_or(""),
                profile.website.as_deref().unwrap_or(""),
                if profile.publishes == Some(true) {
                    "publie"
                } else {
                    "ne publie pas"
                }
            );
            store
                .write(move |tx| {
                    if accounts::details(tx, &login)?.is_none() {
                        return Ok(None);
                    }
                    accounts::set_display_name(tx, &login, &name)?;
                    accounts::update_profile(tx, &login, &profile)?;
                    audit::record(tx, &actor, "organiser-card", &login, &detail, "")?;
                    Ok(Some("fiche"))
                })
                .await
        }
        "desactiver" | "activer" => {
            let disabled = form.action == "desactiver";
            store
                .write(move |tx| {
                    if accounts::details(tx, &login)?.is_none() {
                        return Ok(None);
                    }
                    accounts::set_disabled(tx, &login, disabled)?;
                    let action = if disabled {
                        "organiser-disable"
                    } else {
                        "organiser-enable"
                    };
                    audit::record(tx, &actor, action, &login, &login, "")?;
                    Ok(Some(if disabled { "desactive" } else { "active" }))
                })
                .await
        }
        "moderation" => {
            let policy = match form.politique.as_str() {
                "" => None,
                other => match Policy::parse(other) {
                    Some(policy) => Some(policy),
                    None => return bad_form(visit, "Cette politique de modération n'existe pas."),
                },
            };
            store
                .write(move |tx| {
                    let Some(principal) = accounts::by_login(tx, &login)? else {
                        return Ok(None);
                    };
                    Ok(moderation::set_policy(tx, principal.id, policy, &actor)?
                        .then_some("politique"))
                })
                .await
        }
        "publier" | "retirer" => {
            let published = form.action == "publier";
            let path = form.agenda.clone();
            store
                .write(move |tx| {
                    let Some(principal) = accounts::by_login(tx, &login)? else {
                        return Ok(None);
                    };
                    if principal.role != Role::Organiser
                        || !collections::calendars_of(tx, principal.id)?
                            .iter()
                            .any(|c| c.path == path)
                    {
                        return Ok(None);
                    }
                    collections::set_published(tx, principal.id, &path, published)?;
                    let action = if published {
                        "calendar-publish"
                    } else {
                        "calendar-withdraw"
                    };
                    audit::record(tx, &actor, action, &format!("{login}/{path}"), &path, "")?;
                    Ok(Some(if published { "publie" } else { "retire" }))
                })
                .await
        }
        _ => return bad_form(visit, "Cette action n'existe pas."),
    };
    if let Ok(Some(_)) = done {
        // Its cached login carries the account as it was.
        visit.app.auth.forget(form_login(visit));
    }
    match done {
        Ok(Some(notice)) => page::see_other(&format!(
            "/gestion/organisateurs/{}?fait={notice}",
            form_login(visit)
        )),
        Ok(None) => page::not_found(visit),
        Err(_) => page::unavailable(visit, "La fiche de l'organisateur"),
    }
}

#[derive(Template)]
#[template(path = "gestion/lien.html")]
struct LinkPage {
    chrome: Chrome,
    nav: Nav,
    login: String,
    name: String,
    url: String,
    until: String,
    mailed_to: Option<String>,
}

/// A new activation link (the password forgotten, or never chosen),
/// shown once to staff and mailed to the organiser's public address with
/// `[mail]`. The current password keeps working until the link is used.
async fn new_link(visit: &Visit<'_>, login: String, actor: String) -> Response {
    let issued = visit
        .app
        .store
        .write(move |tx| {
            let Some(card) = accounts::details(tx, &login)? else {
                return Ok(None);
            };
            let Some((token, expires)) = crate::registration::reset_link(tx, &login)? else {
                return Ok(None);
            };
            audit::record(tx, &actor, "organiser-link", &login, &card.display_name, "")?;
            Ok(Some((card, token, expires)))
        })
        .await;
    let (card, token, expires) = match issued {
        Ok(Some(found)) => found,
        Ok(None) => return page::not_found(visit),
        Err(_) => return page::unavailable(visit, "La fiche de l'organisateur"),
    };
    let config = &visit.app.config;
    let email = card.email.filter(|e| !e.trim().is_empty());
    let mailed_to = match (crate::mail::configured(config), email) {
        (true, Some(to)) => {
            let mail = crate::registration::reset_mail(config, &to, &card.login, &token, expires);
            crate::mail::send_later(visit.app, mail);
            Some(to)
        }
        _ => None,
    };
    page::render(&LinkPage {
        chrome: Chrome::new(
            visit,
            format!("Nouveau lien d'activation\u{a0}: {}", card.display_name),
        ),
        nav: Nav::new(visit, "/gestion/organisateurs"),
        url: crate::accounts::link_url(config, &token),
        until: crate::registration::french_instant(config, expires),
        login: card.login,
        name: card.display_name,
        mailed_to,
    })
}

/// The login of the organiser's page being acted on (already checked to
/// be one path segment).
fn form_login<'a>(visit: &'a Visit) -> &'a str {
    visit.request.path.rsplit('/').next().unwrap_or_default()
}

/// The command line's refusals, for the desk.
fn french_refusal(message: &str) -> String {
    if message.starts_with("unknown commune") {
        "Cette commune n'est pas une commune du territoire.".into()
    } else if message.starts_with("unknown category") {
        "Une des catégories n'existe pas.".into()
    } else if message.starts_with("unknown kind") {
        "Ce genre d'organisateur n'existe pas (association, commune ou service).".into()
    } else if message.contains("is not an e-mail address") {
        "Le courriel n'est pas une adresse de courriel.".into()
    } else {
        message.to_owned()
    }
}
