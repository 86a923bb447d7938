//! The one way calendar objects are written, whoever writes them: a CalDAV
//! PUT or DELETE, the organisers' event form, an `.ics` import. Each write
//! is validated and indexed by `ical`, then stored by `store` in one
//! transaction (object, instances, change-log entry, collection sync
//! counter), under the caller's `If-Match`/`If-None-Match` conditions,
//! checked again inside that transaction. Everything derived from stored
//! objects (DAV caches, feeds, conflicts calendars) follows the store's
//! generation, which the commit moves: nothing else needs telling.
//!
//! Protocol layers (dav, web) call this and map its errors to their own
//! answers; it knows nothing of HTTP.

use crate::app::App;
use crate::ical::{self, CalendarObject, IcalError};
use crate::store::collections::Collection;
use crate::store::{objects, StoreError};
use bytes::Bytes;

/// True when the `If-Match`/`If-None-Match` list names `etag` (or is `*`).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// The preconditions a write must meet, checked inside the write
/// transaction so that two writers never overwrite each other.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl Conditions {
    /// Only if the object still has this ETag.
    pub fn if_match(etag: &str) -> Conditions {
        Conditions {
            if_match: Some(etag.to_owned()),
            if_none_match: None,
        }
    }

    /// Only if no object has this name yet.
    pub fn if_absent() -> Conditions {
        Conditions {
            if_match: None,
            if_none_match: Some("*".to_owned()),
        }
    }

    fn check(&self, current: Option<&str>) -> Result<(), String> {
        if let Some(list) = &self.if_match {
            match current {
                Some(etag) if etag_matches(list, etag) => {}
                Some(_) => return Err(
                    "The resource changed since you read it (If-Match does not match its ETag)."
                        .into(),
                ),
                None => return Err("The resource does not exist (If-Match).".into()),
            }
        }
        if let Some(list) = &self.if_none_match {
            if let Some(etag) = current {
                if etag_matches(list, etag) {
                    return Err("The resource already exists (If-None-Match).".into());
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The body is not an acceptable calendar object.
    #[error("{0}")]
    Invalid(#[from] IcalError),
    /// The calendar does not take this kind of component.
    #[error("This calendar does not accept {0} components.")]
    Component(String),
    /// `If-Match`/`If-None-Match` failed: someone wrote in between.
    #[error("{0}")]
    Precondition(String),
    /// Another object of the calendar (named here) has this UID.
    #[error("Another resource of this calendar ({0}) already has this UID.")]
    UidTaken(String),
    /// Nothing to delete.
    #[error("no such object")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a successful write did.
#[derive(Debug, Clone)]
pub struct Stored {
    pub etag: String,
    pub created: bool,
}

/// Parses and validates `body` for `collection` (blocking: run it off the
/// async workers), as every write does before storing.
pub fn validate(
    app: &App,
    collection: &Collection,
    body: &[u8],
) -> Result<CalendarObject, WriteError> {
    let tz = collection.floating_timezone().unwrap_or(app.timezone);
    let object = ical::parse_object(body, tz, &app.ical_limits())?;
    let component = object.component.name();
    if !collection.accepts(component) {
        return Err(WriteError::Component(component.to_owned()));
    }
    Ok(object)
}

/// Stores a validated object inside the caller's write transaction.
pub fn store(
    tx: &rusqlite::Connection,
    collection_id: i64,
    name: &str,
    body: &[u8],
    object: &CalendarObject,
    conditions: &Conditions,
) -> Result<Stored, WriteError> {
    let current = objects::meta(tx, collection_id, name)?;
    conditions
        .check(current.as_ref().map(|m| m.etag()).as_deref())
        .map_err(WriteError::Precondition)?;
    if let Some(holder) = objects::name_of_uid(tx, collection_id, &object.uid)? {
        if holder != name {
            return Err(WriteError::UidTaken(holder));
        }
    }
    let etag = objects::put(tx, collection_id, name, body, object)?;
    Ok(Stored {
        etag,
        created: current.is_none(),
    })
}

/// Validates and stores one object: the whole of a PUT.
pub async fn put(
    app: &std::sync::Arc<App>,
    collection: &Collection,
    name: &str,
    body: Bytes,
    conditions: Conditions,
) -> Result<Stored, WriteError> {
    let (app2, collection2, body2) = (app.clone(), collection.clone(), body.clone());
    let object = tokio::task::spawn_blocking(move || validate(&app2, &collection2, &body2))
        .await
        .map_err(|e| StoreError::Panicked(e.to_string()))??;
    let (collection_id, name) = (collection.id, name.to_owned());
    app.store
        .write(move |tx| {
            in_transaction(store(tx, collection_id, &name, &body, &object, &conditions))
        })
        .await?
}

/// A write's outcome as the store's job returns it: a database error
/// fails the job (its savepoint is undone), a refusal is an answer.
pub fn in_transaction<T>(
    outcome: Result<T, WriteError>,
) -> crate::store::Result<Result<T, WriteError>> {
    match outcome {
        Err(WriteError::Store(error)) => Err(error),
        other => Ok(other),
    }
}

/// Deletes one object under `conditions`, inside the caller's write
/// transaction.
pub fn remove(
    tx: &rusqlite::Connection,
    collection_id: i64,
    name: &str,
    conditions: &Conditions,
) -> Result<(), WriteError> {
    let Some(current) = objects::meta(tx, collection_id, name)? else {
        return Err(WriteError::NotFound);
    };
    conditions
        .check(Some(&current.etag()))
        .map_err(WriteError::Precondition)?;
    objects::delete(tx, collection_id, name)?;
    Ok(())
}

/// Deletes one object under `conditions`: the whole of a DELETE.
pub async fn delete(
    app: &App,
    collection_id: i64,
    name: &str,
    conditions: Conditions,
) -> Result<(), WriteError> {
    let name = name.to_owned();
    app.store
        .write(move |tx| in_transaction(remove(tx, collection_id, &name, &conditions)))
        .await?
}
