//! What the desk's indicators read beyond the public views: when
//! organisers and objects were created, and the conflicts once shown.

use super::Result;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// When each organiser's account was created (Unix seconds).
pub fn organisers_created(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT created_at FROM principals WHERE role = 'organiser'")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When each of `ids` was first stored (objects written before migration 8:
/// their last change then).
pub fn objects_created(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT coalesce(created_at, modified_at) FROM objects WHERE id = ?1")?;
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        if let Some(at) = stmt
            .query_row([id], |row| row.get::<_, i64>(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?
        {
            out.insert(*id, at);
        }
    }
    Ok(out)
}

/// A conflict once shown, starting in [from, to), and whether it was
/// avoided: gone now (`current` holds the keys that exist) while both its
/// events remain, one of them changed since it was shown.
pub fn shown_and_avoided(
    conn: &Connection,
    from: i64,
    to: i64,
    current: &std::collections::HashSet<String>,
) -> Result<(usize, usize)> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.conflict_key, s.seq_a, s.seq_b, a.seq, b.seq, s.object_b IS NULL
         FROM conflicts_shown s
              LEFT JOIN objects a ON a.id = s.object_a
              LEFT JOIN objects b ON b.id = s.object_b
         WHERE s.start_utc >= ?1 AND s.start_utc < ?2",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    let (mut shown, mut avoided) = (0, 0);
    while let Some(row) = rows.next()? {
        shown += 1;
        let key: String = row.get(0)?;
        let (seq_a, seq_b): (i64, Option<i64>) = (row.get(1)?, row.get(2)?);
        let (now_a, now_b): (Option<i64>, Option<i64>) = (row.get(3)?, row.get(4)?);
        let single: bool = row.get(5)?;
        let both_remain = now_a.is_some() && (single || now_b.is_some());
        let changed = now_a != Some(seq_a) || (!single && now_b != seq_b);
        if !current.contains(&key) && both_remain && changed {
            avoided += 1;
        }
    }
    Ok((shown, avoided))
}
