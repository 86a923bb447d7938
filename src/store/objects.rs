//! Calendar object resources and their instance index.

use super::collections::record_change;
use super::views::{self, Scope};
use super::{now, Result};
use crate::ical::CalendarObject;
use rusqlite::{params, Connection, OptionalExtension};

/// What PROPFIND and conditional requests need, without the body.
#[derive(Debug, Clone)]
pub struct ObjectMeta {
    pub id: i64,
    pub name: String,
    pub uid: String,
    pub component: String,
    pub seq: i64,
    pub size: i64,
    pub modified_at: i64,
    /// Set when the index holds instances only up to this time.
    pub expanded_until: Option<i64>,
}

impl ObjectMeta {
    /// Strong ETag: the change-log sequence number of the last write, unique
    /// across the whole server and stable until the object changes.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.seq)
    }
}

/// An object's metadata and its body as the client sent it.
pub type StoredObject = (ObjectMeta, Vec<u8>);

pub fn meta(conn: &Connection, collection_id: i64, name: &str) -> Result<Option<ObjectMeta>> {
    views::meta(conn, Scope::Collection(collection_id), name)
}

pub fn with_body(
    conn: &Connection,
    collection_id: i64,
    name: &str,
) -> Result<Option<StoredObject>> {
    views::with_body(conn, Scope::Collection(collection_id), name)
}

/// Every member's body by name, in one query (comparing a calendar the
/// server writes with what it should hold).
pub fn bodies(
    conn: &Connection,
    collection_id: i64,
) -> Result<std::collections::HashMap<String, Vec<u8>>> {
    let mut stmt =
        conn.prepare_cached("SELECT name, body FROM objects WHERE collection_id = ?1")?;
    let rows = stmt.query_map([collection_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Name of the object of `collection_id` that carries `uid`, if any.
pub fn name_of_uid(conn: &Connection, collection_id: i64, uid: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM objects WHERE collection_id = ?1 AND uid = ?2")?
        .query_row(params![collection_id, uid], |row| row.get(0))
        .optional()?)
}

/// Creates or replaces an object with its instances and change-log entry;
/// the caller runs it inside the write transaction. Returns the new ETag.
pub fn put(
    conn: &Connection,
    collection_id: i64,
    name: &str,
    body: &[u8],
    object: &CalendarObject,
) -> Result<String> {
    let categories = object.categories.join(",");
    // Moderation looks at the version being replaced before it goes.
    let gate = super::moderation::before_write(conn, collection_id, name, body)?;
    let object_id: i64 = conn
        .prepare_cached(
            "INSERT INTO objects (collection_id, name, uid, component, body, seq, modified_at,
                              class, summary, location, categories, status, expanded_until, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?7)
         ON CONFLICT (collection_id, name) DO UPDATE SET
            uid = excluded.uid, component = excluded.component, body = excluded.body,
            seq = excluded.seq, modified_at = excluded.modified_at, class = excluded.class,
            summary = excluded.summary, location = excluded.location,
            categories = excluded.categories, status = excluded.status,
            expanded_until = excluded.expanded_until
         RETURNING id",
        )?
        .query_row(
            params![
                collection_id,
                name,
                object.uid,
                object.component.name(),
                body,
                0,
                now(),
                object.class.name(),
                object.summary,
                object.location,
                categories,
                object.status,
                object.expanded_until,
            ],
            |row| row.get(0),
        )?;
    super::search::index(conn, object_id, collection_id, body)?;
    let seq = record_change(conn, collection_id, name, object_id, false)?;
    conn.prepare_cached("UPDATE objects SET seq = ?2 WHERE id = ?1")?
        .execute(params![object_id, seq])?;
    super::moderation::after_write(conn, gate, object_id, seq)?;
    write_instances(conn, object_id, collection_id, object)?;
    Ok(format!("\"{seq}\""))
}

/// Replaces the index rows of an object by those of `object`, unless they
/// are the same already.
fn write_instances(
    conn: &Connection,
    object_id: i64,
    collection_id: i64,
    object: &CalendarObject,
) -> Result<()> {
    if same_instances(conn, object_id, object)? {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM instances WHERE object_id = ?1")?
        .execute([object_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO instances (object_id, collection_id, start_utc, end_utc, recurrence_id,
                                all_day, floating, cancelled, transparent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    // A to-do open towards the future is found apart (`views::overlapping`).
    let longest = object
        .instances
        .iter()
        .filter(|i| i.range_span.1 != crate::ical::OPEN_END)
        .map(|i| i.range_span.1 - i.range_span.0)
        .max()
        .unwrap_or(0);
    conn.prepare_cached("UPDATE index_stats SET max_span = ?1 WHERE id = 1 AND max_span < ?1")?
        .execute([longest])?;
    for instance in &object.instances {
        let (start, end, recurrence_id, all_day, floating, cancelled, transparent) =
            index_row(instance);
        insert.execute(params![
            object_id,
            collection_id,
            start,
            end,
            recurrence_id,
            all_day,
            floating,
            cancelled,
            transparent,
        ])?;
    }
    Ok(())
}

/// Indexes again the objects a migration queued because the way they are
/// indexed changed (`reindex_queue`), in the calendar's zone for floating
/// times or else `default_zone`; returns how many. Run by the server when
/// it starts, before it answers: bodies, ETags and the change log stay as
/// they are. An object that no longer passes `limits` keeps its rows.
pub fn reindex_queued(
    conn: &mut Connection,
    default_zone: chrono_tz::Tz,
    limits: &crate::ical::Limits,
) -> Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    struct Queued {
        id: i64,
        collection_id: i64,
        zone: Option<chrono_tz::Tz>,
        name: String,
        body: Vec<u8>,
    }
    let queued: Vec<Queued> = tx
        .prepare(
            "SELECT o.id, o.collection_id, c.timezone_id, c.timezone, o.name, o.body
             FROM reindex_queue q JOIN objects o ON o.id = q.object_id
             JOIN collections c ON c.id = o.collection_id",
        )?
        .query_map([], |row| {
            Ok(Queued {
                id: row.get(0)?,
                collection_id: row.get(1)?,
                zone: super::collections::floating_timezone(
                    row.get::<_, Option<String>>(2)?.as_deref(),
                    row.get::<_, Option<String>>(3)?.as_deref(),
                ),
                name: row.get(4)?,
                body: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for object in &queued {
        let zone = object.zone.unwrap_or(default_zone);
        match crate::ical::parse_object(&object.body, zone, limits) {
            Ok(parsed) => {
                tx.prepare_cached("UPDATE objects SET expanded_until = ?2 WHERE id = ?1")?
                    .execute(params![object.id, parsed.expanded_until])?;
                write_instances(&tx, object.id, object.collection_id, &parsed)?;
            }
            Err(error) => {
                tracing::warn!("{} not indexed again, its rows stay: {error}", object.name)
            }
        }
    }
    tx.execute("DELETE FROM reindex_queue", [])?;
    tx.commit()?;
    Ok(queued.len())
}

/// What the index stores of an instance: start, end, recurrence id, all
/// day, floating, cancelled, transparent. Start and end are the span a time
/// range must overlap: the instance's own for events and journal entries,
/// the one RFC 4791 9.9 gives for to-dos (see `ical::Instance`).
type IndexRow = (i64, i64, Option<i64>, bool, bool, bool, bool);

fn index_row(instance: &crate::ical::Instance) -> IndexRow {
    (
        instance.range_span.0,
        instance.range_span.1,
        instance.recurrence_id,
        instance.all_day,
        instance.floating,
        instance.cancelled,
        instance.transparent,
    )
}

/// Whether the index already holds exactly `object`'s instances: most
/// edits (a title, a description) do not move an event, and rewriting its
/// rows and their three indexes was most of what such a PUT wrote.
fn same_instances(conn: &Connection, object_id: i64, object: &CalendarObject) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_utc, end_utc, recurrence_id, all_day, floating, cancelled, transparent
         FROM instances WHERE object_id = ?1 ORDER BY rowid",
    )?;
    let mut rows = stmt.query([object_id])?;
    let mut wanted = object.instances.iter();
    while let Some(row) = rows.next()? {
        let Some(instance) = wanted.next() else {
            return Ok(false);
        };
        let stored: IndexRow = (
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, Option<i64>>(2)?,
            row.get::<_, bool>(3)?,
            row.get::<_, bool>(4)?,
            row.get::<_, bool>(5)?,
            row.get::<_, bool>(6)?,
        );
        if stored != index_row(instance) {
            return Ok(false);
        }
    }
    // Equal when both ran out; an object without instances has none to keep.
    Ok(wanted.next().is_none() && !object.instances.is_empty())
}

/// Deletes an object; returns false when it did not exist.
pub fn delete(conn: &Connection, collection_id: i64, name: &str) -> Result<bool> {
    let Some(found) = meta(conn, collection_id, name)? else {
        return Ok(false);
    };
    conn.prepare_cached("DELETE FROM objects WHERE id = ?1")?
        .execute([found.id])?;
    record_change(conn, collection_id, name, found.id, true)?;
    Ok(true)
}

/// The store reads busy periods in the shape free-busy answers want.
pub use crate::query::freebusy::BusyInstance;

#[cfg(test)]
mod tests {
    use crate::store::open_connection;

    /// To-dos indexed before the spans of RFC 4791 9.9 are indexed again
    /// at the server's start, floating times in their calendar's zone.
    #[test]
    fn queued_objects_are_indexed_again_in_their_calendars_zone() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_connection(&dir.path().join("test.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO principals (id, login, display_name, kind, role, password_hash, created_at)
                 VALUES (1, 'asso-a', 'A', 'association', 'organiser', 'x', 0);
             INSERT INTO collections (id, owner_id, path, is_calendar, created_at, modified_at, timezone_id)
                 VALUES (1, 1, 'main', 1, 0, 0, 'America/New_York');",
        )
        .unwrap();
        // Due at noon, floating: 17:00 UTC in New York in January.
        let body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:due\r\nDTSTAMP:20261101T120000Z\r\nDUE:20270110T120000\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        let object = crate::ical::parse_object(body, chrono_tz::UTC, &Default::default()).unwrap();
        let etag = super::put(&conn, 1, "due.ics", body, &object).unwrap();
        // As an older version indexed it (an instant at DUE, in UTC).
        conn.execute_batch(
            "UPDATE instances SET start_utc = 1799582400, end_utc = 1799582400;
             INSERT INTO reindex_queue (object_id) SELECT id FROM objects;",
        )
        .unwrap();
        let zone = chrono_tz::Europe::Paris;
        let count = super::reindex_queued(&mut conn, zone, &Default::default()).unwrap();
        assert_eq!(count, 1);
        let due = 1799600400; // 2027-01-10T17:00:00Z
        let rows: (i64, i64) = conn
            .query_row("SELECT start_utc, end_utc FROM instances", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(rows, (due - 1, due), "start < DUE and end >= DUE");
        let left: i64 = conn
            .query_row("SELECT count(*) FROM reindex_queue", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
        // The body and its ETag stay.
        let meta = super::meta(&conn, 1, "due.ics").unwrap().unwrap();
        assert_eq!(meta.etag(), etag);
        assert_eq!(
            super::reindex_queued(&mut conn, zone, &Default::default()).unwrap(),
            0
        );
    }
}
