//! Subscriptions of organisers' calendars to external ICS feeds (a Google
//! or Outlook calendar, a federation's or a commune's website): concord
//! keeps a read-only mirror of each feed in the organiser's home, which is
//! published, feeds the intercommunal calendar and takes part in conflict
//! detection like any calendar.
//!
//! | module | job |
//! |---|---|
//! | [`feed_url`] | which URLs are accepted, webcal, redirects |
//! | [`guard`] | which addresses may be fetched (no SSRF) |
//! | [`fetch`] | the HTTP client: conditional GET, gzip, limits |
//! | [`split`] | a feed into one resource per UID |
//! | [`mirror`] | writing what changed, through the PUT write path |
//! | [`schedule`] | intervals, back-off, the polling loop |
//!
//! One [`sync`] fetches one subscription and records the outcome; a
//! failure (network, HTTP status, not iCalendar, too large) keeps the
//! mirror as the last success left it.

pub mod failure;
pub mod feed_url;
pub mod fetch;
pub mod guard;
pub mod mirror;
/// Importing a calendar file once (`/espace/importer`).
pub mod once;
pub mod schedule;
pub mod split;

use failure::{Failure, FailureKind};

use crate::config::Config;
use crate::locks::lock;
use crate::store::subscriptions::{self, Mirrored, Subscription};
use crate::store::{collections, Store, StoreError};
use fetch::{Fetched, Validators};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// What one sync did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The feed was downloaded and the mirror brought to it.
    Mirrored(mirror::Report),
    /// The server answered 304, or sent the same bytes as last time.
    Unchanged,
    /// The fetch or the feed failed; the mirror is kept.
    Failed(String),
    /// No such subscription (any more).
    Gone,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Mirrored(r) => {
                write!(
                    f,
                    "{} events: {} added, {} updated, {} deleted",
                    r.events, r.added, r.updated, r.deleted
                )?;
                if !r.skipped.is_empty() {
                    write!(f, ", {} skipped", r.skipped.len())?;
                    for line in &r.skipped {
                        write!(f, "\n  skipped {line}")?;
                    }
                }
                Ok(())
            }
            Outcome::Unchanged => f.write_str("unchanged"),
            Outcome::Failed(error) => write!(f, "failed: {error}"),
            Outcome::Gone => f.write_str("no such subscription"),
        }
    }
}

/// What a new subscription needs; the CLI, and the pages, fill it.
pub struct NewSubscription<'a> {
    pub owner: &'a crate::store::accounts::Principal,
    pub url: &'a str,
    /// The calendar's name in the owner's home; `import`, `import-2`...
    /// when not given.
    pub name: Option<&'a str>,
    /// The polling interval, in seconds, checked against the bounds.
    pub every_seconds: Option<i64>,
    pub published: bool,
    /// The caller fetches it at once itself (`import add`): the polling
    /// loop leaves it alone meanwhile, unless that fetch never records
    /// its outcome.
    pub fetched_by_caller: bool,
}

/// Why a subscription was refused; shown in English by the CLI, in
/// French by the pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not an http, https or webcal URL (the detail says why).
    #[error("{0}")]
    Url(String),
    /// A host that does not resolve, or resolves to an address the guard
    /// refuses (private, local...), or that could not be checked in time.
    #[error("{0}")]
    Address(fetch::FetchError),
    #[error("{0} is not an organiser")]
    NotOrganiser(String),
    /// Outside `[import]`'s bounds (the detail names them).
    #[error("{0}")]
    Interval(String),
    #[error("invalid calendar name {0:?}: use 2 to 64 lower-case letters, digits, '-' or '_' (not {reserved})", reserved = crate::store::accounts::RESERVED_LOGINS.join(", "))]
    Name(String),
    #[error("{login} already has a calendar or collection called {name:?}")]
    NameTaken { login: String, name: String },
    #[error("{login} is already subscribed to {url} (calendar {path:?}, subscription {id})")]
    AlreadySubscribed {
        login: String,
        url: String,
        path: String,
        id: i64,
    },
}

/// Checks, before anything is recorded, that `url` may be fetched: an
/// accepted URL whose host resolves to addresses the guard allows. The
/// CLI and the pages call it before [`subscribe`], so that a private
/// address is refused at once rather than at the first fetch (which
/// checks again, as every fetch does).
pub async fn check_address(config: &Config, url: &str) -> Result<(), Refusal> {
    let settings = fetch::Settings::from_config(config);
    fetch::check_address(&settings, url).await.map_err(refusal)
}

/// [`check_address`] without DNS (see [`fetch::check_written_address`]):
/// the first fetch resolves the host and checks its addresses.
pub fn check_written_address(config: &Config, url: &str) -> Result<(), Refusal> {
    let settings = fetch::Settings::from_config(config);
    fetch::check_written_address(&settings, url).map_err(refusal)
}

fn refusal(error: fetch::FetchError) -> Refusal {
    match error {
        fetch::FetchError::Url(message) => Refusal::Url(message),
        other => Refusal::Address(other),
    }
}

/// Checks and records a subscription and creates its (empty) mirror, due
/// at once. The outer error is the database's; the inner one is for the
/// person who asked.
pub fn subscribe(
    conn: &rusqlite::Connection,
    config: &Config,
    new: &NewSubscription,
) -> Result<Result<i64, Refusal>, StoreError> {
    use crate::store::accounts;
    let refuse = |refusal: Refusal| Ok(Err(refusal));
    if let Err(message) = feed_url::parse(new.url) {
        return refuse(Refusal::Url(message));
    }
    let login = new.owner.login.clone();
    if new.owner.role != accounts::Role::Organiser {
        return refuse(Refusal::NotOrganiser(login));
    }
    let url = new.url.trim();
    if let Some(same) = subscriptions::of_owner(conn, new.owner.id)?
        .into_iter()
        .find(|s| s.url == url)
    {
        return refuse(Refusal::AlreadySubscribed {
            login,
            url: url.to_owned(),
            path: same.path,
            id: same.id,
        });
    }
    if let Some(seconds) = new.every_seconds {
        if let Err(message) = schedule::check_every(&config.import, seconds) {
            return refuse(Refusal::Interval(message));
        }
    }
    let path = match new.name {
        Some(name) => {
            if !accounts::valid_login(name) || accounts::reserved_login(name) {
                return refuse(Refusal::Name(name.to_owned()));
            }
            if collections::get(conn, new.owner.id, name)?.is_some() {
                return refuse(Refusal::NameTaken {
                    login,
                    name: name.to_owned(),
                });
            }
            name.to_owned()
        }
        None => {
            let mut n = 1;
            loop {
                let candidate = match n {
                    1 => "import".to_owned(),
                    n => format!("import-{n}"),
                };
                if collections::get(conn, new.owner.id, &candidate)?.is_none() {
                    break candidate;
                }
                n += 1;
            }
        }
    };
    let id = subscriptions::create(
        conn,
        &subscriptions::NewSubscription {
            owner_id: new.owner.id,
            path: &path,
            url,
            every_seconds: new.every_seconds,
            published: new.published,
            display_name: &path,
            due_at: if new.fetched_by_caller {
                crate::clock::timestamp() + config.import.timeout_seconds as i64 + 60
            } else {
                crate::clock::timestamp()
            },
        },
    )?;
    Ok(Ok(id))
}

/// Fetches subscription `id` now and brings its mirror up to date.
pub async fn sync(store: &Store, config: &Config, id: i64) -> Outcome {
    match try_sync(store, config, id).await {
        Ok(outcome) => outcome,
        // The database failed: the mirror may be half written. The
        // validators and hash of that download were not recorded, so the
        // next one is compared event by event again and completes it.
        Err(error) => {
            let failure = Failure {
                kind: FailureKind::Store,
                text: format!("could not store the feed: {error}"),
            };
            let _ = record_failure(store, config, id, failure.clone()).await;
            Outcome::Failed(failure.text)
        }
    }
}

async fn try_sync(store: &Store, config: &Config, id: i64) -> Result<Outcome, StoreError> {
    let Some(subscription) = store.read(move |conn| subscriptions::get(conn, id)).await? else {
        return Ok(Outcome::Gone);
    };
    let settings = fetch::Settings::from_config(config);
    // Conditional only on a download that was mirrored whole.
    let validators = match subscription.content_hash {
        Some(_) => Validators {
            etag: subscription.etag.clone(),
            last_modified: subscription.last_modified.clone(),
        },
        None => Validators::default(),
    };
    let download = match fetch::fetch(&settings, &subscription.url, &validators).await {
        Err(error) => return record_failure(store, config, id, error.failure()).await,
        Ok(download) => download,
    };
    if let Some(url) = download.moved_to.filter(|url| *url != subscription.url) {
        tracing::info!(
            "import: subscription {id} moved permanently from {} to {url}",
            subscription.url
        );
        store
            .write(move |tx| subscriptions::move_to(tx, id, &url))
            .await?;
    }
    let (bytes, validators) = match download.fetched {
        Fetched::NotModified => return record_unchanged(store, config, &subscription).await,
        Fetched::Body { bytes, validators } => (bytes, validators),
    };
    let hash = split::digest_hex(&bytes, 16);
    let (feed_seconds, events, skipped, outcome) =
        if subscription.content_hash.as_deref() == Some(hash.as_str()) {
            // The same bytes: only the validators may have moved.
            let s = &subscription;
            (
                s.feed_seconds,
                s.events,
                s.skipped.clone(),
                Outcome::Unchanged,
            )
        } else {
            let feed = match tokio::task::spawn_blocking(move || split::split(&bytes))
                .await
                .map_err(|e| StoreError::Panicked(e.to_string()))?
            {
                Ok(feed) => feed,
                Err(error) => return record_failure(store, config, id, error).await,
            };
            let (owner_id, path) = (subscription.owner_id, subscription.path.clone());
            let Some(collection) = store
                .read(move |conn| collections::get(conn, owner_id, &path))
                .await?
                .filter(|c| c.id == subscription.collection_id)
            else {
                return Ok(Outcome::Gone);
            };
            let feed_seconds = feed.refresh_seconds;
            let limits = crate::app::ical_limits(config);
            let default_tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
            let report = mirror::apply(store, &collection, feed, &limits, default_tz).await?;
            let (events, skipped) = (report.events as i64, report.skipped.clone());
            (feed_seconds, events, skipped, Outcome::Mirrored(report))
        };
    let done = Mirrored {
        etag: validators.etag,
        last_modified: validators.last_modified,
        content_hash: hash,
        feed_seconds,
        events,
        skipped,
        next_at: next_poll(config, &subscription, feed_seconds),
    };
    store
        .write(move |tx| subscriptions::record_mirrored(tx, id, &done))
        .await?;
    Ok(outcome)
}

fn next_poll(config: &Config, subscription: &Subscription, feed_seconds: Option<i64>) -> i64 {
    let interval = schedule::interval(&config.import, subscription.every_seconds, feed_seconds);
    schedule::next_poll(crate::clock::timestamp(), interval, subscription.id)
}

async fn record_unchanged(
    store: &Store,
    config: &Config,
    subscription: &Subscription,
) -> Result<Outcome, StoreError> {
    let (id, next_at) = (
        subscription.id,
        next_poll(config, subscription, subscription.feed_seconds),
    );
    store
        .write(move |tx| subscriptions::record_unchanged(tx, id, next_at))
        .await?;
    Ok(Outcome::Unchanged)
}

async fn record_failure(
    store: &Store,
    config: &Config,
    id: i64,
    failure: Failure,
) -> Result<Outcome, StoreError> {
    let settings = config.import.clone();
    let recorded = failure.clone();
    store
        .write(move |tx| {
            let failures = subscriptions::get(tx, id)?.map_or(0, |s| s.failures) + 1;
            let next_at = schedule::retry(&settings, crate::clock::timestamp(), failures, id);
            subscriptions::record_failure(tx, id, &recorded, next_at)
        })
        .await?;
    Ok(Outcome::Failed(failure.text))
}

/// The server's import state: which subscriptions are being fetched, and
/// the signal that wakes the polling loop.
#[derive(Default)]
pub struct Imports {
    running: Arc<Mutex<HashSet<i64>>>,
    wake: tokio::sync::Notify,
}

/// A subscription being fetched; it may be fetched again once dropped.
pub struct Turn {
    running: Arc<Mutex<HashSet<i64>>>,
    id: i64,
}

impl Drop for Turn {
    fn drop(&mut self) {
        lock(&self.running).remove(&self.id);
    }
}

impl Imports {
    /// Takes subscription `id`'s turn, unless it is being fetched already.
    pub fn start(&self, id: i64) -> Option<Turn> {
        lock(&self.running).insert(id).then(|| Turn {
            running: self.running.clone(),
            id,
        })
    }

    /// Makes the polling loop look at the subscriptions now (one was added
    /// or changed in this process).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sleeps `wait`, or less when woken or when another process (the
    /// command-line tools) wrote to the database.
    async fn sleep(&self, wait: std::time::Duration, store: &Store) {
        let outside = store.outside_writes();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let step = tokio::time::sleep_until(
                deadline.min(tokio::time::Instant::now() + std::time::Duration::from_secs(1)),
            );
            tokio::select! {
                _ = step => {}
                _ = self.wake.notified() => return,
            }
            if tokio::time::Instant::now() >= deadline || store.outside_writes() != outside {
                return;
            }
        }
    }
}
