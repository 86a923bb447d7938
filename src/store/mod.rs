//! Storage: SQLite behind one writer thread and a small pool of readers, so
//! no blocking database call runs on the async worker threads.
//!
//! Every write job runs inside one `BEGIN IMMEDIATE` transaction: an object,
//! its instances, its change-log entry and the collection's sync counter are
//! committed together or not at all.

pub mod accounts;
pub mod acks;
pub mod cache;
pub mod collections;
pub mod objects;
pub mod schema;
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
}

pub type Result<T> = std::result::Result<T, StoreError>;

type WriteJob = Box<dyn FnOnce(&mut Connection) + Send>;

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
    generation: AtomicU64,
    readers: Mutex<Vec<Connection>>,
    reader_slots: Semaphore,
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = open_connection(path)?;
        schema::migrate(&mut conn)?;
        let (sender, receiver) = mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("concord-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for job in receiver {
                    job(&mut conn);
                }
            })
            .map_err(|_| StoreError::WorkerGone)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")?;
            reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            readers.push(reader);
        }
        let store = Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(sender),
                readers: Mutex::new(readers),
                reader_slots: Semaphore::new(READERS),
                generation: AtomicU64::new(0),
            }),
        };
        store.watch_other_writers(path)?;
        Ok(store)
    }

    /// Runs `job` on a read-only connection, off the async workers.
    pub async fn read<T, F>(&self, job: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _slot = self
            .inner
            .reader_slots
            .acquire()
            .await
            .map_err(|_| StoreError::WorkerGone)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.readers).pop().ok_or(StoreError::WorkerGone)?;
            // One read transaction per job: every statement sees the same
            // snapshot, and SQLite takes its file locks once, not per
            // statement.
            let result = match conn.transaction() {
                Ok(tx) => {
                    let result = job(&tx);
                    let _ = tx.finish();
                    result
                }
                Err(error) => Err(error.into()),
            };
            lock(&inner.readers).push(conn);
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
        let inner = self.inner.clone();
        let boxed: WriteJob = Box::new(move |conn: &mut Connection| {
            let result = in_transaction(conn, job);
            if result.is_ok() {
                inner.generation.fetch_add(1, Ordering::Release);
            }
            let _ = reply.send(result);
        });
        lock(&self.inner.writer)
            .send(boxed)
            .map_err(|_| StoreError::WorkerGone)?;
        answer.await.map_err(|_| StoreError::WorkerGone)?
    }
}

impl Store {
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Notices commits of other processes: SQLite's `data_version` changes
    /// when another connection commits. Polled five times a second (a
    /// cheap read of shared memory); the thread ends with the store.
    fn watch_other_writers(&self, path: &Path) -> Result<()> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let weak = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("concord-watch".into())
            .spawn(move || {
                let version = |conn: &Connection| -> i64 {
                    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
                        .unwrap_or(0)
                };
                let mut last = version(&conn);
                loop {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    let Some(inner) = weak.upgrade() else { return };
                    let now = version(&conn);
                    if now != last {
                        last = now;
                        inner.generation.fetch_add(1, Ordering::Release);
                    }
                }
            })
            .map_err(|_| StoreError::WorkerGone)?;
        Ok(())
    }
}

/// Runs `job` in a `BEGIN IMMEDIATE` transaction; used by the writer thread
/// and by the command-line tools, which write without a server.
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

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
