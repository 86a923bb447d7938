//! The organiser's public card (`/espace/profil`): name, description,
//! contact, website, commune and categories, as the directory and the
//! feeds show them. The kind and publishing stay staff's decisions.

use super::super::fields::{self, Errors};
use super::super::page::{self, Chrome};
use super::super::registration::{self as forms, Choice, DESCRIPTION_CHARS, NAME_CHARS};
use super::super::visit::Visit;
use crate::http::Response;
use crate::store::accounts::{self, Principal, Profile, PublicOrganiser};
use askama::Template;
use hyper::{Method, StatusCode};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    categories: Vec<String>,
}

impl ProfileForm {
    fn from_card(card: PublicOrganiser) -> ProfileForm {
        ProfileForm {
            nom: card.display_name,
            description: card.description.unwrap_or_default(),
            courriel: card.email.unwrap_or_default(),
            telephone: card.phone.unwrap_or_default(),
            site: card.website.unwrap_or_default(),
            commune: card.commune.unwrap_or_default(),
            categories: card
                .categories
                .unwrap_or_default()
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "espace/profile.html")]
struct ProfilePage<'a> {
    chrome: Chrome,
    csrf: String,
    login: &'a str,
    kind: String,
    publishes: bool,
    saved: bool,
    form: &'a ProfileForm,
    errors: &'a Errors,
    communes: Vec<Choice>,
    categories: Vec<Choice>,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    if visit.request.method == Method::POST {
        return save(visit, user).await;
    }
    let login = user.login.clone();
    let card = match visit
        .app
        .store
        .read(move |conn| accounts::public_card(conn, &login))
        .await
    {
        Ok(Some(card)) => card,
        Ok(None) => return page::not_found(visit),
        Err(error) => {
            tracing::error!("cannot read a public card: {error}");
            return page::unavailable(visit, "Votre fiche");
        }
    };
    let saved = crate::params::pairs(&visit.request.query)
        .unwrap_or_default()
        .iter()
        .any(|(k, _)| k == "enregistre");
    let form = ProfileForm::from_card(card);
    render(
        visit,
        user,
        StatusCode::OK,
        &form,
        &Errors::default(),
        saved,
    )
}

fn render(
    visit: &Visit,
    user: &Principal,
    status: StatusCode,
    form: &ProfileForm,
    errors: &Errors,
    saved: bool,
) -> Response {
    page::render_status(
        status,
        &ProfilePage {
            chrome: Chrome::new(visit, "Ma fiche publique"),
            csrf: visit.csrf_token(),
            login: &user.login,
            kind: crate::accounts::kind_label(&user.kind).to_lowercase(),
            publishes: user.publishes,
            saved,
            form,
            errors,
            communes: forms::commune_choices(visit, &form.commune),
            categories: forms::category_choices(visit, &form.categories),
        },
    )
}

async fn save(visit: &Visit<'_>, user: &Principal) -> Response {
    let submitted: ProfileForm = match super::super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let mut errors = Errors::default();
    let name = fields::line(
        &mut errors,
        "nom",
        "le nom de votre organisation",
        &submitted.nom,
        NAME_CHARS,
        true,
    );
    let description = fields::text(
        &mut errors,
        "description",
        "une présentation",
        &submitted.description,
        DESCRIPTION_CHARS,
        false,
    );
    let email = fields::email(&mut errors, "courriel", &submitted.courriel, false);
    let phone = fields::phone(&mut errors, "telephone", &submitted.telephone);
    let website = fields::website(&mut errors, "site", &submitted.site);
    let commune = forms::commune(visit, &mut errors, "commune", &submitted.commune);
    let categories = forms::categories(visit, &mut errors, "categories", &submitted.categories);
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return render(
            visit,
            user,
            StatusCode::BAD_REQUEST,
            &submitted,
            &errors,
            false,
        );
    };
    // Every field is set: an emptied one is cleared.
    let profile = Profile {
        commune: Some(commune.unwrap_or_default()),
        categories: Some(categories),
        email: Some(email.unwrap_or_default()),
        phone: Some(phone.unwrap_or_default()),
        website: Some(website.unwrap_or_default()),
        description: Some(description.unwrap_or_default()),
        ..Profile::default()
    };
    let login = user.login.clone();
    let written = visit
        .app
        .store
        .write(move |tx| {
            accounts::set_display_name(tx, &login, &name)?;
            accounts::update_profile(tx, &login, &profile)
        })
        .await;
    match written {
        Ok(_) => page::see_other("/espace/profil?enregistre=1"),
        Err(error) => {
            tracing::error!("cannot save a public card: {error}");
            page::unavailable(visit, "Votre fiche")
        }
    }
}
