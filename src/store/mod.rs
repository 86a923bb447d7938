//! Storage: SQLite behind one writer thread and a small pool of readers, so
//! no blocking database call runs on the async worker threads.
//!
//! Every write job runs inside a `BEGIN IMMEDIATE` transaction: an object,
//! its instances, its change-log entry and the collection's sync counter are
//! committed together or not at all. Jobs that queue up while a commit is
//! being made durable are committed together (group commit): each runs in
//! its own savepoint, so one job's failure undoes only that job, and every
//! job is answered only once the shared commit is on disk.

pub mod accounts;
pub mod acks;
pub mod activations;
pub mod agenda;
pub mod appointments;
pub mod audit;
pub mod backup;
pub mod cache;
pub mod collections;
pub mod indicators;
pub mod moderation;
pub mod objects;
pub mod owned;
pub mod registrations;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod subscriptions;
pub mod venues;
pub mod views;

use crate::locks::lock;
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::{oneshot, Semaphore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database worker stopped")]
    WorkerGone,
    #[error("the write could not be committed: {0}")]
    NotCommitted(String),
    /// A job panicked: it failed, but the connection and the writer thread
    /// it ran on live on.
    #[error("a database job panicked: {0}")]
    Panicked(String),
    /// A file could not be read or written (backup, restore, lock).
    #[error("{0}")]
    Io(String),
    /// An operation on the database file was refused, with the reason.
    #[error("{0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A write job runs in the batch's transaction and returns what to do once
/// the batch is committed (or not): answer its caller.
type WriteJob = Box<dyn FnOnce(&Transaction) -> Completion + Send>;
type Completion = Box<dyn FnOnce(&std::result::Result<(), String>) + Send>;

/// Jobs committed together at most: bounds the time a batch holds the lock.
const MAX_BATCH: usize = 64;

const READERS: usize = 4;

/// Distinct statements kept prepared per connection: parsing SQL costs more
/// than running these point queries, and rusqlite keeps only 16 by default.
const STATEMENT_CACHE: usize = 128;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<mpsc::Sender<WriteJob>>,
    /// Bumped by every committed write, ours or another process's (the
    /// command-line tools): caches compare it to know they are stale.
    generation: Arc<AtomicU64>,
    /// Moves only with the commits of other processes: the command-line
    /// tools, which change accounts and passwords.
    outside_writes: Arc<AtomicU64>,
    readers: Mutex<Vec<Connection>>,
    reader_slots: Arc<Semaphore>,
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        // Created and migrated if needed by `open_connection`.
        let conn = open_connection(path)?;
        // A checkpoint copies the log into the database file and waits for
        // the disk, stalling every write behind it: four times SQLite's
        // default log (16 MiB) makes them rarer, and each copies a page
        // written many times over only once. Measured: 1,940 -> 2,370 new
        // PUTs/s at 32 clients. (A background thread checkpointing instead
        // let the log grow without bound under steady writes.)
        conn.execute_batch("PRAGMA wal_autocheckpoint = 4000")?;
        let (sender, receiver) = mpsc::channel::<WriteJob>();
        let generation = Arc::new(AtomicU64::new(0));
        let batch_generation = generation.clone();
        let outside_writes = Arc::new(AtomicU64::new(0));
        let seen_outside_writes = outside_writes.clone();
        std::thread::Builder::new()
            .name("concord-writer".into())
            .spawn(move || {
                let mut conn = conn;
                let mut others = OtherWriters::new(&conn);
                loop {
                    match receiver.recv_timeout(OtherWriters::POLL) {
                        Ok(first) => {
                            let mut batch = vec![first];
                            while batch.len() < MAX_BATCH {
                                match receiver.try_recv() {
                                    Ok(job) => batch.push(job),
                                    Err(_) => break,
                                }
                            }
                            run_batch(&mut conn, batch, &batch_generation);
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    if others.wrote(&conn) {
                        seen_outside_writes.fetch_add(1, Ordering::Release);
                        batch_generation.fetch_add(1, Ordering::Release);
                    }
                }
            })
            .map_err(|_| StoreError::WorkerGone)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            schema::configure_reads(&reader)?;
            reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            readers.push(reader);
        }
        let store = Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(sender),
                readers: Mutex::new(readers),
                reader_slots: Arc::new(Semaphore::new(READERS)),
                generation,
                outside_writes,
            }),
        };
        Ok(store)
    }

    /// Runs `job` on a read-only connection, off the async workers.
    pub async fn read<T, F>(&self, job: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        // The slot goes into the blocking job: if the request is dropped
        // (client gone) while its job runs, the connection is still taken
        // until the job ends, and the slot must be too.
        let slot = self
            .inner
            .reader_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::WorkerGone)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let mut conn = Lease::take(&inner)?;
            // One read transaction per job: every statement sees the same
            // snapshot, and SQLite takes its file locks once, not per
            // statement. A panicking job drops (rolls back) its transaction
            // while unwinding, and its connection goes back to the pool.
            let tx = conn.transaction()?;
            let result = contained(|| job(&tx));
            let _ = tx.finish();
            result
        })
        .await
        .map_err(|_| StoreError::WorkerGone)?
    }

    /// Runs `job` in one write transaction on the writer thread; the
    /// transaction commits only if `job` returns `Ok`.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let boxed: WriteJob = Box::new(move |tx: &Transaction| -> Completion {
            let result = in_savepoint(tx, job);
            Box::new(move |committed: &std::result::Result<(), String>| {
                let result = match committed {
                    Ok(()) => result,
                    Err(message) => Err(StoreError::NotCommitted(message.clone())),
                };
                let _ = reply.send(result);
            })
        });
        lock(&self.inner.writer)
            .send(boxed)
            .map_err(|_| StoreError::WorkerGone)?;
        // Without an answer the job was dropped unrun (its batch failed).
        answer
            .await
            .map_err(|_| StoreError::NotCommitted("the write was not run".into()))?
    }
}

/// A reader connection taken from the pool, given back when dropped, even
/// by a panic: a lost connection would never come back, and after
/// `READERS` of them every read would fail.
struct Lease<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl<'a> Lease<'a> {
    fn take(inner: &'a Inner) -> Result<Lease<'a>> {
        let conn = lock(&inner.readers).pop().ok_or(StoreError::WorkerGone)?;
        Ok(Lease {
            inner,
            conn: Some(conn),
        })
    }
}

impl std::ops::Deref for Lease<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            lock(&self.inner.readers).push(conn);
        }
    }
}

/// Runs one job, turning a panic into its own failure (answered 500) so
/// that the reader pool and the writer thread outlive it. The state the
/// job leaves is undone by its caller: the read transaction or the write
/// savepoint is rolled back.
fn contained<T>(job: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(StoreError::Panicked(message))
    })
}

impl Store {
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// A number that changes when another process (the command-line
    /// tools) committed, seen within `OtherWriters::POLL`.
    pub fn outside_writes(&self) -> u64 {
        self.inner.outside_writes.load(Ordering::Acquire)
    }
}

/// Notices commits of other processes (the command-line tools) from the
/// writer's own connection, whose `data_version` changes only when another
/// connection commits: our writes do not count twice, and theirs are seen
/// within `POLL`.
struct OtherWriters {
    version: i64,
    checked: std::time::Instant,
}

impl OtherWriters {
    const POLL: std::time::Duration = std::time::Duration::from_millis(200);

    fn new(conn: &Connection) -> OtherWriters {
        OtherWriters {
            version: Self::version(conn),
            checked: std::time::Instant::now(),
        }
    }

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap_or(0)
    }

    /// Whether another process committed since the last check (checked at
    /// most once per `POLL`, a read of shared memory).
    fn wrote(&mut self, conn: &Connection) -> bool {
        if self.checked.elapsed() < Self::POLL {
            return false;
        }
        self.checked = std::time::Instant::now();
        let now = Self::version(conn);
        std::mem::replace(&mut self.version, now) != now
    }
}

/// A write batch slower than this is logged.
const SLOW_BATCH: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs a batch of jobs in one transaction and answers each after the
/// commit; the generation moves before any answer leaves, so a caller that
/// reads after its write never gets a cached answer from before it.
fn run_batch(conn: &mut Connection, batch: Vec<WriteJob>, generation: &AtomicU64) {
    let started = std::time::Instant::now();
    // Rows inserted, updated or deleted on this connection so far: a batch
    // that changed none (refused writes, failed preconditions) leaves the
    // caches alone. Every write of this process goes through here, and a
    // rolled-back savepoint still counts, which only costs a needless move.
    let changes_before = conn.total_changes();
    let jobs_count = batch.len();
    let mut ran = std::time::Duration::ZERO;
    let mut completions = Vec::with_capacity(batch.len());
    let committed = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => {
            let mut jobs = batch.into_iter();
            for job in jobs.by_ref() {
                completions.push(job(&tx));
                // Some errors (disk full, I/O) make SQLite roll the whole
                // transaction back: the remaining jobs must not run outside
                // of one.
                if tx.is_autocommit() {
                    break;
                }
            }
            // Jobs dropped without running answer "not committed".
            drop(jobs);
            ran = started.elapsed();
            if tx.is_autocommit() {
                Err("the transaction was rolled back".to_owned())
            } else {
                tx.commit().map_err(|e| e.to_string())
            }
        }
        Err(error) => {
            drop(batch);
            Err(error.to_string())
        }
    };
    if committed.is_ok() && conn.total_changes() != changes_before {
        generation.fetch_add(1, Ordering::Release);
    }
    // Every writer waits behind a slow commit (a checkpoint, a slow disk):
    // worth telling whoever runs the server.
    let took = started.elapsed();
    if took > SLOW_BATCH {
        tracing::warn!(
            "slow write: {jobs_count} job(s) ran in {ran:?}, committed in {:?}",
            took - ran
        );
    }
    for completion in completions {
        completion(&committed);
    }
}

/// Runs `job` in a savepoint of `tx`: kept if it returns `Ok`, undone
/// otherwise (the rest of the batch is not affected).
fn in_savepoint<T>(tx: &Transaction, job: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    // Prepared once per connection, like every statement of a write.
    let run = |sql: &str| tx.prepare_cached(sql)?.execute([]).map(|_| ());
    run("SAVEPOINT job")?;
    match contained(|| job(tx)) {
        Ok(value) => {
            run("RELEASE job")?;
            Ok(value)
        }
        Err(error) => {
            // After an automatic rollback there is no savepoint left.
            if !tx.is_autocommit() {
                run("ROLLBACK TO job")?;
                run("RELEASE job")?;
            }
            Err(error)
        }
    }
}

/// Runs `job` in a `BEGIN IMMEDIATE` transaction; used by the command-line
/// tools, which write without a server.
pub fn in_transaction<T>(
    conn: &mut Connection,
    job: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = job(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Opens a read-write connection with the project's settings and schema.
pub fn open_connection(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
            })?;
        }
    }
    let mut conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    schema::configure(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Unix seconds, from the server's one clock.
pub fn now() -> i64 {
    crate::clock::timestamp()
}

#[cfg(test)]
mod tests {
    use super::{Store, StoreError};

    /// A store in a temporary folder (kept while the first value lives) and
    /// a runtime shaped like the server's.
    fn fresh_store() -> (tempfile::TempDir, Store, tokio::runtime::Runtime) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.db")).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        (dir, store, runtime)
    }

    /// Writes queued together share a commit, but a failing one undoes only
    /// itself: the others are committed and answered as such.
    #[test]
    fn a_failing_write_in_a_batch_undoes_only_itself() {
        let (_dir, store, runtime) = fresh_store();
        runtime.block_on(async {
            store
                .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (n INTEGER)")?))
                .await
                .unwrap();
            let writes = (0..200).map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .write(move |tx| {
                            tx.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                            if n % 3 == 0 {
                                // Fails after having written: must leave no row.
                                tx.execute_batch("INSERT INTO missing_table VALUES (1)")?;
                            }
                            Ok(n)
                        })
                        .await
                })
            });
            let mut kept = Vec::new();
            for write in writes.collect::<Vec<_>>() {
                match write.await.unwrap() {
                    Ok(n) => kept.push(n),
                    Err(StoreError::Sqlite(_)) => {}
                    Err(other) => panic!("unexpected {other}"),
                }
            }
            let stored: Vec<i64> = store
                .read(|conn| {
                    let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n")?;
                    let rows = stmt.query_map([], |r| r.get(0))?;
                    Ok(rows.collect::<rusqlite::Result<_>>()?)
                })
                .await
                .unwrap();
            let expected: Vec<i64> = (0..200).filter(|n| n % 3 != 0).collect();
            kept.sort();
            assert_eq!(kept, expected);
            assert_eq!(stored, expected);
        });
    }

    /// A request dropped while its read runs (the client went away) must
    /// not let another request take a reader connection still in use.
    #[test]
    fn reads_of_abandoned_requests_keep_their_slot_until_they_end() {
        let (_dir, store, runtime) = fresh_store();
        runtime.block_on(async {
            let pause = |ms| {
                move |_: &rusqlite::Connection| {
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                    Ok(())
                }
            };
            let abandoned = store.read(pause(300));
            let timeout = std::time::Duration::from_millis(50);
            assert!(tokio::time::timeout(timeout, abandoned).await.is_err());
            let reads = (0..super::READERS).map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.read(pause(20)).await })
            });
            for read in reads.collect::<Vec<_>>() {
                read.await.unwrap().unwrap();
            }
        });
    }

    /// A read that panics fails alone: its connection goes back to the
    /// pool (more panics than connections, then reads still work).
    #[test]
    fn reads_that_panic_give_their_connection_back() {
        let (_dir, store, runtime) = fresh_store();
        runtime.block_on(async {
            for _ in 0..super::READERS * 3 {
                let failed = store
                    .read(|_| -> super::Result<()> { panic!("injected read panic") })
                    .await;
                assert!(matches!(failed, Err(StoreError::Panicked(_))), "{failed:?}");
            }
            let one: i64 = store
                .read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get(0))?))
                .await
                .unwrap();
            assert_eq!(one, 1);
        });
    }

    /// A write that panics fails alone: its savepoint is undone, the other
    /// jobs of its batch commit, and the writer thread takes later writes.
    #[test]
    fn a_write_that_panics_undoes_only_itself_and_the_writer_lives_on() {
        let (_dir, store, runtime) = fresh_store();
        runtime.block_on(async {
            store
                .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (n INTEGER)")?))
                .await
                .unwrap();
            // Queued together, so that most share a batch with a panic.
            let writes = (0..60).map(|n: i64| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .write(move |tx| {
                            tx.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                            if n % 4 == 0 {
                                panic!("injected write panic");
                            }
                            Ok(n)
                        })
                        .await
                })
            });
            let mut kept = Vec::new();
            for write in writes.collect::<Vec<_>>() {
                match write.await.unwrap() {
                    Ok(n) => kept.push(n),
                    Err(StoreError::Panicked(_)) => {}
                    Err(other) => panic!("unexpected {other}"),
                }
            }
            store
                .write(|tx| Ok(tx.execute("INSERT INTO t (n) VALUES (1000)", [])?))
                .await
                .unwrap();
            let stored: Vec<i64> = store
                .read(|conn| {
                    let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n")?;
                    let rows = stmt.query_map([], |r| r.get(0))?;
                    Ok(rows.collect::<rusqlite::Result<_>>()?)
                })
                .await
                .unwrap();
            let mut expected: Vec<i64> = (0..60).filter(|n| n % 4 != 0).collect();
            kept.sort();
            assert_eq!(kept, expected);
            expected.push(1000);
            assert_eq!(stored, expected);
        });
    }

    /// Caches are emptied when the generation moves: only a commit that
    /// changed rows may move it.
    #[test]
    fn only_writes_that_change_rows_move_the_generation() {
        let (_dir, store, runtime) = fresh_store();
        runtime.block_on(async {
            store
                .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (n INTEGER)")?))
                .await
                .unwrap();
            let before = store.generation();
            let changed = store
                .write(|tx| Ok(tx.execute("DELETE FROM t WHERE n = 1", [])?))
                .await
                .unwrap();
            assert_eq!(changed, 0);
            assert_eq!(store.generation(), before, "a write that changed nothing");
            store
                .write(|tx| Ok(tx.execute("INSERT INTO t (n) VALUES (1)", [])?))
                .await
                .unwrap();
            assert_ne!(store.generation(), before, "an insert");
        });
    }
}
