//! Permanences (a service's bookable opening hours at one place) and the
//! bookings residents make there. Only SQL: slots, capacity rules and the
//! private events are `crate::appointments`'s job.

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permanence {
    pub id: i64,
    pub service_id: i64,
    pub place: String,
    pub themes: Vec<String>,
    /// Weekly hours in their canonical text (`appointments::hours`).
    pub hours: String,
    /// Closed dates and periods in their canonical text.
    pub closed: String,
    pub slot_minutes: i64,
    pub capacity: i64,
    pub days_ahead: i64,
    pub minutes_before: i64,
    pub bring: String,
}

const PERMANENCE_COLUMNS: &str = "id, service_id, place, themes, hours, closed, slot_minutes,
    capacity, days_ahead, minutes_before, bring";

fn permanence_from_row(row: &Row) -> rusqlite::Result<Permanence> {
    let themes: String = row.get(3)?;
    Ok(Permanence {
        id: row.get(0)?,
        service_id: row.get(1)?,
        place: row.get(2)?,
        themes: themes.lines().map(str::to_owned).collect(),
        hours: row.get(4)?,
        closed: row.get(5)?,
        slot_minutes: row.get(6)?,
        capacity: row.get(7)?,
        days_ahead: row.get(8)?,
        minutes_before: row.get(9)?,
        bring: row.get(10)?,
    })
}

/// Adds a permanence (its `id` is ignored); returns the new id.
pub fn add_permanence(conn: &Connection, p: &Permanence) -> Result<i64> {
    conn.execute(
        "INSERT INTO permanences (service_id, place, themes, hours, closed, slot_minutes,
                                  capacity, days_ahead, minutes_before, bring, created)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            p.service_id,
            p.place,
            p.themes.join("\n"),
            p.hours,
            p.closed,
            p.slot_minutes,
            p.capacity,
            p.days_ahead,
            p.minutes_before,
            p.bring,
            now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn permanence(conn: &Connection, id: i64) -> Result<Option<Permanence>> {
    let sql = format!("SELECT {PERMANENCE_COLUMNS} FROM permanences WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], permanence_from_row)
        .optional()?)
}

pub fn permanences_of(conn: &Connection, service_id: i64) -> Result<Vec<Permanence>> {
    let sql =
        format!("SELECT {PERMANENCE_COLUMNS} FROM permanences WHERE service_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([service_id], permanence_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Removes one of a service's permanences; its bookings stay (counts).
pub fn remove_permanence(conn: &Connection, service_id: i64, id: i64) -> Result<bool> {
    Ok(conn.execute(
        "DELETE FROM permanences WHERE id = ?1 AND service_id = ?2",
        params![id, service_id],
    )? == 1)
}

/// A service offering appointments: login and display name.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: i64,
    pub login: String,
    pub name: String,
}

/// Enabled services with at least one permanence, by name.
pub fn services(conn: &Connection) -> Result<Vec<Service>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.login, p.display_name FROM principals p
         WHERE p.disabled = 0 AND p.role = 'organiser' AND p.kind = 'service'
           AND EXISTS (SELECT 1 FROM permanences m WHERE m.service_id = p.id)
         ORDER BY p.display_name",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(Service {
            id: row.get(0)?,
            login: row.get(1)?,
            name: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Booked,
    Cancelled,
    Attended,
    Missed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Cancelled => "cancelled",
            Status::Attended => "attended",
            Status::Missed => "missed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "booked" => Status::Booked,
            "cancelled" => Status::Cancelled,
            "attended" => Status::Attended,
            "missed" => Status::Missed,
            _ => return None,
        })
    }

    /// In French, for the service's list.
    pub fn french(self) -> &'static str {
        match self {
            Status::Booked => "prévu",
            Status::Cancelled => "annulé",
            Status::Attended => "venu",
            Status::Missed => "absent",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Booking {
    pub id: i64,
    pub permanence_id: Option<i64>,
    pub service_id: i64,
    pub start: i64,
    pub end: i64,
    pub theme: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub commune: Option<String>,
    pub note: Option<String>,
    pub status: Status,
    pub object_name: Option<String>,
    pub anonymised: bool,
}

const BOOKING_COLUMNS: &str = "id, permanence_id, service_id, start_utc, end_utc, theme, name,
    phone, email, commune, note, status, object_name, anonymised";

fn booking_from_row(row: &Row) -> rusqlite::Result<Booking> {
    Ok(Booking {
        id: row.get(0)?,
        permanence_id: row.get(1)?,
        service_id: row.get(2)?,
        start: row.get(3)?,
        end: row.get(4)?,
        theme: row.get(5)?,
        name: row.get(6)?,
        phone: row.get(7)?,
        email: row.get(8)?,
        commune: row.get(9)?,
        note: row.get(10)?,
        status: Status::parse(&row.get::<_, String>(11)?).unwrap_or(Status::Booked),
        object_name: row.get(12)?,
        anonymised: row.get(13)?,
    })
}

/// What a new booking holds (status `booked`).
pub struct NewBooking<'a> {
    pub permanence_id: i64,
    pub service_id: i64,
    pub start: i64,
    pub end: i64,
    pub theme: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub commune: Option<&'a str>,
    pub note: Option<&'a str>,
    pub token_digest: &'a [u8],
    pub booked_by: Option<i64>,
    pub object_name: &'a str,
}

pub fn insert_booking(conn: &Connection, b: &NewBooking) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO bookings (permanence_id, service_id, start_utc, end_utc, theme, name, phone,
                               email, commune, note, status, token_digest, booked_by, created,
                               object_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'booked', ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        b.permanence_id,
        b.service_id,
        b.start,
        b.end,
        b.theme,
        b.name,
        b.phone,
        b.email,
        b.commune,
        b.note,
        b.token_digest,
        b.booked_by,
        now(),
        b.object_name
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Bookings holding a place (not cancelled) per slot start, in [from, to).
pub fn taken(
    conn: &Connection,
    permanence_id: i64,
    from: i64,
    to: i64,
) -> Result<HashMap<i64, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_utc, count(*) FROM bookings
         WHERE permanence_id = ?1 AND start_utc >= ?2 AND start_utc < ?3 AND status != 'cancelled'
         GROUP BY start_utc",
    )?;
    let rows = stmt.query_map(params![permanence_id, from, to], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The booking a personal link opens: the one made with the booking, or
/// the one its reminder carried.
pub fn by_token(conn: &Connection, token_digest: &[u8]) -> Result<Option<Booking>> {
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE token_digest = ?1
            OR id = (SELECT booking_id FROM booking_reminders WHERE token_digest = ?1)"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([token_digest], booking_from_row)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Booking>> {
    let sql = format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], booking_from_row)
        .optional()?)
}

/// A service's bookings ending at or after `from`, by start.
pub fn of_service(conn: &Connection, service_id: i64, from: i64) -> Result<Vec<Booking>> {
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE service_id = ?1 AND end_utc >= ?2
         ORDER BY start_utc, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![service_id, from], booking_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_status(conn: &Connection, id: i64, status: Status) -> Result<()> {
    conn.execute(
        "UPDATE bookings SET status = ?2 WHERE id = ?1",
        params![id, status.as_str()],
    )?;
    Ok(())
}

/// The booking's event is gone from the service's calendar.
pub fn forget_object(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("UPDATE bookings SET object_name = NULL WHERE id = ?1", [id])?;
    Ok(())
}

pub fn move_to(conn: &Connection, id: i64, start: i64, end: i64) -> Result<()> {
    conn.execute(
        "UPDATE bookings SET start_utc = ?2, end_utc = ?3 WHERE id = ?1",
        params![id, start, end],
    )?;
    Ok(())
}

/// Bookings that ended before `before` and still hold personal data.
pub fn to_anonymise(conn: &Connection, before: i64) -> Result<Vec<Booking>> {
    let sql =
        format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE anonymised = 0 AND end_utc < ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([before], booking_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Empties a booking's name, contact, note and personal link.
pub fn anonymise(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE bookings SET name = NULL, phone = NULL, email = NULL, note = NULL,
                token_digest = NULL, object_name = NULL, anonymised = 1
         WHERE id = ?1",
        [id],
    )?;
    conn.execute(
        "UPDATE booking_reminders SET token_digest = NULL WHERE booking_id = ?1",
        [id],
    )?;
    Ok(())
}

/// A booking that may need its reminder, with what the message says.
#[derive(Debug, Clone)]
pub struct ToRemind {
    pub booking: Booking,
    /// When it was booked.
    pub created: i64,
    pub service: String,
    pub place: String,
    pub bring: String,
}

/// Bookings still `booked`, with an e-mail address and a permanence,
/// starting in [from, to), not yet reminded of their current slot.
pub fn to_remind(conn: &Connection, from: i64, to: i64) -> Result<Vec<ToRemind>> {
    let columns = BOOKING_COLUMNS
        .split(',')
        .map(|c| format!("b.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, b.created, p.display_name, m.place, m.bring
         FROM bookings b
         JOIN permanences m ON m.id = b.permanence_id
         JOIN principals p ON p.id = b.service_id
         WHERE b.status = 'booked' AND b.email IS NOT NULL AND b.start_utc >= ?1
           AND b.start_utc < ?2
           AND NOT EXISTS (SELECT 1 FROM booking_reminders r
                           WHERE r.booking_id = b.id AND r.start_utc = b.start_utc)
         ORDER BY b.start_utc, b.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![from, to], |row| {
        Ok(ToRemind {
            booking: booking_from_row(row)?,
            created: row.get(14)?,
            service: row.get(15)?,
            place: row.get(16)?,
            bring: row.get(17)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records that the booking was reminded of the slot starting at `start`,
/// with the digest of the link its reminder carries (replacing the link
/// of an earlier reminder, for a slot it has since left).
pub fn record_reminder(
    conn: &Connection,
    booking_id: i64,
    start: i64,
    token_digest: &[u8],
) -> Result<()> {
    conn.execute(
        "INSERT INTO booking_reminders (booking_id, start_utc, sent, token_digest)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (booking_id) DO UPDATE
         SET start_utc = excluded.start_utc, sent = excluded.sent,
             token_digest = excluded.token_digest",
        params![booking_id, start, now(), token_digest],
    )?;
    Ok(())
}

/// Forgets the reminder recorded by [`record_reminder`] with this digest
/// (one that did not go), so that the booking is due again for `start`.
/// A row since replaced (the booking moved) is left alone.
pub fn release_reminder(
    conn: &Connection,
    booking_id: i64,
    start: i64,
    token_digest: &[u8],
) -> Result<()> {
    conn.execute(
        "DELETE FROM booking_reminders
         WHERE booking_id = ?1 AND start_utc = ?2 AND token_digest = ?3",
        params![booking_id, start, token_digest],
    )?;
    Ok(())
}

/// What the indicators count: one row per booking starting in [from, to).
pub struct CountedBooking {
    pub start: i64,
    pub theme: String,
    pub commune: Option<String>,
    pub status: Status,
}

pub fn counted(
    conn: &Connection,
    service_id: Option<i64>,
    from: i64,
    to: i64,
) -> Result<Vec<CountedBooking>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_utc, theme, commune, status FROM bookings
         WHERE start_utc >= ?1 AND start_utc < ?2 AND (?3 IS NULL OR service_id = ?3)
         ORDER BY start_utc",
    )?;
    let rows = stmt.query_map(params![from, to, service_id], |row| {
        Ok(CountedBooking {
            start: row.get(0)?,
            theme: row.get(1)?,
            commune: row.get(2)?,
            status: Status::parse(&row.get::<_, String>(3)?).unwrap_or(Status::Booked),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
