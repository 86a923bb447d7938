//! Venues and aliases staff add from the desk, on top of those of
//! `config.toml` (which stays the base: `places::territory` merges both).

use super::{now, Result};
use rusqlite::{params, Connection};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskVenue {
    pub slug: String,
    pub name: String,
    /// Commune slug.
    pub commune: String,
    pub added_by: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskAlias {
    pub alias: String,
    /// A venue of config.toml or of the desk.
    pub venue_slug: String,
    pub added_by: String,
    pub added_at: i64,
}

/// Every venue and alias added from the desk, in the order they came.
pub fn all(conn: &Connection) -> Result<(Vec<DeskVenue>, Vec<DeskAlias>)> {
    let venues = conn
        .prepare_cached(
            "SELECT slug, name, commune, added_by, added_at FROM desk_venues ORDER BY added_at, slug",
        )?
        .query_map([], |row| {
            Ok(DeskVenue {
                slug: row.get(0)?,
                name: row.get(1)?,
                commune: row.get(2)?,
                added_by: row.get(3)?,
                added_at: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let aliases = conn
        .prepare_cached(
            "SELECT alias, venue_slug, added_by, added_at FROM desk_venue_aliases
             ORDER BY added_at, alias",
        )?
        .query_map([], |row| {
            Ok(DeskAlias {
                alias: row.get(0)?,
                venue_slug: row.get(1)?,
                added_by: row.get(2)?,
                added_at: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((venues, aliases))
}

/// Adds a venue; false when the slug is taken (by another desk venue:
/// the caller checks config.toml's).
pub fn add_venue(
    conn: &Connection,
    slug: &str,
    name: &str,
    commune: &str,
    by: &str,
) -> Result<bool> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO desk_venues (slug, name, commune, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![slug, name, commune, by, now()],
    )? == 1)
}

/// Adds an alias to a venue; false when that text is an alias already.
pub fn add_alias(conn: &Connection, alias: &str, venue_slug: &str, by: &str) -> Result<bool> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO desk_venue_aliases (alias, venue_slug, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![alias, venue_slug, by, now()],
    )? == 1)
}
