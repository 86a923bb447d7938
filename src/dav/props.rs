//! Live properties: which ones each kind of resource has and their values.
//! Unknown properties are answered 404 by the caller, never an error.

use super::multistatus::PropValue;
use super::xml::{escape, Name, APPLE, CALDAV, CALSERVER, DAV};
use super::{Ctx, Resource};
use crate::http::http_date;
use crate::paths;

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

pub fn sync_token(collection_id: i64, seq: i64) -> String {
    format!("{}{collection_id}-{seq}", super::report::SYNC_TOKEN_PREFIX)
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
        Resource::Collection { owner, collection } => {
            let calendar = collection.is_calendar;
            match (ns, local) {
                (DAV, "resourcetype") if calendar => Some("<D:collection/><C:calendar/>".into()),
                (DAV, "resourcetype") => Some("<D:collection/>".into()),
                (DAV, "displayname") => Some(
                    escape(
                        collection
                            .display_name
                            .as_deref()
                            .unwrap_or(collection.path.rsplit('/').next().unwrap_or("")),
                    )
                    .into_owned(),
                ),
                (DAV, "owner") => Some(href(&paths::principal_href(&owner.login))),
                (DAV, "getlastmodified") => Some(http_date(collection.modified_at)),
                (DAV, "creationdate") => Some(rfc3339(collection.created_at)),
                (DAV, "supported-report-set") if calendar => Some(super::report::SUPPORTED.into()),
                (DAV, "supported-report-set") => Some(String::new()),
                (DAV, "sync-token") if calendar => {
                    Some(sync_token(collection.id, collection.sync_seq))
                }
                (CALSERVER, "getctag") if calendar => {
                    Some(escape(&sync_token(collection.id, collection.sync_seq)).into_owned())
                }
                (CALDAV, "calendar-description") if calendar => {
                    Some(escape(collection.description.as_deref().unwrap_or("")).into_owned())
                }
                (CALDAV, "calendar-timezone") if calendar => collection
                    .timezone
                    .as_deref()
                    .map(|tz| escape(tz).into_owned()),
                (CALDAV, "supported-calendar-component-set") if calendar => Some(
                    accepted_components(collection)
                        .map(|c| format!("<C:comp name=\"{c}\"/>"))
                        .collect(),
                ),
                (CALDAV, "supported-calendar-data") if calendar => {
                    Some("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into())
                }
                (CALDAV, "max-resource-size") if calendar => {
                    Some(ctx.app.config.limits.max_resource_size.to_string())
                }
                (APPLE, "calendar-color") if calendar => {
                    collection.color.as_deref().map(|c| escape(c).into_owned())
                }
                (APPLE, "calendar-order") if calendar => collection
                    .sort_order
                    .as_deref()
                    .map(|o| escape(o).into_owned()),
                _ => None,
            }
        }
        Resource::Object { owner, object, .. } => match (ns, local) {
            (DAV, "resourcetype") => Some(String::new()),
            (DAV, "getetag") => Some(escape(&object.etag()).into_owned()),
            (DAV, "getcontenttype") => Some(format!(
                "text/calendar; charset=utf-8; component={}",
                object.component
            )),
            (DAV, "getcontentlength") => Some(object.size.to_string()),
            (DAV, "getlastmodified") => Some(http_date(object.modified_at)),
            (DAV, "owner") => Some(href(&paths::principal_href(&owner.login))),
            _ => None,
        },
        Resource::Missing { .. } | Resource::Orphan => None,
    }
}

/// The component types a calendar accepts.
pub fn accepted_components(
    collection: &crate::store::collections::Collection,
) -> impl Iterator<Item = &str> {
    let all = collection.components.is_empty();
    COMPONENTS
        .iter()
        .copied()
        .filter(move |c| all || collection.components.iter().any(|x| x == c))
}

pub const COMPONENTS: &[&str] = &["VEVENT", "VTODO", "VJOURNAL"];

/// RFC 3744 privileges of the current user on `resource`: all of them on
/// what it owns, reading elsewhere.
fn privileges(ctx: &Ctx, resource: &Resource) -> String {
    let owned = resource.owner().is_some_and(|owner| ctx.can_write(owner))
        && !matches!(resource, Resource::Principal(_));
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
) -> (Vec<PropValue>, Vec<(Name, hyper::StatusCode)>) {
    let mut found = Vec::with_capacity(names.len());
    let mut missing = Vec::new();
    for name in names {
        match value(ctx, resource, name) {
            Some(content) => found.push(PropValue {
                name: name.clone(),
                content,
            }),
            None => missing.push((name.clone(), hyper::StatusCode::NOT_FOUND)),
        }
    }
    (found, missing)
}
