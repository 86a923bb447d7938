//! Importing a calendar file once into an organiser's calendar: its events
//! merge by UID, each written as a PUT would write it (`crate::write`).
//!
//! A file that cannot be read as iCalendar at all changes nothing. In a
//! readable file, each event is judged on its own: invalid ones are
//! refused with their reason and the others are stored, all in one
//! transaction (a failure of the database stores none of them).

use crate::app::App;
use crate::ical::split::{self, Piece};
use crate::ical::{CalendarObject, IcalError};
use crate::store::collections::Collection;
use crate::store::objects;
use crate::write::{self, Conditions, WriteError};
use std::sync::Arc;

/// An event named in the report.
#[derive(Debug, Clone)]
pub struct Item {
    pub uid: String,
    pub summary: String,
}

#[derive(Debug)]
pub enum Refusal {
    /// Not a valid calendar object (the detail comes from `ical`).
    Invalid(IcalError),
    /// The calendar does not take this kind of component.
    Component(String),
    /// The calendar holds a later version (a higher SEQUENCE).
    Older { stored: i64, file: i64 },
}

#[derive(Debug, Default)]
pub struct Report {
    pub added: Vec<Item>,
    pub updated: Vec<Item>,
    pub unchanged: Vec<Item>,
    pub refused: Vec<(Item, Refusal)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not iCalendar (or is cut short, too deep...).
    #[error("{0}")]
    Unreadable(IcalError),
    /// A scheduling message (METHOD:REQUEST...), not a calendar.
    #[error("METHOD:{0}")]
    Message(String),
    /// Readable, but without a single event.
    #[error("no component")]
    Empty,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The SEQUENCE of an object's first component without RECURRENCE-ID.
fn sequence(body: &[u8]) -> i64 {
    let calendar = crate::query::tree::parse(body);
    calendar
        .children
        .iter()
        .filter(|c| c.name != "VTIMEZONE" && c.property("RECURRENCE-ID").is_none())
        .find_map(|c| c.property("SEQUENCE")?.raw_value.trim().parse().ok())
        .unwrap_or(0)
}

/// A resource name for a new object: its UID when that makes a plain
/// name, else a new random one.
fn name_for(uid: &str) -> String {
    let plain = !uid.is_empty()
        && uid.len() <= 120
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b));
    match plain {
        true => format!("{uid}.ics"),
        false => format!("{}.ics", crate::compose::new_uid()),
    }
}

pub async fn import(
    app: &Arc<App>,
    collection: &Collection,
    file: bytes::Bytes,
) -> Result<Report, ImportError> {
    let (app2, collection2) = (app.clone(), collection.clone());
    let checked = tokio::task::spawn_blocking(move || {
        // Every component becomes an object, refused if the calendar does
        // not take it; an event without UID is refused, as by a PUT.
        let options = split::Options {
            max_bytes: app2.config.web.max_upload_bytes,
            events_only: false,
            derive_uids: false,
        };
        let split =
            split::split(&file, &options).map_err(|error| ImportError::Unreadable(error.into()))?;
        if let Some(method) = split.method().filter(|m| m != "PUBLISH") {
            return Err(ImportError::Message(method));
        }
        if split.pieces.is_empty() {
            return Err(ImportError::Empty);
        }
        Ok(split
            .pieces
            .into_iter()
            .map(|piece| {
                let checked = write::validate(&app2, &collection2, piece.body.as_bytes());
                (piece, checked)
            })
            .collect::<Vec<_>>())
    })
    .await
    .map_err(|e| crate::store::StoreError::Panicked(e.to_string()))??;
    let mut report = Report::default();
    let mut valid: Vec<(Piece, CalendarObject)> = Vec::new();
    for (piece, checked) in checked {
        let item = Item {
            uid: piece.uid.clone().unwrap_or_default(),
            summary: piece
                .summary
                .as_deref()
                .map(crate::compose::unescape_text)
                .unwrap_or_default(),
        };
        match checked {
            Ok(object) => valid.push((piece, object)),
            Err(WriteError::Invalid(error)) => report.refused.push((item, Refusal::Invalid(error))),
            Err(WriteError::Component(name)) => {
                report.refused.push((item, Refusal::Component(name)))
            }
            Err(other) => return Err(ImportError::Store(store_error(other))),
        }
    }
    let collection_id = collection.id;
    let merged = app
        .store
        .write(move |tx| {
            let mut outcome: Vec<(Item, Merge)> = Vec::new();
            for (piece, object) in valid {
                let item = Item {
                    uid: object.uid.clone(),
                    summary: object.summary.clone().unwrap_or_default(),
                };
                let body = piece.body.as_bytes();
                let existing = objects::name_of_uid(tx, collection_id, &object.uid)?;
                let merge = match existing {
                    Some(name) => {
                        let stored = objects::with_body(tx, collection_id, &name)?;
                        match stored {
                            Some((_, current)) if current == body => Merge::Unchanged,
                            Some((_, current)) if sequence(&current) > sequence(body) => {
                                Merge::Older {
                                    stored: sequence(&current),
                                    file: sequence(body),
                                }
                            }
                            _ => {
                                let stored = write::store(
                                    tx,
                                    collection_id,
                                    &name,
                                    body,
                                    &object,
                                    &Conditions::default(),
                                );
                                write::in_transaction(stored)?.map_err(store_error)?;
                                Merge::Updated
                            }
                        }
                    }
                    None => {
                        let stored = write::store(
                            tx,
                            collection_id,
                            &name_for(&object.uid),
                            body,
                            &object,
                            &Conditions::if_absent(),
                        );
                        write::in_transaction(stored)?.map_err(store_error)?;
                        Merge::Added
                    }
                };
                outcome.push((item, merge));
            }
            Ok(outcome)
        })
        .await?;
    for (item, merge) in merged {
        match merge {
            Merge::Added => report.added.push(item),
            Merge::Updated => report.updated.push(item),
            Merge::Unchanged => report.unchanged.push(item),
            Merge::Older { stored, file } => {
                report.refused.push((item, Refusal::Older { stored, file }))
            }
        }
    }
    Ok(report)
}

enum Merge {
    Added,
    Updated,
    Unchanged,
    Older { stored: i64, file: i64 },
}

/// A write refused inside the import's transaction fails the whole job:
/// the only refusals left there (a name taken meanwhile) are races.
fn store_error(error: WriteError) -> crate::store::StoreError {
    match error {
        WriteError::Store(error) => error,
        other => crate::store::StoreError::NotCommitted(other.to_string()),
    }
}
