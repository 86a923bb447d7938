//! Moderation: what staff let the public see of organisers' events.
//!
//! Each organiser has a policy: `trusted` (its public events are public at
//! once) or `reviewed` (a new or changed public event waits for staff to
//! approve it). Staff may also hide any event, with a reason. None of this
//! changes an event: it is concord's own state, kept beside the objects, so
//! the organiser's own calendar always serves the bytes it sent.
//!
//! - An object written while its organiser is reviewed gets a row with
//!   `gated = 1`: only the version staff approved (`approved_seq`, the
//!   object's change number then) may be public. The version it replaces,
//!   when that one was public, is copied first (row and instances, into
//!   `moderation_snapshots`): the public keeps seeing it until staff
//!   approve the change. A new event has no such copy: the public sees
//!   nothing of it until approved.
//! - Hidden objects (`hidden = 1`) are public in no version.
//! - Withdrawing stays immediate: a deleted event, one made private or a
//!   withdrawn calendar leaves the public views at once, approved copy
//!   included.
//!
//! The public views (`views::Scope::Public`, `views::public_occurrences`)
//! apply [`VISIBLE`] to objects and add the approved copies (functions
//! below): every public output (pages, feeds, the intercommunal calendar
//! and its sync, the print agenda) inherits both from there.

use super::views::{self, FeedItem, Occurrence};
use super::{now, objects::ObjectMeta, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    Trusted,
    Reviewed,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Trusted => "trusted",
            Policy::Reviewed => "reviewed",
        }
    }

    pub fn parse(text: &str) -> Option<Policy> {
        match text {
            "trusted" => Some(Policy::Trusted),
            "reviewed" => Some(Policy::Reviewed),
            _ => None,
        }
    }
}

/// `[moderation] default_policy`, set once when the server starts: the
/// write path (`objects::put`) runs on the store's writer thread, which
/// has no configuration.
static DEFAULT_REVIEWED: AtomicBool = AtomicBool::new(false);

pub fn set_default_policy(policy: Policy) {
    DEFAULT_REVIEWED.store(policy == Policy::Reviewed, Ordering::Release);
}

pub fn default_policy() -> Policy {
    match DEFAULT_REVIEWED.load(Ordering::Acquire) {
        true => Policy::Reviewed,
        false => Policy::Trusted,
    }
}

/// SQL condition on `o` (objects): the object's current version may be
/// public as far as moderation goes. A primary-key probe into a table that
/// holds only gated and hidden objects.
pub const VISIBLE: &str = "NOT EXISTS (SELECT 1 FROM moderation m WHERE m.object_id = o.id
       AND (m.hidden = 1 OR (m.gated = 1 AND m.approved_seq IS NOT o.seq)))";

/// SQL condition on the object named `$o` (a literal alias): the public
/// sees it in some version, itself (as [`VISIBLE`] says) or its approved
/// copy while a change waits. What decides which copy of a co-organised
/// event stands for the others (`views::FIRST_COPY`, `views::co_organised`),
/// so that a waiting or hidden copy never hides another organiser's.
macro_rules! seen_by_public {
    ($o:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM moderation mo WHERE mo.object_id = ",
            $o,
            ".id AND (mo.hidden = 1 OR (mo.gated = 1 AND mo.approved_seq IS NOT ",
            $o,
            ".seq AND NOT EXISTS (SELECT 1 FROM moderation_snapshots so
                WHERE so.object_id = ",
            $o,
            ".id AND so.class = 'PUBLIC'))))"
        )
    };
}
pub(crate) use seen_by_public;

/// Joins and conditions selecting the approved copies the public sees in
/// place of their objects (`s` snapshots, `m` moderation, `o` objects,
/// `c` collections, `p` principals): the change waits, the event is not
/// hidden, and both versions are public in a published calendar.
fn snapshot_from() -> String {
    format!(
        "FROM moderation_snapshots s JOIN moderation m ON m.object_id = s.object_id
              JOIN objects o ON o.id = s.object_id
              JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE m.hidden = 0 AND m.gated = 1 AND m.approved_seq IS NOT o.seq
           AND s.class = 'PUBLIC' AND o.class = 'PUBLIC'
           AND o.collection_id IN ({}) AND {}",
        views::PUBLISHED_CALENDARS,
        views::FIRST_COPY
    )
}

/// What `objects::put` does for moderation: `before_write` looks at the
/// version being replaced, `after_write` records the new one.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gate {
    /// The calendar's organiser is reviewed: the new version waits.
    reviewed: bool,
    /// The same bytes again over a version the public may see (clients
    /// re-send unchanged events): it stays approved.
    unchanged: bool,
}

/// The effective policy of the owner of an organiser's own calendar;
/// `None` for other calendars (staff's, the conflicts calendars).
fn calendar_policy(conn: &Connection, collection_id: i64) -> Result<Option<Policy>> {
    let explicit: Option<Option<String>> = conn
        .prepare_cached(
            "SELECT p.moderation FROM collections c JOIN principals p ON p.id = c.owner_id
             WHERE c.id = ?1 AND p.role = 'organiser' AND c.managed = 0",
        )?
        .query_row([collection_id], |row| row.get(0))
        .optional()?;
    Ok(explicit.map(|p| {
        p.as_deref()
            .and_then(Policy::parse)
            .unwrap_or(default_policy())
    }))
}

pub fn before_write(
    conn: &Connection,
    collection_id: i64,
    name: &str,
    body: &[u8],
) -> Result<Gate> {
    if calendar_policy(conn, collection_id)? != Some(Policy::Reviewed) {
        return Ok(Gate::default());
    }
    let current: Option<(i64, String, bool, bool)> = conn
        .prepare_cached(
            "SELECT o.id, o.class, o.body = ?3,
                    NOT EXISTS (SELECT 1 FROM moderation m WHERE m.object_id = o.id
                                AND m.gated = 1 AND m.approved_seq IS NOT o.seq)
             FROM objects o WHERE o.collection_id = ?1 AND o.name = ?2",
        )?
        .query_row(params![collection_id, name, body], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    let mut gate = Gate {
        reviewed: true,
        unchanged: false,
    };
    if let Some((id, class, same_bytes, approved)) = current {
        if approved && same_bytes {
            gate.unchanged = true;
        } else if approved && class == "PUBLIC" {
            keep_approved_copy(conn, id)?;
        }
    }
    Ok(gate)
}

/// Copies object `id` as it stands (the approved version) unless a copy
/// is kept already.
fn keep_approved_copy(conn: &Connection, id: i64) -> Result<()> {
    let copied = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO moderation_snapshots
                 (object_id, seq, uid, component, class, summary, location, categories, status,
                  modified_at, expanded_until, body)
             SELECT id, seq, uid, component, class, summary, location, categories, status,
                    modified_at, expanded_until, body FROM objects WHERE id = ?1",
        )?
        .execute([id])?;
    if copied == 1 {
        conn.prepare_cached(
            "INSERT INTO moderation_snapshot_instances
                 (object_id, start_utc, end_utc, recurrence_id, all_day, floating, cancelled, transparent)
             SELECT object_id, start_utc, end_utc, recurrence_id, all_day, floating, cancelled, transparent
             FROM instances WHERE object_id = ?1",
        )?
        .execute([id])?;
    }
    Ok(())
}

pub fn after_write(conn: &Connection, gate: Gate, object_id: i64, seq: i64) -> Result<()> {
    if !gate.reviewed {
        return Ok(());
    }
    if gate.unchanged {
        conn.prepare_cached(
            "INSERT INTO moderation (object_id, gated, approved_seq) VALUES (?1, 1, ?2)
             ON CONFLICT (object_id) DO UPDATE SET gated = 1, approved_seq = ?2",
        )?
        .execute(params![object_id, seq])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO moderation (object_id, gated, waiting_since) VALUES (?1, 1, ?2)
             ON CONFLICT (object_id) DO UPDATE SET gated = 1, waiting_since = ?2",
        )?
        .execute(params![object_id, now()])?;
    }
    Ok(())
}

// ---- The approved copies in the public views ----

const SNAPSHOT_META: &str = "s.object_id, (s.object_id || '.ics'), s.uid, s.component, s.seq,
       length(s.body), s.modified_at, s.expanded_until";

/// The approved copy the public sees of object `id`, with its body.
pub fn public_copy(conn: &Connection, id: i64) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
    let sql = format!(
        "SELECT {SNAPSHOT_META}, s.body {} AND s.object_id = ?1",
        snapshot_from()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |row| Ok((views::meta_from_row(row)?, row.get(8)?)))
        .optional()?)
}

/// The body of object `id`'s approved copy, if it is version `seq`.
pub fn approved_body(conn: &Connection, id: i64, seq: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT body FROM moderation_snapshots WHERE object_id = ?1 AND seq = ?2")?
        .query_row([id, seq], |row| row.get(0))
        .optional()?)
}

/// Every approved copy the public sees (few: changes waiting for staff).
pub fn public_copies(conn: &Connection) -> Result<Vec<ObjectMeta>> {
    let sql = format!("SELECT {SNAPSHOT_META} {}", snapshot_from());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], views::meta_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Approved copies with an instance overlapping [start, end) (open bounds
/// when `None`), or indexed only up to before `end`.
pub fn public_copies_overlapping(
    conn: &Connection,
    component: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<ObjectMeta>> {
    let sql = format!(
        "SELECT {SNAPSHOT_META} {}
           AND (?1 IS NULL OR s.component = ?1)
           AND ((?2 IS NULL AND ?3 IS NULL)
                OR (?3 IS NOT NULL AND s.expanded_until < ?3)
                OR EXISTS (SELECT 1 FROM moderation_snapshot_instances i WHERE i.object_id = s.object_id
                    AND (?3 IS NULL OR i.start_utc < ?3)
                    AND (?2 IS NULL OR i.end_utc > ?2 OR (i.end_utc = i.start_utc AND i.start_utc >= ?2))))",
        snapshot_from()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![component, start, end], views::meta_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Bodies of every approved copy the public sees.
pub fn public_copy_bodies(conn: &Connection) -> Result<Vec<Vec<u8>>> {
    let sql = format!("SELECT s.body {} ORDER BY s.object_id", snapshot_from());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Busy instances (opaque, not cancelled events) of the approved copies
/// overlapping [start, end).
pub fn public_copy_busy(
    conn: &Connection,
    start: i64,
    end: i64,
) -> Result<Vec<super::objects::BusyInstance>> {
    let sql = format!(
        "SELECT s.object_id, s.status {} AND s.component = 'VEVENT'",
        snapshot_from()
    );
    let copies: Vec<(i64, Option<String>)> = conn
        .prepare_cached(&sql)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for (id, status) in copies {
        for (s, e, _, _, cancelled, transparent) in copy_instances(conn, id, start, end)? {
            if !cancelled && !transparent && e > start {
                out.push(super::objects::BusyInstance {
                    start: s,
                    end: e,
                    tentative: status.as_deref() == Some("TENTATIVE"),
                });
            }
        }
    }
    Ok(out)
}

/// An approved copy's instances with `start_utc < to` and `end_utc >=
/// from`: (start, end, all day, recurrence id, cancelled, transparent).
type CopyInstance = (i64, i64, bool, Option<i64>, bool, bool);

fn copy_instances(conn: &Connection, id: i64, from: i64, to: i64) -> Result<Vec<CopyInstance>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_utc, end_utc, all_day, recurrence_id, cancelled, transparent
         FROM moderation_snapshot_instances
         WHERE object_id = ?1 AND start_utc < ?3 AND end_utc >= ?2 ORDER BY start_utc",
    )?;
    let rows = stmt.query_map(params![id, from, to], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Feed items of the approved copies with an instance in [from, to),
/// only those of `organisers` (logins) when given.
pub fn public_copy_feed_items(
    conn: &Connection,
    from: i64,
    to: i64,
    organisers: &[String],
) -> Result<Vec<FeedItem>> {
    let sql = format!(
        "SELECT s.object_id, s.modified_at, coalesce(s.categories, ''), coalesce(s.summary, ''),
                s.location, s.body, {}
         {}
           AND (s.expanded_until < ?2 OR EXISTS (SELECT 1 FROM moderation_snapshot_instances i
                WHERE i.object_id = s.object_id AND i.start_utc < ?2
                  AND (i.end_utc > ?1 OR (i.end_utc = i.start_utc AND i.start_utc >= ?1))))",
        views::CARD_COLUMNS,
        snapshot_from()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![from, to])?;
    let mut cards = views::Cards::default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let card = cards.card(row, 6)?;
        if !organisers.is_empty() && !organisers.contains(&card.login) {
            continue;
        }
        out.push(FeedItem {
            id: row.get(0)?,
            modified_at: row.get(1)?,
            categories: row.get(2)?,
            summary: row.get(3)?,
            location: row.get(4)?,
            body: row.get(5)?,
            organisers: vec![card],
        });
    }
    Ok(out)
}

/// Occurrences of the approved copies overlapping [from, to), as the
/// public agenda shows them (cancelled ones included).
pub fn public_copy_occurrences(conn: &Connection, from: i64, to: i64) -> Result<Vec<Occurrence>> {
    let sql = format!(
        "SELECT s.object_id, s.seq, s.summary, s.location, coalesce(s.categories, ''), s.uid,
                s.status, {}
         {} AND s.component = 'VEVENT'",
        views::CARD_COLUMNS,
        snapshot_from()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([])?;
    let mut cards = views::Cards::default();
    let mut copies = Vec::new();
    while let Some(row) = rows.next()? {
        let text = |i: usize| -> rusqlite::Result<Option<Arc<str>>> {
            Ok(row.get_ref(i)?.as_str_or_null()?.map(Arc::from))
        };
        let id: i64 = row.get(0)?;
        let seq: i64 = row.get(1)?;
        let (summary, location) = (text(2)?, text(3)?);
        let categories = text(4)?.unwrap_or_else(|| Arc::from(""));
        let uid = text(5)?.unwrap_or_else(|| Arc::from(""));
        let tentative = row.get::<_, Option<String>>(6)?.as_deref() == Some("TENTATIVE");
        let card = cards.card(row, 7)?;
        copies.push((id, seq, summary, location, categories, uid, tentative, card));
    }
    let mut out = Vec::new();
    for (id, seq, summary, location, categories, uid, tentative, card) in copies {
        for (start, end, all_day, recurrence_id, cancelled, transparent) in
            copy_instances(conn, id, from, to)?
        {
            out.push(Occurrence {
                start,
                end,
                all_day,
                recurrence_id,
                object_id: id,
                seq,
                summary: summary.clone(),
                location: location.clone(),
                categories: categories.clone(),
                public: true,
                cancelled,
                transparent,
                uid: uid.clone(),
                tentative,
                organiser: card.clone(),
                co_organisers: None,
            });
        }
    }
    Ok(out)
}

// ---- Staff decisions ----

/// One event as the desk lists it for moderation.
#[derive(Debug, Clone)]
pub struct Listed {
    pub object_id: i64,
    pub summary: String,
    pub location: Option<String>,
    pub organiser_login: String,
    pub organiser_name: String,
    /// Its first instance (UTC), if it has one.
    pub first_start: Option<i64>,
    pub all_day: bool,
    /// When the waiting version was written, or when it was hidden.
    pub since: Option<i64>,
    /// A change to an event the public sees in its approved version.
    pub has_approved_copy: bool,
    pub hidden_reason: Option<String>,
    pub hidden_by: Option<String>,
}

const LISTED_COLUMNS: &str = "o.id, coalesce(o.summary, ''), o.location, p.login, p.display_name,
       (SELECT min(i.start_utc) FROM instances i WHERE i.object_id = o.id),
       coalesce((SELECT i.all_day FROM instances i WHERE i.object_id = o.id ORDER BY i.start_utc LIMIT 1), 0),
       EXISTS (SELECT 1 FROM moderation_snapshots s WHERE s.object_id = o.id)";

fn listed(row: &rusqlite::Row, since_at: usize) -> rusqlite::Result<Listed> {
    Ok(Listed {
        object_id: row.get(0)?,
        summary: row.get(1)?,
        location: row.get(2)?,
        organiser_login: row.get(3)?,
        organiser_name: row.get(4)?,
        first_start: row.get(5)?,
        all_day: row.get(6)?,
        has_approved_copy: row.get(7)?,
        since: row.get(since_at)?,
        hidden_reason: row.get(since_at + 1)?,
        hidden_by: row.get(since_at + 2)?,
    })
}

/// Public events whose current version waits for approval (not hidden),
/// oldest first.
pub fn waiting(conn: &Connection) -> Result<Vec<Listed>> {
    let sql = format!(
        "SELECT {LISTED_COLUMNS}, m.waiting_since, m.hidden_reason, m.hidden_by
         FROM moderation m JOIN objects o ON o.id = m.object_id
              JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE m.gated = 1 AND m.approved_seq IS NOT o.seq AND m.hidden = 0 AND o.class = 'PUBLIC'
           AND c.published = 1 AND p.disabled = 0
         ORDER BY m.waiting_since, o.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |row| listed(row, 8))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many public events wait for approval (the desk's home).
pub fn waiting_count(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM moderation m JOIN objects o ON o.id = m.object_id
                 JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
             WHERE m.gated = 1 AND m.approved_seq IS NOT o.seq AND m.hidden = 0 AND o.class = 'PUBLIC'
               AND c.published = 1 AND p.disabled = 0",
        )?
        .query_row([], |row| row.get(0))?)
}

/// Hidden events, most recently hidden first.
pub fn hidden(conn: &Connection) -> Result<Vec<Listed>> {
    let sql = format!(
        "SELECT {LISTED_COLUMNS}, m.hidden_at, m.hidden_reason, m.hidden_by
         FROM moderation m JOIN objects o ON o.id = m.object_id
              JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE m.hidden = 1 ORDER BY m.hidden_at DESC, o.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |row| listed(row, 8))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One event as a decision names it: "« Loto » (asso-a)".
fn described(conn: &Connection, object_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(o.summary, ''), p.login FROM objects o
                 JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
             WHERE o.id = ?1 AND c.managed = 0 AND p.role = 'organiser'",
        )?
        .query_row([object_id], |row| {
            let (summary, login): (String, String) = (row.get(0)?, row.get(1)?);
            Ok(format!("«\u{202f}{summary}\u{202f}» ({login})",))
        })
        .optional()?)
}

/// Tells the intercommunal calendar's sync that an object's public form
/// changed, without touching its own calendar: a change row detached from
/// any collection (as those of deleted collections are), which the
/// intercommunal view reads by object.
fn public_change(conn: &Connection, object_id: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO changes (collection_id, name, object_id, deleted)
         SELECT NULL, name, id, 0 FROM objects WHERE id = ?1",
    )?
    .execute([object_id])?;
    Ok(())
}

/// Approves the current version of an object; `None` when there is no
/// such organiser's event, else its description (for the audit log).
pub fn approve(conn: &Connection, object_id: i64, actor: &str) -> Result<Option<String>> {
    let Some(what) = described(conn, object_id)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE moderation SET approved_seq = (SELECT seq FROM objects WHERE id = ?1),
                               waiting_since = NULL
         WHERE object_id = ?1",
    )?
    .execute([object_id])?;
    conn.prepare_cached("DELETE FROM moderation_snapshots WHERE object_id = ?1")?
        .execute([object_id])?;
    public_change(conn, object_id)?;
    super::audit::record(conn, actor, "approve", &object_id.to_string(), &what, "")?;
    Ok(Some(what))
}

/// Hides an object from every public output, with a reason its organiser
/// reads.
pub fn hide(
    conn: &Connection,
    object_id: i64,
    actor: &str,
    reason: &str,
) -> Result<Option<String>> {
    let Some(what) = described(conn, object_id)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "INSERT INTO moderation (object_id, hidden, hidden_reason, hidden_by, hidden_at)
         VALUES (?1, 1, ?2, ?3, ?4)
         ON CONFLICT (object_id) DO UPDATE SET hidden = 1, hidden_reason = ?2, hidden_by = ?3,
                                               hidden_at = ?4",
    )?
    .execute(params![object_id, reason, actor, now()])?;
    public_change(conn, object_id)?;
    super::audit::record(conn, actor, "hide", &object_id.to_string(), &what, reason)?;
    Ok(Some(what))
}

/// Shows a hidden object again (subject to approval if it is gated).
pub fn unhide(conn: &Connection, object_id: i64, actor: &str) -> Result<Option<String>> {
    let Some(what) = described(conn, object_id)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE moderation SET hidden = 0, hidden_reason = NULL, hidden_by = NULL, hidden_at = NULL
         WHERE object_id = ?1",
    )?
    .execute([object_id])?;
    forget_plain_rows(conn)?;
    public_change(conn, object_id)?;
    super::audit::record(conn, actor, "unhide", &object_id.to_string(), &what, "")?;
    Ok(Some(what))
}

/// Rows that no longer say anything (neither gated nor hidden).
fn forget_plain_rows(conn: &Connection) -> Result<()> {
    conn.prepare_cached("DELETE FROM moderation WHERE gated = 0 AND hidden = 0")?
        .execute([])?;
    Ok(())
}

/// An organiser's own policy (`None`: the default applies).
pub fn policy_of(conn: &Connection, principal_id: i64) -> Result<Option<Policy>> {
    let policy: Option<String> = conn
        .prepare_cached("SELECT moderation FROM principals WHERE id = ?1")?
        .query_row([principal_id], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(policy.as_deref().and_then(Policy::parse))
}

/// Every organiser's own policy, by principal id (those without one follow
/// the default).
pub fn policies(conn: &Connection) -> Result<std::collections::HashMap<i64, Policy>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, moderation FROM principals WHERE moderation IS NOT NULL")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let (id, policy) = row?;
        if let Some(policy) = Policy::parse(&policy) {
            out.insert(id, policy);
        }
    }
    Ok(out)
}

/// Sets an organiser's policy (`None`: back to the default). An organiser
/// that becomes trusted has its waiting events published: they would be
/// public had they been written now. One that becomes reviewed keeps its
/// events as they are; its next changes wait.
pub fn set_policy(
    conn: &Connection,
    principal_id: i64,
    policy: Option<Policy>,
    actor: &str,
) -> Result<bool> {
    let Some(login) = conn
        .prepare_cached("SELECT login FROM principals WHERE id = ?1 AND role = 'organiser'")?
        .query_row([principal_id], |row| row.get::<_, String>(0))
        .optional()?
    else {
        return Ok(false);
    };
    conn.prepare_cached("UPDATE principals SET moderation = ?2 WHERE id = ?1")?
        .execute(params![principal_id, policy.map(Policy::as_str)])?;
    if policy.unwrap_or(default_policy()) == Policy::Trusted {
        let released: Vec<i64> = conn
            .prepare_cached(
                "SELECT m.object_id FROM moderation m JOIN objects o ON o.id = m.object_id
                     JOIN collections c ON c.id = o.collection_id
                 WHERE c.owner_id = ?1 AND m.gated = 1",
            )?
            .query_map([principal_id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in released {
            conn.prepare_cached("UPDATE moderation SET gated = 0, approved_seq = NULL, waiting_since = NULL WHERE object_id = ?1")?
                .execute([id])?;
            conn.prepare_cached("DELETE FROM moderation_snapshots WHERE object_id = ?1")?
                .execute([id])?;
            public_change(conn, id)?;
        }
        forget_plain_rows(conn)?;
    }
    let detail = match policy {
        Some(p) => p.as_str().to_owned(),
        None => format!("par défaut ({})", default_policy().as_str()),
    };
    super::audit::record(conn, actor, "policy", &login, &detail, "")?;
    Ok(true)
}

/// What an organiser sees of moderation on one of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventState {
    pub object_id: i64,
    /// The object's name in its calendar.
    pub name: String,
    pub summary: String,
    /// Its current version waits for staff approval.
    pub waiting: bool,
    /// Staff hid it: the reason, who, when.
    pub hidden: Option<(String, String, i64)>,
    /// Its first occurrence (UTC), 0 when it has none.
    pub start: i64,
    pub end: i64,
    pub all_day: bool,
}

/// The moderation state of every event of `owner_id` that has one
/// (waiting or hidden), for the organiser's space and its calendar.
pub fn states_of_owner(conn: &Connection, owner_id: i64) -> Result<Vec<EventState>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.name, coalesce(o.summary, ''),
                m.gated = 1 AND m.approved_seq IS NOT o.seq, m.hidden,
                coalesce(m.hidden_reason, ''), coalesce(m.hidden_by, ''), coalesce(m.hidden_at, 0),
                i.start_utc, i.end_utc, i.all_day
         FROM moderation m
              LEFT JOIN instances i ON i.rowid = (SELECT j.rowid FROM instances j
                  WHERE j.object_id = m.object_id ORDER BY j.start_utc LIMIT 1) JOIN objects o ON o.id = m.object_id
              JOIN collections c ON c.id = o.collection_id
         WHERE c.owner_id = ?1 AND (m.hidden = 1 OR (m.gated = 1 AND m.approved_seq IS NOT o.seq))
         ORDER BY o.id",
    )?;
    let rows = stmt.query_map([owner_id], |row| {
        let hidden: bool = row.get(4)?;
        Ok(EventState {
            object_id: row.get(0)?,
            name: row.get(1)?,
            summary: row.get(2)?,
            waiting: row.get(3)?,
            hidden: match hidden {
                true => Some((row.get(5)?, row.get(6)?, row.get(7)?)),
                false => None,
            },
            start: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
            end: row.get::<_, Option<i64>>(9)?.unwrap_or(0),
            all_day: row.get::<_, Option<bool>>(10)?.unwrap_or(false),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
