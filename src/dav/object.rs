//! GET, HEAD, PUT and DELETE of calendar object resources (and DELETE of
//! collections), with strong ETags and `If-Match` / `If-None-Match`.

use super::cache::Member;
use super::error::{Condition, DavError, DavResult};
use super::{Ctx, Request, Resource};
use crate::http::{self, Response};
use crate::ical::IcalError;
use crate::paths;
use crate::query::public;
use crate::store::accounts::Principal;
use crate::store::collections::{self, Collection};
use crate::store::views::{self, Scope};
use crate::write::{self, Conditions, Stored, WriteError};
use hyper::StatusCode;
use std::sync::Arc;

/// GET/HEAD; `body` is the object's, read with the resource.
pub async fn get(
    ctx: &Ctx,
    resource: Resource,
    member: Option<Arc<Member>>,
    request: &Request,
) -> DavResult<Response> {
    let scope = match &resource {
        Resource::Collection { collection, .. } if collection.is_calendar => {
            Scope::Collection(collection.id)
        }
        Resource::Object { collection, .. } => Scope::Collection(collection.id),
        Resource::Aggregate { .. } | Resource::AggregateObject { .. } => Scope::Public,
        Resource::Missing { .. } | Resource::Orphan => return Err(DavError::NotFound),
        _ => {
            return Err(DavError::MethodNotAllowed {
                allow: resource.allow(),
            })
        }
    };
    ctx.require_read(&resource)?;
    let object = match &resource {
        Resource::Object { object, .. } | Resource::AggregateObject { object, .. } => object,
        _ => return export(ctx, &resource, scope).await,
    };
    let etag = object.etag();
    if let Some(tags) = http::header(&request.headers, "if-none-match") {
        if etag_matches(tags, &etag) {
            let mut response = http::empty(StatusCode::NOT_MODIFIED);
            http::set_header(&mut response, "etag", &etag);
            return Ok(response);
        }
    }
    let meta = object;
    let Some(member) = member else {
        return Err(DavError::NotFound);
    };
    let mut response = http::response(StatusCode::OK, member.content_type, member.body.clone());
    http::set_header(&mut response, "etag", &meta.etag());
    http::set_header(
        &mut response,
        "last-modified",
        &http::http_date(meta.modified_at),
    );
    Ok(response)
}

/// GET on a calendar: the whole calendar as one iCalendar file.
async fn export(ctx: &Ctx, resource: &Resource, scope: Scope) -> DavResult<Response> {
    use crate::query::export::{escape_text, plain, Export};
    let bodies = ctx
        .app
        .store
        .read(move |conn| views::all_bodies(conn, scope))
        .await?;
    let mut export = Export::new();
    for body in &bodies {
        match scope {
            Scope::Public => {
                if let Some(calendar) = public::public_calendar(body) {
                    export.add(calendar);
                }
            }
            Scope::Collection(_) => export.add(crate::query::tree::parse(body)),
        }
    }
    let (name, tag) = match resource {
        Resource::Collection { collection, .. } => (
            collection
                .display_name
                .clone()
                .unwrap_or_else(|| collection.path.clone()),
            format!("\"c{}-{}\"", collection.sync_seq, collection.modified_at),
        ),
        Resource::Aggregate { seq, .. } => (
            ctx.app.config.feeds.territory_name.clone(),
            format!("\"a{seq}\""),
        ),
        _ => (String::new(), String::new()),
    };
    let text = export.finish(vec![plain("X-WR-CALNAME", &escape_text(&name))]);
    let mut response = http::response(StatusCode::OK, http::CALENDAR, text);
    http::set_header(&mut response, "etag", &tag);
    Ok(response)
}

pub use crate::write::etag_matches;

/// The preconditions a write request states.
fn conditions(request: &Request) -> Conditions {
    Conditions {
        if_match: http::header(&request.headers, "if-match").map(str::to_owned),
        if_none_match: http::header(&request.headers, "if-none-match").map(str::to_owned),
    }
}

pub async fn put(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    let (owner, collection, name) = match &resource {
        Resource::Object {
            owner,
            collection,
            object,
        } => (owner, collection, object.name.clone()),
        Resource::Missing {
            owner,
            parent: Some(parent),
            name,
        } => (owner, parent, name.clone()),
        Resource::Orphan => {
            return Err(DavError::Conflict(
                "The parent collection does not exist; create it first.".into(),
            ))
        }
        Resource::Missing { parent: None, .. } => {
            return Err(DavError::Forbidden(
                "Events go into a calendar, not directly into the calendar home.".into(),
            ))
        }
        _ => {
            return Err(DavError::MethodNotAllowed {
                allow: resource.allow(),
            })
        }
    };
    ctx.require_write(&resource, "write-content")?;
    if !collection.is_calendar {
        return Err(DavError::Forbidden(
            "Only calendar collections hold resources on this server.".into(),
        ));
    }
    check_content_type(request)?;
    let stored = write::put(
        &ctx.app,
        collection,
        &name,
        request.body.clone(),
        conditions(request),
    )
    .await;
    match stored {
        Ok(Stored { etag, created }) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            };
            let mut response = http::empty(status);
            http::set_header(&mut response, "etag", &etag);
            Ok(response)
        }
        Err(error) => Err(write_error(error, owner, collection)),
    }
}

/// A refused write as its CalDAV answer.
fn write_error(error: WriteError, owner: &Principal, collection: &Collection) -> DavError {
    match error {
        WriteError::Invalid(error) => ical_error(error),
        WriteError::Component(_) => DavError::caldav(
            StatusCode::FORBIDDEN,
            "supported-calendar-component",
            error.to_string(),
        ),
        WriteError::Precondition(message) => DavError::PreconditionFailed(message),
        WriteError::UidTaken(ref holder) => DavError::Condition {
            status: StatusCode::FORBIDDEN,
            condition: Condition::NoUidConflict(paths::object_href(
                &owner.login,
                &collection.path,
                holder,
            )),
            message: error.to_string(),
        },
        WriteError::NotFound => DavError::NotFound,
        WriteError::Store(error) => error.into(),
    }
}

fn check_content_type(request: &Request) -> DavResult<()> {
    let Some(content_type) = http::header(&request.headers, "content-type") else {
        return Ok(()); // some clients omit it; the body is validated anyway
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("text/calendar") {
        Ok(())
    } else {
        Err(DavError::caldav(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "supported-calendar-data",
            format!("Calendar resources must be text/calendar, not {media}."),
        ))
    }
}

fn ical_error(error: IcalError) -> DavError {
    let (status, name) = match &error {
        IcalError::InvalidData(_) => (StatusCode::FORBIDDEN, "valid-calendar-data"),
        IcalError::InvalidObject(_) => (StatusCode::FORBIDDEN, "valid-calendar-object-resource"),
        IcalError::UnsupportedComponent(_) => {
            (StatusCode::FORBIDDEN, "supported-calendar-component")
        }
        IcalError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "max-resource-size"),
        IcalError::TooManyInstances(_) => (StatusCode::FORBIDDEN, "valid-calendar-object-resource"),
    };
    DavError::caldav(status, name, error.to_string())
}

pub async fn delete(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    match &resource {
        Resource::Object {
            collection, object, ..
        } => {
            ctx.require_write(&resource, "unbind")?;
            match write::delete(&ctx.app, collection.id, &object.name, conditions(request)).await {
                Ok(()) => Ok(http::empty(StatusCode::NO_CONTENT)),
                Err(WriteError::NotFound) => Err(DavError::NotFound),
                Err(WriteError::Precondition(message)) => {
                    Err(DavError::PreconditionFailed(message))
                }
                Err(error) => Err(DavError::Internal(error.to_string())),
            }
        }
        Resource::Collection { owner, collection } => {
            ctx.require_write(&resource, "unbind")?;
            if !collection.removable {
                return Err(DavError::Forbidden(
                    "This calendar belongs to the account and cannot be deleted; ask an administrator.".into(),
                ));
            }
            if let Some(list) = http::header(&request.headers, "if-match") {
                if list.trim() != "*" {
                    return Err(DavError::PreconditionFailed(
                        "Collections have no ETag; If-Match cannot match.".into(),
                    ));
                }
            }
            let (owner_id, path) = (owner.id, collection.path.clone());
            ctx.app
                .store
                .write(move |tx| collections::delete_tree(tx, owner_id, &path))
                .await?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Resource::Missing { .. } | Resource::Orphan => Err(DavError::NotFound),
        Resource::Home(_) => Err(DavError::Forbidden(
            "A calendar home cannot be deleted.".into(),
        )),
        _ => Err(DavError::MethodNotAllowed {
            allow: resource.allow(),
        }),
    }
}
