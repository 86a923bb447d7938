//! Collections inside calendar homes: calendars and plain WebDAV collections.

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone)]
pub struct Collection {
    pub id: i64,
    pub owner_id: i64,
    /// Path below the owner's calendar home, without slashes at the ends.
    pub path: String,
    pub is_calendar: bool,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub color: Option<String>,
    pub sort_order: Option<String>,
    pub timezone: Option<String>,
    pub timezone_id: Option<String>,
    /// Component types accepted (e.g. ["VTODO"]); empty means all.
    pub components: Vec<String>,
    pub published: bool,
    /// False for the calendar created with the account.
    pub removable: bool,
    /// Written by the server (the conflicts calendar), read-only to clients.
    pub managed: bool,
    /// The mirror of an external feed (a subscription, `store::subscriptions`):
    /// written by the server, read-only to clients, otherwise an ordinary
    /// calendar of its owner (published, in conflict detection).
    pub imported: bool,
    /// Last change-log sequence number of a member: ctag and sync token.
    pub sync_seq: i64,
    pub created_at: i64,
    pub modified_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewCollection {
    /// The calendar made with an organiser's account: published, permanent.
    AccountCalendar,
    /// A calendar made by its owner: published when it is the owner's
    /// first, otherwise not until its owner or staff says so.
    Calendar,
    /// An ordinary WebDAV collection.
    Plain,
    /// The conflicts calendar, written by the server.
    Managed,
    /// The mirror of an external feed, published unless told otherwise.
    Imported { published: bool },
}

/// The properties a client may set on a calendar (PROPPATCH, MKCALENDAR).
#[derive(Debug, Default, Clone)]
pub struct CalendarProps {
    pub display_name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub color: Option<Option<String>>,
    pub sort_order: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub timezone_id: Option<Option<String>>,
    /// Set once, at creation (MKCALENDAR's supported-calendar-component-set).
    pub components: Option<Option<String>>,
}

const COLUMNS: &str =
    "id, owner_id, path, is_calendar, display_name, description, color, removable, \
     sort_order, timezone, published, sync_seq, created_at, modified_at, components, managed, timezone_id, imported";

fn from_row(row: &Row) -> rusqlite::Result<Collection> {
    Ok(Collection {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        path: row.get(2)?,
        is_calendar: row.get(3)?,
        display_name: row.get(4)?,
        description: row.get(5)?,
        color: row.get(6)?,
        removable: row.get(7)?,
        sort_order: row.get(8)?,
        timezone: row.get(9)?,
        published: row.get(10)?,
        sync_seq: row.get(11)?,
        created_at: row.get(12)?,
        modified_at: row.get(13)?,
        components: row
            .get::<_, Option<String>>(14)?
            .map(|list| list.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        managed: row.get(15)?,
        timezone_id: row.get(16)?,
        imported: row.get(17)?,
    })
}

pub fn get(conn: &Connection, owner_id: i64, path: &str) -> Result<Option<Collection>> {
    let sql = format!("SELECT {COLUMNS} FROM collections WHERE owner_id = ?1 AND path = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![owner_id, path], from_row)
        .optional()?)
}

/// Every collection of an owner, by path.
pub fn all_of(conn: &Connection, owner_id: i64) -> Result<Vec<Collection>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collections WHERE owner_id = ?1 ORDER BY path COLLATE BINARY"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let all = stmt.query_map([owner_id], from_row)?;
    Ok(all.collect::<rusqlite::Result<_>>()?)
}

/// Direct children of `parent` ("" for the calendar home itself).
pub fn children(conn: &Connection, owner_id: i64, parent: &str) -> Result<Vec<Collection>> {
    Ok(all_of(conn, owner_id)?
        .into_iter()
        .filter(|c| parent_of(&c.path) == parent)
        .collect())
}

pub fn parent_of(path: &str) -> &str {
    path.rsplit_once('/')
        .map(|(parent, _)| parent)
        .unwrap_or("")
}

pub fn create(
    conn: &Connection,
    owner_id: i64,
    path: &str,
    kind: NewCollection,
    props: &CalendarProps,
) -> Result<i64> {
    let time = now();
    let (is_calendar, published, removable) = match kind {
        NewCollection::AccountCalendar => (true, true, false),
        NewCollection::Calendar => (true, !has_calendar(conn, owner_id)?, true),
        NewCollection::Plain => (false, false, true),
        NewCollection::Managed => (true, false, false),
        // Removed with its subscription, not by a client.
        NewCollection::Imported { published } => (true, published, false),
    };
    let managed = kind == NewCollection::Managed;
    let imported = matches!(kind, NewCollection::Imported { .. });
    conn.execute(
        "INSERT INTO collections (owner_id, path, is_calendar, published, removable, managed, imported, created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![owner_id, path, is_calendar, published, removable, managed, imported, time],
    )?;
    let id = conn.last_insert_rowid();
    update_props(conn, id, props)?;
    Ok(id)
}

pub fn update_props(conn: &Connection, id: i64, props: &CalendarProps) -> Result<()> {
    let columns = [
        ("display_name", &props.display_name),
        ("description", &props.description),
        ("color", &props.color),
        ("sort_order", &props.sort_order),
        ("timezone", &props.timezone),
        ("timezone_id", &props.timezone_id),
        ("components", &props.components),
    ];
    for (column, value) in columns {
        if let Some(value) = value {
            // Column names come from the fixed list above, never from input.
            let sql =
                format!("UPDATE collections SET {column} = ?2, modified_at = ?3 WHERE id = ?1");
            conn.execute(&sql, params![id, value, now()])?;
        }
    }
    Ok(())
}

/// Deletes a collection and everything below it (objects and instances go
/// with it through foreign keys). Its change log stays, detached from it
/// (schema migration 4), with a deletion recorded for every object it held
/// last: the intercommunal calendar, which outlives it, reports them to
/// clients that synced before. The log's other rows of the collection are
/// dropped, as no view reads them any more: a view reading by object sees
/// the deletion, the last change of each object.
pub fn delete_tree(conn: &Connection, owner_id: i64, path: &str) -> Result<()> {
    let prefix = format!("{path}/");
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM collections
             WHERE owner_id = ?1 AND (path = ?2 OR substr(path, 1, length(?3)) = ?3)",
        )?
        .query_map(params![owner_id, path, prefix], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        conn.prepare_cached("DELETE FROM changes WHERE collection_id = ?1 AND deleted = 0")?
            .execute([id])?;
        conn.prepare_cached(
            "INSERT INTO changes (collection_id, name, object_id, deleted)
             SELECT collection_id, name, id, 1 FROM objects WHERE collection_id = ?1 ORDER BY name",
        )?
        .execute([id])?;
        conn.prepare_cached("DELETE FROM collections WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(())
}

/// Records a change of member `name` and returns its sequence number, which
/// becomes the member's ETag and the collection's new sync token.
pub fn record_change(
    conn: &Connection,
    collection_id: i64,
    name: &str,
    object_id: i64,
    deleted: bool,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO changes (collection_id, name, object_id, deleted) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![collection_id, name, object_id, deleted])?;
    let seq = conn.last_insert_rowid();
    conn.prepare_cached("UPDATE collections SET sync_seq = ?2, modified_at = ?3 WHERE id = ?1")?
        .execute(params![collection_id, seq, now()])?;
    Ok(seq)
}

/// Names changed after `since`, each with its last change and whether that
/// change deleted it, oldest first.
pub fn changes_since(
    conn: &Connection,
    collection_id: i64,
    since: i64,
) -> Result<Vec<(String, i64, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, seq, deleted FROM changes
         WHERE collection_id = ?1 AND seq > ?2
         AND seq = (SELECT max(seq) FROM changes c2 WHERE c2.collection_id = ?1 AND c2.name = changes.name)
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![collection_id, since], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks every member of a collection as changed (without changing the
/// members): views that depend on the collection's flags, such as the
/// intercommunal calendar, then report them on their next sync.
pub fn touch_members(conn: &Connection, collection_id: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO changes (collection_id, name, object_id, deleted)
         SELECT collection_id, name, id, 0 FROM objects WHERE collection_id = ?1 ORDER BY name",
        [collection_id],
    )?;
    conn.execute(
        "UPDATE collections SET sync_seq = (SELECT coalesce(max(seq), 0) FROM changes WHERE collection_id = ?1),
                                modified_at = ?2 WHERE id = ?1",
        params![collection_id, now()],
    )?;
    Ok(())
}

/// Publishes or withdraws a calendar; false when it does not exist.
pub fn set_published(
    conn: &Connection,
    owner_id: i64,
    path: &str,
    published: bool,
) -> Result<bool> {
    let Some(collection) = get(conn, owner_id, path)? else {
        return Ok(false);
    };
    if !collection.is_calendar {
        return Ok(false);
    }
    if collection.published != published {
        conn.execute(
            "UPDATE collections SET published = ?2 WHERE id = ?1",
            params![collection.id, published],
        )?;
        touch_members(conn, collection.id)?;
    }
    Ok(true)
}

/// Touches every calendar of an owner (its publishing flags changed).
pub fn touch_owner(conn: &Connection, owner_id: i64) -> Result<()> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM collections WHERE owner_id = ?1 AND is_calendar = 1")?
        .query_map([owner_id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        touch_members(conn, id)?;
    }
    Ok(())
}

/// An owner's own calendars (not the ones the server writes), by path.
pub fn calendars_of(conn: &Connection, owner_id: i64) -> Result<Vec<Collection>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collections WHERE owner_id = ?1 AND is_calendar = 1 AND managed = 0
         ORDER BY path"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([owner_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn has_calendar(conn: &Connection, owner_id: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM collections WHERE owner_id = ?1 AND is_calendar = 1 AND managed = 0 LIMIT 1",
            [owner_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The components a calendar may hold when it names none.
pub const COMPONENTS: &[&str] = &["VEVENT", "VTODO", "VJOURNAL"];

impl Collection {
    /// The components this calendar accepts
    /// (supported-calendar-component-set).
    pub fn accepted_components(&self) -> impl Iterator<Item = &str> {
        let all = self.components.is_empty();
        COMPONENTS
            .iter()
            .copied()
            .filter(move |c| all || self.components.iter().any(|x| x == c))
    }

    pub fn accepts(&self, component: &str) -> bool {
        self.accepted_components().any(|c| c == component)
    }

    /// The time zone of floating times in this calendar, if it names one:
    /// calendar-timezone-id, else the VTIMEZONE of calendar-timezone.
    pub fn floating_timezone(&self) -> Option<chrono_tz::Tz> {
        floating_timezone(self.timezone_id.as_deref(), self.timezone.as_deref())
    }
}

/// The zone of floating times from a calendar's `timezone_id` and
/// `timezone` columns (see [`Collection::floating_timezone`]).
pub fn floating_timezone(
    timezone_id: Option<&str>,
    timezone: Option<&str>,
) -> Option<chrono_tz::Tz> {
    timezone_id
        .and_then(crate::ical::resolve_tzid)
        .or_else(|| timezone.and_then(crate::ical::calendar_timezone))
}
