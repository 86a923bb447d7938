//! New, edit and delete an event with a plain form:
//! `/espace/evenements/nouveau`, `/espace/evenements/{id}/modifier`,
//! `/espace/evenements/{id}/supprimer` ({id}: the object's number, looked
//! up only in the signed-in organiser's calendars: anything else is a
//! 404). "Vérifier la date" shows the conflicts the event would have and
//! the nearest free dates before anything is saved. Saving writes through
//! `crate::write`, as a CalDAV PUT: a new event is a new object, an edit
//! patches the stored one (`crate::compose::patch`) under If-Match with the
//! ETag the form was made from, so that an edit made meanwhile elsewhere
//! is never overwritten silently.

use super::event_form::{category_value, FieldError, Fields, KEEP};
use super::organiser;
use crate::app::App;
use crate::compose::read::{read, Locked, StoredEvent};
use crate::compose::{self, EventDraft, When};
use crate::conflicts::availability::{Candidate, Checker};
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::collections::Collection;
use crate::store::objects::ObjectMeta;
use crate::store::owned;
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use crate::write::{self, Conditions, WriteError};
use askama::Template;
use chrono::TimeZone;
use hyper::{Method, StatusCode};
use std::sync::Arc;

/// How many occurrences of a series "Vérifier la date" looks at.
const CHECKED_OCCURRENCES: usize = 60;

pub async fn handle(visit: &Visit<'_>, rest: &str) -> Response {
    let user = match organiser(visit) {
        Ok(user) => user.clone(),
        Err(response) => return response,
    };
    let post = visit.request.method == Method::POST;
    if rest == "nouveau" {
        return match post {
            true => save_new(visit, &user).await,
            false => new_form(visit, &user).await,
        };
    }
    let Some((id, action)) = rest.split_once('/') else {
        return page::not_found(visit);
    };
    let Ok(id) = id.parse::<i64>() else {
        return page::not_found(visit);
    };
    let found = match load(visit.app, &user, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return page::not_found(visit),
        Err(response) => return response(visit),
    };
    match (action, post) {
        ("modifier", false) => edit_form(visit, &user, found).await,
        ("modifier", true) => save_edit(visit, &user, found).await,
        ("supprimer", false) => delete_form(visit, found),
        ("supprimer", true) => delete(visit, found).await,
        _ => page::not_found(visit),
    }
}

/// An event of the organiser's, as stored.
struct Found {
    collection: Collection,
    meta: ObjectMeta,
    body: Vec<u8>,
}

type Failure = fn(&Visit) -> Response;

fn unavailable(visit: &Visit) -> Response {
    page::unavailable(visit, "Votre agenda")
}

async fn load(app: &Arc<App>, user: &Principal, id: i64) -> Result<Option<Found>, Failure> {
    let owner = user.id;
    app.store
        .read(move |conn| owned::event(conn, owner, id))
        .await
        .map(|found| {
            found.map(|(collection, meta, body)| Found {
                collection,
                meta,
                body,
            })
        })
        .map_err(|error| {
            tracing::error!("cannot read an event: {error}");
            unavailable as Failure
        })
}

async fn calendars(app: &Arc<App>, user: &Principal) -> Result<Vec<Collection>, Failure> {
    let owner = user.id;
    app.store
        .read(move |conn| owned::event_calendars(conn, owner))
        .await
        .map_err(|error| {
            tracing::error!("cannot list calendars: {error}");
            unavailable as Failure
        })
}

/// What "Vérifier la date" found.
pub struct CheckView {
    /// Occurrences looked at.
    pub checked: usize,
    pub conflicts: Vec<ConflictView>,
    /// Free dates: (AAAA-MM-JJ, in words).
    pub suggestions: Vec<(String, String)>,
}

pub struct ConflictView {
    pub when: String,
    pub description: String,
    /// The other event and its organiser, as others may see them.
    pub other: String,
}

#[derive(Template)]
#[template(path = "espace/event_form.html")]
pub struct FormPage {
    chrome: Chrome,
    csrf: String,
    action: String,
    fields: Fields,
    errors: Vec<FieldError>,
    editing: bool,
    /// (path, name) of the calendars a new event may go into.
    calendars: Vec<(String, String)>,
    /// (slug, name) of the configured categories.
    categories: Vec<(String, String)>,
    /// The "keep as they are" choice, when the event's categories are
    /// not one configured category.
    kept: Option<String>,
    venues: Vec<String>,
    /// Why dates and repetition are not editable here, if so.
    locked: Option<String>,
    /// The dates (and repetition) in words, when locked.
    schedule: String,
    check: Option<CheckView>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn day_checked(&self, day: &str) -> bool {
        self.fields.jours.iter().any(|d| d == day)
    }
}

struct FormContext<'a> {
    calendars: &'a [Collection],
    kept: &'a [String],
    stored: Option<&'a StoredEvent>,
}

fn form_page(
    visit: &Visit,
    title: &str,
    action: String,
    fields: Fields,
    errors: Vec<FieldError>,
    context: FormContext,
    check: Option<CheckView>,
) -> FormPage {
    let config = &visit.app.config;
    let kept = (category_value(context.kept, config) == KEEP).then(|| context.kept.join(", "));
    let (locked, schedule) = match context.stored {
        Some(stored) => match &stored.locked {
            Some(reason) => (Some(locked_note(reason)), schedule_words(visit.app, stored)),
            None => (None, String::new()),
        },
        None => (None, String::new()),
    };
    FormPage {
        chrome: Chrome::new(visit, title),
        csrf: visit.csrf_token(),
        action,
        fields,
        errors,
        editing: context.stored.is_some(),
        calendars: context
            .calendars
            .iter()
            .map(|c| (c.path.clone(), calendar_name(c)))
            .collect(),
        categories: config
            .categories
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect(),
        kept,
        venues: config
            .venues
            .iter()
            .map(|v| config.venue_label(v))
            .collect(),
        locked,
        schedule,
        check,
    }
}

pub fn calendar_name(collection: &Collection) -> String {
    collection
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| collection.path.clone())
}

fn locked_note(reason: &Locked) -> String {
    match reason {
        Locked::Rule => "Cette répétition a été réglée dans une application d'agenda d'une façon que ce formulaire ne sait pas montrer : elle est gardée telle quelle. Pour changer les dates, utilisez votre application d'agenda.".to_owned(),
        Locked::Overrides(n) => format!(
            "{n} date{s} de cette série {a} été modifiée{s} une à une dans une application d'agenda : pour ne pas les perdre, les dates et la répétition se changent dans votre application. Titre, lieu, description et le reste se changent ici pour toute la série.",
            s = if *n > 1 { "s" } else { "" },
            a = if *n > 1 { "ont" } else { "a" },
        ),
    }
}

/// The stored dates and repetition, in words.
fn schedule_words(app: &App, stored: &StoredEvent) -> String {
    let when = when_words(app, &stored.draft.when);
    match (&stored.draft.repeat, &stored.rule_text) {
        (Some(repeat), _) => format!("{when} ; {}", repeat.describe(&stored.draft.when)),
        (None, Some(rule)) => format!("{when} ; répétition : {rule}"),
        (None, None) => when,
    }
}

fn when_words(app: &App, when: &When) -> String {
    let tz = app.timezone;
    let instant = |t: chrono::NaiveDateTime| {
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or(0)
    };
    match when {
        When::Timed { start, end } => {
            crate::french::span(tz, instant(*start), instant(*end), false)
        }
        When::AllDay { first, last } => match first == last {
            true => crate::french::date(*first),
            false => format!(
                "du {} au {}",
                crate::french::date(*first),
                crate::french::date(*last)
            ),
        },
    }
}

async fn new_form(visit: &Visit<'_>, user: &Principal) -> Response {
    let calendars = match calendars(visit.app, user).await {
        Ok(calendars) => calendars,
        Err(response) => return response(visit),
    };
    let Some(first) = calendars.first() else {
        return no_calendar(visit);
    };
    let fields = Fields::blank(&first.path);
    let context = FormContext {
        calendars: &calendars,
        kept: &[],
        stored: None,
    };
    page::render(&form_page(
        visit,
        "Nouvel événement",
        "/espace/evenements/nouveau".into(),
        fields,
        Vec::new(),
        context,
        None,
    ))
}

fn no_calendar(visit: &Visit) -> Response {
    page::error(
        visit,
        StatusCode::CONFLICT,
        "Votre compte n'a pas encore d'agenda pour y mettre des événements. Créez-en un dans votre application d'agenda, ou demandez-le à l'intercommunalité.",
    )
}

/// The submitted form, or the answer to a form that cannot be read.
fn submitted(visit: &Visit) -> Result<Fields, Response> {
    crate::web::form::parse::<Fields>(visit)
        .map_err(|message| page::error(visit, StatusCode::BAD_REQUEST, &message))
}

async fn save_new(visit: &Visit<'_>, user: &Principal) -> Response {
    let mut fields = match submitted(visit) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let calendars = match calendars(visit.app, user).await {
        Ok(calendars) => calendars,
        Err(response) => return response(visit),
    };
    if calendars.is_empty() {
        return no_calendar(visit);
    }
    let chosen = calendars
        .iter()
        .find(|c| c.path == fields.calendrier)
        .cloned();
    let checking = fields.action != "enregistrer";
    if let Some(day) = crate::web::espace::event_form::parse_date(&fields.decaler) {
        fields.move_to(day);
    }
    let mut errors = Vec::new();
    let draft = match fields.draft(&visit.app.config, &[]) {
        Ok(draft) => Some(draft),
        Err(found) => {
            errors = found;
            None
        }
    };
    if chosen.is_none() {
        errors.push(FieldError {
            field: "calendrier",
            message: "Choisissez un de vos agendas.".into(),
        });
    }
    let context = FormContext {
        calendars: &calendars,
        kept: &[],
        stored: None,
    };
    let show = |fields: Fields, errors, check| {
        let status = match &errors {
            e if Vec::is_empty(e) => StatusCode::OK,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        page::render_status(
            status,
            &form_page(
                visit,
                "Nouvel événement",
                "/espace/evenements/nouveau".into(),
                fields,
                errors,
                context,
                check,
            ),
        )
    };
    let (Some(draft), Some(collection), true) = (draft, chosen, errors.is_empty()) else {
        return show(fields, errors, None);
    };
    if checking {
        let check = match check(visit.app, user, &draft).await {
            Ok(check) => check,
            Err(response) => return response(visit),
        };
        return show(fields, errors, Some(check));
    }
    let uid = compose::new_uid();
    let body =
        compose::build::new_event(&draft, &uid, visit.app.timezone, crate::clock::timestamp());
    let name = format!("{uid}.ics");
    match write::put(
        visit.app,
        &collection,
        &name,
        body.into(),
        Conditions::if_absent(),
    )
    .await
    {
        Ok(_) => page::see_other("/espace/?fait=enregistre"),
        Err(error) => {
            let errors = vec![write_refusal(&error)];
            show(fields, errors, None)
        }
    }
}

/// A write the store refused, told next to the form.
fn write_refusal(error: &WriteError) -> FieldError {
    if let WriteError::Store(error) = error {
        tracing::error!("cannot save an event: {error}");
    }
    let message = match error {
        WriteError::Invalid(crate::ical::IcalError::TooManyInstances(_)) => {
            "Cette répétition produit trop de dates : donnez-lui une fin plus proche.".to_owned()
        }
        WriteError::Invalid(error) => {
            format!("Cet événement ne peut être enregistré : {error}.")
        }
        WriteError::Component(_) => {
            "Cet agenda n'accepte pas d'événements : choisissez-en un autre.".to_owned()
        }
        WriteError::Precondition(_) | WriteError::UidTaken(_) | WriteError::NotFound => {
            "L'événement a changé pendant l'enregistrement : rechargez la page.".to_owned()
        }
        WriteError::Store(_) => {
            "L'enregistrement a échoué ; réessayez dans quelques instants.".to_owned()
        }
    };
    FieldError {
        field: "titre",
        message,
    }
}

/// The conflicts the draft's occurrences would have, and for a single
/// event with conflicts, the nearest free dates.
async fn check(app: &Arc<App>, user: &Principal, draft: &EventDraft) -> Result<CheckView, Failure> {
    let tz = app.timezone;
    let text = compose::build::new_event(draft, "verification", tz, crate::clock::timestamp());
    let now = crate::clock::timestamp();
    let occurrences: Vec<(i64, i64, bool)> =
        match crate::ical::parse_object(text.as_bytes(), tz, &app.ical_limits()) {
            Ok(object) => object
                .instances
                .iter()
                .filter(|i| i.end > now)
                .take(CHECKED_OCCURRENCES)
                .map(|i| (i.start, i.end, i.all_day))
                .collect(),
            Err(_) => Vec::new(),
        };
    let candidate = Candidate {
        summary: Arc::from(draft.summary.as_str()),
        location: (!draft.location.is_empty()).then(|| Arc::from(draft.location.as_str())),
        categories: Arc::from(draft.categories.join(",")),
        public: !draft.private,
        organiser: Arc::new(crate::store::views::OrganiserCard {
            login: user.login.clone(),
            name: user.display_name.clone(),
            commune: user.commune.clone().unwrap_or_default(),
            categories: String::new(),
            email: None,
            phone: None,
            website: None,
        }),
    };
    let single = draft.repeat.is_none();
    let territory = app.territory().await.map_err(|error| {
        tracing::error!("cannot check a date: {error}");
        unavailable as Failure
    })?;
    let owner = user.id;
    let found = app
        .store
        .read(move |conn| {
            let mut candidate = candidate;
            let card = Arc::make_mut(&mut candidate.organiser);
            card.categories = owned::default_categories(conn, owner)?;
            let checker = Checker::new(conn, &territory, tz, candidate);
            let mut conflicts = Vec::new();
            for &(start, end, all_day) in &occurrences {
                for conflict in checker.conflicts_at(start, end, all_day)? {
                    conflicts.push((start, end, all_day, conflict));
                }
            }
            let free = match (single, occurrences.first(), conflicts.is_empty()) {
                (true, Some(&(start, end, all_day)), false) => {
                    checker.free_slots(start, end, all_day)?
                }
                _ => Vec::new(),
            };
            Ok((occurrences.len(), conflicts, free))
        })
        .await
        .map_err(|error| {
            tracing::error!("cannot check a date: {error}");
            unavailable as Failure
        })?;
    let (checked, conflicts, free) = found;
    let all_day = draft.when.all_day();
    Ok(CheckView {
        checked,
        conflicts: conflicts
            .into_iter()
            .map(|(start, end, all_day, c)| {
                let other = [Some(&c.a), c.b.as_ref()]
                    .into_iter()
                    .flatten()
                    .find(|side| side.object_id != 0);
                ConflictView {
                    when: crate::french::span(tz, start, end, all_day),
                    description: c.description.to_string(),
                    other: other
                        .map(|o| format!("{} ({})", o.summary, o.organiser.name))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        suggestions: free
            .into_iter()
            .filter_map(|(start, end)| {
                let day = tz.timestamp_opt(start, 0).single()?.date_naive();
                Some((
                    day.to_string(),
                    crate::french::span(tz, start, end, all_day),
                ))
            })
            .collect(),
    })
}

fn edit_action(id: i64) -> String {
    format!("/espace/evenements/{id}/modifier")
}

/// Reads a stored event for the form, or says why it cannot.
fn readable(visit: &Visit, found: &Found) -> Result<StoredEvent, Response> {
    read(&found.body, visit.app.timezone).map_err(|error| {
        let message = match error {
            compose::read::ReadError::NotAnEvent => {
                "Cet élément n'est pas un événement (une tâche ou une note) : modifiez-le dans votre application d'agenda."
            }
            compose::read::ReadError::NoMaster => {
                "Cet élément ne contient que des dates modifiées d'une série : modifiez-le dans votre application d'agenda."
            }
            compose::read::ReadError::NoStart => {
                "Cet événement n'a pas de date lisible : modifiez-le dans votre application d'agenda."
            }
        };
        page::error(visit, StatusCode::CONFLICT, message)
    })
}

async fn edit_form(visit: &Visit<'_>, _user: &Principal, found: Found) -> Response {
    let stored = match readable(visit, &found) {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let mut fields = Fields::of(&stored.draft, &visit.app.config);
    fields.etag = found.meta.etag();
    let context = FormContext {
        calendars: &[],
        kept: &stored.draft.categories,
        stored: Some(&stored),
    };
    page::render(&form_page(
        visit,
        "Modifier l'événement",
        edit_action(found.meta.id),
        fields,
        Vec::new(),
        context,
        None,
    ))
}

async fn save_edit(visit: &Visit<'_>, user: &Principal, found: Found) -> Response {
    let mut fields = match submitted(visit) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let stored = match readable(visit, &found) {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let current_etag = found.meta.etag();
    if let Some(day) = crate::web::espace::event_form::parse_date(&fields.decaler) {
        if stored.locked.is_none() {
            fields.move_to(day);
        }
    }
    let checking = fields.action != "enregistrer";
    let id = found.meta.id;
    let context = FormContext {
        calendars: &[],
        kept: &stored.draft.categories,
        stored: Some(&stored),
    };
    let show = |fields: Fields, errors: Vec<FieldError>, check| {
        let status = match errors.is_empty() {
            true => StatusCode::OK,
            false => StatusCode::UNPROCESSABLE_ENTITY,
        };
        page::render_status(
            status,
            &form_page(
                visit,
                "Modifier l'événement",
                edit_action(id),
                fields,
                errors,
                context,
                check,
            ),
        )
    };
    if stored.locked.is_some() {
        // The dates are not on the form: they are read as stored.
        let mut schedule = Fields::of(&stored.draft, &visit.app.config);
        schedule.repetition = "aucune".into();
        schedule.exceptions.clear();
        fields.take_schedule(schedule);
    }
    let mut draft = match fields.draft(&visit.app.config, &stored.draft.categories) {
        Ok(draft) => draft,
        Err(errors) => return show(fields, errors, None),
    };
    if stored.locked.is_some() {
        // Kept exactly as stored: the form does not show them.
        draft.when = stored.draft.when;
        draft.repeat = stored.draft.repeat.clone();
        draft.exceptions = stored.draft.exceptions.clone();
    }
    if checking {
        let check = match check(visit.app, user, &draft).await {
            Ok(check) => check,
            Err(response) => return response(visit),
        };
        return show(fields, Vec::new(), Some(check));
    }
    if !crate::write::etag_matches(&fields.etag, &current_etag) {
        return changed_meanwhile(visit, id, &stored, &draft, &current_etag);
    }
    let tz = visit.app.timezone;
    let patched = compose::patch::apply(
        &found.body,
        &stored.draft,
        &draft,
        tz,
        crate::clock::timestamp(),
    );
    let body = match patched {
        Ok(Some(body)) => body,
        Ok(None) => return page::see_other("/espace/?fait=inchange"),
        Err(_) => {
            return readable(visit, &found)
                .err()
                .unwrap_or_else(|| page::not_found(visit))
        }
    };
    match write::put(
        visit.app,
        &found.collection,
        &found.meta.name,
        body.into(),
        Conditions::if_match(&current_etag),
    )
    .await
    {
        Ok(_) => page::see_other("/espace/?fait=enregistre"),
        Err(WriteError::Precondition(_)) => {
            // Changed between our read and our write: read it again.
            match load(visit.app, user, id).await {
                Ok(Some(again)) => match readable(visit, &again) {
                    Ok(now) => changed_meanwhile(visit, id, &now, &draft, &again.meta.etag()),
                    Err(response) => response,
                },
                Ok(None) => gone(visit),
                Err(response) => response(visit),
            }
        }
        Err(error) => show(fields, vec![write_refusal(&error)], None),
    }
}

fn gone(visit: &Visit) -> Response {
    page::error(
        visit,
        StatusCode::GONE,
        "Cet événement a été supprimé entre-temps (depuis une application d'agenda ?).",
    )
}

#[derive(Template)]
#[template(path = "espace/event_changed.html")]
struct ChangedPage {
    chrome: Chrome,
    csrf: String,
    action: String,
    /// (field, yours, current) for each field that differs.
    rows: Vec<(String, String, String)>,
    /// The submitted form, to send again over the current version.
    hidden: Vec<(String, String)>,
}

/// The edit was made on a version that changed since: nothing is written;
/// both versions are shown, and the person chooses.
fn changed_meanwhile(
    visit: &Visit,
    id: i64,
    current: &StoredEvent,
    mine: &EventDraft,
    current_etag: &str,
) -> Response {
    let app = visit.app;
    let describe = |draft: &EventDraft| -> Vec<(&'static str, String)> {
        vec![
            ("Titre", draft.summary.clone()),
            (
                "Date",
                match &draft.repeat {
                    Some(repeat) => format!(
                        "{} ; {}",
                        when_words(app, &draft.when),
                        repeat.describe(&draft.when)
                    ),
                    None => when_words(app, &draft.when),
                },
            ),
            ("Lieu", draft.location.clone()),
            ("Catégorie", draft.categories.join(", ")),
            ("Description", draft.description.clone()),
            ("Lien", draft.url.clone()),
            (
                "Visibilité",
                if draft.private { "privé" } else { "public" }.to_owned(),
            ),
            (
                "Exceptions",
                draft
                    .exceptions
                    .iter()
                    .map(|d| crate::french::date(*d))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]
    };
    let rows = describe(mine)
        .into_iter()
        .zip(describe(&current.draft))
        .filter(|(a, b)| a.1 != b.1)
        .map(|((name, yours), (_, theirs))| (name.to_owned(), yours, theirs))
        .collect();
    let hidden = crate::params::pairs(std::str::from_utf8(&visit.request.body).unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "etag" | "action" | "decaler"))
        .chain([("etag".to_owned(), current_etag.to_owned())])
        .collect();
    page::render_status(
        StatusCode::CONFLICT,
        &ChangedPage {
            chrome: Chrome::new(visit, "Cet événement a changé entre-temps"),
            csrf: visit.csrf_token(),
            action: edit_action(id),
            rows,
            hidden,
        },
    )
}

#[derive(Template)]
#[template(path = "espace/event_delete.html")]
struct DeletePage {
    chrome: Chrome,
    csrf: String,
    id: i64,
    etag: String,
    summary: String,
    when: String,
    message: Option<String>,
}

fn delete_page(visit: &Visit, found: &Found, message: Option<String>) -> DeletePage {
    let (summary, when) = match read(&found.body, visit.app.timezone) {
        Ok(stored) => {
            let when = match &stored.draft.repeat {
                Some(repeat) => format!(
                    "{} ; {}",
                    when_words(visit.app, &stored.draft.when),
                    repeat.describe(&stored.draft.when)
                ),
                None => when_words(visit.app, &stored.draft.when),
            };
            (stored.draft.summary, when)
        }
        Err(_) => (found.meta.name.clone(), String::new()),
    };
    DeletePage {
        chrome: Chrome::new(visit, "Supprimer l'événement"),
        csrf: visit.csrf_token(),
        id: found.meta.id,
        etag: found.meta.etag(),
        summary,
        when,
        message,
    }
}

fn delete_form(visit: &Visit, found: Found) -> Response {
    page::render(&delete_page(visit, &found, None))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DeleteFields {
    etag: String,
}

async fn delete(visit: &Visit<'_>, found: Found) -> Response {
    let fields: DeleteFields = match crate::web::form::parse(visit) {
        Ok(fields) => fields,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let changed = || {
        page::render_status(
            StatusCode::CONFLICT,
            &delete_page(
                visit,
                &found,
                Some("Cet événement a été modifié entre-temps (depuis une application d'agenda ?) : vérifiez-le ci-dessous avant de le supprimer.".into()),
            ),
        )
    };
    if !crate::write::etag_matches(&fields.etag, &found.meta.etag()) {
        return changed();
    }
    match write::delete(
        visit.app,
        found.collection.id,
        &found.meta.name,
        Conditions::if_match(&found.meta.etag()),
    )
    .await
    {
        Ok(()) => page::see_other("/espace/?fait=supprime"),
        Err(WriteError::NotFound) => gone(visit),
        Err(WriteError::Precondition(_)) => changed(),
        Err(error) => {
            tracing::error!("cannot delete an event: {error}");
            unavailable(visit)
        }
    }
}
