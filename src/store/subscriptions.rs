//! Subscriptions of organisers' calendars to external ICS feeds: where the
//! feed is, when to fetch it next, what the last fetch gave. Each one owns
//! its calendar (the mirror, `collections.imported`), created and deleted
//! with it. Fetching and mirroring live in `crate::import`.

use super::collections::{self, CalendarProps, NewCollection};
use super::{now, Result};
use crate::import::failure::Failure;
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    pub collection_id: i64,
    pub owner_id: i64,
    /// The owner's login and the calendar's path in its home: the mirror is
    /// at `/dav/calendars/{login}/{path}/`.
    pub login: String,
    pub path: String,
    pub display_name: Option<String>,
    pub published: bool,
    pub url: String,
    /// The interval chosen for this subscription, in seconds.
    pub every_seconds: Option<i64>,
    /// The interval the feed asked for when last downloaded, in seconds.
    pub feed_seconds: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: Option<String>,
    pub next_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    /// Failures since the last success, and when the first of them was.
    pub failures: i64,
    pub failing_since: Option<i64>,
    pub last_error: Option<String>,
    /// Its kind (`import::failure::FailureKind::code`); none for a
    /// failure recorded before migration 15.
    pub last_error_kind: Option<String>,
    /// Events the last success mirrored, and those it skipped ("UID:
    /// reason" each).
    pub events: i64,
    pub skipped: Vec<String>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT s.id, s.collection_id, c.owner_id, p.login, c.path, c.display_name,
        c.published, s.url, s.every_seconds, s.feed_seconds, s.etag, s.last_modified,
        s.content_hash, s.next_at, s.last_attempt_at, s.last_success_at, s.failures,
        s.failing_since, s.last_error, s.events, s.skipped, s.created_at, s.last_error_kind
    FROM subscriptions s JOIN collections c ON c.id = s.collection_id
         JOIN principals p ON p.id = c.owner_id";

fn from_row(row: &Row) -> rusqlite::Result<Subscription> {
    let skipped: String = row.get(20)?;
    Ok(Subscription {
        id: row.get(0)?,
        collection_id: row.get(1)?,
        owner_id: row.get(2)?,
        login: row.get(3)?,
        path: row.get(4)?,
        display_name: row.get(5)?,
        published: row.get(6)?,
        url: row.get(7)?,
        every_seconds: row.get(8)?,
        feed_seconds: row.get(9)?,
        etag: row.get(10)?,
        last_modified: row.get(11)?,
        content_hash: row.get(12)?,
        next_at: row.get(13)?,
        last_attempt_at: row.get(14)?,
        last_success_at: row.get(15)?,
        failures: row.get(16)?,
        failing_since: row.get(17)?,
        last_error: row.get(18)?,
        events: row.get(19)?,
        skipped: skipped.lines().map(str::to_owned).collect(),
        created_at: row.get(21)?,
        last_error_kind: row.get(22)?,
    })
}

fn query(
    conn: &Connection,
    condition: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Subscription>> {
    let sql = format!("{SELECT} {condition}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What a new subscription is.
pub struct NewSubscription<'a> {
    pub owner_id: i64,
    /// The calendar's path in the owner's home (must be free).
    pub path: &'a str,
    pub url: &'a str,
    pub every_seconds: Option<i64>,
    pub published: bool,
    pub display_name: &'a str,
    /// When it is first due.
    pub due_at: i64,
}

/// Creates the mirror calendar and its subscription; returns the
/// subscription's id.
pub fn create(conn: &Connection, new: &NewSubscription) -> Result<i64> {
    let props = CalendarProps {
        display_name: Some(Some(new.display_name.to_owned())),
        // Feeds hold events; to-dos and journals are not mirrored.
        components: Some(Some("VEVENT".to_owned())),
        ..CalendarProps::default()
    };
    let collection_id = collections::create(
        conn,
        new.owner_id,
        new.path,
        NewCollection::Imported {
            published: new.published,
        },
        &props,
    )?;
    conn.execute(
        "INSERT INTO subscriptions (collection_id, url, every_seconds, next_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![collection_id, new.url, new.every_seconds, new.due_at, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Subscription>> {
    Ok(query(conn, "WHERE s.id = ?1", [id])?.pop())
}

/// The subscription whose mirror is `owner_id`'s calendar `path`.
pub fn by_calendar(conn: &Connection, owner_id: i64, path: &str) -> Result<Option<Subscription>> {
    Ok(query(
        conn,
        "WHERE c.owner_id = ?1 AND c.path = ?2",
        params![owner_id, path],
    )?
    .pop())
}

/// Every subscription, by owner and calendar.
pub fn list(conn: &Connection) -> Result<Vec<Subscription>> {
    query(conn, "ORDER BY p.login, c.path", [])
}

/// One organiser's subscriptions, by calendar.
pub fn of_owner(conn: &Connection, owner_id: i64) -> Result<Vec<Subscription>> {
    query(conn, "WHERE c.owner_id = ?1 ORDER BY c.path", [owner_id])
}

/// Subscriptions failing since `since` or earlier (staff are told of feeds
/// failing for days), longest failing first.
pub fn failing_since(conn: &Connection, since: i64) -> Result<Vec<Subscription>> {
    query(
        conn,
        "WHERE s.failing_since IS NOT NULL AND s.failing_since <= ?1
         ORDER BY s.failing_since, p.login, c.path",
        [since],
    )
}

/// Ids of the subscriptions due at `time`, the most overdue first.
pub fn due(conn: &Connection, time: i64) -> Result<Vec<i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT id FROM subscriptions WHERE next_at <= ?1 ORDER BY next_at, id")?;
    let rows = stmt.query_map([time], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next subscription is due, if there is any.
pub fn next_due(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT min(next_at) FROM subscriptions")?
        .query_row([], |row| row.get(0))
        .optional()?
        .flatten())
}

/// What a download mirrored whole leaves.
pub struct Mirrored {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: String,
    pub feed_seconds: Option<i64>,
    pub events: i64,
    pub skipped: Vec<String>,
    pub next_at: i64,
}

/// Records a download mirrored whole: its validators (the next request is
/// conditional on them), what it held, and no failure any more.
pub fn record_mirrored(conn: &Connection, id: i64, done: &Mirrored) -> Result<()> {
    conn.prepare_cached(
        "UPDATE subscriptions SET etag = ?2, last_modified = ?3, content_hash = ?4,
             feed_seconds = ?5, events = ?6, skipped = ?7, next_at = ?8,
             last_attempt_at = ?9, last_success_at = ?9,
             failures = 0, failing_since = NULL, last_error = NULL, last_error_kind = NULL
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        done.etag,
        done.last_modified,
        done.content_hash,
        done.feed_seconds,
        done.events,
        done.skipped.join("\n"),
        done.next_at,
        now(),
    ])?;
    Ok(())
}

/// Records a success that changed nothing (304 Not Modified, or the same
/// bytes as last time).
pub fn record_unchanged(conn: &Connection, id: i64, next_at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE subscriptions SET next_at = ?2, last_attempt_at = ?3, last_success_at = ?3,
             failures = 0, failing_since = NULL, last_error = NULL, last_error_kind = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, next_at, now()])?;
    Ok(())
}

/// Makes a subscription due now ("mettre à jour maintenant").
pub fn due_now(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE subscriptions SET next_at = ?2 WHERE id = ?1")?
        .execute(params![id, now()])?;
    Ok(())
}

/// Points a subscription at the address its feed moved to for good (every
/// redirect on the way was permanent).
pub fn move_to(conn: &Connection, id: i64, url: &str) -> Result<()> {
    conn.prepare_cached("UPDATE subscriptions SET url = ?2 WHERE id = ?1")?
        .execute(params![id, url])?;
    Ok(())
}

/// Records a failure; the mirror stays as the last success left it.
pub fn record_failure(conn: &Connection, id: i64, failure: &Failure, next_at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE subscriptions SET failures = failures + 1,
             failing_since = coalesce(failing_since, ?4), last_error = ?2, next_at = ?3,
             last_attempt_at = ?4, last_error_kind = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        failure.text,
        next_at,
        now(),
        failure.kind.code()
    ])?;
    Ok(())
}

/// Ends a subscription and deletes its mirror (whose events leave the
/// public views and reach synced clients as deleted).
pub fn remove(conn: &Connection, subscription: &Subscription) -> Result<()> {
    collections::delete_tree(conn, subscription.owner_id, &subscription.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (Connection, i64) {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::configure_reads(&conn).unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO principals (id, login, display_name, kind, role, password_hash, created_at)
                 VALUES (1, 'asso-a', 'A', 'association', 'organiser', 'x', 0);",
        )
        .unwrap();
        let id = create(
            &conn,
            &NewSubscription {
                owner_id: 1,
                path: "club",
                url: "https://club.example/agenda.ics",
                every_seconds: None,
                published: true,
                display_name: "club",
                due_at: 100,
            },
        )
        .unwrap();
        (conn, id)
    }

    /// Staff see the feeds failing since a given time (a week ago), with
    /// when their failures began; a success clears it.
    use crate::import::failure::FailureKind;

    #[test]
    fn failing_subscriptions_are_listed_with_the_start_of_their_failures() {
        let (conn, id) = database();
        assert!(failing_since(&conn, i64::MAX).unwrap().is_empty());
        let answered = |status: u16| Failure {
            kind: FailureKind::Status(hyper::StatusCode::from_u16(status).unwrap()),
            text: format!("HTTP {status}"),
        };
        record_failure(&conn, id, &answered(500), 1_000).unwrap();
        let first = get(&conn, id).unwrap().unwrap().failing_since.unwrap();
        record_failure(&conn, id, &answered(503), 2_000).unwrap();
        let failing = failing_since(&conn, first).unwrap();
        assert_eq!(failing.len(), 1);
        let s = &failing[0];
        assert_eq!((s.failures, s.failing_since), (2, Some(first)));
        assert_eq!(s.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(s.last_error_kind.as_deref(), Some("status-503"));
        assert_eq!(
            (s.login.as_str(), s.path.as_str(), s.next_at),
            ("asso-a", "club", 2_000)
        );
        // Failing for less long than asked: not listed.
        assert!(failing_since(&conn, first - 7 * 86_400).unwrap().is_empty());
        record_unchanged(&conn, id, 3_000).unwrap();
        assert!(failing_since(&conn, i64::MAX).unwrap().is_empty());
        let s = get(&conn, id).unwrap().unwrap();
        assert_eq!((s.failures, s.last_error, s.next_at), (0, None, 3_000));
        assert_eq!(s.last_error_kind, None);
    }

    #[test]
    fn the_mirror_is_read_only_and_goes_with_its_subscription() {
        let (conn, id) = database();
        let s = get(&conn, id).unwrap().unwrap();
        let calendar = collections::get(&conn, 1, "club").unwrap().unwrap();
        assert!(calendar.imported && calendar.published && !calendar.managed);
        assert_eq!(calendar.components, vec!["VEVENT"]);
        assert_eq!(due(&conn, 99).unwrap(), Vec::<i64>::new());
        assert_eq!(due(&conn, 100).unwrap(), vec![id]);
        assert_eq!(next_due(&conn).unwrap(), Some(100));
        remove(&conn, &s).unwrap();
        assert!(get(&conn, id).unwrap().is_none());
        assert!(collections::get(&conn, 1, "club").unwrap().is_none());
        assert_eq!(next_due(&conn).unwrap(), None);
    }
}
