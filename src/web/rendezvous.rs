//! Appointments for residents (`/rendez-vous`): the services and their
//! themes, a service's next free slots by day in plain text, the booking
//! form, and the personal page of a booking (`/rendez-vous/gerer/{token}`)
//! to cancel or move it. Everything works without JavaScript; staff and
//! services signed in book on someone's behalf with the same form.

use super::page::{self, Chrome};
use super::visit::Visit;
use crate::appointments::{self as appointments, slots::Slot, Changed, Fields, Found, Refusal};
use crate::french;
use crate::http::Response;
use crate::store::accounts::{self, Principal};
use crate::store::appointments::{self as store, Booking, Permanence};
use askama::Template;
use chrono::TimeZone;
use hyper::{Method, StatusCode};
use serde::Deserialize;

/// How many days with free slots a service's page lists per permanence.
const DAYS_SHOWN: usize = 10;

/// What the form tells residents is kept, and for how long.
pub fn retention_notice(days: u32) -> String {
    format!(
        "Nous gardons votre nom, votre téléphone ou votre e-mail et votre note pour organiser ce rendez-vous, pendant {days}\u{a0}jours après celui-ci ; ils sont alors effacés. Le thème, la date et la commune (si vous l'indiquez) restent, sans votre nom, pour compter les personnes accompagnées. Seul le service que vous rencontrez les voit."
    )
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    let path = visit.request.path.as_str();
    let rest = path
        .strip_prefix("/rendez-vous")
        .unwrap_or_default()
        .trim_end_matches('/');
    let post = visit.request.method == Method::POST;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] if !post => services_page(visit).await,
        ["gerer", token] => manage(visit, token, post).await,
        ["gerer", token, "deplacer"] => move_page(visit, token, post).await,
        [login] if !post => service_page(visit, login).await,
        [login, "reserver"] => booking_form(visit, login, post).await,
        _ => page::not_found(visit),
    }
}

struct ServiceEntry {
    login: String,
    name: String,
    themes: Vec<String>,
}

#[derive(Template)]
#[template(path = "rendez-vous/services.html")]
struct ServicesPage {
    chrome: Chrome,
    services: Vec<ServiceEntry>,
}

async fn services_page(visit: &Visit<'_>) -> Response {
    let read = visit
        .app
        .store
        .read(|conn| {
            let mut out = Vec::new();
            for service in store::services(conn)? {
                let mut themes: Vec<String> = Vec::new();
                for p in store::permanences_of(conn, service.id)? {
                    for theme in p.themes {
                        if !themes.contains(&theme) {
                            themes.push(theme);
                        }
                    }
                }
                out.push(ServiceEntry {
                    login: service.login,
                    name: service.name,
                    themes,
                });
            }
            Ok(out)
        })
        .await;
    let Ok(services) = read else {
        return page::unavailable(visit, "La prise de rendez-vous");
    };
    page::render(&ServicesPage {
        chrome: Chrome::new(visit, "Prendre rendez-vous"),
        services,
    })
}

struct DaySlots {
    label: String,
    slots: Vec<SlotLink>,
}

struct SlotLink {
    /// The slot's key in addresses and forms: `{permanence}-{start}`.
    key: String,
    text: String,
    places: String,
}

struct PermanenceView {
    place: String,
    hours: String,
    themes: Vec<String>,
    bring: String,
    days: Vec<DaySlots>,
}

#[derive(Template)]
#[template(path = "rendez-vous/service.html")]
struct ServicePage {
    chrome: Chrome,
    login: String,
    permanences: Vec<PermanenceView>,
}

/// A service offering appointments, and its permanences.
async fn service_of(
    visit: &Visit<'_>,
    login: &str,
) -> Result<(Principal, Vec<Permanence>), Response> {
    let login = login.to_owned();
    let read = visit
        .app
        .store
        .read(move |conn| {
            let Some(service) = accounts::by_login(conn, &login)? else {
                return Ok(None);
            };
            let permanences = store::permanences_of(conn, service.id)?;
            Ok(Some((service, permanences)))
        })
        .await;
    match read {
        Ok(Some((service, permanences)))
            if service.kind == "service" && !service.disabled && !permanences.is_empty() =>
        {
            Ok((service, permanences))
        }
        Ok(_) => Err(page::error(
            visit,
            StatusCode::NOT_FOUND,
            "Ce service ne propose pas de rendez-vous. Voyez la liste des services.",
        )),
        Err(_) => Err(page::unavailable(visit, "La prise de rendez-vous")),
    }
}

/// Free slots grouped by local day, at most `days` days.
fn by_day(tz: chrono_tz::Tz, permanence_id: i64, slots: &[Slot], days: usize) -> Vec<DaySlots> {
    let mut out: Vec<DaySlots> = Vec::new();
    let mut last_day = None;
    for slot in slots {
        let Some(start) = tz.timestamp_opt(slot.start, 0).earliest() else {
            continue;
        };
        let end = tz.timestamp_opt(slot.end, 0).earliest().unwrap_or(start);
        let day = start.date_naive();
        if last_day != Some(day) {
            if out.len() == days {
                break;
            }
            last_day = Some(day);
            out.push(DaySlots {
                label: capitalised(&french::date(day)),
                slots: Vec::new(),
            });
        }
        let places = match slot.free {
            1 => String::new(),
            n => format!("{n} places"),
        };
        if let Some(current) = out.last_mut() {
            current.slots.push(SlotLink {
                key: format!("{permanence_id}-{}", slot.start),
                text: format!("{} à {}", french::time_of(&start), french::time_of(&end)),
                places,
            });
        }
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn service_page(visit: &Visit<'_>, login: &str) -> Response {
    let (service, permanences) = match service_of(visit, login).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tz = visit.app.timezone;
    let read = visit
        .app
        .store
        .read(move |conn| {
            let now = crate::clock::timestamp();
            let mut out = Vec::new();
            for p in permanences {
                let slots = appointments::free_slots(conn, &p, tz, now)
                    .map_err(|e| crate::store::StoreError::NotCommitted(e.to_string()))?;
                out.push(PermanenceView {
                    place: p.place.clone(),
                    hours: appointments::hours::WeeklyHours::parse(&p.hours)
                        .map(|h| h.french())
                        .unwrap_or_default(),
                    themes: p.themes.clone(),
                    bring: p.bring.clone(),
                    days: by_day(tz, p.id, &slots, DAYS_SHOWN),
                });
            }
            Ok(out)
        })
        .await;
    let Ok(permanences) = read else {
        return page::unavailable(visit, "La prise de rendez-vous");
    };
    page::render(&ServicePage {
        chrome: Chrome::new(
            visit,
            format!("Rendez-vous\u{202f}: {}", service.display_name),
        ),
        login: service.login,
        permanences,
    })
}

/// `{permanence}-{start}` from an address or a form.
fn slot_key(text: &str) -> Option<(i64, i64)> {
    let (p, t) = text.split_once('-')?;
    Some((p.parse().ok()?, t.parse().ok()?))
}

fn query_value(visit: &Visit, name: &str) -> Option<String> {
    crate::params::pairs(&visit.request.query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BookingForm {
    creneau: String,
    theme: String,
    nom: String,
    telephone: String,
    courriel: String,
    commune: String,
    note: String,
}

struct CommuneOption {
    slug: String,
    name: String,
}

#[derive(Template)]
#[template(path = "rendez-vous/form.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    service: String,
    key: String,
    when: String,
    place: String,
    themes: Vec<String>,
    communes: Vec<CommuneOption>,
    fields: Fields,
    errors: Vec<String>,
    retention: String,
    on_behalf: bool,
}

async fn booking_form(visit: &Visit<'_>, login: &str, post: bool) -> Response {
    let (service, permanences) = match service_of(visit, login).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let submitted: BookingForm = if post {
        match super::form::parse(visit) {
            Ok(form) => form,
            Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
        }
    } else {
        BookingForm {
            creneau: query_value(visit, "creneau").unwrap_or_default(),
            ..Default::default()
        }
    };
    let tz = visit.app.timezone;
    let chosen = slot_key(&submitted.creneau).and_then(|(p, start)| {
        let permanence = permanences.iter().find(|x| x.id == p)?;
        let rules = appointments::slots::Rules::of(permanence).ok()?;
        let end = rules.slot_at(tz, crate::clock::timestamp(), start)?;
        Some((permanence.clone(), start, end))
    });
    let Some((permanence, start, end)) = chosen else {
        return refused(visit, &service.login, Refusal::NotASlot);
    };
    let fields = Fields {
        theme: submitted.theme,
        name: submitted.nom,
        phone: submitted.telephone,
        email: submitted.courriel,
        commune: submitted.commune,
        note: submitted.note,
    };
    let communes = &visit.app.config.communes;
    let render_form = |status: StatusCode, fields: Fields, errors: Vec<String>| {
        page::render_status(
            status,
            &FormPage {
                chrome: Chrome::new(visit, "Réserver un rendez-vous"),
                csrf: visit.csrf_token(),
                login: service.login.clone(),
                service: service.display_name.clone(),
                key: format!("{}-{start}", permanence.id),
                when: french::span(tz, start, end, false),
                place: permanence.place.clone(),
                themes: permanence.themes.clone(),
                communes: communes
                    .iter()
                    .map(|c| CommuneOption {
                        slug: c.slug.clone(),
                        name: c.name.clone(),
                    })
                    .collect(),
                fields,
                errors,
                retention: retention_notice(visit.app.config.appointments.retention_days),
                on_behalf: visit.user().is_some(),
            },
        )
    };
    if !post {
        // A slot taken since the list was read is refused at once, not
        // after the form is filled in.
        let p = permanence.clone();
        let free = visit
            .app
            .store
            .read(move |conn| {
                appointments::free_slots(conn, &p, tz, crate::clock::timestamp())
                    .map_err(|e| crate::store::StoreError::NotCommitted(e.to_string()))
            })
            .await;
        match free {
            Ok(slots) if slots.iter().any(|s| s.start == start) => {}
            Ok(_) => return refused(visit, &service.login, Refusal::NoLongerFree),
            Err(_) => return page::unavailable(visit, "La prise de rendez-vous"),
        }
        let mut fields = fields;
        if permanence.themes.len() == 1 {
            fields.theme = permanence.themes[0].clone();
        }
        return render_form(StatusCode::OK, fields, Vec::new());
    }
    let checked = match appointments::check_fields(&fields, &permanence, communes) {
        Ok(checked) => checked,
        Err(errors) => return render_form(StatusCode::BAD_REQUEST, fields, errors),
    };
    // Counted once a booking would be tried (fixing the form costs
    // nothing); staff and services booking for callers are not limited.
    if visit.user().is_none() && !allowed(visit, &visit.app.form_limits.bookings) {
        return page::too_many(
            visit,
            "Beaucoup de rendez-vous ont déjà été pris depuis votre connexion en une heure. Réessayez dans une heure, ou appelez directement le service.",
            3600,
        );
    }
    let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let request = appointments::Request {
        permanence_id: permanence.id,
        start,
        theme: checked.theme.clone(),
        name: checked.name.clone(),
        phone: optional(&checked.phone),
        email: optional(&checked.email),
        commune: communes
            .iter()
            .find(|c| c.slug == checked.commune)
            .map(|c| c.slug.clone()),
        note: optional(&checked.note),
        booked_by: visit.user().map(|u| (u.id, u.display_name.clone())),
    };
    let resident = (
        request.name.clone(),
        request.email.clone(),
        request.theme.clone(),
    );
    match appointments::book(visit.app, request).await {
        Ok(Ok(made)) => {
            if let (true, (name, Some(email), theme)) =
                (crate::mail::configured(&visit.app.config), resident)
            {
                confirm_by_mail(
                    visit,
                    &service.login,
                    &permanence,
                    &made,
                    &name,
                    &email,
                    &theme,
                )
                .await;
            }
            page::see_other(&format!("/rendez-vous/gerer/{}?nouveau=1", made.token))
        }
        Ok(Err(refusal)) => refused(visit, &service.login, refusal),
        Err(error) => {
            tracing::error!("appointments: booking failed: {error}");
            page::unavailable(visit, "La prise de rendez-vous")
        }
    }
}

/// Sends the resident the confirmation and its `.ics` invitation, from
/// the blocking pool (the page does not wait for the mail server).
async fn confirm_by_mail(
    visit: &Visit<'_>,
    login: &str,
    permanence: &crate::store::appointments::Permanence,
    made: &appointments::Made,
    name: &str,
    email: &str,
    theme: &str,
) {
    let login = login.to_owned();
    let Ok(Some(card)) = visit
        .app
        .store
        .read(move |conn| crate::store::accounts::public_card(conn, &login))
        .await
    else {
        return;
    };
    let link = appointments::personal_link(&visit.app.config, &made.token);
    let letter = appointments::mail::confirmation(&appointments::mail::Details {
        uid: &made.uid,
        start: made.start,
        end: made.end,
        now: crate::clock::timestamp(),
        service: &card.display_name,
        service_email: card.email.as_deref(),
        place: &permanence.place,
        theme,
        bring: &permanence.bring,
        name,
        email,
        link: &link,
        tz: visit.app.timezone,
    });
    crate::mail::send_later(
        visit.app,
        crate::mail::Mail {
            to: email.to_owned(),
            subject: letter.subject,
            body: letter.text,
            attachment: Some(crate::mail::Attachment {
                filename: "rendez-vous.ics".into(),
                content_type: "text/calendar; method=REQUEST; charset=utf-8".into(),
                bytes: letter.ics,
            }),
        },
    );
}

#[derive(Template)]
#[template(path = "rendez-vous/refused.html")]
struct RefusedPage {
    chrome: Chrome,
    message: String,
    back: String,
}

/// A slot that cannot be had (409: the state of the slots changed).
fn refused(visit: &Visit, login: &str, refusal: Refusal) -> Response {
    page::render_status(
        StatusCode::CONFLICT,
        &RefusedPage {
            chrome: Chrome::new(visit, "Créneau indisponible"),
            message: refusal.french().to_owned(),
            back: format!("/rendez-vous/{login}"),
        },
    )
}

#[derive(Template)]
#[template(path = "rendez-vous/booking.html")]
struct BookingPage {
    chrome: Chrome,
    csrf: String,
    new: bool,
    moved: bool,
    token: String,
    link: String,
    service: String,
    when: String,
    place: String,
    theme: String,
    bring: String,
    name: String,
    contact: String,
    retention: String,
}

/// What a personal link finds, or the page refusing it.
async fn found(
    visit: &Visit<'_>,
    token: &str,
) -> Result<(Booking, Permanence, Principal), Response> {
    let token = token.to_owned();
    let read = visit
        .app
        .store
        .read(move |conn| {
            let found = appointments::find(conn, &token, crate::clock::timestamp())
                .map_err(|e| crate::store::StoreError::NotCommitted(e.to_string()))?;
            let service = match &found {
                Found::Active(booking, _) => accounts::by_id(conn, booking.service_id)?,
                _ => None,
            };
            Ok((found, service))
        })
        .await;
    match read {
        Ok((Found::Active(booking, permanence), Some(service))) => {
            Ok((booking, permanence, service))
        }
        Ok((Found::Closed(booking), _)) => Err(link_refused(visit, Some(&booking))),
        Ok(_) => Err(link_refused(visit, None)),
        Err(_) => Err(page::unavailable(visit, "La prise de rendez-vous")),
    }
}

fn allowed(visit: &Visit, limit: &crate::rate::RateLimit) -> bool {
    limit.allow_source(visit.request.peer)
}

/// The limit on cancellations and moves by personal link, counted for
/// every POST (a wrong link included); None when allowed.
fn change_limited(visit: &Visit) -> Option<Response> {
    (!allowed(visit, &visit.app.form_limits.booking_changes)).then(|| {
        page::too_many(
            visit,
            "Beaucoup de rendez-vous ont déjà été annulés ou déplacés depuis votre connexion en une heure. Réessayez dans une heure, ou appelez directement le service.",
            3600,
        )
    })
}

/// A personal link that no longer acts (410) or never did (404).
fn link_refused(visit: &Visit, booking: Option<&Booking>) -> Response {
    let (status, message) = match booking {
        Some(b) if b.status == store::Status::Cancelled => (
            StatusCode::GONE,
            "Ce rendez-vous a été annulé : ce lien ne sert plus. Pour un nouveau rendez-vous, choisissez un créneau sur la page du service.",
        ),
        Some(_) => (
            StatusCode::GONE,
            "Ce rendez-vous est passé : ce lien ne sert plus. Pour un nouveau rendez-vous, choisissez un créneau sur la page du service.",
        ),
        None => (
            StatusCode::NOT_FOUND,
            "Ce lien de rendez-vous n'est pas valable. Vérifiez qu'il est complet (copiez-le en entier), ou prenez un nouveau rendez-vous.",
        ),
    };
    page::error(visit, status, message)
}

async fn manage(visit: &Visit<'_>, token: &str, post: bool) -> Response {
    if let Some(refused) = post.then(|| change_limited(visit)).flatten() {
        return refused;
    }
    let (booking, permanence, service) = match found(visit, token).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if post {
        return match appointments::cancel(visit.app, token.to_owned()).await {
            Ok(Changed::Done) => page::render(&CancelledPage {
                chrome: Chrome::new(visit, "Rendez-vous annulé"),
                back: format!("/rendez-vous/{}", service.login),
            }),
            Ok(_) => link_refused(visit, Some(&booking)),
            Err(error) => {
                tracing::error!("appointments: cancelling failed: {error}");
                page::unavailable(visit, "La prise de rendez-vous")
            }
        };
    }
    let tz = visit.app.timezone;
    let new = query_value(visit, "nouveau").is_some();
    let moved = query_value(visit, "deplace").is_some();
    let contact = [booking.phone.as_deref(), booking.email.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let title = if new {
        "Rendez-vous confirmé"
    } else {
        "Votre rendez-vous"
    };
    let mut response = page::render(&BookingPage {
        chrome: Chrome::new(visit, title),
        csrf: visit.csrf_token(),
        new,
        moved,
        token: token.to_owned(),
        link: appointments::personal_link(&visit.app.config, token),
        service: service.display_name,
        when: french::span(tz, booking.start, booking.end, false),
        place: permanence.place,
        theme: booking.theme,
        bring: permanence.bring,
        name: booking.name.unwrap_or_default(),
        contact,
        retention: retention_notice(visit.app.config.appointments.retention_days),
    });
    // The address holds the personal token: no other site learns it.
    crate::http::set_header(&mut response, "referrer-policy", "no-referrer");
    response
}

#[derive(Template)]
#[template(path = "rendez-vous/cancelled.html")]
struct CancelledPage {
    chrome: Chrome,
    back: String,
}

#[derive(Template)]
#[template(path = "rendez-vous/move.html")]
struct MovePage {
    chrome: Chrome,
    csrf: String,
    token: String,
    when: String,
    days: Vec<DaySlots>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    creneau: String,
}

async fn move_page(visit: &Visit<'_>, token: &str, post: bool) -> Response {
    if let Some(refused) = post.then(|| change_limited(visit)).flatten() {
        return refused;
    }
    let (booking, permanence, service) = match found(visit, token).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tz = visit.app.timezone;
    if post {
        let form: MoveForm = match super::form::parse(visit) {
            Ok(form) => form,
            Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
        };
        let start = match slot_key(&form.creneau) {
            Some((p, start)) if p == permanence.id => start,
            _ => return refused(visit, &service.login, Refusal::NotASlot),
        };
        return match appointments::move_to(visit.app, token.to_owned(), start).await {
            Ok(Changed::Done) => page::see_other(&format!("/rendez-vous/gerer/{token}?deplace=1")),
            Ok(Changed::Refused(refusal)) => refused(visit, &service.login, refusal),
            Ok(Changed::LinkRefused) => link_refused(visit, Some(&booking)),
            Err(error) => {
                tracing::error!("appointments: moving failed: {error}");
                page::unavailable(visit, "La prise de rendez-vous")
            }
        };
    }
    let p = permanence.clone();
    let slots = visit
        .app
        .store
        .read(move |conn| {
            appointments::free_slots(conn, &p, tz, crate::clock::timestamp())
                .map_err(|e| crate::store::StoreError::NotCommitted(e.to_string()))
        })
        .await;
    let Ok(slots) = slots else {
        return page::unavailable(visit, "La prise de rendez-vous");
    };
    let mut response = page::render(&MovePage {
        chrome: Chrome::new(visit, "Déplacer le rendez-vous"),
        csrf: visit.csrf_token(),
        token: token.to_owned(),
        when: french::span(tz, booking.start, booking.end, false),
        days: by_day(tz, permanence.id, &slots, DAYS_SHOWN),
    });
    crate::http::set_header(&mut response, "referrer-policy", "no-referrer");
    response
}
