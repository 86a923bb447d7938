//! Backup and restore of the database file, and the lock that tells a
//! running server.
//!
//! A backup is one `VACUUM INTO`: a single read transaction copies a
//! consistent snapshot, whatever the server writes meanwhile (WAL readers
//! are never restarted nor blocked by commits), so it ends in a time that
//! follows the size of the database, not the write rate. The online backup
//! API it replaces started over at every commit of the server and, under
//! steady writes, never finished. The copy is written beside the target,
//! checked, made durable, then renamed over it: a backup file is always a
//! complete one.
//!
//! The server holds an advisory lock (`flock`) on `<database>.lock` while
//! it runs; the kernel drops it when the process ends, however it ends.
//! `restore` takes the same lock, so it never replaces a database a server
//! has open, and no server starts while a restore runs.

use super::{schema, Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Held by the server for as long as it runs (see the module documentation).
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the lock of the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> Result<ServerLock> {
        let path = sibling(db, ".lock");
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(ServerLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Refused(format!(
                "{} is in use: a concord server holds {}",
                db.display(),
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(io(&path, e)),
        }
    }
}

/// `<db><suffix>`, beside the database (`concord.db.lock`).
fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {error}", path.display()))
}

/// Opens an existing database without creating or migrating it.
fn open_existing(db: &Path, flags: OpenFlags) -> Result<Connection> {
    if !db.is_file() {
        return Err(StoreError::Refused(format!(
            "{} does not exist",
            db.display()
        )));
    }
    let conn = Connection::open_with_flags(db, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// `PRAGMA integrity_check`, as an error unless it says "ok" (a file too
/// damaged to be checked fails it too).
fn integrity(conn: &Connection, what: &Path) -> Result<()> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut check| {
            check
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .unwrap_or_else(|error| vec![error.to_string()]);
    if problems != ["ok"] {
        return Err(StoreError::Refused(format!(
            "{} fails the integrity check: {}",
            what.display(),
            problems.join("; ")
        )));
    }
    Ok(())
}

/// Makes a file's content, then its name in its folder, durable.
fn sync(file: &Path) -> Result<()> {
    File::open(file)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(file, e))?;
    #[cfg(unix)]
    if let Some(dir) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
    }
    Ok(())
}

/// Writes a consistent copy of the database at `db` to `target` (replaced
/// only once the copy is complete and checked); returns its size.
pub fn backup(db: &Path, target: &Path) -> Result<u64> {
    let source = open_existing(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let file_name = target
        .file_name()
        .ok_or_else(|| StoreError::Refused(format!("{} is not a file name", target.display())))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(file_name);
    partial_name.push(format!(".partial-{}", std::process::id()));
    let partial = target.with_file_name(partial_name);
    let result = (|| {
        let _ = std::fs::remove_file(&partial);
        let name = partial.to_str().ok_or_else(|| {
            StoreError::Refused(format!("{} is not valid UTF-8", partial.display()))
        })?;
        source.execute("VACUUM INTO ?1", [name])?;
        {
            let copy = open_existing(&partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            integrity(&copy, &partial)?;
        }
        sync(&partial)?;
        std::fs::rename(&partial, target).map_err(|e| io(target, e))?;
        sync(target)?;
        std::fs::metadata(target)
            .map(|m| m.len())
            .map_err(|e| io(target, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Checks that `file` is a sound concord database this version can open:
/// its integrity, its tables, and a schema version not from the future.
pub fn check(file: &Path) -> Result<()> {
    let conn = open_existing(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    integrity(&conn, file)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_objects: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'objects'",
        [],
        |r| r.get(0),
    )?;
    if !has_objects || version < 1 {
        return Err(StoreError::Refused(format!(
            "{} is not a concord database",
            file.display()
        )));
    }
    if version > schema::latest_version() {
        return Err(StoreError::Refused(format!(
            "{} comes from a newer concord (schema {version}, this one knows {}): upgrade first",
            file.display(),
            schema::latest_version()
        )));
    }
    Ok(())
}

/// Replaces the database at `db` by the backup `file`, after checking it,
/// unless a server has the database open. The database replaced is kept
/// as `<db>.before-restore` (with its `-wal`, if any). Returns where.
pub fn restore(db: &Path, file: &Path) -> Result<Option<PathBuf>> {
    check(file)?;
    let _lock = ServerLock::acquire(db)?;
    let incoming = sibling(db, ".restoring");
    let result = (|| -> Result<Option<PathBuf>> {
        std::fs::copy(file, &incoming).map_err(|e| io(&incoming, e))?;
        sync(&incoming)?;
        let kept = if db.exists() {
            let kept = sibling(db, ".before-restore");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(sibling(&kept, suffix));
            }
            std::fs::rename(db, &kept).map_err(|e| io(db, e))?;
            // The log holds committed writes not yet in the file: it goes
            // with it, and must not be replayed onto the backup.
            let wal = sibling(db, "-wal");
            if wal.exists() {
                std::fs::rename(&wal, sibling(&kept, "-wal")).map_err(|e| io(&wal, e))?;
            }
            let _ = std::fs::remove_file(sibling(db, "-shm"));
            Some(kept)
        } else {
            None
        };
        std::fs::rename(&incoming, db).map_err(|e| io(db, e))?;
        sync(db)?;
        Ok(kept)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&incoming);
    }
    let kept = result?;
    // An older backup is brought up to this version now rather than at the
    // server's start, so that a failure shows here.
    super::open_connection(db)?;
    Ok(kept)
}
