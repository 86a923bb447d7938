//! Coming forward (`/inscription`): an association, a town hall or a
//! service asks to join the agenda; staff decide (`concord registrations`).
//!
//! Against spam, without a third-party captcha: a field hidden from people
//! and screen readers that only robots fill (their request is answered as
//! if taken, and dropped), a limit of registrations per address, and a
//! size limit on every field.

use super::fields::{self, Errors};
use super::page::{self, Chrome};
use super::visit::Visit;
use crate::accounts::KINDS;
use crate::http::Response;
use crate::store::registrations::{self, NewRegistration};
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

pub const NAME_CHARS: usize = 120;
pub const DESCRIPTION_CHARS: usize = 2000;
const COMMUNE_CHARS: usize = 80;

/// The form as sent (French field names, as the page shows them).
#[derive(Debug, Default, Deserialize)]
pub struct RegistrationForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    description: String,
    /// The honeypot: hidden from people, filled by robots.
    #[serde(default)]
    site_internet: String,
}

/// An entry of a list of choices (radio buttons, options, checkboxes).
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The communes of config.toml as choices (none when it lists none: the
/// page then asks for free text).
pub fn commune_choices(visit: &Visit, selected: &str) -> Vec<Choice> {
    visit
        .app
        .config
        .communes
        .iter()
        .map(|c| Choice {
            value: c.slug.clone(),
            label: c.name.clone(),
            selected: c.slug == selected,
        })
        .collect()
}

/// The categories of config.toml as checkboxes.
pub fn category_choices(visit: &Visit, selected: &[String]) -> Vec<Choice> {
    visit
        .app
        .config
        .categories
        .iter()
        .map(|c| Choice {
            value: c.slug.clone(),
            label: c.name.clone(),
            selected: selected.contains(&c.slug),
        })
        .collect()
}

/// The commune field: a slug of config.toml, or short free text when it
/// lists none; `None` when empty.
pub fn commune(
    visit: &Visit,
    errors: &mut Errors,
    field: &'static str,
    value: &str,
) -> Option<String> {
    let config = &visit.app.config;
    if config.communes.is_empty() {
        return fields::line(errors, field, "une commune", value, COMMUNE_CHARS, false);
    }
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match config.commune(value) {
        Some(commune) => Some(commune.slug.clone()),
        None => {
            errors.add(field, "Choisissez une commune de la liste.");
            None
        }
    }
}

/// The categories field: slugs of config.toml, each once.
pub fn categories(
    visit: &Visit,
    errors: &mut Errors,
    field: &'static str,
    values: &[String],
) -> Vec<String> {
    let config = &visit.app.config;
    let mut chosen: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match config.category(value) {
            Some(category) if !chosen.contains(&category.slug) => {
                chosen.push(category.slug.clone())
            }
            Some(_) => {}
            None => errors.add(field, "Choisissez des catégories de la liste."),
        }
    }
    chosen
}

#[derive(Template)]
#[template(path = "registration.html")]
struct RegistrationPage<'a> {
    chrome: Chrome,
    csrf: String,
    form: &'a RegistrationForm,
    errors: &'a Errors,
    kinds: Vec<Choice>,
    communes: Vec<Choice>,
    categories: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "registration_done.html")]
struct DonePage<'a> {
    chrome: Chrome,
    name: &'a str,
    email: &'a str,
    by_mail: bool,
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    if visit.request.method != Method::POST {
        return form(
            visit,
            StatusCode::OK,
            &RegistrationForm::default(),
            &Errors::default(),
        );
    }
    let submitted: RegistrationForm = match super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let (checked, errors) = check(visit, &submitted);
    let Some(registration) = checked.filter(|_| errors.is_empty()) else {
        return form(visit, StatusCode::BAD_REQUEST, &submitted, &errors);
    };
    // Counted once a registration would be stored (robots' included), so
    // that fixing a mistake in the form costs nothing.
    if !visit
        .app
        .form_limits
        .registrations
        .allow_source(visit.request.peer)
    {
        return page::too_many(
            visit,
            "Plusieurs demandes d'inscription sont déjà parties de votre connexion. Réessayez dans une heure, ou contactez directement l'intercommunalité.",
            3600,
        );
    }
    if !submitted.site_internet.is_empty() {
        tracing::info!(
            "registration from {} dropped: the hidden field was filled",
            visit.request.peer
        );
        return done(visit, &registration);
    }
    let stored = registration.clone();
    let id = match visit
        .app
        .store
        .write(move |tx| registrations::insert(tx, &stored))
        .await
    {
        Ok(id) => id,
        Err(error) => {
            tracing::error!("cannot store a registration: {error}");
            return page::unavailable(visit, "L'inscription");
        }
    };
    tracing::info!("registration {id} received: {:?}", registration.name);
    if let Some(mail) = crate::registration::staff_notice(&visit.app.config, id, &registration) {
        crate::mail::send_later(visit.app, mail);
    }
    done(visit, &registration)
}

fn check(visit: &Visit, form: &RegistrationForm) -> (Option<NewRegistration>, Errors) {
    let mut errors = Errors::default();
    let name = fields::line(
        &mut errors,
        "nom",
        "le nom de votre organisation",
        &form.nom,
        NAME_CHARS,
        true,
    );
    let kind = form.nature.trim();
    if !KINDS.contains(&kind) {
        errors.add(
            "nature",
            "Indiquez si vous êtes une association, une commune ou un service.",
        );
    }
    let commune = commune(visit, &mut errors, "commune", &form.commune);
    let categories = categories(visit, &mut errors, "categories", &form.categories);
    let description = fields::text(
        &mut errors,
        "description",
        "une présentation",
        &form.description,
        DESCRIPTION_CHARS,
        false,
    );
    let contact = fields::line(
        &mut errors,
        "contact",
        "le nom de la personne à contacter",
        &form.contact,
        NAME_CHARS,
        true,
    );
    let email = fields::email(&mut errors, "courriel", &form.courriel, true);
    let phone = fields::phone(&mut errors, "telephone", &form.telephone);
    let registration = (|| {
        Some(NewRegistration {
            name: name?,
            kind: kind.to_owned(),
            commune,
            contact_name: contact?,
            email: email?,
            phone,
            categories,
            description,
        })
    })();
    (registration, errors)
}

fn form(visit: &Visit, status: StatusCode, form: &RegistrationForm, errors: &Errors) -> Response {
    let kinds = KINDS
        .iter()
        .map(|kind| Choice {
            value: (*kind).to_owned(),
            label: match *kind {
                "association" => "Une association",
                "commune" => "Une commune (mairie)",
                _ => "Un service intercommunal",
            }
            .to_owned(),
            selected: form.nature == *kind,
        })
        .collect();
    page::render_status(
        status,
        &RegistrationPage {
            chrome: Chrome::new(visit, "Inscrire votre organisation"),
            csrf: visit.csrf_token(),
            form,
            errors,
            kinds,
            communes: commune_choices(visit, &form.commune),
            categories: category_choices(visit, &form.categories),
        },
    )
}

fn done(visit: &Visit, registration: &NewRegistration) -> Response {
    page::render(&DonePage {
        chrome: Chrome::new(visit, "Demande envoyée"),
        name: &registration.name,
        email: &registration.email,
        by_mail: crate::mail::configured(&visit.app.config),
    })
}
