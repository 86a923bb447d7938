//! The quarterly agenda's own state: the events staff put forward (on the
//! cover) with their order within a day, and what each export held, so
//! that the next one can tell what changed.

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Marks by object id: (put forward, order within its day).
pub fn marks(conn: &Connection) -> Result<HashMap<i64, (bool, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT object_id, featured, day_order FROM agenda_marks")?;
    let rows = stmt.query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets the marks of some objects; an object neither put forward nor
/// ordered keeps no row. Objects that no longer exist are skipped.
pub fn set_marks(conn: &Connection, marks: &[(i64, bool, i64)]) -> Result<usize> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO agenda_marks (object_id, featured, day_order)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM objects WHERE id = ?1)
         ON CONFLICT (object_id) DO UPDATE SET featured = ?2, day_order = ?3",
    )?;
    let mut changed = 0;
    for (id, featured, order) in marks {
        changed += upsert.execute(params![id, featured, order])?;
    }
    conn.prepare_cached("DELETE FROM agenda_marks WHERE featured = 0 AND day_order = 0")?
        .execute([])?;
    Ok(changed)
}

/// One export of a quarter.
#[derive(Debug, Clone)]
pub struct Export {
    pub id: i64,
    pub at: i64,
    pub by: String,
    pub format: String,
    /// Its lines by key.
    pub lines: HashMap<String, String>,
}

/// Records an export of `quarter` and the lines it held.
pub fn record_export(
    conn: &Connection,
    quarter: &str,
    by: &str,
    format: &str,
    lines: &[(String, String)],
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO agenda_exports (quarter, exported_at, exported_by, format) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![quarter, now(), by, format])?;
    let id = conn.last_insert_rowid();
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO agenda_export_lines (export_id, line_key, line) VALUES (?1, ?2, ?3)",
    )?;
    for (key, line) in lines {
        insert.execute(params![id, key, line])?;
    }
    // Only the last export of a quarter is ever compared with.
    conn.prepare_cached("DELETE FROM agenda_exports WHERE quarter = ?1 AND id < ?2")?
        .execute(params![quarter, id])?;
    Ok(id)
}

/// The last export of `quarter`, with its lines.
pub fn last_export(conn: &Connection, quarter: &str) -> Result<Option<Export>> {
    let Some((id, at, by, format)) = conn
        .prepare_cached(
            "SELECT id, exported_at, exported_by, format FROM agenda_exports
             WHERE quarter = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([quarter], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT line_key, line FROM agenda_export_lines WHERE export_id = ?1")?;
    let lines = stmt
        .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Export {
        id,
        at,
        by,
        format,
        lines,
    }))
}
