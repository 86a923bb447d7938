//! MKCOL (RFC 4918 9.3), extended MKCOL (RFC 5689) and MKCALENDAR
//! (RFC 4791 5.3.1), only inside the user's own calendar home.

use super::error::{DavError, DavResult};
use super::xml::{Element, CALDAV, DAV};
use super::{parse_body, proppatch, Ctx, Request, Resource};
use crate::http::{self, Response};
use crate::store::collections::{self, CalendarProps, NewCollection};
use hyper::StatusCode;

/// Plain collections may nest, but not without end.
const MAX_PATH_SEGMENTS: usize = 8;

pub async fn mkcol(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    let calendar_method = request.method.as_str() == "MKCALENDAR";
    let (owner, parent, name) = match &resource {
        Resource::Missing {
            owner,
            parent,
            name,
        } => (owner, parent, name),
        Resource::Orphan => {
            return Err(DavError::Conflict(
                "The parent collection does not exist; create it first.".into(),
            ))
        }
        Resource::Root
        | Resource::Principals
        | Resource::Principal(_)
        | Resource::CalendarsRoot
        | Resource::Home(_)
        | Resource::Collection { .. }
        | Resource::Object { .. }
        | Resource::Aggregate { .. }
        | Resource::AggregateObject { .. } => {
            return Err(DavError::MethodNotAllowed {
                allow: resource.allow(),
            })
        }
    };
    if !ctx.can_write(owner) {
        return Err(DavError::Forbidden(
            "You can only create collections in your own calendar home.".into(),
        ));
    }
    if let Some(parent) = parent {
        if parent.is_calendar {
            return Err(DavError::caldav(
                StatusCode::FORBIDDEN,
                "calendar-collection-location-ok",
                "A calendar cannot contain other collections.",
            ));
        }
    }
    let path = match parent {
        Some(parent) => format!("{}/{name}", parent.path),
        None => name.clone(),
    };
    if path.split('/').count() > MAX_PATH_SEGMENTS {
        return Err(DavError::Forbidden(format!(
            "Collections nest at most {MAX_PATH_SEGMENTS} levels deep."
        )));
    }
    let (is_calendar, props) = read_body(ctx, request, calendar_method)?;
    let kind = if is_calendar {
        NewCollection::Calendar
    } else {
        NewCollection::Plain
    };
    let owner_id = owner.id;
    let created = ctx
        .app
        .store
        .write(move |tx| {
            if collections::get(tx, owner_id, &path)?.is_some() {
                return Ok(false);
            }
            collections::create(tx, owner_id, &path, kind, &props)?;
            Ok(true)
        })
        .await?;
    if !created {
        return Err(DavError::MethodNotAllowed {
            allow: "OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE",
        });
    }
    let mut response = http::empty(StatusCode::CREATED);
    http::set_header(&mut response, "cache-control", "no-cache");
    Ok(response)
}

/// What to create: a calendar or not, and its initial properties.
fn read_body(
    ctx: &Ctx,
    request: &Request,
    calendar_method: bool,
) -> DavResult<(bool, CalendarProps)> {
    let media = http::header(&request.headers, "content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let has_body = !request.body.iter().all(u8::is_ascii_whitespace);
    if !has_body {
        return Ok((calendar_method, CalendarProps::default()));
    }
    let xml_media = matches!(
        media.as_deref(),
        None | Some("application/xml") | Some("text/xml")
    );
    if !xml_media {
        return Err(DavError::UnsupportedMediaType(
            "MKCOL accepts no body, or an XML body (RFC 5689).".into(),
        ));
    }
    let Some(root) = parse_body(ctx, &request.body)? else {
        return Ok((calendar_method, CalendarProps::default()));
    };
    let expected = if calendar_method {
        root.is(CALDAV, "mkcalendar")
    } else {
        root.is(DAV, "mkcol")
    };
    if !expected {
        return Err(DavError::UnsupportedMediaType(format!(
            "{} does not understand a body whose root is {{{}}}{}.",
            request.method, root.name.ns, root.name.local
        )));
    }
    let mut is_calendar = calendar_method;
    let mut props = CalendarProps::default();
    for set in root.children_named(DAV, "set") {
        for prop in set.children_named(DAV, "prop") {
            for element in &prop.children {
                if element.is(DAV, "resourcetype") {
                    is_calendar |= element.child(CALDAV, "calendar").is_some();
                    continue;
                }
                if element.is(CALDAV, "supported-calendar-component-set") {
                    props.components = Some(Some(component_set(element)?));
                    continue;
                }
                if is_ignorable(element) {
                    continue;
                }
                proppatch::apply(&mut props, element, false)
                    .map_err(|(_, message)| DavError::Forbidden(message))?;
            }
        }
    }
    Ok((is_calendar, props))
}

/// The component types named by a supported-calendar-component-set.
fn component_set(element: &Element) -> DavResult<String> {
    let mut names = Vec::new();
    for comp in element.children_named(CALDAV, "comp") {
        let name = comp.attribute("name").unwrap_or("").to_ascii_uppercase();
        if !super::props::COMPONENTS.contains(&name.as_str()) {
            return Err(DavError::caldav(
                StatusCode::FORBIDDEN,
                "supported-calendar-component",
                format!("Calendars here hold VEVENT, VTODO and VJOURNAL, not {name:?}."),
            ));
        }
        names.push(name);
    }
    if names.is_empty() {
        return Err(DavError::BadRequest(
            "supported-calendar-component-set names no component.".into(),
        ));
    }
    Ok(names.join(","))
}

/// Properties clients send when creating a calendar that concord accepts
/// without storing: every calendar supports the three component types, and
/// scheduling settings do not apply.
fn is_ignorable(element: &Element) -> bool {
    element.is(CALDAV, "schedule-calendar-transp")
        || element.is(CALDAV, "calendar-free-busy-set")
        || (element.name.ns != DAV
            && element.name.ns != CALDAV
            && element.name.ns != super::xml::APPLE)
}
