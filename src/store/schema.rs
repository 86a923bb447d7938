//! Versioned schema: each entry of `MIGRATIONS` moves the database one
//! `PRAGMA user_version` forward, inside one transaction.

use rusqlite::{params, Connection, Transaction};

/// One step: SQL, or Rust for what SQL cannot read (stored bodies).
enum Migration {
    Sql(&'static str),
    Rust(fn(&Transaction) -> super::Result<()>),
}
use Migration::{Rust, Sql};

const MIGRATIONS: &[Migration] = &[
    // 1: accounts, collections, objects, change log, instance index.
    Sql(r#"
    CREATE TABLE principals (
        id            INTEGER PRIMARY KEY,
        login         TEXT NOT NULL UNIQUE,
        display_name  TEXT NOT NULL,
        kind          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('organiser', 'staff', 'admin')),
        commune       TEXT,
        password_hash TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        publishes     INTEGER NOT NULL DEFAULT 1,
        email         TEXT,
        phone         TEXT,
        website       TEXT,
        -- Category slugs from config.toml, comma-separated.
        categories    TEXT,
        created_at    INTEGER NOT NULL
    );
    -- A collection inside a principal's calendar home. `path` is relative to
    -- the home ("main", "litmus/sub"); calendars hold calendar objects, plain
    -- collections only hold other collections.
    CREATE TABLE collections (
        id           INTEGER PRIMARY KEY,
        owner_id     INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        path         TEXT NOT NULL,
        is_calendar  INTEGER NOT NULL,
        display_name TEXT,
        description  TEXT,
        color        TEXT,
        sort_order   TEXT,
        timezone     TEXT,
        -- RFC 7809 calendar-timezone-id (an IANA name), as DAVx5 sends it.
        timezone_id  TEXT,
        -- Component types the calendar accepts (comma-separated); NULL: all.
        components   TEXT,
        published    INTEGER NOT NULL DEFAULT 0,
        -- The calendar made with the account cannot be deleted by its owner.
        removable    INTEGER NOT NULL DEFAULT 1,
        -- Written by the server itself (the conflicts calendar): read-only
        -- for everyone else.
        managed      INTEGER NOT NULL DEFAULT 0,
        sync_seq     INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL,
        modified_at  INTEGER NOT NULL,
        UNIQUE (owner_id, path)
    );
    -- Calendar object resources, kept byte for byte as the client sent them.
    -- AUTOINCREMENT: ids name objects in the intercommunal calendar, so an
    -- id must never be given again to another object.
    CREATE TABLE objects (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        uid           TEXT NOT NULL,
        component     TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        modified_at   INTEGER NOT NULL,
        class         TEXT NOT NULL,
        summary       TEXT,
        location      TEXT,
        categories    TEXT,
        status        TEXT,
        expanded_until INTEGER,
        -- Last: SQLite reads a row's columns in order, so metadata comes
        -- without walking through the body's overflow pages.
        body          BLOB NOT NULL,
        UNIQUE (collection_id, name),
        UNIQUE (collection_id, uid)
    );
    -- One row per change of a member (RFC 6578 sync tokens). `seq` is global,
    -- so a token names a point in time valid for every collection.
    CREATE TABLE changes (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        -- The object's id, so that views naming objects by id (the
        -- intercommunal calendar) can report deletions too.
        object_id     INTEGER NOT NULL,
        deleted       INTEGER NOT NULL
    );
    CREATE INDEX changes_by_collection ON changes (collection_id, seq);
    CREATE INDEX changes_by_name ON changes (collection_id, name, seq);
    CREATE INDEX changes_by_object ON changes (object_id, seq);
    -- Occurrences of every object in UTC, for time-range queries, feeds and
    -- conflict detection.
    CREATE TABLE instances (
        object_id     INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
        collection_id INTEGER NOT NULL,
        start_utc     INTEGER NOT NULL,
        end_utc       INTEGER NOT NULL,
        recurrence_id INTEGER,
        all_day       INTEGER NOT NULL,
        floating      INTEGER NOT NULL,
        cancelled     INTEGER NOT NULL,
        transparent   INTEGER NOT NULL
    );
    CREATE INDEX instances_by_time ON instances (collection_id, start_utc);
    CREATE INDEX instances_by_object ON instances (object_id);
    CREATE INDEX instances_by_start ON instances (start_utc);
    CREATE INDEX objects_expanded_until ON objects (expanded_until);
    -- The longest instance ever indexed: a time-range query then only
    -- scans instances starting in [start - max_span, end), whatever the
    -- size of the database. It never shrinks, which stays correct.
    CREATE TABLE index_stats (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        max_span INTEGER NOT NULL
    );
    INSERT INTO index_stats (id, max_span) VALUES (1, 0);
    -- Conflicts staff acknowledged; valid while both events keep the
    -- change sequence numbers they had then.
    CREATE TABLE conflict_acks (
        conflict_key    TEXT PRIMARY KEY,
        seq_a           INTEGER NOT NULL,
        seq_b           INTEGER NOT NULL,
        acknowledged_by TEXT NOT NULL,
        acknowledged_at INTEGER NOT NULL
    );
    "#),
    // 2: the instance scans of conflicts and of the agenda page read every
    // column they need from the index, without a lookup per instance.
    Sql(r#"
    DROP INDEX instances_by_start;
    CREATE INDEX instances_by_start ON instances
        (start_utc, end_utc, cancelled, transparent, object_id, recurrence_id, all_day);
    "#),
    // 3: changes_by_object served only the intercommunal calendar's
    // incremental sync, and badly: SQLite scanned all of it (the whole
    // change log) to group by object rather than read the changes after
    // the token by sequence number. Without it every write also updates
    // one index less.
    Sql(r#"
    DROP INDEX changes_by_object;
    "#),
    // 4: a deleted collection's change rows outlive it (collection_id
    // becomes NULL) instead of going with it, so that the intercommunal
    // calendar, which reads the last change of each object, can report its
    // events as deleted (`collections::delete_tree` adds one deletion per
    // object first). SQLite cannot change a foreign key in place: the table
    // is rebuilt, keeping the AUTOINCREMENT counter, since a sequence number
    // given again would be an ETag and a sync token given twice.
    Sql(r#"
    CREATE TABLE changes_new (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        -- NULL once the collection is deleted.
        collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
        name          TEXT NOT NULL,
        object_id     INTEGER NOT NULL,
        deleted       INTEGER NOT NULL
    );
    INSERT INTO changes_new (seq, collection_id, name, object_id, deleted)
        SELECT seq, collection_id, name, object_id, deleted FROM changes;
    DELETE FROM sqlite_sequence WHERE name = 'changes_new';
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';
    DROP TABLE changes;
    ALTER TABLE changes_new RENAME TO changes;
    CREATE INDEX changes_by_collection ON changes (collection_id, seq);
    CREATE INDEX changes_by_name ON changes (collection_id, name, seq);
    "#),
    // 5: an object is public only when every CLASS of every component is
    // PUBLIC or absent, and a second CLASS is refused at PUT. Objects
    // written before took their class from the master's first CLASS: those
    // the public rule now refuses (a `CLASS:PUBLIC` then `CLASS:PRIVATE`,
    // a private override) leave the public views, and are recorded as
    // changed so that the intercommunal calendar's next sync reports them
    // gone to clients that already hold them.
    Rust(reclassify),
    // 6: co-organised events (the same UID in several organisers'
    // calendars) are shown once in public views: finding the other copies
    // of a UID.
    Sql(r#"
    CREATE INDEX IF NOT EXISTS objects_by_uid ON objects (uid);
    "#),
    // 7: web sessions (organisers' space, staff desk). Only a digest of
    // each token is kept: a copy of the database opens no session.
    Sql(r#"
    CREATE TABLE IF NOT EXISTS sessions (
        token_digest BLOB PRIMARY KEY,
        principal_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        created      INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sessions_by_principal ON sessions (principal_id);
    "#),
    // 8: free-text search of the public agenda (`store::search`): an FTS5
    // table of every object's title, description, place and organiser,
    // filled from the stored bodies, and the triggers that keep it in step
    // with deletions and organisers' renames.
    Rust(|tx| super::search::create(tx)),
    // 9: coming forward and getting in. Registrations (`/inscription`)
    // wait for staff; approving one makes an organiser, whose public card
    // gains a description, and an activation link where it chooses its
    // password. Only a digest of each link's token is kept. Written to
    // run again harmlessly (tests move `user_version` back).
    Rust(registrations_and_activation_links),
    // 10: appointments at the permanences (issue 14). A permanence is a
    // service's bookable opening hours at one place; a booking holds one
    // resident's slot and names the private event written for it in the
    // service's calendar. Only a digest of the personal link's token is
    // kept. Retention empties name, contact and note (`anonymised`); the
    // rest stays for the indicators.
    Sql(r#"
    CREATE TABLE IF NOT EXISTS permanences (
        id             INTEGER PRIMARY KEY,
        service_id     INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        place          TEXT NOT NULL,
        -- One theme per line.
        themes         TEXT NOT NULL,
        -- Weekly opening hours, canonical text ("lun 09:00-12:00; mer 14:00-17:00").
        hours          TEXT NOT NULL,
        -- Closed dates and periods ("2026-12-24, 2026-12-28..2027-01-02").
        closed         TEXT NOT NULL DEFAULT '',
        slot_minutes   INTEGER NOT NULL CHECK (slot_minutes > 0),
        capacity       INTEGER NOT NULL CHECK (capacity > 0),
        days_ahead     INTEGER NOT NULL CHECK (days_ahead > 0),
        minutes_before INTEGER NOT NULL CHECK (minutes_before >= 0),
        -- What to bring, shown on the confirmation.
        bring          TEXT NOT NULL DEFAULT '',
        created        INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS permanences_by_service ON permanences (service_id);
    CREATE TABLE IF NOT EXISTS bookings (
        id             INTEGER PRIMARY KEY,
        -- NULL once its permanence is removed (the counts stay).
        permanence_id  INTEGER REFERENCES permanences(id) ON DELETE SET NULL,
        service_id     INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        start_utc      INTEGER NOT NULL,
        end_utc        INTEGER NOT NULL,
        theme          TEXT NOT NULL,
        name           TEXT,
        phone          TEXT,
        email          TEXT,
        commune        TEXT,
        note           TEXT,
        status         TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'missed')),
        token_digest   BLOB UNIQUE,
        -- Who booked on the resident's behalf (a phone call), if anyone.
        booked_by      INTEGER REFERENCES principals(id) ON DELETE SET NULL,
        created        INTEGER NOT NULL,
        -- The private event in the service's calendar; NULL once deleted.
        object_name    TEXT,
        anonymised     INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS bookings_by_slot ON bookings (permanence_id, start_utc);
    CREATE INDEX IF NOT EXISTS bookings_by_service ON bookings (service_id, start_utc);
    CREATE INDEX IF NOT EXISTS bookings_by_end ON bookings (anonymised, end_utc);
    "#),
    // 11: to-dos are indexed by the spans RFC 4791 9.9 gives their time
    // ranges (`ical::Instance::range_span`): those indexed before are
    // queued, and the server indexes them again when it starts
    // (`objects::reindex_queued`; it knows the zone of floating times).
    // To-dos without dates, or with CREATED alone, match ranges far from
    // their instances: they are found through an index of the to-dos.
    Sql(r#"
    CREATE INDEX IF NOT EXISTS objects_todos ON objects (collection_id) WHERE component = 'VTODO';
    CREATE TABLE IF NOT EXISTS reindex_queue (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE
    );
    INSERT OR IGNORE INTO reindex_queue (object_id) SELECT id FROM objects WHERE component = 'VTODO';
    "#),
    // 12: subscriptions of organisers' calendars to external ICS feeds
    // (src/import). Each owns one calendar, its mirror, which the server
    // fills and clients may only read (`collections.imported`); deleting
    // the calendar ends the subscription. Kept per subscription: the
    // validators of the last good download (conditional GET), when to poll
    // next, and the failures since the last success (their start, for
    // staff: feeds failing for days). Safe to run again (see `subscriptions`).
    Rust(subscriptions),
    // 13: the staff desk. Moderation (a policy per organiser; per event,
    // whether only an approved version may be public, the version staff
    // approved, and whether staff hid it, with a copy of the approved
    // version while a change waits); every staff action (the audit log,
    // which also lists moderation decisions); venues and aliases added
    // from the desk on top of config.toml's; the quarterly agenda's marks
    // and exports; feed use per day (counts only); conflicts once shown;
    // and when each object was first stored (existing objects: their
    // last change, the best that is known).
    // Written to be run again over its own result (tests move
    // user_version back to replay older migrations).
    Rust(staff_desk),
    // 14: appointments' reminders (`appointments::reminders`): one row per
    // booking reminded, with the slot it was reminded of (a booking moved
    // since is reminded again of its new slot) and the digest of the
    // personal link the reminder carries (a second link to the same
    // booking: only digests are kept, so the first cannot be sent again).
    // Safe to run again.
    Sql(r#"
    CREATE TABLE IF NOT EXISTS booking_reminders (
        booking_id   INTEGER PRIMARY KEY REFERENCES bookings(id) ON DELETE CASCADE,
        start_utc    INTEGER NOT NULL,
        sent         INTEGER NOT NULL,
        token_digest BLOB UNIQUE
    );
    CREATE INDEX IF NOT EXISTS bookings_by_start ON bookings (start_utc);
    "#),
    // 15: the kind of a subscription's last failure
    // (`import::failure::FailureKind::code`) beside its English text, so
    // that the pages say it in French without reading the text. Failures
    // recorded before keep none (a general sentence) until the next one.
    // Safe to run again.
    Rust(failure_kinds),
];

/// Migration 9 (see `MIGRATIONS`).
fn registrations_and_activation_links(tx: &Transaction) -> super::Result<()> {
    tx.execute_batch(
        r#"
    CREATE TABLE IF NOT EXISTS registrations (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        kind         TEXT NOT NULL,
        commune      TEXT,
        contact_name TEXT NOT NULL,
        email        TEXT NOT NULL,
        phone        TEXT,
        -- Category slugs from config.toml, comma-separated.
        categories   TEXT,
        description  TEXT,
        status       TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected')),
        created_at   INTEGER NOT NULL,
        decided_at   INTEGER,
        reason       TEXT,
        -- The organiser made for it (or linked to it) on approval.
        principal_id INTEGER REFERENCES principals(id) ON DELETE SET NULL
    );
    CREATE INDEX IF NOT EXISTS registrations_by_status ON registrations (status, id);
    CREATE TABLE IF NOT EXISTS activation_links (
        token_digest BLOB PRIMARY KEY,
        principal_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        created      INTEGER NOT NULL,
        expires      INTEGER NOT NULL,
        -- When the link was used: it opens nothing a second time.
        used         INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS activation_links_by_principal ON activation_links (principal_id);
    "#,
    )?;
    if !has_column(tx, "principals", "description")? {
        tx.execute_batch("ALTER TABLE principals ADD COLUMN description TEXT")?;
    }
    Ok(())
}

/// Migration 12; runs again harmlessly on a database whose version was set
/// back (SQLite cannot add a column only if it is missing).
fn subscriptions(tx: &Transaction) -> super::Result<()> {
    if !has_column(tx, "collections", "imported")? {
        tx.execute_batch(
            "ALTER TABLE collections ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    tx.execute_batch(
        r#"
    CREATE TABLE IF NOT EXISTS subscriptions (
        id              INTEGER PRIMARY KEY,
        collection_id   INTEGER NOT NULL UNIQUE REFERENCES collections(id) ON DELETE CASCADE,
        url             TEXT NOT NULL,
        -- Polling interval chosen for this subscription (seconds); NULL:
        -- the feed's REFRESH-INTERVAL / X-PUBLISHED-TTL, else the default.
        every_seconds   INTEGER,
        -- The interval the feed asked for when last downloaded.
        feed_seconds    INTEGER,
        etag            TEXT,
        last_modified   TEXT,
        -- blake2 of the last body mirrored whole: the same bytes again
        -- need no work.
        content_hash    TEXT,
        next_at         INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_success_at INTEGER,
        -- Failures since the last success, when the first of them was, and
        -- what the last one said.
        failures        INTEGER NOT NULL DEFAULT 0,
        failing_since   INTEGER,
        last_error      TEXT,
        -- Events mirrored by the last success, and those it skipped, one
        -- line each ("UID: reason").
        events          INTEGER NOT NULL DEFAULT 0,
        skipped         TEXT NOT NULL DEFAULT '',
        created_at      INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS subscriptions_by_next ON subscriptions (next_at);
    "#,
    )?;
    Ok(())
}

/// Migration 13's tables (see `MIGRATIONS`), created if missing.
const STAFF_DESK: &str = r#"    -- One row per object that moderation concerns: gated (its organiser
    -- was reviewed when it was written: only the version `approved_seq`
    -- may be public) or hidden by staff. No row: public as usual.
    CREATE TABLE IF NOT EXISTS moderation (
        object_id     INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
        gated         INTEGER NOT NULL DEFAULT 0,
        approved_seq  INTEGER,
        waiting_since INTEGER,
        hidden        INTEGER NOT NULL DEFAULT 0,
        hidden_reason TEXT,
        hidden_by     TEXT,
        hidden_at     INTEGER
    );
    -- The last approved version of a gated object whose change waits:
    -- what the public keeps seeing meanwhile (row and instances as the
    -- objects and instances tables held them).
    CREATE TABLE IF NOT EXISTS moderation_snapshots (
        object_id      INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
        seq            INTEGER NOT NULL,
        uid            TEXT NOT NULL,
        component      TEXT NOT NULL,
        class          TEXT NOT NULL,
        summary        TEXT,
        location       TEXT,
        categories     TEXT,
        status         TEXT,
        modified_at    INTEGER NOT NULL,
        expanded_until INTEGER,
        body           BLOB NOT NULL
    );
    CREATE TABLE IF NOT EXISTS moderation_snapshot_instances (
        object_id     INTEGER NOT NULL REFERENCES moderation_snapshots(object_id) ON DELETE CASCADE,
        start_utc     INTEGER NOT NULL,
        end_utc       INTEGER NOT NULL,
        recurrence_id INTEGER,
        all_day       INTEGER NOT NULL,
        floating      INTEGER NOT NULL,
        cancelled     INTEGER NOT NULL,
        transparent   INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS moderation_snapshot_instances_by_object
        ON moderation_snapshot_instances (object_id);
    -- Every staff action in the desk: who, when, what, on what, why.
    CREATE TABLE IF NOT EXISTS staff_actions (
        id      INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail  TEXT NOT NULL DEFAULT '',
        reason  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS staff_actions_by_action ON staff_actions (action, id);
    -- Venues and aliases staff added; an alias may name a venue of
    -- config.toml or of this table.
    CREATE TABLE IF NOT EXISTS desk_venues (
        slug     TEXT PRIMARY KEY,
        name     TEXT NOT NULL,
        commune  TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS desk_venue_aliases (
        alias      TEXT PRIMARY KEY,
        venue_slug TEXT NOT NULL,
        added_by   TEXT NOT NULL,
        added_at   INTEGER NOT NULL
    );
    -- The quarterly agenda: events staff put forward (cover) and their
    -- order within a day.
    CREATE TABLE IF NOT EXISTS agenda_marks (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
        featured  INTEGER NOT NULL DEFAULT 0,
        day_order INTEGER NOT NULL DEFAULT 0
    );
    -- What each export of a quarter held, to tell what changed since.
    CREATE TABLE IF NOT EXISTS agenda_exports (
        id          INTEGER PRIMARY KEY,
        quarter     TEXT NOT NULL,
        exported_at INTEGER NOT NULL,
        exported_by TEXT NOT NULL,
        format      TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS agenda_export_lines (
        export_id INTEGER NOT NULL REFERENCES agenda_exports(id) ON DELETE CASCADE,
        line_key  TEXT NOT NULL,
        line      TEXT NOT NULL,
        PRIMARY KEY (export_id, line_key)
    ) WITHOUT ROWID;
    -- Feed requests and distinct subscribers per local day; no address
    -- or user agent is ever stored.
    CREATE TABLE IF NOT EXISTS feed_use (
        day         TEXT PRIMARY KEY,
        requests    INTEGER NOT NULL,
        subscribers INTEGER NOT NULL
    );
    -- Conflicts the desk or a conflicts calendar showed, with both events'
    -- change numbers then: one that is gone while both events remain, one
    -- of them changed, was avoided.
    CREATE TABLE IF NOT EXISTS conflicts_shown (
        conflict_key TEXT PRIMARY KEY,
        first_shown  INTEGER NOT NULL,
        start_utc    INTEGER NOT NULL,
        object_a     INTEGER NOT NULL,
        object_b     INTEGER,
        seq_a        INTEGER NOT NULL,
        seq_b        INTEGER
    );
"#;

/// Migration 13: the staff desk's columns (added once) and tables.
fn staff_desk(tx: &Transaction) -> super::Result<()> {
    if !has_column(tx, "principals", "moderation")? {
        tx.execute_batch(
            "ALTER TABLE principals ADD COLUMN moderation TEXT
                 CHECK (moderation IS NULL OR moderation IN ('trusted', 'reviewed'));",
        )?;
    }
    if !has_column(tx, "objects", "created_at")? {
        tx.execute_batch(
            "ALTER TABLE objects ADD COLUMN created_at INTEGER;
             UPDATE objects SET created_at = modified_at;",
        )?;
    }
    tx.execute_batch(STAFF_DESK)?;
    Ok(())
}

/// Migration 15 (see `MIGRATIONS`).
fn failure_kinds(tx: &Transaction) -> super::Result<()> {
    if !has_column(tx, "subscriptions", "last_error_kind")? {
        tx.execute_batch("ALTER TABLE subscriptions ADD COLUMN last_error_kind TEXT")?;
    }
    Ok(())
}

/// Whether `table` has `column` (SQLite cannot add a column only if it is
/// missing: migrations that add one ask first, so they may run again).
fn has_column(tx: &Transaction, table: &str, column: &str) -> rusqlite::Result<bool> {
    tx.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?
        .exists([table, column])
}

/// Marks PRIVATE the objects indexed as public whose body is not.
fn reclassify(tx: &Transaction) -> super::Result<()> {
    let mut not_public: Vec<(i64, i64, String)> = Vec::new();
    {
        let mut stmt =
            tx.prepare("SELECT id, collection_id, name, body FROM objects WHERE class = 'PUBLIC'")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let body = row.get_ref(3)?.as_bytes().map_err(rusqlite::Error::from)?;
            if crate::query::public::public_calendar(body).is_none() {
                not_public.push((row.get(0)?, row.get(1)?, row.get(2)?));
            }
        }
    }
    let mut update = tx.prepare("UPDATE objects SET class = 'PRIVATE' WHERE id = ?1")?;
    for (id, collection_id, name) in not_public {
        update.execute(params![id])?;
        super::collections::record_change(tx, collection_id, &name, id, false)?;
    }
    Ok(())
}

/// The schema version this build migrates to.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn migrate(conn: &mut Connection) -> super::Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Moves the database forward to version `target` (tests start from older
/// versions).
fn migrate_to(conn: &mut Connection, target: usize) -> super::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let pending = MIGRATIONS.iter().enumerate().take(target);
    for (index, migration) in pending.skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        match migration {
            Sql(sql) => tx.execute_batch(sql)?,
            Rust(step) => step(&tx)?,
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Settings of a read-write connection, on top of `configure_reads`.
/// `synchronous=FULL`: a write that was acknowledged to a client survives a
/// power cut.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA journal_size_limit = 33554432;",
    )?;
    configure_reads(conn)
}

/// Settings of every connection, read-only ones included.
///
/// No memory-mapped reads (SQLite's default): each connection maps the file
/// on its own, so the server's five connections counted the database up to
/// five times in its resident size (141 MB of mapped pages for a 44 MB
/// database after the benchmark's import). Pages are copied from the
/// kernel's page cache instead, into each connection's own page cache
/// (`CACHE_KIB`), which bounds what a connection holds.
pub fn configure_reads(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -{CACHE_KIB};"
    ))
}

/// Page cache of one connection, in KiB (SQLite's default, written out so
/// that the server's memory can be reckoned: five connections).
pub const CACHE_KIB: usize = 2000;

/// Memory-mapped reads for a one-off process that scans much of the
/// database (the command-line conflict report): pages come straight from
/// the kernel's page cache instead of a read() each, which took a third of
/// a year's scan. Not for the server (see `configure_reads`).
pub fn map_for_scans(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA mmap_size = 268435456;")
}

#[cfg(test)]
mod tests {
    use super::{migrate, migrate_to};
    use rusqlite::Connection;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Migration 5 takes out of the public views the objects stored as
    /// public whose body carries a CLASS other than PUBLIC anywhere.
    #[test]
    fn objects_with_a_private_class_anywhere_become_private() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::configure_reads(&conn).unwrap();
        migrate_to(&mut conn, 4).unwrap();
        conn.execute_batch(
            "INSERT INTO principals (id, login, display_name, kind, role, password_hash, created_at)
                 VALUES (1, 'asso-a', 'A', 'association', 'organiser', 'x', 0);
             INSERT INTO collections (id, owner_id, path, is_calendar, created_at, modified_at)
                 VALUES (1, 1, 'main', 1, 0, 0);",
        )
        .unwrap();
        let bodies = [
            ("two.ics", "CLASS:PUBLIC\r\nCLASS:PRIVATE\r\n", "PUBLIC"),
            ("plain.ics", "", "PUBLIC"),
            ("public.ics", "CLASS:PUBLIC\r\n", "PUBLIC"),
            ("private.ics", "CLASS:PRIVATE\r\n", "PRIVATE"),
        ];
        for (name, class, indexed) in bodies {
            let body = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{name}\r\n{class}END:VEVENT\r\nEND:VCALENDAR\r\n"
            );
            conn.execute(
                "INSERT INTO objects (collection_id, name, uid, component, seq, modified_at, class, body)
                 VALUES (1, ?1, ?1, 'VEVENT', 1, 0, ?2, ?3)",
                rusqlite::params![name, indexed, body.into_bytes()],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let class = |name: &str| -> String {
            conn.query_row("SELECT class FROM objects WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(class("two.ics"), "PRIVATE");
        assert_eq!(class("plain.ics"), "PUBLIC");
        assert_eq!(class("public.ics"), "PUBLIC");
        assert_eq!(class("private.ics"), "PRIVATE");
        // Only the reclassified object is recorded as changed.
        let changed: Vec<String> = conn
            .prepare("SELECT name FROM changes")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(changed, vec!["two.ics"]);
    }

    /// Tests move `user_version` back to 4 to replay later migrations
    /// on stored data: those must run again without failing.
    #[test]
    fn migrations_after_the_fourth_run_again_harmlessly() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::configure_reads(&conn).unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch("PRAGMA user_version = 4").unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(
            count(&conn, "PRAGMA user_version"),
            super::MIGRATIONS.len() as i64
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM pragma_table_info('principals') WHERE name = 'description'"
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM pragma_table_info('collections') WHERE name = 'imported'"
            ),
            1
        );
    }

    /// Migration 4 rebuilds the change log: its rows stay, and no sequence
    /// number is given twice (they are ETags and sync tokens), not even
    /// that of a row already gone with its collection.
    #[test]
    fn rebuilding_the_change_log_keeps_rows_and_sequence() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::configure_reads(&conn).unwrap();
        migrate_to(&mut conn, 3).unwrap();
        conn.execute_batch(
            "INSERT INTO principals (id, login, display_name, kind, role, password_hash, created_at)
                 VALUES (1, 'asso-a', 'A', 'association', 'organiser', 'x', 0);
             INSERT INTO collections (id, owner_id, path, is_calendar, created_at, modified_at)
                 VALUES (1, 1, 'main', 1, 0, 0), (2, 1, 'old', 1, 0, 0);
             INSERT INTO changes (collection_id, name, object_id, deleted)
                 VALUES (1, 'a.ics', 1, 0), (2, 'b.ics', 2, 0), (2, 'c.ics', 3, 0);
             DELETE FROM collections WHERE id = 2;",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(
            count(&conn, "PRAGMA user_version"),
            super::MIGRATIONS.len() as i64
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM changes"), 1);
        conn.execute_batch(
            "INSERT INTO changes (collection_id, name, object_id, deleted) VALUES (1, 'd.ics', 4, 0)",
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 4);
        // Deleting a collection now keeps its rows, detached.
        conn.execute_batch("DELETE FROM collections WHERE id = 1")
            .unwrap();
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM changes WHERE collection_id IS NULL"
            ),
            2
        );
    }
}
