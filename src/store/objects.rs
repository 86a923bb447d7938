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
    let object_id: i64 = conn
        .prepare_cached(
            "INSERT INTO objects (collection_id, name, uid, component, body, seq, modified_at,
                              class, summary, location, categories, status, expanded_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
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
    if same_instances(conn, object_id, object)? {
        return Ok(format!("\"{seq}\""));
    }
    conn.prepare_cached("DELETE FROM instances WHERE object_id = ?1")?
        .execute([object_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO instances (object_id, collection_id, start_utc, end_utc, recurrence_id,
                                all_day, floating, cancelled, transparent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let longest = object
        .instances
        .iter()
        .map(|i| i.end - i.start)
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
    Ok(format!("\"{seq}\""))
}

/// What the index stores of an instance: start, end, recurrence id, all
/// day, floating, cancelled, transparent.
type IndexRow = (i64, i64, Option<i64>, bool, bool, bool, bool);

fn index_row(instance: &crate::ical::Instance) -> IndexRow {
    (
        instance.start,
        instance.end,
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

/// A busy period for free-busy: instance bounds and the object's status.
pub struct BusyInstance {
    pub start: i64,
    pub end: i64,
    pub tentative: bool,
}
