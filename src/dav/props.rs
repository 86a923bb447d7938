//! Live properties: which ones each kind of resource has and their values.
//! Unknown properties are answered 404 by the caller, never an error.

use super::multistatus::PropValue;
use super::xml::{escape, Name, APPLE, CALDAV, CALSERVER, DAV};
use super::{Ctx, Resource};
use crate::http::http_date;
use crate::paths;
use crate::store::collections::Collection;
use crate::store::objects::ObjectMeta;
use crate::store::views::Scope;

/// Properties returned for `allprop` (RFC 4918 9.1: the live properties of
/// that RFC; CalDAV's are only returned when asked for by name).
pub const ALLPROP: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "displayname"),
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getcontentlength"),
    (DAV, "getlastmodified"),
    (DAV, "creationdate"),
];

/// Every property concord may answer, for `propname`.
pub const KNOWN: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "displayname"),
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getcontentlength"),
    (DAV, "getlastmodified"),
    (DAV, "creationdate"),
    (DAV, "owner"),
    (DAV, "current-user-principal"),
    (DAV, "current-user-privilege-set"),
    (DAV, "principal-URL"),
    (DAV, "principal-collection-set"),
    (DAV, "supported-report-set"),
    (DAV, "sync-token"),
    (CALDAV, "calendar-home-set"),
    (CALDAV, "calendar-user-address-set"),
    (CALDAV, "calendar-description"),
    (CALDAV, "calendar-timezone"),
    (CALDAV, "calendar-timezone-id"),
    (CALDAV, "supported-calendar-component-set"),
    (CALDAV, "supported-calendar-data"),
    (CALDAV, "max-resource-size"),
    (CALSERVER, "getctag"),
    (APPLE, "calendar-color"),
    (APPLE, "calendar-order"),
];

fn href(target: &str) -> String {
    format!("<D:href>{}</D:href>", escape(target))
}

/// How a sync token names the collection it belongs to.
pub fn scope_key(scope: Scope) -> String {
    match scope {
        Scope::Collection(id) => id.to_string(),
        Scope::Public => crate::paths::AGGREGATE.to_owned(),
    }
}

pub fn sync_token(scope: Scope, seq: i64) -> String {
    format!(
        "{}{}-{seq}",
        super::report::SYNC_TOKEN_PREFIX,
        scope_key(scope)
    )
}

/// The value of `name` on `resource`, or `None` when it has no such property.
pub fn value(ctx: &Ctx, resource: &Resource, name: &Name) -> Option<String> {
    let ns = name.ns.as_str();
    let local = name.local.as_str();
    // Properties every resource has.
    match (ns, local) {
        (DAV, "current-user-principal") => {
            return Some(href(&paths::principal_href(&ctx.user.login)))
        }
        (DAV, "principal-collection-set") => return Some(href("/dav/principals/")),
        (DAV, "current-user-privilege-set") => return Some(privileges(ctx, resource)),
        _ => {}
    }
    match resource {
        Resource::Root | Resource::Principals | Resource::CalendarsRoot => match (ns, local) {
            (DAV, "resourcetype") => Some("<D:collection/>".into()),
            (DAV, "supported-report-set") if matches!(resource, Resource::Principals) => {
                Some(super::principals::SUPPORTED.into())
            }
            _ => None,
        },
        Resource::Principal(principal) => match (ns, local) {
            (DAV, "resourcetype") => Some("<D:principal/>".into()),
            (DAV, "displayname") => Some(escape(&principal.display_name).into_owned()),
            (DAV, "principal-URL") => Some(href(&paths::principal_href(&principal.login))),
            (CALDAV, "calendar-home-set") => Some(href(&paths::home_href(&principal.login))),
            (CALDAV, "calendar-user-address-set") => {
                Some(href(&paths::principal_href(&principal.login)))
            }
            (DAV, "supported-report-set") => Some(super::principals::SUPPORTED.into()),
            _ => None,
        },
        Resource::Home(owner) => match (ns, local) {
            (DAV, "resourcetype") => Some("<D:collection/>".into()),
            (DAV, "displayname") => Some(escape(&owner.display_name).into_owned()),
            (DAV, "owner") => Some(href(&paths::principal_href(&owner.login))),
            (DAV, "supported-report-set") => Some(String::new()),
            _ => None,
        },
        Resource::Collection { owner, collection } => match (ns, local) {
            (DAV, "owner") => Some(href(&paths::principal_href(&owner.login))),
            (DAV, "getlastmodified") => Some(http_date(collection.modified_at)),
            (DAV, "creationdate") => Some(rfc3339(collection.created_at)),
            _ if collection.is_calendar => {
                calendar_value(ctx, &CalendarView::of(collection), ns, local)
            }
            (DAV, "resourcetype") => Some("<D:collection/>".into()),
            (DAV, "displayname") => {
                Some(escape(collection.path.rsplit('/').next().unwrap_or("")).into_owned())
            }
            (DAV, "supported-report-set") => Some(String::new()),
            _ => None,
        },
        Resource::Aggregate { seq, .. } => {
            let view = CalendarView {
                display_name: &ctx.app.config.feeds.territory_name,
                description: "Les événements publics de tous les organisateurs du territoire (lecture seule).",
                color: Some("#2E7D32FF"),
                order: None,
                timezone: None,
                timezone_id: None,
                scope: Scope::Public,
                seq: *seq,
                components: COMPONENTS.to_vec(),
            };
            calendar_value(ctx, &view, ns, local)
        }
        Resource::AggregateObject { object, .. } => object_value(object, ns, local),
        Resource::Object { owner, object, .. } => match (ns, local) {
            (DAV, "getcontentlength") => Some(object.size.to_string()),
            (DAV, "owner") => Some(href(&paths::principal_href(&owner.login))),
            _ => object_value(object, ns, local),
        },
        Resource::Missing { .. } | Resource::Orphan => None,
    }
}

/// Properties of calendar object resources, wherever they are listed. (The
/// length is left out in public views, whose bodies are rewritten.)
fn object_value(object: &ObjectMeta, ns: &str, local: &str) -> Option<String> {
    match (ns, local) {
        (DAV, "resourcetype") => Some(String::new()),
        (DAV, "getetag") => Some(escape(&object.etag()).into_owned()),
        (DAV, "getcontenttype") => Some(format!(
            "text/calendar; charset=utf-8; component={}",
            object.component
        )),
        (DAV, "getlastmodified") => Some(http_date(object.modified_at)),
        _ => None,
    }
}

/// What calendar properties are made of, for stored calendars and the
/// intercommunal view alike.
struct CalendarView<'a> {
    display_name: &'a str,
    description: &'a str,
    color: Option<&'a str>,
    order: Option<&'a str>,
    timezone: Option<&'a str>,
    timezone_id: Option<&'a str>,
    scope: Scope,
    seq: i64,
    components: Vec<&'a str>,
}

impl<'a> CalendarView<'a> {
    fn of(collection: &'a Collection) -> CalendarView<'a> {
        CalendarView {
            display_name: collection
                .display_name
                .as_deref()
                .unwrap_or(collection.path.rsplit('/').next().unwrap_or("")),
            description: collection.description.as_deref().unwrap_or(""),
            color: collection.color.as_deref(),
            order: collection.sort_order.as_deref(),
            timezone: collection.timezone.as_deref(),
            timezone_id: collection.timezone_id.as_deref(),
            scope: Scope::Collection(collection.id),
            seq: collection.sync_seq,
            components: collection.accepted_components().collect(),
        }
    }
}

fn calendar_value(ctx: &Ctx, view: &CalendarView, ns: &str, local: &str) -> Option<String> {
    let text = |value: &str| Some(escape(value).into_owned());
    match (ns, local) {
        (DAV, "resourcetype") => Some("<D:collection/><C:calendar/>".into()),
        (DAV, "displayname") => text(view.display_name),
        (DAV, "supported-report-set") => Some(super::report::SUPPORTED.into()),
        (DAV, "sync-token") | (CALSERVER, "getctag") => text(&sync_token(view.scope, view.seq)),
        (CALDAV, "calendar-description") => text(view.description),
        (CALDAV, "calendar-timezone") => view.timezone.and_then(text),
        (CALDAV, "calendar-timezone-id") => view.timezone_id.and_then(text),
        (CALDAV, "supported-calendar-component-set") => Some(
            view.components
                .iter()
                .map(|c| format!("<C:comp name=\"{c}\"/>"))
                .collect(),
        ),
        (CALDAV, "supported-calendar-data") => {
            Some("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into())
        }
        (CALDAV, "max-resource-size") => Some(ctx.app.config.limits.max_resource_size.to_string()),
        (APPLE, "calendar-color") => view.color.and_then(text),
        (APPLE, "calendar-order") => view.order.and_then(text),
        _ => None,
    }
}

/// The component types a calendar may accept.
pub use crate::store::collections::COMPONENTS;

/// RFC 3744 privileges of the current user on `resource`: all of them on
/// what it owns, reading elsewhere.
fn privileges(ctx: &Ctx, resource: &Resource) -> String {
    let owned = ctx.writable(resource);
    let mut out = String::from(
        "<D:privilege><D:read/></D:privilege><D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>",
    );
    if owned {
        out.push_str(
            "<D:privilege><D:write/></D:privilege><D:privilege><D:write-properties/></D:privilege><D:privilege><D:write-content/></D:privilege><D:privilege><D:bind/></D:privilege><D:privilege><D:unbind/></D:privilege>",
        );
    }
    out
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Values for every requested name: found ones and the names to report 404.
pub fn collect(
    ctx: &Ctx,
    resource: &Resource,
    names: &[Name],
) -> (Vec<PropValue<'static>>, Vec<(Name, hyper::StatusCode)>) {
    let mut found = Vec::with_capacity(names.len());
    let mut missing = Vec::new();
    for name in names {
        match value(ctx, resource, name) {
            Some(content) => found.push(PropValue {
                name: name.clone(),
                content: content.into(),
            }),
            None => missing.push((name.clone(), hyper::StatusCode::NOT_FOUND)),
        }
    }
    (found, missing)
}
