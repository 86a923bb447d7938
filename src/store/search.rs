//! Free-text search over events: an SQLite FTS5 table (`event_search`,
//! migration 8) holding each object's title, description, place and
//! organiser's name, one row per object (rowid = object id).
//!
//! - Case and accents do not count: the `unicode61 remove_diacritics 2`
//!   tokenizer folds both sides ("fete" finds "Fête").
//! - Kept in step with every write: `objects::put` indexes the object it
//!   writes; triggers forget deleted objects (cascades included) and follow
//!   an organiser's new name.
//! - What people type never reaches FTS5 as syntax: it is cut into words of
//!   letters and digits (the tokenizer's own idea of a word), each quoted,
//!   so quotes, `*`, `-`, `NEAR`, `OR`, `:` or parentheses are only text.
//! - Every object is indexed, public or not: the search only narrows a
//!   public selection made elsewhere (`selection`), it never selects.

use super::Result;
use crate::query::tree::{self, Component};
use rusqlite::{params, Connection};
use std::collections::HashSet;

/// The migration that makes the table, its triggers, and fills it (again,
/// when a database is migrated twice from an older version).
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS event_search USING fts5(
             title, description, location, organiser,
             tokenize = 'unicode61 remove_diacritics 2'
         );
         CREATE TRIGGER IF NOT EXISTS event_search_forget AFTER DELETE ON objects BEGIN
             DELETE FROM event_search WHERE rowid = OLD.id;
         END;
         CREATE TRIGGER IF NOT EXISTS event_search_rename AFTER UPDATE OF display_name ON principals BEGIN
             UPDATE event_search SET organiser = NEW.display_name
             WHERE rowid IN (SELECT o.id FROM objects o JOIN collections c ON c.id = o.collection_id
                             WHERE c.owner_id = NEW.id);
         END;",
    )?;
    let objects: Vec<(i64, i64, Vec<u8>)> = conn
        .prepare("SELECT id, collection_id, body FROM objects")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, collection_id, body) in objects {
        index(conn, id, collection_id, &body)?;
    }
    Ok(())
}

/// The text an object is found by: its main component's SUMMARY,
/// DESCRIPTION and LOCATION (the master, else the first component).
fn document(body: &[u8]) -> [String; 3] {
    let calendar = tree::parse(body);
    let items = || {
        calendar
            .children
            .iter()
            .filter(|c| matches!(c.name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL"))
    };
    let main: Option<&Component> = items()
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .or_else(|| items().next());
    let text = |name: &str| {
        main.and_then(|c| c.property(name))
            .map(|p| p.text_values().join(" "))
            .unwrap_or_default()
    };
    [text("SUMMARY"), text("DESCRIPTION"), text("LOCATION")]
}

/// (Re)indexes one object, with the name of its calendar's owner.
pub fn index(conn: &Connection, object_id: i64, collection_id: i64, body: &[u8]) -> Result<()> {
    let [title, description, location] = document(body);
    conn.prepare_cached("DELETE FROM event_search WHERE rowid = ?1")?
        .execute([object_id])?;
    conn.prepare_cached(
        "INSERT INTO event_search (rowid, title, description, location, organiser)
         SELECT ?1, ?2, ?3, ?4, p.display_name
         FROM collections c JOIN principals p ON p.id = c.owner_id WHERE c.id = ?5",
    )?
    .execute(params![
        object_id,
        title,
        description,
        location,
        collection_id
    ])?;
    Ok(())
}

/// Words a search may hold at most, and letters per word: a query stays
/// cheap whatever is typed.
const MAX_WORDS: usize = 12;
const MAX_WORD_CHARS: usize = 40;

/// The FTS5 query for what someone typed: every word of two characters or
/// more (single letters are the "l" of "l'été"), quoted, as a prefix
/// ("fete" finds "fêtes"), all required. `None` when nothing is left to
/// search for.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .take(MAX_WORDS)
        .map(|w| {
            let word: String = w.chars().take(MAX_WORD_CHARS).collect();
            // Only letters and digits are left: nothing to escape inside
            // the quotes.
            format!("\"{word}\"*")
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The objects a search finds, with every other copy of the same event
/// (a co-organised event is shown as its earliest copy, which must be
/// found when another organiser's copy or name matches). Only public
/// copies are searched: a word of a private copy's notes must not bring
/// out the public event that shares its UID. `None` when the text holds
/// nothing to search for: no narrowing.
pub fn matching(conn: &Connection, typed: &str) -> Result<Option<HashSet<i64>>> {
    let Some(query) = fts_query(typed) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT x.id FROM objects x
         WHERE x.uid IN (SELECT o.uid FROM objects o
                         WHERE o.id IN (SELECT rowid FROM event_search WHERE event_search MATCH ?1)
                           AND {})",
        super::views::public_object()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([query], |row| row.get(0))?;
    Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_quoted_words_only() {
        assert_eq!(
            fts_query("Fête de l'été").as_deref(),
            Some("\"Fête\"* \"de\"* \"été\"*")
        );
        assert_eq!(
            fts_query("\"loto\" NEAR(a b) -x* col:val (OR)").as_deref(),
            Some("\"loto\"* \"NEAR\"* \"col\"* \"val\"* \"OR\"*")
        );
        assert_eq!(
            fts_query("vide-grenier").as_deref(),
            Some("\"vide\"* \"grenier\"*")
        );
        assert_eq!(fts_query(" \"*- ( : "), None);
        assert_eq!(fts_query(""), None);
        let long = "a".repeat(500);
        assert_eq!(fts_query(&long).unwrap().len(), 40 + 3);
        assert_eq!(
            fts_query(&"mot ".repeat(100)).unwrap().matches('*').count(),
            12
        );
    }
}
