//! Web sessions: a digest of each session token, its account and when it
//! was last used. A session lapses after `IDLE_SECONDS` without use, and
//! with its account (deleted, disabled or given a new password).

use super::accounts::{self, Principal};
use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// Thirty days without use.
pub const IDLE_SECONDS: i64 = 30 * 24 * 3600;

/// `last_seen` is rewritten at most this often: a page view is a read, not
/// a write, for almost every request.
const TOUCH_AFTER_SECONDS: i64 = 3600;

pub fn create(conn: &Connection, token_digest: &[u8], principal_id: i64) -> Result<()> {
    let now = now();
    conn.execute(
        "INSERT INTO sessions (token_digest, principal_id, created, last_seen) VALUES (?1, ?2, ?3, ?3)",
        params![token_digest, principal_id, now],
    )?;
    // Lapsed sessions go when new ones come: no timer needed.
    conn.execute(
        "DELETE FROM sessions WHERE last_seen < ?1",
        params![now - IDLE_SECONDS],
    )?;
    Ok(())
}

/// A live session's account (enabled), and whether its `last_seen` is old
/// enough to be refreshed (`touch`).
pub fn find(conn: &Connection, token_digest: &[u8]) -> Result<Option<(Principal, bool)>> {
    let now = now();
    let found = conn
        .query_row(
            "SELECT principal_id, last_seen FROM sessions WHERE token_digest = ?1",
            params![token_digest],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )
        .optional()?;
    let Some((principal_id, last_seen)) = found else {
        return Ok(None);
    };
    if last_seen < now - IDLE_SECONDS {
        return Ok(None);
    }
    let principal = accounts::by_id(conn, principal_id)?.filter(|p| !p.disabled);
    Ok(principal.map(|p| (p, last_seen < now - TOUCH_AFTER_SECONDS)))
}

pub fn touch(conn: &Connection, token_digest: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen = ?2 WHERE token_digest = ?1",
        params![token_digest, now()],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, token_digest: &[u8]) -> Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_digest = ?1",
        params![token_digest],
    )?;
    Ok(())
}

/// Ends every session of an account (new password, account disabled).
pub fn delete_all_of(conn: &Connection, principal_id: i64) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE principal_id = ?1",
        params![principal_id],
    )?)
}
