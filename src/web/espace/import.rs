//! The import page (`/espace/importer`). Its subscriptions to calendars
//! kept elsewhere are `super::subscriptions`'s; here, importing an `.ics`
//! file once: an export from Google Calendar, Outlook or another app,
//! merged by UID into one of the organiser's calendars (`crate::import`),
//! with a report of what was added, updated, left as it was and refused,
//! and why.

use super::events::calendar_name;
use crate::http::Response;
use crate::ical::IcalError;
use crate::import::once::{self as import, ImportError, Item, Refusal};
use crate::store::accounts::Principal;
use crate::store::collections::Collection;
use crate::store::owned;
use crate::web::fields::Errors;
use crate::web::page::{self, Chrome};
use crate::web::subscriptions::{self, Section, SubscribeForm};
use crate::web::visit::Visit;
use askama::Template;
use bytes::Bytes;
use hyper::{Method, StatusCode};

#[derive(Template)]
#[template(path = "espace/import.html")]
struct ImportPage {
    chrome: Chrome,
    csrf: String,
    calendars: Vec<(String, String)>,
    chosen: String,
    error: Option<String>,
    max_mib: usize,
    feeds: Section,
}

#[derive(Template)]
#[template(path = "espace/import_report.html")]
struct ReportPage {
    chrome: Chrome,
    calendar: String,
    added: Vec<Item>,
    updated: Vec<Item>,
    unchanged: Vec<Item>,
    refused: Vec<(Item, String)>,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    if visit.request.method != Method::POST {
        let form = SubscribeForm::empty(&visit.app.config.import);
        return page(visit, user, StatusCode::OK, None, form, Errors::default()).await;
    }
    let calendars = match calendars(visit, user).await {
        Some(calendars) => calendars,
        None => return page::unavailable(visit, "L'import"),
    };
    let refuse = |status, message: String| async move {
        let form = SubscribeForm::empty(&visit.app.config.import);
        let errors = Errors::default();
        page(visit, user, status, Some(message), form, errors).await
    };
    let (file, chosen) = match upload(visit).await {
        Ok(upload) => upload,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message).await,
    };
    let Some(collection) = calendars.iter().find(|c| c.path == chosen) else {
        let message = "Choisissez un de vos agendas.".to_owned();
        return refuse(StatusCode::BAD_REQUEST, message).await;
    };
    match import::import(visit.app, collection, file).await {
        Ok(report) => page::render(&ReportPage {
            chrome: Chrome::new(visit, "Import terminé"),
            calendar: calendar_name(collection),
            added: report.added,
            updated: report.updated,
            unchanged: report.unchanged,
            refused: report
                .refused
                .into_iter()
                .map(|(item, why)| (item, refusal(&why)))
                .collect(),
        }),
        Err(ImportError::Store(error)) => {
            tracing::error!("cannot import: {error}");
            page::unavailable(visit, "L'import")
        }
        Err(error) => refuse(StatusCode::UNPROCESSABLE_ENTITY, unreadable(&error)).await,
    }
}

async fn calendars(visit: &Visit<'_>, user: &Principal) -> Option<Vec<Collection>> {
    let owner = user.id;
    match visit
        .app
        .store
        .read(move |conn| owned::event_calendars(conn, owner))
        .await
    {
        Ok(calendars) => Some(calendars),
        Err(error) => {
            tracing::error!("cannot list calendars: {error}");
            None
        }
    }
}

/// The page: the subscription form as given with its errors, the
/// organiser's subscriptions, and the file import form.
pub async fn page(
    visit: &Visit<'_>,
    user: &Principal,
    status: StatusCode,
    error: Option<String>,
    form: SubscribeForm,
    errors: Errors,
) -> Response {
    let Some(calendars) = calendars(visit, user).await else {
        return page::unavailable(visit, "L'import");
    };
    let place = super::subscriptions::place(user);
    let feeds = match subscriptions::section(visit, &place, form, errors).await {
        Ok(feeds) => feeds,
        Err(error) => {
            tracing::error!("cannot list subscriptions: {error}");
            return page::unavailable(visit, "L'import");
        }
    };
    let chosen = calendars
        .first()
        .map(|c| c.path.clone())
        .unwrap_or_default();
    page::render_status(
        status,
        &ImportPage {
            chrome: Chrome::new(visit, "Importer des agendas"),
            csrf: visit.csrf_token(),
            calendars: calendars
                .iter()
                .map(|c| (c.path.clone(), calendar_name(c)))
                .collect(),
            chosen,
            error,
            max_mib: visit.app.config.web.max_upload_bytes.div_ceil(1 << 20),
            feeds,
        },
    )
}

/// The file and the chosen calendar from a `multipart/form-data` body
/// (already read within the upload limit by the router).
async fn upload(visit: &Visit<'_>) -> Result<(Bytes, String), String> {
    let unreadable =
        || "L'envoi n'a pas pu être lu : choisissez le fichier, puis recommencez.".to_owned();
    let content_type =
        crate::http::header(&visit.request.headers, "content-type").ok_or_else(unreadable)?;
    let boundary = multer::parse_boundary(content_type).map_err(|_| unreadable())?;
    let body = visit.request.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let (mut file, mut calendar) = (None, String::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("fichier") => file = Some(field.bytes().await.map_err(|_| unreadable())?),
            Some("calendrier") => calendar = field.text().await.map_err(|_| unreadable())?,
            _ => {}
        }
    }
    match file {
        Some(file) if !file.is_empty() => Ok((file, calendar)),
        _ => Err("Choisissez un fichier .ics à importer.".to_owned()),
    }
}

/// Why a whole file was refused, in French.
fn unreadable(error: &ImportError) -> String {
    let prefix = "Ce fichier n'a pas été importé, rien n'a changé dans votre agenda.";
    match error {
        ImportError::Unreadable(IcalError::TooLarge(detail)) => {
            format!("{prefix} Il est trop volumineux ({detail}).")
        }
        ImportError::Unreadable(detail) => format!(
            "{prefix} Ce n'est pas un fichier d'agenda lisible (iCalendar, .ics), ou il est incomplet : exportez-le à nouveau depuis votre application. Détail technique : {detail}."
        ),
        ImportError::Message(method) => format!(
            "{prefix} C'est une invitation ou une réponse (METHOD:{method}), pas un agenda : ouvrez-la dans votre application d'agenda."
        ),
        ImportError::Empty => format!("{prefix} Il ne contient aucun événement."),
        ImportError::Store(_) => format!("{prefix} Réessayez dans quelques instants."),
    }
}

/// Why one event was refused, in French.
fn refusal(why: &Refusal) -> String {
    match why {
        Refusal::Invalid(IcalError::TooManyInstances(_)) => {
            "sa répétition produit trop de dates".to_owned()
        }
        Refusal::Invalid(IcalError::TooLarge(_)) => "il est trop volumineux".to_owned(),
        Refusal::Invalid(detail) => format!("il n'est pas valide ({detail})"),
        Refusal::Component(name) => format!("cet agenda n'accepte pas ce type d'élément ({name})"),
        Refusal::Older { stored, file } => format!(
            "l'agenda en a une version plus récente (version {stored}, le fichier a la version {file})"
        ),
    }
}
