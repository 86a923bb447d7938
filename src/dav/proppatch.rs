//! PROPPATCH (RFC 4918 9.2): the owner may set a calendar's display name,
//! description, colour, order and time zone. The request is atomic: if one
//! property is refused, none is changed and the others report 424.

use super::error::{DavError, DavResult};
use super::multistatus::Multistatus;
use super::xml::{Element, Name, APPLE, CALDAV, DAV};
use super::{parse_body, Ctx, Request, Resource};
use crate::http::Response;
use crate::ical;
use crate::store::collections::{self, CalendarProps};
use hyper::StatusCode;

pub async fn proppatch(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    if matches!(resource, Resource::Missing { .. } | Resource::Orphan) {
        return Err(DavError::NotFound);
    }
    ctx.require_read(&resource)?;
    let root = parse_body(ctx, &request.body)?
        .ok_or_else(|| DavError::BadRequest("PROPPATCH needs a DAV:propertyupdate body.".into()))?;
    if !root.is(DAV, "propertyupdate") {
        return Err(DavError::BadRequest(
            "The PROPPATCH body must be a DAV:propertyupdate element.".into(),
        ));
    }
    let writable = match &resource {
        Resource::Collection { collection, .. } if collection.is_calendar => {
            ctx.writable(&resource).then_some(collection.id)
        }
        _ => None,
    };
    let mut changes = CalendarProps::default();
    let mut outcomes: Vec<(Name, Result<(), Refusal>)> = Vec::new();
    for instruction in &root.children {
        let remove = if instruction.is(DAV, "set") {
            false
        } else if instruction.is(DAV, "remove") {
            true
        } else {
            continue;
        };
        let Some(prop) = instruction.child(DAV, "prop") else {
            continue;
        };
        for element in &prop.children {
            let outcome = match writable {
                None => Err((
                    StatusCode::FORBIDDEN,
                    "You may not change the properties of this resource.".to_owned(),
                )),
                Some(_) => apply(&mut changes, element, remove),
            };
            outcomes.push((element.name.clone(), outcome));
        }
    }
    let all_ok = outcomes.iter().all(|(_, outcome)| outcome.is_ok());
    if all_ok {
        if let Some(id) = writable {
            ctx.app
                .store
                .write(move |tx| collections::update_props(tx, id, &changes))
                .await?;
        }
    }
    let mut out = Multistatus::new();
    let mut failed = Vec::new();
    let mut descriptions = Vec::new();
    let mut succeeded = Vec::new();
    for (name, outcome) in outcomes {
        match outcome {
            Ok(()) if all_ok => succeeded.push(super::multistatus::PropValue {
                name,
                content: String::new().into(),
            }),
            Ok(()) => failed.push((name, StatusCode::FAILED_DEPENDENCY)),
            Err((status, message)) => {
                descriptions.push(message);
                failed.push((name, status));
            }
        }
    }
    out.response(&resource.href(), &succeeded, &failed);
    if !descriptions.is_empty() {
        descriptions.dedup();
        out.push_raw(&format!(
            "<D:responsedescription>{}</D:responsedescription>",
            super::xml::escape(&descriptions.join(" "))
        ));
    }
    Ok(out.finish())
}

/// Why a property was not set: its status and a readable message.
pub type Refusal = (StatusCode, String);

/// Checks one property and records the change; the message says why not.
pub fn apply(changes: &mut CalendarProps, element: &Element, remove: bool) -> Result<(), Refusal> {
    let value = if remove {
        None
    } else {
        Some(element.text.trim().to_owned())
    };
    let name = &element.name;
    let forbidden = |message: &str| Err((StatusCode::FORBIDDEN, message.to_owned()));
    if name.is(DAV, "displayname") {
        if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
            return forbidden("The display name is longer than 200 characters.");
        }
        changes.display_name = Some(value);
    } else if name.is(CALDAV, "calendar-description") {
        if value.as_ref().is_some_and(|v| v.len() > 4000) {
            return forbidden("The description is longer than 4000 octets.");
        }
        changes.description = Some(value);
    } else if name.is(APPLE, "calendar-color") {
        if let Some(color) = &value {
            if !valid_color(color) {
                return forbidden("The colour must be a short text such as #RRGGBB or #RRGGBBAA.");
            }
        }
        changes.color = Some(value);
    } else if name.is(APPLE, "calendar-order") {
        if let Some(order) = &value {
            if order.parse::<i64>().is_err() {
                return forbidden("The calendar order must be an integer.");
            }
        }
        changes.sort_order = Some(value);
    } else if name.is(CALDAV, "calendar-timezone") {
        if let Some(text) = &value {
            if ical::calendar_timezone(text).is_none() {
                return Err((
                    StatusCode::CONFLICT,
                    "calendar-timezone must be an iCalendar object with one VTIMEZONE whose TZID is a known time zone.".to_owned(),
                ));
            }
        }
        changes.timezone = Some(value);
    } else if name.is(CALDAV, "calendar-timezone-id") {
        if let Some(id) = &value {
            if ical::resolve_tzid(id).is_none() {
                return Err((
                    StatusCode::CONFLICT,
                    format!("calendar-timezone-id {id:?} is not a known time zone."),
                ));
            }
        }
        changes.timezone_id = Some(value);
    } else {
        return forbidden(&format!(
            "The property {{{}}}{} cannot be changed here.",
            name.ns, name.local
        ));
    }
    Ok(())
}

/// Clients write #RRGGBB, #RRGGBBAA or colour names; concord stores what
/// they send, within reason.
fn valid_color(color: &str) -> bool {
    !color.is_empty() && color.len() <= 64 && !color.chars().any(char::is_control)
}
