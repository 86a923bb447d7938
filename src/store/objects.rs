//! Calendar object resources and their instance index.

use super::collections::record_change;
use super::{now, Result};
use crate::ical::CalendarObject;
use rusqlite::{params, Connection, OptionalExtension, Row};

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

const META: &str = "id, name, uid, component, seq, length(body), modified_at, expanded_until";

fn meta_from_row(row: &Row) -> rusqlite::Result<ObjectMeta> {
    Ok(ObjectMeta {
        id: row.get(0)?,
        name: row.get(1)?,
        uid: row.get(2)?,
        component: row.get(3)?,
        seq: row.get(4)?,
        size: row.get(5)?,
        modified_at: row.get(6)?,
        expanded_until: row.get(7)?,
    })
}

pub fn meta(conn: &Connection, collection_id: i64, name: &str) -> Result<Option<ObjectMeta>> {
    let sql = format!("SELECT {META} FROM objects WHERE collection_id = ?1 AND name = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![collection_id, name], meta_from_row)
        .optional()?)
}

/// An object's metadata and its body as the client sent it.
pub type StoredObject = (ObjectMeta, Vec<u8>);

pub fn with_body(
    conn: &Connection,
    collection_id: i64,
    name: &str,
) -> Result<Option<StoredObject>> {
    let sql = format!("SELECT {META}, body FROM objects WHERE collection_id = ?1 AND name = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![collection_id, name], |row| {
            Ok((meta_from_row(row)?, row.get(8)?))
        })
        .optional()?)
}

pub fn list(conn: &Connection, collection_id: i64) -> Result<Vec<ObjectMeta>> {
    let sql = format!("SELECT {META} FROM objects WHERE collection_id = ?1 ORDER BY name");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([collection_id], meta_from_row)?;
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
    let seq = record_change(conn, collection_id, name, false)?;
    let categories = object.categories.join(",");
    conn.prepare_cached(
        "INSERT INTO objects (collection_id, name, uid, component, body, seq, modified_at,
                              class, summary, location, categories, status, expanded_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (collection_id, name) DO UPDATE SET
            uid = excluded.uid, component = excluded.component, body = excluded.body,
            seq = excluded.seq, modified_at = excluded.modified_at, class = excluded.class,
            summary = excluded.summary, location = excluded.location,
            categories = excluded.categories, status = excluded.status,
            expanded_until = excluded.expanded_until",
    )?
    .execute(params![
        collection_id,
        name,
        object.uid,
        object.component.name(),
        body,
        seq,
        now(),
        object.class.name(),
        object.summary,
        object.location,
        categories,
        object.status,
        object.expanded_until,
    ])?;
    let object_id: i64 = conn
        .prepare_cached("SELECT id FROM objects WHERE collection_id = ?1 AND name = ?2")?
        .query_row(params![collection_id, name], |row| row.get(0))?;
    conn.prepare_cached("DELETE FROM instances WHERE object_id = ?1")?
        .execute([object_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO instances (object_id, collection_id, start_utc, end_utc, recurrence_id,
                                all_day, floating, cancelled, transparent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for instance in &object.instances {
        insert.execute(params![
            object_id,
            collection_id,
            instance.start,
            instance.end,
            instance.recurrence_id,
            instance.all_day,
            instance.floating,
            instance.cancelled,
            instance.transparent,
        ])?;
    }
    Ok(format!("\"{seq}\""))
}

/// Deletes an object; returns false when it did not exist.
pub fn delete(conn: &Connection, collection_id: i64, name: &str) -> Result<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM objects WHERE collection_id = ?1 AND name = ?2")?
        .execute(params![collection_id, name])?;
    if removed == 0 {
        return Ok(false);
    }
    record_change(conn, collection_id, name, true)?;
    Ok(true)
}

/// Members changed after `since` with their last change, oldest first: `Some(meta)` for those
/// that exist now, `None` for those deleted since.
pub fn changed_since(
    conn: &Connection,
    collection_id: i64,
    since: i64,
) -> Result<Vec<(String, i64, Option<ObjectMeta>)>> {
    let mut out = Vec::new();
    for (name, seq, deleted) in super::collections::changes_since(conn, collection_id, since)? {
        let current = if deleted {
            None
        } else {
            meta(conn, collection_id, &name)?
        };
        out.push((name, seq, current));
    }
    Ok(out)
}

/// Every member, oldest change first (initial sync-collection).
pub fn list_by_seq(conn: &Connection, collection_id: i64) -> Result<Vec<ObjectMeta>> {
    let sql = format!("SELECT {META} FROM objects WHERE collection_id = ?1 ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([collection_id], meta_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Objects of a component type with an instance overlapping [start, end)
/// under RFC 4791 9.9 (a zero-length instance matches when it starts inside
/// the range). `None` bounds are open.
pub fn overlapping(
    conn: &Connection,
    collection_id: i64,
    component: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<ObjectMeta>> {
    let sql = format!(
        "SELECT {META} FROM objects WHERE collection_id = ?1 AND (?2 IS NULL OR component = ?2)
         AND (expanded_until IS NOT NULL AND ?4 IS NOT NULL AND expanded_until < ?4
              OR EXISTS (SELECT 1 FROM instances i WHERE i.object_id = objects.id
                         AND (?4 IS NULL OR i.start_utc < ?4)
                         AND (?3 IS NULL OR i.end_utc > ?3 OR (i.end_utc = i.start_utc AND i.start_utc >= ?3))))
         ORDER BY name"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![collection_id, component, start, end], meta_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Bodies of the given members, in the order asked; `None` for unknown names.
pub fn bodies(
    conn: &Connection,
    collection_id: i64,
    names: &[String],
) -> Result<Vec<Option<StoredObject>>> {
    names
        .iter()
        .map(|name| with_body(conn, collection_id, name))
        .collect()
}

/// A busy period for free-busy: instance bounds and the object's status.
pub struct BusyInstance {
    pub start: i64,
    pub end: i64,
    pub tentative: bool,
}

/// Opaque, not cancelled VEVENT instances overlapping [start, end).
pub fn busy_between(
    conn: &Connection,
    collection_id: i64,
    start: i64,
    end: i64,
) -> Result<Vec<BusyInstance>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.start_utc, i.end_utc, o.status FROM instances i JOIN objects o ON o.id = i.object_id
         WHERE i.collection_id = ?1 AND i.start_utc < ?3 AND i.end_utc > ?2
           AND i.cancelled = 0 AND i.transparent = 0 AND o.component = 'VEVENT'
         ORDER BY i.start_utc",
    )?;
    let rows = stmt.query_map(params![collection_id, start, end], |row| {
        Ok(BusyInstance {
            start: row.get(0)?,
            end: row.get(1)?,
            tentative: row.get::<_, Option<String>>(2)?.as_deref() == Some("TENTATIVE"),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every body of a collection, in name order (exports and feeds).
pub fn all_bodies(conn: &Connection, collection_id: i64) -> Result<Vec<Vec<u8>>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM objects WHERE collection_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([collection_id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
