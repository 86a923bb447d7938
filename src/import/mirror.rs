//! Mirroring by UID: brings a subscription's calendar to what the feed
//! holds, through the write path of a CalDAV PUT (`crate::write::store`
//! and `remove`: the UID check, then `store::objects` writes the object,
//! its instances and its change-log entry; caches follow the store's
//! generation). Only what changed is written, so ETags and sync tokens
//! move only then.
//!
//! Validation is `ical::parse_object`, as in `write::validate`, but with
//! the feed's own zone (X-WR-TIMEZONE) for floating times rather than the
//! calendar's: the calendar only learns that zone in the transaction that
//! stores the events.
//!
//! - An event whose resource is the same but for DTSTAMP is unchanged
//!   (Google and Outlook stamp every event with the download's time).
//! - An event that fails validation is skipped and reported; if the mirror
//!   holds an earlier version of it, that one stays.
//! - An event gone from the feed is deleted.

use super::split::{without_stamps, Feed, Item};
use crate::ical::{self, CalendarObject, Limits};
use crate::store::collections::{self, CalendarProps, Collection};
use crate::store::{objects, Store, StoreError};
use crate::write::{self, Conditions, WriteError};
use std::collections::HashSet;

/// Objects written per write transaction: a large first import does not
/// hold the writer (and every client's PUT behind it) for long.
const CHUNK: usize = 250;

/// What one mirroring did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Events the feed holds (skipped ones included).
    pub events: usize,
    pub added: usize,
    pub updated: usize,
    pub deleted: usize,
    /// "UID: reason" of each event that failed validation.
    pub skipped: Vec<String>,
}

impl Report {
    pub fn changed(&self) -> bool {
        self.added + self.updated + self.deleted > 0
    }
}

/// One object to write.
struct Write {
    name: String,
    uid: String,
    body: String,
    object: CalendarObject,
    /// Not in the mirror before.
    new: bool,
}

/// Brings `collection` to `feed`'s events.
pub async fn apply(
    store: &Store,
    collection: &Collection,
    feed: Feed,
    limits: &Limits,
    default_tz: chrono_tz::Tz,
) -> Result<Report, StoreError> {
    let collection_id = collection.id;
    let mut stored = store
        .read(move |conn| objects::bodies(conn, collection_id))
        .await?;
    // The feed's zone for its floating times, when it names one concord
    // knows; the calendar keeps it (calendar-timezone-id) for later
    // expansions.
    let feed_zone = feed
        .timezone
        .as_deref()
        .and_then(|name| ical::resolve_tzid(name).map(|tz| (name.to_owned(), tz)));
    let tz = feed_zone
        .as_ref()
        .map(|(_, tz)| *tz)
        .or_else(|| collection.floating_timezone())
        .unwrap_or(default_tz);
    let props = calendar_props(collection, &feed, feed_zone.as_ref().map(|(name, _)| name));
    let mut report = Report {
        events: feed.items.len(),
        ..Report::default()
    };
    let mut seen = HashSet::new();
    let mut changed: Vec<(Item, bool)> = Vec::new();
    for item in feed.items {
        if !seen.insert(item.name.clone()) {
            report.skipped.push(format!(
                "{}: another event of the feed has the same resource name",
                item.uid
            ));
            continue;
        }
        match stored.remove(&item.name) {
            Some(old) if same_event(&old, item.body.as_bytes()) => {}
            Some(_) => changed.push((item, false)),
            None => changed.push((item, true)),
        }
    }
    // What is left of the mirror is gone from the feed.
    let deleted: Vec<String> = stored.into_keys().collect();
    let limits = limits.clone();
    let (writes, skipped, added) =
        tokio::task::spawn_blocking(move || validate(changed, tz, &limits))
            .await
            .map_err(|e| StoreError::Panicked(e.to_string()))?;
    report.added = added;
    report.updated = writes.len() - added;
    report.deleted = deleted.len();
    report.skipped.extend(skipped);
    let refused = write(store, collection_id, writes, deleted, props).await?;
    report.updated -= refused.iter().filter(|(_, new)| !new).count();
    report.added -= refused.iter().filter(|(_, new)| *new).count();
    report
        .skipped
        .extend(refused.into_iter().map(|(line, _)| line));
    Ok(report)
}

/// Whether two resources hold the same event: equal, or equal but for
/// their DTSTAMP lines.
fn same_event(old: &[u8], new: &[u8]) -> bool {
    old == new || without_stamps(old).eq(without_stamps(new))
}

/// Parses and validates each changed event as a PUT would; returns the
/// writes, the skipped events' reports, and how many writes are new.
fn validate(
    changed: Vec<(Item, bool)>,
    tz: chrono_tz::Tz,
    limits: &Limits,
) -> (Vec<Write>, Vec<String>, usize) {
    let mut writes = Vec::with_capacity(changed.len());
    let mut skipped = Vec::new();
    let mut added = 0;
    for (item, new) in changed {
        match ical::parse_object(item.body.as_bytes(), tz, limits) {
            Ok(object) => {
                added += usize::from(new);
                writes.push(Write {
                    name: item.name,
                    uid: item.uid,
                    body: item.body,
                    object,
                    new,
                });
            }
            Err(error) => skipped.push(format!("{}: {error}", item.uid)),
        }
    }
    (writes, skipped, added)
}

/// The calendar properties the feed sets, its name and zone, when they
/// differ from the calendar's.
fn calendar_props(
    collection: &Collection,
    feed: &Feed,
    zone: Option<&String>,
) -> Option<CalendarProps> {
    let differs = |new: Option<&String>, old: &Option<String>| {
        new.filter(|new| old.as_ref() != Some(*new))
            .map(|new| Some(new.clone()))
    };
    let props = CalendarProps {
        display_name: differs(feed.name.as_ref(), &collection.display_name),
        timezone_id: differs(zone, &collection.timezone_id),
        ..CalendarProps::default()
    };
    (props.display_name.is_some() || props.timezone_id.is_some()).then_some(props)
}

/// Writes in chunks, each its own transaction; the calendar's properties
/// go with the first. Returns the writes the write path refused ("UID:
/// reason", and whether the event was new).
async fn write(
    store: &Store,
    collection_id: i64,
    writes: Vec<Write>,
    deleted: Vec<String>,
    props: Option<CalendarProps>,
) -> Result<Vec<(String, bool)>, StoreError> {
    let mut props = props;
    let mut writes = writes.into_iter().peekable();
    let mut deleted = deleted.into_iter().peekable();
    let mut refused = Vec::new();
    while props.is_some() || writes.peek().is_some() || deleted.peek().is_some() {
        let puts: Vec<Write> = writes.by_ref().take(CHUNK).collect();
        let deletes: Vec<String> = deleted.by_ref().take(CHUNK - puts.len()).collect();
        let props = props.take();
        let chunk_refused = store
            .write(move |tx| {
                if let Some(props) = &props {
                    collections::update_props(tx, collection_id, props)?;
                }
                // No conditions: the mirror follows the feed whatever it
                // held (clients cannot write to it).
                let anyway = Conditions::default();
                let mut refused = Vec::new();
                for put in &puts {
                    let body = put.body.as_bytes();
                    let stored =
                        write::store(tx, collection_id, &put.name, body, &put.object, &anyway);
                    if let Err(error) = write::in_transaction(stored)? {
                        refused.push((format!("{}: {error}", put.uid), put.new));
                    }
                }
                for name in &deletes {
                    match write::in_transaction(write::remove(tx, collection_id, name, &anyway))? {
                        // Gone already: what the mirror wanted.
                        Ok(()) | Err(WriteError::NotFound) => {}
                        Err(error) => tracing::warn!("import: cannot delete {name}: {error}"),
                    }
                }
                Ok(refused)
            })
            .await?;
        refused.extend(chunk_refused);
    }
    Ok(refused)
}
