//! Appointments at the permanences (issue 14): a service offers slots,
//! a resident books one (or is booked on the phone), and each booking is a
//! private event in the service's calendar.
//!
//! Capacity holds under concurrency because every check that decides a
//! booking (a real slot, not busy, places left) runs inside the same write
//! job as the insert, on the store's single writer, which runs jobs one
//! after the other.
//!
//! Cancelling deletes the booking's event from the calendar (the
//! resident's details leave the adviser's phone at once, and clients see a
//! deletion in their next sync); the booking row stays `cancelled`, so
//! that its personal link is refused with a clear message. Moving updates
//! the same event (same UID and name), so it moves on the phones too.

pub mod event;
pub mod hours;
pub mod indicators;
pub mod mail;
pub mod reminders;
pub mod slots;

use crate::app::App;
use crate::store::appointments::{self as store, Booking, NewBooking, Permanence, Status};
use crate::store::views::{self, Scope};
use crate::store::{collections, StoreError};
use crate::tokens;
use rusqlite::{Connection, Transaction};
use slots::{Rules, Slot};

/// The calendar bookings go to: the service's account calendar.
pub const SERVICE_CALENDAR: &str = "main";

/// Longest text kept in a field of the booking form.
pub const MAX_FIELD: usize = 200;
pub const MAX_NOTE: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid calendar object: {0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Error {
        Error::Store(StoreError::Sqlite(error))
    }
}

/// Why a slot could not be booked, in words a resident understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a slot of this permanence now (never was, too soon, too far, closed).
    NotASlot,
    /// An adviser's event takes that time.
    Busy,
    /// Every place is taken.
    Full,
    /// Taken or made busy since the list was read (seen before booking).
    NoLongerFree,
    /// The permanence was removed.
    Gone,
    /// The service has no calendar to put bookings in.
    NoCalendar,
}

impl Refusal {
    pub fn french(self) -> &'static str {
        match self {
            Refusal::NotASlot => "Ce créneau n'est pas, ou plus, proposé. Choisissez-en un autre.",
            Refusal::Busy => "Ce créneau vient d'être pris par le service. Choisissez-en un autre.",
            Refusal::Full => "Ce créneau est complet : quelqu'un l'a réservé juste avant vous. Choisissez-en un autre.",
            Refusal::NoLongerFree => "Ce créneau n'est plus libre. Choisissez-en un autre.",
            Refusal::Gone => "Cette permanence n'existe plus.",
            Refusal::NoCalendar => "Ce service ne peut pas recevoir de rendez-vous pour le moment.",
        }
    }
}

/// The personal link (absolute URL) of a booking's token.
pub fn personal_link(config: &crate::config::Config, token: &str) -> String {
    format!(
        "{}/rendez-vous/gerer/{token}",
        config.base_url.trim_end_matches('/')
    )
}

/// The calendar of a service, if it has one.
pub fn service_calendar(conn: &Connection, service_id: i64) -> Result<Option<i64>, Error> {
    Ok(collections::get(conn, service_id, SERVICE_CALENDAR)?
        .filter(|c| c.is_calendar)
        .map(|c| c.id))
}

/// The free slots of a permanence at `now`, by start.
pub fn free_slots(
    conn: &Connection,
    permanence: &Permanence,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Vec<Slot>, Error> {
    let Ok(rules) = Rules::of(permanence) else {
        return Ok(Vec::new());
    };
    let Some(calendar) = service_calendar(conn, permanence.service_id)? else {
        return Ok(Vec::new());
    };
    let candidates = rules.candidates(tz, now);
    let (Some(first), Some(last)) = (candidates.first(), candidates.last()) else {
        return Ok(Vec::new());
    };
    let (from, to) = (first.0, last.1);
    let busy: Vec<(i64, i64)> = views::busy_between(conn, Scope::Collection(calendar), from, to)?
        .into_iter()
        .map(|b| (b.start, b.end))
        .collect();
    let taken = store::taken(conn, permanence.id, from, to)?;
    Ok(slots::free(&candidates, &busy, &taken, rules.capacity))
}

/// Whether `[start, end)` can take one more booking now: the checks of a
/// booking, run inside its write transaction. `moving` is a booking that
/// already holds a place there (a move to the same slot).
fn check_slot(
    tx: &Transaction,
    permanence: &Permanence,
    calendar: i64,
    start: i64,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Result<i64, Refusal>, Error> {
    let Ok(rules) = Rules::of(permanence) else {
        return Ok(Err(Refusal::NotASlot));
    };
    let Some(end) = rules.slot_at(tz, now, start) else {
        return Ok(Err(Refusal::NotASlot));
    };
    if !views::busy_between(tx, Scope::Collection(calendar), start, end)?.is_empty() {
        return Ok(Err(Refusal::Busy));
    }
    let taken = store::taken(tx, permanence.id, start, start + 1)?;
    if taken.get(&start).copied().unwrap_or(0) >= rules.capacity {
        return Ok(Err(Refusal::Full));
    }
    Ok(Ok(end))
}

/// A booking as the form (or the phone call) gives it, checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub permanence_id: i64,
    pub start: i64,
    pub theme: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub commune: Option<String>,
    pub note: Option<String>,
    /// The signed-in account booking on someone's behalf.
    pub booked_by: Option<(i64, String)>,
}

/// A booking made: its personal token (shown once) and id.
#[derive(Debug, Clone)]
pub struct Made {
    pub token: String,
    pub id: i64,
    /// The private event's UID, and the slot booked.
    pub uid: String,
    pub start: i64,
    pub end: i64,
}

/// Books a slot: checks and insert in one write job, with the private
/// event in the service's calendar.
pub async fn book(app: &App, request: Request) -> Result<Result<Made, Refusal>, Error> {
    let tz = app.timezone;
    let limits = app.ical_limits();
    let token = tokens::new_token();
    let digest = tokens::digest(&token);
    // The event's name and UID are random, not derived from the token.
    let uid = format!("rdv-{}", &tokens::new_token()[..22]);
    let event_uid = uid.clone();
    let outcome = app
        .store
        .write(move |tx| {
            let now = crate::clock::timestamp();
            let Some(permanence) = store::permanence(tx, request.permanence_id)? else {
                return Ok(Err(Refusal::Gone));
            };
            let Some(calendar) = service_calendar(tx, permanence.service_id).map_err(into_store)?
            else {
                return Ok(Err(Refusal::NoCalendar));
            };
            let end = match check_slot(tx, &permanence, calendar, request.start, tz, now)
                .map_err(into_store)?
            {
                Ok(end) => end,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let name = format!("{uid}.ics");
            let body = BookingBody {
                request: &request,
                permanence: &permanence,
                uid: &uid,
                start: request.start,
                end,
                now,
            }
            .ics();
            let id = store::insert_booking(
                tx,
                &NewBooking {
                    permanence_id: permanence.id,
                    service_id: permanence.service_id,
                    start: request.start,
                    end,
                    theme: &request.theme,
                    name: &request.name,
                    phone: request.phone.as_deref(),
                    email: request.email.as_deref(),
                    commune: request.commune.as_deref(),
                    note: request.note.as_deref(),
                    token_digest: &digest,
                    booked_by: request.booked_by.as_ref().map(|(id, _)| *id),
                    object_name: &name,
                },
            )?;
            event::put(tx, calendar, &name, &body, tz, &limits).map_err(into_store)?;
            Ok(Ok((id, request.start, end)))
        })
        .await?;
    Ok(outcome.map(|(id, start, end)| Made {
        token,
        id,
        uid: event_uid,
        start,
        end,
    }))
}

/// Store errors pass through a write job as they are; anything else (an
/// event concord made that its own intake refuses) is a bug, reported as
/// a failed job.
fn into_store(error: Error) -> StoreError {
    match error {
        Error::Store(error) => error,
        Error::Invalid(message) => StoreError::NotCommitted(message),
    }
}

struct BookingBody<'a> {
    request: &'a Request,
    permanence: &'a Permanence,
    uid: &'a str,
    start: i64,
    end: i64,
    now: i64,
}

impl BookingBody<'_> {
    fn ics(&self) -> Vec<u8> {
        let r = self.request;
        event::BookingEvent {
            uid: self.uid,
            start: self.start,
            end: self.end,
            now: self.now,
            theme: &r.theme,
            place: &self.permanence.place,
            name: &r.name,
            phone: r.phone.as_deref(),
            email: r.email.as_deref(),
            commune: r.commune.as_deref(),
            note: r.note.as_deref(),
            booked_by: r.booked_by.as_ref().map(|(_, name)| name.as_str()),
        }
        .to_ics()
    }
}

/// What a personal link finds.
#[derive(Debug, Clone)]
pub enum Found {
    /// A booking that can still be cancelled or moved.
    Active(Booking, Permanence),
    /// Cancelled, past, or its permanence removed: the link no longer acts.
    Closed(Booking),
    Unknown,
}

pub fn find(conn: &Connection, token: &str, now: i64) -> Result<Found, Error> {
    let Some(booking) = store::by_token(conn, &tokens::digest(token))? else {
        return Ok(Found::Unknown);
    };
    if booking.status != Status::Booked || booking.start <= now {
        return Ok(Found::Closed(booking));
    }
    match booking
        .permanence_id
        .map(|id| store::permanence(conn, id))
        .transpose()?
    {
        Some(Some(permanence)) => Ok(Found::Active(booking, permanence)),
        _ => Ok(Found::Closed(booking)),
    }
}

/// What a change by personal link gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// The link is unknown, or its booking cancelled or past.
    LinkRefused,
    Refused(Refusal),
}

/// Cancels by personal link: the event leaves the calendar.
pub async fn cancel(app: &App, token: String) -> Result<Changed, Error> {
    app.store
        .write(move |tx| {
            let now = crate::clock::timestamp();
            let Found::Active(booking, _) = find(tx, &token, now).map_err(into_store)? else {
                return Ok(Changed::LinkRefused);
            };
            remove_event(tx, &booking).map_err(into_store)?;
            store::set_status(tx, booking.id, Status::Cancelled)?;
            Ok(Changed::Done)
        })
        .await
        .map_err(Error::from)
}

fn remove_event(tx: &Transaction, booking: &Booking) -> Result<(), Error> {
    if let (Some(name), Some(calendar)) = (
        &booking.object_name,
        service_calendar(tx, booking.service_id)?,
    ) {
        event::delete(tx, calendar, name)?;
    }
    store::forget_object(tx, booking.id)?;
    Ok(())
}

/// Moves by personal link to another slot of the same permanence; the
/// event is rewritten under the same name and UID.
pub async fn move_to(app: &App, token: String, start: i64) -> Result<Changed, Error> {
    let tz = app.timezone;
    let limits = app.ical_limits();
    app.store
        .write(move |tx| {
            let now = crate::clock::timestamp();
            let Found::Active(booking, permanence) = find(tx, &token, now).map_err(into_store)?
            else {
                return Ok(Changed::LinkRefused);
            };
            let Some(calendar) = service_calendar(tx, booking.service_id).map_err(into_store)?
            else {
                return Ok(Changed::Refused(Refusal::NoCalendar));
            };
            if start == booking.start {
                return Ok(Changed::Done);
            }
            let end =
                match check_slot(tx, &permanence, calendar, start, tz, now).map_err(into_store)? {
                    Ok(end) => end,
                    Err(refusal) => return Ok(Changed::Refused(refusal)),
                };
            let name = booking
                .object_name
                .clone()
                .unwrap_or_else(|| format!("rdv-{}.ics", &tokens::new_token()[..22]));
            let uid = name.trim_end_matches(".ics").to_owned();
            let booked_by = booking_author(tx, booking.id)?;
            let request = Request {
                permanence_id: permanence.id,
                start,
                theme: booking.theme.clone(),
                name: booking.name.clone().unwrap_or_default(),
                phone: booking.phone.clone(),
                email: booking.email.clone(),
                commune: booking.commune.clone(),
                note: booking.note.clone(),
                booked_by,
            };
            let body = BookingBody {
                request: &request,
                permanence: &permanence,
                uid: &uid,
                start,
                end,
                now,
            }
            .ics();
            event::put(tx, calendar, &name, &body, tz, &limits).map_err(into_store)?;
            store::move_to(tx, booking.id, start, end)?;
            Ok(Changed::Done)
        })
        .await
        .map_err(Error::from)
}

fn booking_author(conn: &Connection, booking_id: i64) -> rusqlite::Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT p.id, p.display_name FROM bookings b JOIN principals p ON p.id = b.booked_by
         WHERE b.id = ?1",
        [booking_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

/// Marks one of a service's bookings attended or missed; false when the
/// booking is not the service's or was cancelled.
pub async fn mark(
    app: &App,
    service_id: i64,
    booking_id: i64,
    status: Status,
) -> Result<bool, Error> {
    app.store
        .write(move |tx| {
            let Some(booking) = store::by_id(tx, booking_id)? else {
                return Ok(false);
            };
            if booking.service_id != service_id
                || booking.status == Status::Cancelled
                || !matches!(status, Status::Attended | Status::Missed | Status::Booked)
            {
                return Ok(false);
            }
            store::set_status(tx, booking_id, status)?;
            Ok(true)
        })
        .await
        .map_err(Error::from)
}

/// Retention: bookings that ended more than `retention_days` ago lose the
/// resident's name, contact, note and personal link, and their event
/// leaves the calendar; theme, commune, times and status stay (anonymous
/// counts for the indicators). Returns how many were anonymised.
pub fn purge(tx: &Transaction, now: i64, retention_days: u32) -> Result<usize, Error> {
    let before = now - i64::from(retention_days) * 86_400;
    let expired = store::to_anonymise(tx, before)?;
    for booking in &expired {
        remove_event(tx, booking)?;
        store::anonymise(tx, booking.id)?;
    }
    Ok(expired.len())
}

/// Runs the retention once (the server does at start).
pub async fn retention(app: &App) {
    let days = app.config.appointments.retention_days;
    let result = app
        .store
        .write(move |tx| purge(tx, crate::clock::timestamp(), days).map_err(into_store))
        .await;
    match result {
        Ok(0) => {}
        Ok(count) => tracing::info!("appointments: {count} old booking(s) anonymised"),
        Err(error) => tracing::error!("appointments: retention failed: {error}"),
    }
}

/// Runs the retention once a day, for as long as the server.
pub async fn retention_task(app: std::sync::Arc<App>) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(86_400)).await;
        retention(&app).await;
    }
}

/// A form's fields, checked; the messages are in French, one per field.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub theme: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub commune: String,
    pub note: String,
}

/// Checks a booking form against the permanence's themes and the
/// territory's communes; returns the request parts or the messages.
pub fn check_fields(
    fields: &Fields,
    permanence: &Permanence,
    communes: &[crate::config::Named],
) -> Result<Fields, Vec<String>> {
    let mut errors = Vec::new();
    let trim = |s: &str| s.trim().to_owned();
    let out = Fields {
        theme: trim(&fields.theme),
        name: trim(&fields.name),
        phone: trim(&fields.phone),
        email: trim(&fields.email),
        commune: trim(&fields.commune),
        note: fields.note.trim().replace("\r\n", "\n"),
    };
    if out.name.is_empty() {
        errors.push("Indiquez votre nom.".to_owned());
    }
    if out.phone.is_empty() && out.email.is_empty() {
        errors.push("Indiquez un numéro de téléphone ou une adresse e-mail, pour que le service puisse vous joindre.".to_owned());
    }
    if !out.phone.is_empty()
        && (out.phone.chars().filter(char::is_ascii_digit).count() < 6
            || !out
                .phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +.-()".contains(c)))
    {
        errors.push(
            "Le numéro de téléphone ne semble pas complet (par exemple 05 56 12 34 56).".to_owned(),
        );
    }
    if !out.email.is_empty() {
        let valid = out.email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !out.email.contains(char::is_whitespace)
        });
        if !valid {
            errors.push(
                "L'adresse e-mail ne semble pas complète (par exemple nom@exemple.fr).".to_owned(),
            );
        }
    }
    if !permanence.themes.contains(&out.theme) {
        errors.push("Choisissez le thème du rendez-vous dans la liste.".to_owned());
    }
    if !out.commune.is_empty() && !communes.iter().any(|c| c.slug == out.commune) {
        errors.push(
            "Choisissez votre commune dans la liste, ou « Je préfère ne pas le dire ».".to_owned(),
        );
    }
    let long = [&out.name, &out.phone, &out.email]
        .iter()
        .any(|f| f.chars().count() > MAX_FIELD);
    if long || out.note.chars().count() > MAX_NOTE {
        errors.push(format!(
            "Un champ est trop long ({MAX_FIELD} caractères au plus, {MAX_NOTE} pour la note)."
        ));
    }
    match errors.is_empty() {
        true => Ok(out),
        false => Err(errors),
    }
}

/// Reads a permanence as the service or the CLI writes it; the messages
/// are in French (the web form shows them).
pub struct PermanenceInput<'a> {
    pub place: &'a str,
    pub themes: &'a str,
    pub hours: &'a str,
    pub closed: &'a str,
    pub slot_minutes: i64,
    pub capacity: i64,
    pub days_ahead: i64,
    pub minutes_before: i64,
    pub bring: &'a str,
}

pub fn permanence_from(
    service_id: i64,
    input: &PermanenceInput,
) -> Result<Permanence, Vec<String>> {
    let mut errors = Vec::new();
    let place = input.place.trim();
    if place.is_empty() || place.chars().count() > MAX_FIELD {
        errors.push("Indiquez l'adresse de la permanence.".to_owned());
    }
    let themes: Vec<String> = input
        .themes
        .split(['\n', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if themes.is_empty() || themes.iter().any(|t| t.chars().count() > MAX_FIELD) {
        errors.push("Indiquez au moins un thème (un par ligne).".to_owned());
    }
    let hours = hours::WeeklyHours::parse(input.hours)
        .map_err(|e| errors.push(e))
        .ok();
    let closed = hours::Closed::parse(input.closed)
        .map_err(|e| errors.push(e))
        .ok();
    if !(5..=480).contains(&input.slot_minutes) {
        errors.push("La durée d'un créneau va de 5 à 480 minutes.".to_owned());
    }
    if !(1..=100).contains(&input.capacity) {
        errors.push("Le nombre de personnes par créneau va de 1 à 100.".to_owned());
    }
    if !(1..=365).contains(&input.days_ahead) {
        errors.push("On peut réserver de 1 à 365 jours à l'avance.".to_owned());
    }
    if !(0..=10_080).contains(&input.minutes_before) {
        errors.push(
            "Le délai avant un rendez-vous va de 0 à 10 080 minutes (une semaine).".to_owned(),
        );
    }
    match (hours, closed, errors.is_empty()) {
        (Some(hours), Some(closed), true) => Ok(Permanence {
            id: 0,
            service_id,
            place: place.to_owned(),
            themes,
            hours: hours.canonical(),
            closed: closed.canonical(),
            slot_minutes: input.slot_minutes,
            capacity: input.capacity,
            days_ahead: input.days_ahead,
            minutes_before: input.minutes_before,
            bring: input.bring.trim().to_owned(),
        }),
        _ => Err(errors),
    }
}
