//! REPORT: calendar-multiget and calendar-query (RFC 4791 7.8, 7.9) and
//! sync-collection (RFC 6578).

use super::error::{DavError, DavResult};
use super::multistatus::{Multistatus, PropValue};
use super::propfind::prop_names;
use super::xml::{escape, Element, Name, CALDAV, DAV};
use super::{parse_body, props, Ctx, Request, Resource};
use crate::http::Response;
use crate::paths::{self, DavPath};
use crate::store::collections::Collection;
use crate::store::objects::{self, ObjectMeta};
use hyper::StatusCode;

pub const SYNC_TOKEN_PREFIX: &str = "urn:concord:sync:";

/// What `supported-report-set` advertises on calendars: exactly what works.
pub const SUPPORTED: &str = "<D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report><D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>";

pub async fn report(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    if matches!(resource, Resource::Missing { .. } | Resource::Orphan) {
        return Err(DavError::NotFound);
    }
    ctx.require_read(&resource)?;
    let root = parse_body(ctx, &request.body)?
        .ok_or_else(|| DavError::BadRequest("REPORT needs an XML body.".into()))?;
    let (owner, collection) = match &resource {
        Resource::Collection { owner, collection } if collection.is_calendar => {
            (owner.clone(), collection.clone())
        }
        Resource::Object {
            owner, collection, ..
        } if !root.is(DAV, "sync-collection") => (owner.clone(), collection.clone()),
        _ => return Err(unsupported_report(&root)),
    };
    let target = Target {
        login: owner.login.clone(),
        owner,
        collection,
        only: match &resource {
            Resource::Object { object, .. } => Some(object.name.clone()),
            _ => None,
        },
    };
    let resource_for_props = resource.clone();
    if root.is(CALDAV, "calendar-multiget") {
        multiget(ctx, &target, &root).await
    } else if root.is(CALDAV, "calendar-query") {
        query(ctx, &target, &root).await
    } else if root.is(DAV, "sync-collection") {
        sync_collection(ctx, &target, &root, &resource_for_props).await
    } else {
        Err(unsupported_report(&root))
    }
}

fn unsupported_report(root: &Element) -> DavError {
    DavError::dav(
        StatusCode::FORBIDDEN,
        "supported-report",
        format!(
            "The report {{{}}}{} is not supported on this resource.",
            root.name.ns, root.name.local
        ),
    )
}

/// The calendar a report runs on, and the one member when it targets an object.
struct Target {
    owner: crate::store::accounts::Principal,
    login: String,
    collection: Collection,
    only: Option<String>,
}

impl Target {
    fn href(&self, name: &str) -> String {
        paths::object_href(&self.login, &self.collection.path, name)
    }

    /// The member name an href points to, if it is inside this calendar.
    fn member(&self, href: &str) -> Option<String> {
        match paths::parse(paths::href_path(href)) {
            Ok(DavPath::InHome {
                login,
                mut segments,
                trailing_slash: false,
            }) if login == self.login => {
                let name = segments.pop()?;
                (segments.join("/") == self.collection.path).then_some(name)
            }
            _ => None,
        }
    }
}

/// The `DAV:prop` of a report, split into calendar-data and the rest.
struct Wanted {
    names: Vec<Name>,
    calendar_data: bool,
}

fn wanted(root: &Element) -> Wanted {
    let names = root.child(DAV, "prop").map(prop_names).unwrap_or_default();
    let calendar_data = names.iter().any(|n| n.is(CALDAV, "calendar-data"));
    Wanted {
        names,
        calendar_data,
    }
}

fn write_object(
    ctx: &Ctx,
    out: &mut Multistatus,
    target: &Target,
    wanted: &Wanted,
    meta: ObjectMeta,
    body: Option<&[u8]>,
) {
    let resource = Resource::Object {
        owner: target.owner.clone(),
        collection: target.collection.clone(),
        object: meta,
    };
    let href = target.href(match &resource {
        Resource::Object { object, .. } => &object.name,
        _ => "",
    });
    let mut found: Vec<PropValue> = Vec::with_capacity(wanted.names.len());
    let mut missing = Vec::new();
    for name in &wanted.names {
        if name.is(CALDAV, "calendar-data") {
            if let Some(body) = body {
                found.push(PropValue {
                    name: name.clone(),
                    content: escape(&String::from_utf8_lossy(body)).into_owned(),
                });
            }
            continue;
        }
        match props::value(ctx, &resource, name) {
            Some(content) => found.push(PropValue {
                name: name.clone(),
                content,
            }),
            None => missing.push((name.clone(), StatusCode::NOT_FOUND)),
        }
    }
    out.response(&href, &found, &missing);
}

async fn multiget(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let wanted = wanted(root);
    let hrefs: Vec<String> = root
        .children_named(DAV, "href")
        .map(|h| h.text.trim().to_owned())
        .collect();
    if hrefs.is_empty() {
        return Err(DavError::BadRequest(
            "calendar-multiget needs at least one DAV:href.".into(),
        ));
    }
    let names: Vec<Option<String>> = hrefs.iter().map(|h| target.member(h)).collect();
    let lookup: Vec<String> = names.iter().flatten().cloned().collect();
    let collection_id = target.collection.id;
    let mut found = ctx
        .app
        .store
        .read(move |conn| objects::bodies(conn, collection_id, &lookup))
        .await?
        .into_iter();
    let mut out = Multistatus::new();
    for (href, name) in hrefs.iter().zip(names) {
        let entry = match name {
            Some(_) => found.next().flatten(),
            None => None,
        };
        match entry {
            Some((meta, body)) => write_object(ctx, &mut out, target, &wanted, meta, Some(&body)),
            None => out.status(href, StatusCode::NOT_FOUND),
        }
    }
    Ok(out.finish())
}

/// The parts of a calendar-query filter concord evaluates from the index.
struct Filter {
    component: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
}

fn parse_filter(root: &Element) -> DavResult<Filter> {
    let filter = root.child(CALDAV, "filter").ok_or_else(|| {
        DavError::caldav(
            StatusCode::FORBIDDEN,
            "valid-filter",
            "calendar-query needs a CALDAV:filter.",
        )
    })?;
    let calendar = filter
        .child(CALDAV, "comp-filter")
        .filter(|c| {
            c.attribute("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("VCALENDAR"))
        })
        .ok_or_else(|| {
            DavError::caldav(
                StatusCode::FORBIDDEN,
                "valid-filter",
                "The filter must start with a comp-filter on VCALENDAR.",
            )
        })?;
    let mut result = Filter {
        component: None,
        start: None,
        end: None,
    };
    let unsupported = || {
        DavError::caldav(
            StatusCode::FORBIDDEN,
            "supported-filter",
            "This filter is not supported yet: only component and time-range filters are.",
        )
    };
    for inner in &calendar.children {
        if !inner.is(CALDAV, "comp-filter") || result.component.is_some() {
            return Err(unsupported());
        }
        let name = inner.attribute("name").unwrap_or("").to_ascii_uppercase();
        if !matches!(name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL") {
            return Err(unsupported());
        }
        result.component = Some(name);
        for condition in &inner.children {
            if condition.is(CALDAV, "time-range") {
                result.start = condition.attribute("start").map(parse_utc).transpose()?;
                result.end = condition.attribute("end").map(parse_utc).transpose()?;
            } else {
                return Err(unsupported());
            }
        }
    }
    Ok(result)
}

/// A `time-range` bound: a UTC date-time like 20270101T000000Z.
fn parse_utc(text: &str) -> DavResult<i64> {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y%m%dT%H%M%SZ")
        .map(|t| t.and_utc().timestamp())
        .map_err(|_| {
            DavError::caldav(
                StatusCode::FORBIDDEN,
                "valid-filter",
                format!(
                    "time-range bounds must be UTC date-times like 20270101T000000Z, not {text:?}."
                ),
            )
        })
}

async fn query(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let wanted = wanted(root);
    let filter = parse_filter(root)?;
    let collection_id = target.collection.id;
    let only = target.only.clone();
    let with_bodies = wanted.calendar_data;
    let rows = ctx
        .app
        .store
        .read(move |conn| {
            let mut metas = objects::overlapping(
                conn,
                collection_id,
                filter.component.as_deref(),
                filter.start,
                filter.end,
            )?;
            if let Some(only) = only {
                metas.retain(|m| m.name == only);
            }
            let names: Vec<String> = metas.iter().map(|m| m.name.clone()).collect();
            if with_bodies {
                objects::bodies(conn, collection_id, &names)
            } else {
                Ok(metas.into_iter().map(|m| Some((m, Vec::new()))).collect())
            }
        })
        .await?;
    let mut out = Multistatus::new();
    for (meta, body) in rows.into_iter().flatten() {
        let body = with_bodies.then_some(body.as_slice());
        write_object(ctx, &mut out, target, &wanted, meta, body);
    }
    Ok(out.finish())
}

/// Parses `urn:concord:sync:{collection}-{seq}` for this collection.
fn parse_token(token: &str, collection: &Collection) -> Option<i64> {
    let rest = token.trim().strip_prefix(SYNC_TOKEN_PREFIX)?;
    let (id, seq) = rest.split_once('-')?;
    let seq: i64 = seq.parse().ok()?;
    (id.parse::<i64>().ok()? == collection.id && seq <= collection.sync_seq && seq >= 0)
        .then_some(seq)
}

async fn sync_collection(
    ctx: &Ctx,
    target: &Target,
    root: &Element,
    _resource: &Resource,
) -> DavResult<Response> {
    let wanted = wanted(root);
    let level = root
        .child(DAV, "sync-level")
        .map(|l| l.text.trim().to_owned())
        .unwrap_or_else(|| "1".into());
    if level != "1" && level != "infinite" {
        return Err(DavError::BadRequest(
            "sync-level must be 1 or infinite.".into(),
        ));
    }
    let token = root
        .child(DAV, "sync-token")
        .map(|t| t.text.trim().to_owned())
        .unwrap_or_default();
    let since = if token.is_empty() {
        None
    } else {
        Some(parse_token(&token, &target.collection).ok_or_else(|| {
            DavError::dav(
                StatusCode::FORBIDDEN,
                "valid-sync-token",
                "This sync token is unknown here; start again with an empty token.",
            )
        })?)
    };
    let limit = match root
        .child(DAV, "limit")
        .and_then(|l| l.child(DAV, "nresults"))
    {
        Some(n) => Some(n.text.trim().parse::<usize>().map_err(|_| {
            DavError::BadRequest("DAV:nresults must be a positive integer.".into())
        })?),
        None => None,
    };
    let collection_id = target.collection.id;
    let current_seq = target.collection.sync_seq;
    let with_bodies = wanted.calendar_data;
    let mut changes = ctx
        .app
        .store
        .read(move |conn| {
            let listed = match since {
                None => objects::list_by_seq(conn, collection_id)?
                    .into_iter()
                    .map(|m| (m.name.clone(), m.seq, Some(m)))
                    .collect(),
                Some(since) => objects::changed_since(conn, collection_id, since)?,
            };
            let mut out = Vec::with_capacity(listed.len());
            for (name, seq, meta) in listed {
                let body = match (&meta, with_bodies) {
                    (Some(_), true) => {
                        objects::with_body(conn, collection_id, &name)?.map(|(_, b)| b)
                    }
                    _ => None,
                };
                out.push((name, seq, meta, body));
            }
            Ok(out)
        })
        .await?;
    let mut new_seq = current_seq;
    let truncated = limit.is_some_and(|n| changes.len() > n);
    if let Some(n) = limit.filter(|_| truncated) {
        changes.truncate(n);
        // The token of a truncated answer points at the last change it holds.
        new_seq = changes
            .last()
            .map(|(_, seq, _, _)| *seq)
            .unwrap_or(since.unwrap_or(0));
    }
    let mut out = Multistatus::new();
    for (name, _, meta, body) in changes {
        match meta {
            Some(meta) => write_object(ctx, &mut out, target, &wanted, meta, body.as_deref()),
            None => out.status(&target.href(&name), StatusCode::NOT_FOUND),
        }
    }
    if truncated {
        out.status(
            &paths::collection_href(&target.login, &target.collection.path),
            StatusCode::INSUFFICIENT_STORAGE,
        );
    }
    out.push_raw(&format!(
        "<D:sync-token>{}</D:sync-token>",
        escape(&props::sync_token(collection_id, new_seq))
    ));
    Ok(out.finish())
}
