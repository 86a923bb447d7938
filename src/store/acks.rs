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

/// Acknowledges a conflict by its key (`rule:id@rid:id@rid`) with the
/// events' current sequence numbers; false when an event no longer exists.
pub fn acknowledge_current(conn: &Connection, key: &str, by: &str) -> Result<bool> {
    let mut parts = key.split(':').skip(1);
    let seq_of = |part: Option<&str>| -> Result<Option<i64>> {
        let Some(id) = part
            .and_then(|p| p.split('@').next())
            .filter(|p| !p.is_empty())
        else {
            return Ok(Some(0));
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        use rusqlite::OptionalExtension;
        Ok(conn
            .query_row("SELECT seq FROM objects WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()?)
    };
    let (Some(seq_a), Some(seq_b)) = (seq_of(parts.next())?, seq_of(parts.next())?) else {
        return Ok(false);
    };
    if seq_a == 0 {
        return Ok(false);
    }
    acknowledge(conn, key, seq_a, seq_b, by)?;
    Ok(true)
}
