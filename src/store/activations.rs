//! Activation links (`/activation/{token}`): where an organiser chooses
//! its password, after approval or when it forgot it. A link opens once,
//! until it expires; a newer link of the same account replaces it. Only a
//! digest of each token is kept.

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// Links that ended this long ago are deleted when new ones are made.
const KEEP_ENDED_SECONDS: i64 = 90 * 24 * 3600;

/// What a link's token leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Usable: the account it opens.
    Open {
        principal_id: i64,
    },
    Used,
    /// Expired, or replaced by a newer link.
    Expired,
    Unknown,
}

/// Stores a new link valid `seconds` from now; the account's earlier links
/// that are still open end now.
pub fn create(
    conn: &Connection,
    token_digest: &[u8],
    principal_id: i64,
    seconds: i64,
) -> Result<i64> {
    let now = now();
    conn.execute(
        "UPDATE activation_links SET expires = ?2
         WHERE principal_id = ?1 AND used IS NULL AND expires > ?2",
        params![principal_id, now],
    )?;
    conn.execute(
        "DELETE FROM activation_links WHERE max(expires, coalesce(used, 0)) < ?1",
        params![now - KEEP_ENDED_SECONDS],
    )?;
    let expires = now + seconds;
    conn.execute(
        "INSERT INTO activation_links (token_digest, principal_id, created, expires)
         VALUES (?1, ?2, ?3, ?4)",
        params![token_digest, principal_id, now, expires],
    )?;
    Ok(expires)
}

pub fn state(conn: &Connection, token_digest: &[u8]) -> Result<State> {
    let found = conn
        .prepare_cached(
            "SELECT principal_id, expires, used FROM activation_links WHERE token_digest = ?1",
        )?
        .query_row(params![token_digest], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Option<i64>>(2)?,
            ))
        })
        .optional()?;
    Ok(match found {
        None => State::Unknown,
        Some((_, _, Some(_))) => State::Used,
        Some((_, expires, None)) if expires <= now() => State::Expired,
        Some((principal_id, _, None)) => State::Open { principal_id },
    })
}

/// Uses an open link; false when it was not open any more (used or
/// expired meanwhile).
pub fn consume(conn: &Connection, token_digest: &[u8]) -> Result<bool> {
    let now = now();
    Ok(conn.execute(
        "UPDATE activation_links SET used = ?2
         WHERE token_digest = ?1 AND used IS NULL AND expires > ?2",
        params![token_digest, now],
    )? == 1)
}
