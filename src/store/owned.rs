//! An organiser's own events, for its space: every event of its calendars
//! with its next (or last) occurrence, and one event looked up by id only
//! within the organiser's calendars, so that nobody reaches another's.

use super::collections::Collection;
use super::objects::ObjectMeta;
use super::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// One occurrence: UTC start and end, all day or not.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: i64,
    pub end: i64,
    pub all_day: bool,
}

#[derive(Debug, Clone)]
pub struct OwnedEvent {
    pub id: i64,
    pub collection_id: i64,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub public: bool,
    pub cancelled: bool,
    /// The first occurrence not over at `now`, if any.
    pub next: Option<Span>,
    /// Its last indexed occurrence (for past events).
    pub last: Option<Span>,
    /// More than one occurrence, or a series indexed up to a horizon.
    pub recurring: bool,
    /// The body, read only for recurring events (their rule is shown).
    pub body: Option<Vec<u8>>,
}

/// The calendars an organiser writes events into, by path.
pub fn event_calendars(conn: &Connection, owner_id: i64) -> Result<Vec<Collection>> {
    Ok(super::collections::all_of(conn, owner_id)?
        .into_iter()
        .filter(|c| c.is_calendar && !c.managed && c.accepts("VEVENT"))
        .collect())
}

/// Every VEVENT of the organiser's own calendars, ordered by next
/// occurrence, then last one.
pub fn events(conn: &Connection, owner_id: i64, now: i64) -> Result<Vec<OwnedEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.collection_id, o.summary, o.location, o.class, o.status,
                o.expanded_until IS NOT NULL
                  OR (SELECT count(*) FROM instances i WHERE i.object_id = o.id) > 1
         FROM objects o JOIN collections c ON c.id = o.collection_id
         WHERE c.owner_id = ?1 AND c.is_calendar = 1 AND c.managed = 0
           AND o.component = 'VEVENT'",
    )?;
    let mut next = conn.prepare_cached(
        "SELECT start_utc, end_utc, all_day FROM instances
         WHERE object_id = ?1 AND end_utc > ?2 ORDER BY start_utc LIMIT 1",
    )?;
    let mut last = conn.prepare_cached(
        "SELECT start_utc, end_utc, all_day FROM instances
         WHERE object_id = ?1 ORDER BY start_utc DESC LIMIT 1",
    )?;
    let mut body = conn.prepare_cached("SELECT body FROM objects WHERE id = ?1")?;
    let span = |row: &rusqlite::Row| {
        Ok(Span {
            start: row.get(0)?,
            end: row.get(1)?,
            all_day: row.get(2)?,
        })
    };
    let mut out = Vec::new();
    let mut rows = stmt.query([owner_id])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let recurring: bool = row.get(6)?;
        let upcoming = next.query_row(params![id, now], span).optional()?;
        out.push(OwnedEvent {
            id,
            collection_id: row.get(1)?,
            summary: row.get(2)?,
            location: row.get(3)?,
            public: row.get_ref(4)?.as_str().is_ok_and(|c| c == "PUBLIC"),
            cancelled: row.get::<_, Option<String>>(5)?.as_deref() == Some("CANCELLED"),
            next: upcoming,
            last: match upcoming {
                Some(_) => None,
                None => last.query_row([id], span).optional()?,
            },
            recurring,
            body: match recurring {
                true => Some(body.query_row([id], |row| row.get(0))?),
                false => None,
            },
        });
    }
    out.sort_by_key(|e| {
        (
            e.next.is_none(),
            e.next.map(|s| s.start).unwrap_or(0),
            std::cmp::Reverse(e.last.map(|s| s.start).unwrap_or(i64::MIN)),
        )
    });
    Ok(out)
}

/// The object `id` when it lies in one of `owner_id`'s own calendars
/// (not the conflicts calendar), with its calendar and body.
pub fn event(
    conn: &Connection,
    owner_id: i64,
    id: i64,
) -> Result<Option<(Collection, ObjectMeta, Vec<u8>)>> {
    let found: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT c.path, o.name FROM objects o JOIN collections c ON c.id = o.collection_id
             WHERE o.id = ?1 AND c.owner_id = ?2 AND c.is_calendar = 1 AND c.managed = 0",
        )?
        .query_row(params![id, owner_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((path, name)) = found else {
        return Ok(None);
    };
    let Some(collection) = super::collections::get(conn, owner_id, &path)? else {
        return Ok(None);
    };
    Ok(super::objects::with_body(conn, collection.id, &name)?
        .map(|(meta, body)| (collection, meta, body)))
}

/// The organiser's default categories (slugs, comma-joined).
pub fn default_categories(conn: &Connection, owner_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT coalesce(categories, '') FROM principals WHERE id = ?1")?
        .query_row([owner_id], |row| row.get(0))
        .optional()?
        .unwrap_or_default())
}
