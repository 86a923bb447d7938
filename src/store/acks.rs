//! Conflicts acknowledged by staff.

use super::{now, Result};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// Every acknowledgement: key to the sequence numbers of both events then.
pub fn all(conn: &Connection) -> Result<HashMap<String, (i64, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT conflict_key, seq_a, seq_b FROM conflict_acks")?;
    let rows = stmt.query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn acknowledge(conn: &Connection, key: &str, seq_a: i64, seq_b: i64, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO conflict_acks (conflict_key, seq_a, seq_b, acknowledged_by, acknowledged_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (conflict_key) DO UPDATE SET seq_a = excluded.seq_a, seq_b = excluded.seq_b,
            acknowledged_by = excluded.acknowledged_by, acknowledged_at = excluded.acknowledged_at",
        params![key, seq_a, seq_b, by, now()],
    )?;
    Ok(())
}

/// Acknowledges the conflict `key` between objects `a` and `b` with their
/// current sequence numbers; false when one no longer exists.
pub fn acknowledge_current(
    conn: &Connection,
    key: &str,
    (a, b): (i64, Option<i64>),
    by: &str,
) -> Result<bool> {
    use rusqlite::OptionalExtension;
    let seq_of = |id: i64| -> Result<Option<i64>> {
        Ok(conn
            .query_row("SELECT seq FROM objects WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()?)
    };
    let Some(seq_a) = seq_of(a)? else {
        return Ok(false);
    };
    let seq_b = match b {
        Some(b) => match seq_of(b)? {
            Some(seq) => seq,
            None => return Ok(false),
        },
        None => 0,
    };
    acknowledge(conn, key, seq_a, seq_b, by)?;
    Ok(true)
}

/// Takes an acknowledgement back: the conflict is to be seen again. False
/// when it was not acknowledged.
pub fn remove(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM conflict_acks WHERE conflict_key = ?1", [key])? == 1)
}

/// A conflict shown to people (the desk, an organiser's conflicts
/// calendar): its key, start, and both events with their change numbers.
pub struct Shown {
    pub key: String,
    pub start: i64,
    pub a: (i64, i64),
    pub b: Option<(i64, i64)>,
}

/// Records conflicts shown for the first time (indicators: a conflict that
/// is gone while both events remain, one of them changed since, was
/// avoided); those known already keep their first showing.
pub fn record_shown(conn: &Connection, shown: &[Shown]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO conflicts_shown
             (conflict_key, first_shown, start_utc, object_a, object_b, seq_a, seq_b)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let at = now();
    for s in shown {
        stmt.execute(params![
            s.key,
            at,
            s.start,
            s.a.0,
            s.b.map(|b| b.0),
            s.a.1,
            s.b.map(|b| b.1)
        ])?;
    }
    Ok(())
}

/// Which of `keys` were shown already.
pub fn known_shown(conn: &Connection, keys: &[&str]) -> Result<std::collections::HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM conflicts_shown WHERE conflict_key = ?1")?;
    let mut known = std::collections::HashSet::new();
    for key in keys {
        if stmt.exists([key])? {
            known.insert((*key).to_owned());
        }
    }
    Ok(known)
}
