//! REPORT: calendar-multiget and calendar-query (RFC 4791 7.8, 7.9) and
//! sync-collection (RFC 6578).

use super::cache::Member;
use super::error::{DavError, DavResult};
use super::multistatus::{self, Content, Multistatus, PropValue};
use super::propfind::prop_names;
use super::xml::{escape, Element, Name, CALDAV, DAV};
use super::{parse_body, props, Ctx, Request, Resource};
use crate::http::Response;
use crate::paths;
use crate::query::filter::{
    self, Collation, CompFilter, MatchType, ParamFilter, PropFilter, TextMatch, TimeRange,
};
use crate::query::retrieve::{self, CompSelection, DataRequest};
use crate::query::tree;
use crate::store::objects::ObjectMeta;
use crate::store::views::{self, Scope};
use hyper::StatusCode;
use std::sync::Arc;

pub const SYNC_TOKEN_PREFIX: &str = "urn:concord:sync:";

/// What `supported-report-set` advertises on calendars: exactly what works.
pub const SUPPORTED: &str = "<D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report><D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report><D:supported-report><D:report><C:free-busy-query/></D:report></D:supported-report>";

pub async fn report(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    if matches!(resource, Resource::Missing { .. } | Resource::Orphan) {
        return Err(DavError::NotFound);
    }
    ctx.require_read(&resource)?;
    let root = parse_body(ctx, &request.body)?
        .ok_or_else(|| DavError::BadRequest("REPORT needs an XML body.".into()))?;
    if root.is(DAV, "principal-property-search") || root.is(DAV, "principal-search-property-set") {
        return super::principals::report(ctx, &resource, &root).await;
    }
    let target = match &resource {
        Resource::Collection { collection, .. } | Resource::Object { collection, .. }
            if collection.is_calendar =>
        {
            Target::new(ctx, &resource)
        }
        Resource::Aggregate { .. } | Resource::AggregateObject { .. } => {
            Target::new(ctx, &resource)
        }
        _ => return Err(unsupported_report(&root)),
    };
    if target.only.is_some() && root.is(DAV, "sync-collection") {
        return Err(unsupported_report(&root));
    }
    if root.is(CALDAV, "calendar-multiget") {
        multiget(ctx, &target, &root).await
    } else if root.is(CALDAV, "calendar-query") {
        query(ctx, &target, &root).await
    } else if root.is(CALDAV, "free-busy-query") {
        free_busy(ctx, &target, &root).await
    } else if root.is(DAV, "sync-collection") {
        sync_collection(ctx, &target, &root).await
    } else {
        Err(unsupported_report(&root))
    }
}

/// A REPORT body read as its handler reads it, without running it: what
/// the fuzz targets (`fuzz/`) drive, so that every body parser is reached
/// with hostile input. The filter of a calendar-query is returned, to be
/// evaluated on content.
pub fn parse_request(root: &Element) -> DavResult<Option<CompFilter>> {
    if root.is(CALDAV, "calendar-multiget") {
        wanted(root)?;
    } else if root.is(CALDAV, "calendar-query") {
        wanted(root)?;
        let filter = parse_filter(root)?;
        index_part(&filter);
        return Ok(Some(filter));
    } else if root.is(CALDAV, "free-busy-query") {
        if let Some(range) = root.child(CALDAV, "time-range") {
            time_range(range)?;
        }
    } else if root.is(DAV, "sync-collection") {
        wanted(root)?;
        let token = root.child(DAV, "sync-token").map(|t| t.text.trim());
        parse_token(token.unwrap_or(""), Scope::Public, i64::MAX);
    }
    Ok(None)
}

/// Whether a stored object passes a calendar-query filter's parts that the
/// index does not answer (the fuzz targets' way into `content_matches`).
pub fn filter_matches(body: &[u8], filter: &CompFilter, limits: &crate::ical::Limits) -> bool {
    content_matches(body, filter, chrono_tz::Europe::Paris, limits)
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

/// What a report runs on: a calendar or the intercommunal view, and the one
/// member when it targets an object.
#[derive(Clone)]
struct Target {
    scope: Scope,
    /// Href of the collection, ending with '/'.
    base: String,
    /// The collection resource, to derive its members' properties.
    parent: Resource,
    timezone: chrono_tz::Tz,
    only: Option<String>,
}

impl Target {
    fn new(ctx: &Ctx, resource: &Resource) -> Target {
        let (parent, only) = match resource {
            Resource::Object {
                owner,
                collection,
                object,
            } => (
                Resource::Collection {
                    owner: owner.clone(),
                    collection: collection.clone(),
                },
                Some(object.name.clone()),
            ),
            Resource::AggregateObject { alias, object } => (
                Resource::Aggregate {
                    alias: alias.clone(),
                    seq: 0,
                },
                Some(object.name.clone()),
            ),
            other => (other.clone(), None),
        };
        let (scope, timezone) = match &parent {
            Resource::Collection { collection, .. } => (
                Scope::Collection(collection.id),
                collection.floating_timezone().unwrap_or(ctx.app.timezone),
            ),
            _ => (Scope::Public, ctx.app.timezone),
        };
        Target {
            scope,
            base: parent.href(),
            parent,
            timezone,
            only,
        }
    }

    fn href(&self, name: &str) -> String {
        format!("{}{}", self.base, paths::encode_segment(name))
    }

    /// The member name an href points to, if it is inside this collection.
    fn member(&self, href: &str) -> Option<String> {
        let rest = paths::href_path(href).strip_prefix(self.base.as_str())?;
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        percent_encoding::percent_decode_str(rest)
            .decode_utf8()
            .ok()
            .map(|name| name.into_owned())
    }

    /// The resource of one member, for its properties.
    fn member_resource(&self, object: ObjectMeta) -> Resource {
        match &self.parent {
            Resource::Collection { owner, collection } => Resource::Object {
                owner: owner.clone(),
                collection: collection.clone(),
                object,
            },
            Resource::Aggregate { alias, .. } => Resource::AggregateObject {
                alias: alias.clone(),
                object,
            },
            _ => Resource::Orphan,
        }
    }
}

/// The `DAV:prop` of a report, with what its calendar-data asks for.
struct Wanted {
    names: Vec<Name>,
    calendar_data: bool,
    data: DataRequest,
}

fn wanted(root: &Element) -> DavResult<Wanted> {
    let prop = root.child(DAV, "prop");
    let names = prop.map(prop_names).unwrap_or_default();
    let data_element = prop.and_then(|p| p.child(CALDAV, "calendar-data"));
    let data = match data_element {
        Some(element) => data_request(element)?,
        None => DataRequest::default(),
    };
    Ok(Wanted {
        calendar_data: data_element.is_some(),
        names,
        data,
    })
}

fn data_request(element: &Element) -> DavResult<DataRequest> {
    if let Some(kind) = element.attribute("content-type") {
        if !kind.eq_ignore_ascii_case("text/calendar") {
            return Err(DavError::caldav(
                StatusCode::FORBIDDEN,
                "supported-calendar-data",
                format!("calendar-data is served as text/calendar, not {kind}."),
            ));
        }
    }
    let range = |name: &str| -> DavResult<Option<TimeRange>> {
        element.child(CALDAV, name).map(time_range).transpose()
    };
    Ok(DataRequest {
        selection: element.child(CALDAV, "comp").map(comp_selection),
        expand: range("expand")?,
        limit_recurrence: range("limit-recurrence-set")?,
    })
}

fn comp_selection(element: &Element) -> CompSelection {
    let name = element.attribute("name").unwrap_or("").to_ascii_uppercase();
    let props = if element.child(CALDAV, "allprop").is_some() {
        None
    } else {
        let listed: Vec<String> = element
            .children_named(CALDAV, "prop")
            .filter_map(|p| p.attribute("name"))
            .map(str::to_ascii_uppercase)
            .collect();
        (!listed.is_empty() || element.child(CALDAV, "comp").is_some()).then_some(listed)
    };
    let comps = if element.child(CALDAV, "allcomp").is_some() {
        None
    } else {
        let listed: Vec<CompSelection> = element
            .children_named(CALDAV, "comp")
            .map(comp_selection)
            .collect();
        (!listed.is_empty() || props.is_some()).then_some(listed)
    };
    CompSelection { name, props, comps }
}

fn time_range(element: &Element) -> DavResult<TimeRange> {
    let range = TimeRange {
        start: element.attribute("start").map(parse_utc).transpose()?,
        end: element.attribute("end").map(parse_utc).transpose()?,
    };
    if range.start.is_none() && range.end.is_none() {
        return Err(DavError::caldav(
            StatusCode::FORBIDDEN,
            "valid-filter",
            "A time-range needs a start, an end, or both.",
        ));
    }
    if let (Some(start), Some(end)) = (range.start, range.end) {
        if end <= start {
            return Err(DavError::caldav(
                StatusCode::FORBIDDEN,
                "valid-filter",
                "A time-range must end after it starts.",
            ));
        }
    }
    Ok(range)
}

/// An object's body as write_object gets it.
enum Body<'a> {
    /// As stored: public views strip it before use (`cache::served_body`).
    Stored(&'a [u8]),
    /// From the cache, already as the target's scope serves it.
    Member(&'a Member),
}

fn write_object(
    ctx: &Ctx,
    out: &mut Multistatus,
    target: &Target,
    wanted: &Wanted,
    meta: ObjectMeta,
    body: Option<Body>,
) {
    let href = target.href(&meta.name);
    let resource = target.member_resource(meta);
    // The calendar data, rendered before the loop so that the property
    // values can borrow it.
    let served;
    let data = match body {
        _ if !wanted.names.iter().any(|n| n.is(CALDAV, "calendar-data")) => None,
        Some(Body::Member(member)) if wanted.data.is_whole() => {
            Some(Content::Xml(member.escaped().into()))
        }
        Some(body) => {
            let body = match body {
                Body::Member(member) => &member.body[..],
                Body::Stored(body) => {
                    served = super::cache::served_body(target.scope, body);
                    &served[..]
                }
            };
            Some(Content::Text(retrieve::render(
                body,
                &wanted.data,
                target.timezone,
                &ctx.app.ical_limits(),
            )))
        }
        None => None,
    };
    let mut found: Vec<PropValue> = Vec::with_capacity(wanted.names.len());
    let mut missing = Vec::new();
    for name in &wanted.names {
        if name.is(CALDAV, "calendar-data") {
            if let Some(content) = &data {
                found.push(PropValue {
                    name: name.clone(),
                    content: content.borrowed(),
                });
            }
            continue;
        }
        match props::value(ctx, &resource, name) {
            Some(content) => found.push(PropValue {
                name: name.clone(),
                content: content.into(),
            }),
            None => missing.push((name.clone(), StatusCode::NOT_FOUND)),
        }
    }
    out.response(&href, &found, &missing);
}

async fn multiget(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let wanted = wanted(root)?;
    let hrefs: Vec<String> = root
        .children_named(DAV, "href")
        .map(|h| h.text.trim().to_owned())
        .collect();
    if hrefs.is_empty() {
        return Err(DavError::BadRequest(
            "calendar-multiget needs at least one DAV:href.".into(),
        ));
    }
    let members = cached_members(ctx, target, &hrefs).await?;
    let bytes: usize = members.iter().flatten().map(|m| m.body.len()).sum();
    let estimate = bytes + bytes / 4 + hrefs.len() * 400;
    let items: Vec<_> = hrefs.into_iter().zip(members).collect();
    let (ctx, target) = (ctx.clone(), target.clone());
    Ok(Multistatus::answer(
        estimate,
        items,
        String::new(),
        move |out, (href, member)| match member {
            Some(member) => write_object(
                &ctx,
                out,
                &target,
                &wanted,
                member.meta.clone(),
                Some(Body::Member(&member)),
            ),
            None => out.status(&href, StatusCode::NOT_FOUND),
        },
    ))
}

/// The members `hrefs` designate (None where nothing is there), from the
/// cache where possible and in one trip to the database for the rest.
async fn cached_members(
    ctx: &Ctx,
    target: &Target,
    hrefs: &[String],
) -> DavResult<Vec<Option<Arc<Member>>>> {
    let scope = target.scope;
    let cache = &ctx.app.dav_cache.members;
    let generation = ctx.app.store.generation();
    let mut members = Vec::with_capacity(hrefs.len());
    let mut missing = Vec::new();
    for (index, href) in hrefs.iter().enumerate() {
        let key = target.member(href).map(|name| (scope, name));
        let member = key.as_ref().and_then(|key| cache.get(generation, key));
        if let (None, Some((_, name))) = (&member, key) {
            missing.push((index, name));
        }
        members.push(member);
    }
    if missing.is_empty() {
        return Ok(members);
    }
    let names: Vec<String> = missing.iter().map(|(_, name)| name.clone()).collect();
    let stored = ctx
        .app
        .store
        .read(move |conn| {
            names
                .iter()
                .map(|name| views::with_body(conn, scope, name))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    for ((index, name), stored) in missing.into_iter().zip(stored) {
        if let Some((meta, body)) = stored {
            let member = Arc::new(Member::new(meta, body, scope));
            cache.insert(generation, (scope, name), member.clone(), member.weight());
            members[index] = Some(member);
        }
    }
    Ok(members)
}

fn invalid_filter(message: impl Into<String>) -> DavError {
    DavError::caldav(StatusCode::FORBIDDEN, "valid-filter", message)
}

fn parse_filter(root: &Element) -> DavResult<CompFilter> {
    let filter = root
        .child(CALDAV, "filter")
        .ok_or_else(|| invalid_filter("calendar-query needs a CALDAV:filter."))?;
    let calendar = filter
        .child(CALDAV, "comp-filter")
        .ok_or_else(|| invalid_filter("The filter must hold a comp-filter on VCALENDAR."))?;
    let calendar = comp_filter(calendar, 0)?;
    if calendar.name != "VCALENDAR" {
        return Err(invalid_filter("The outer comp-filter must name VCALENDAR."));
    }
    Ok(calendar)
}

fn comp_filter(element: &Element, depth: usize) -> DavResult<CompFilter> {
    let name = element
        .attribute("name")
        .ok_or_else(|| invalid_filter("comp-filter needs a name."))?
        .to_ascii_uppercase();
    let mut filter = CompFilter {
        name,
        any_of: element.attribute("test") == Some("anyof"),
        ..CompFilter::default()
    };
    for child in &element.children {
        if child.is(CALDAV, "is-not-defined") {
            filter.is_not_defined = true;
        } else if child.is(CALDAV, "time-range") {
            // On the object's components (answered by the index), or on
            // their alarms.
            if depth != 1 && !(depth == 2 && filter.name == "VALARM") {
                return Err(DavError::caldav(
                    StatusCode::FORBIDDEN,
                    "supported-filter",
                    format!(
                        "time-range is supported on VEVENT, VTODO, VJOURNAL and their VALARM, not inside {}.",
                        filter.name
                    ),
                ));
            }
            filter.time_range = Some(time_range(child)?);
        } else if child.is(CALDAV, "prop-filter") {
            filter.props.push(prop_filter(child)?);
        } else if child.is(CALDAV, "comp-filter") {
            if depth >= 4 {
                return Err(invalid_filter("comp-filters nest too deep."));
            }
            filter.comps.push(comp_filter(child, depth + 1)?);
        }
    }
    Ok(filter)
}

fn prop_filter(element: &Element) -> DavResult<PropFilter> {
    let name = element
        .attribute("name")
        .ok_or_else(|| invalid_filter("prop-filter needs a name."))?
        .to_ascii_uppercase();
    let mut filter = PropFilter {
        name,
        any_of: element.attribute("test") == Some("anyof"),
        ..PropFilter::default()
    };
    for child in &element.children {
        if child.is(CALDAV, "is-not-defined") {
            filter.is_not_defined = true;
        } else if child.is(CALDAV, "time-range") {
            filter.time_range = Some(time_range(child)?);
        } else if child.is(CALDAV, "text-match") {
            filter.text_match = Some(text_match(child)?);
        } else if child.is(CALDAV, "param-filter") {
            let name = child
                .attribute("name")
                .ok_or_else(|| invalid_filter("param-filter needs a name."))?
                .to_ascii_uppercase();
            filter.params.push(ParamFilter {
                name,
                is_not_defined: child.child(CALDAV, "is-not-defined").is_some(),
                text_match: child
                    .child(CALDAV, "text-match")
                    .map(text_match)
                    .transpose()?,
            });
        }
    }
    Ok(filter)
}

fn text_match(element: &Element) -> DavResult<TextMatch> {
    let collation_name = element.attribute("collation").unwrap_or("i;ascii-casemap");
    let collation = Collation::parse(collation_name).ok_or_else(|| {
        DavError::caldav(
            StatusCode::FORBIDDEN,
            "supported-collation",
            format!("Unsupported collation {collation_name:?}: use i;ascii-casemap, i;octet or i;unicode-casemap."),
        )
    })?;
    let match_type = match element.attribute("match-type").unwrap_or("contains") {
        "contains" => MatchType::Contains,
        "equals" => MatchType::Equals,
        "starts-with" => MatchType::StartsWith,
        "ends-with" => MatchType::EndsWith,
        other => return Err(invalid_filter(format!("Unknown match-type {other:?}."))),
    };
    Ok(TextMatch {
        text: element.text.clone(),
        collation,
        negate: element.attribute("negate-condition") == Some("yes"),
        match_type,
    })
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

/// What the instance index can answer for a filter: the component type and
/// time range of its one main comp-filter. The rest is evaluated on each
/// candidate's content.
struct IndexPart {
    component: Option<String>,
    range: TimeRange,
    needs_content: bool,
}

fn index_part(filter: &CompFilter) -> IndexPart {
    let simple = !filter.any_of && filter.props.is_empty() && filter.comps.len() == 1;
    match filter.comps.first() {
        Some(main) if simple && !main.is_not_defined => IndexPart {
            component: Some(main.name.clone()),
            range: main.time_range.unwrap_or_default(),
            needs_content: !main.props.is_empty() || !main.comps.is_empty() || main.any_of,
        },
        _ => IndexPart {
            component: None,
            range: TimeRange::default(),
            needs_content: !filter.comps.is_empty() || !filter.props.is_empty(),
        },
    }
}

async fn query(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let wanted = wanted(root)?;
    let filter = parse_filter(root)?;
    let part = index_part(&filter);
    if part.component.is_none() && filter.comps.iter().any(|c| c.time_range.is_some()) {
        return Err(DavError::caldav(
            StatusCode::FORBIDDEN,
            "supported-filter",
            "A time-range is supported in a single comp-filter on VEVENT, VTODO or VJOURNAL.",
        ));
    }
    let scope = target.scope;
    let only = target.only.clone();
    let always_bodies = wanted.calendar_data || part.needs_content;
    // Whole objects as calendar-data are what multiget and GET serve too:
    // the members cache holds them ready (stripped for public views,
    // escaped), and objects read here go into it for the next query.
    let whole_data = wanted.calendar_data && wanted.data.is_whole();
    let tz = target.timezone;
    let (component, range) = (part.component.clone(), part.range);
    let needs_content = part.needs_content;
    let generation = ctx.app.store.generation();
    let app = ctx.app.clone();
    let rows = ctx
        .app
        .store
        .read(move |conn| {
            let mut metas =
                views::overlapping(conn, scope, component.as_deref(), range.start, range.end)?;
            if let Some(only) = only {
                metas.retain(|m| m.name == only);
            }
            let members = &app.dav_cache.members;
            let mut rows = Vec::with_capacity(metas.len());
            for meta in metas {
                let beyond = beyond_index(&meta, range);
                if whole_data && !needs_content && !beyond {
                    let key = (scope, meta.name.clone());
                    let cached = members.get(generation, &key);
                    if let Some(member) = cached.filter(|m| m.meta.seq == meta.seq) {
                        rows.push(Some((meta, Found::Cached(member))));
                        continue;
                    }
                }
                let body = if always_bodies || beyond {
                    views::body(conn, &meta)?
                } else {
                    Some(Vec::new())
                };
                rows.push(body.map(|body| (meta, Found::Stored(body))));
            }
            Ok(rows)
        })
        .await?;
    let limits = ctx.app.ical_limits();
    let mut rows: Vec<_> = rows.into_iter().flatten().collect();
    // Filtering content and expanding series again past the index are CPU
    // work that grows with the objects (up to `max_instances` instances
    // each): off the async workers, which must keep answering.
    let keep = move |rows: &mut Vec<(ObjectMeta, Found)>| {
        rows.retain(|(meta, found)| match found {
            Found::Cached(_) => true,
            Found::Stored(body) => {
                (!needs_content || content_matches(body, &filter, tz, &limits))
                    && still_overlaps(body, meta, range, tz, &limits)
            }
        })
    };
    if needs_content || rows.iter().any(|(meta, _)| beyond_index(meta, range)) {
        rows = tokio::task::spawn_blocking(move || {
            keep(&mut rows);
            rows
        })
        .await
        .map_err(|error| DavError::Internal(format!("calendar-query filter: {error}")))?;
    } else {
        keep(&mut rows);
    }
    let estimate = rows
        .iter()
        .map(|(meta, found)| {
            let body = match found {
                Found::Stored(body) => body.len(),
                Found::Cached(member) => member.body.len(),
            };
            body + body / 8 + meta.name.len() + 300
        })
        .sum();
    let (ctx, target) = (ctx.clone(), target.clone());
    Ok(Multistatus::answer(
        estimate,
        rows,
        String::new(),
        move |out, (meta, found)| {
            let member = match found {
                Found::Cached(member) => member,
                Found::Stored(body) if whole_data => {
                    let member = Arc::new(Member::new(meta.clone(), body, target.scope));
                    let key = (target.scope, meta.name.clone());
                    let weight = member.weight();
                    let members = &ctx.app.dav_cache.members;
                    members.insert(generation, key, member.clone(), weight);
                    member
                }
                Found::Stored(body) => {
                    let body = wanted.calendar_data.then_some(Body::Stored(&body));
                    return write_object(&ctx, out, &target, &wanted, meta, body);
                }
            };
            write_object(
                &ctx,
                out,
                &target,
                &wanted,
                meta,
                Some(Body::Member(&member)),
            );
        },
    ))
}

/// A calendar-query candidate's content: as stored, or the member the
/// cache holds for it (same change sequence number).
enum Found {
    Stored(Vec<u8>),
    Cached(Arc<Member>),
}

/// Whether `range` reaches past the instances indexed for `meta` (an
/// infinite series, indexed up to a horizon): only expanding it again tells
/// whether it matches.
fn beyond_index(meta: &ObjectMeta, range: TimeRange) -> bool {
    matches!((range.end, meta.expanded_until), (Some(end), Some(until)) if end > until)
}

/// Whether a stored object passes the parts of `filter` the index cannot
/// answer.
fn content_matches(
    body: &[u8],
    filter: &CompFilter,
    tz: chrono_tz::Tz,
    limits: &crate::ical::Limits,
) -> bool {
    // Alarms ring relative to the instances of their own component: the
    // master's (without the occurrences overridden) or one override's.
    let instances = |component: &tree::Component, from: i64, until: i64| {
        let overridden = component
            .property("RECURRENCE-ID")
            .map(|p| (p.instant(tz), p.param("RANGE").is_some()));
        crate::ical::expand_between(body, tz, from, until, limits)
            .unwrap_or_else(|error| {
                // Not silently: the object is left out of the answer.
                tracing::warn!("calendar-query: instances not expanded for a filter: {error}");
                Vec::new()
            })
            .into_iter()
            .filter(|i| match overridden {
                None => !i.overridden,
                // THISANDFUTURE: the occurrences from this one on.
                Some((id, this_and_future)) => {
                    i.overridden
                        && (i.recurrence_id == id
                            || this_and_future && i.recurrence_id >= id && id.is_some())
                }
            })
            .map(|i| (i.start, i.end))
            .collect()
    };
    let context = filter::Context {
        floating: tz,
        instances: &instances,
    };
    filter::matches(&tree::parse(body), filter, context)
}

/// Series indexed only up to a horizon are candidates for any later range;
/// expand them over the asked range to decide.
fn still_overlaps(
    body: &[u8],
    meta: &ObjectMeta,
    range: TimeRange,
    tz: chrono_tz::Tz,
    limits: &crate::ical::Limits,
) -> bool {
    if !beyond_index(meta, range) || body.is_empty() {
        return true;
    }
    let (Some(end), Some(until)) = (range.end, meta.expanded_until) else {
        return true;
    };
    let start = range.start.unwrap_or(i64::MIN / 2);
    match crate::ical::expand_between(body, tz, start.max(until), end, limits) {
        Ok(instances) => instances.iter().any(|i| i.matches_range(start, end)),
        // More than `max_instances` occurrences within the range (the
        // expansion counts only those near it): the series certainly
        // matches, it is only too long to list. Any other error is kept
        // too, since the index named the object as a candidate: an answer
        // with one object too many is better than one silently missing.
        Err(error) => {
            tracing::warn!(
                "calendar-query: {} kept without expanding it past {}: {error}",
                meta.name,
                crate::http::http_date(until)
            );
            true
        }
    }
}

/// Parses `urn:concord:sync:{scope}-{seq}` for this scope; `None` when it is
/// foreign, malformed or from the future.
fn parse_token(token: &str, scope: Scope, current: i64) -> Option<i64> {
    let rest = token.trim().strip_prefix(SYNC_TOKEN_PREFIX)?;
    let (key, seq) = rest.rsplit_once('-')?;
    let seq: i64 = seq.parse().ok()?;
    (key == props::scope_key(scope) && (0..=current).contains(&seq)).then_some(seq)
}

async fn sync_collection(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let wanted = wanted(root)?;
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
    let limit = match root
        .child(DAV, "limit")
        .and_then(|l| l.child(DAV, "nresults"))
    {
        Some(n) => Some(n.text.trim().parse::<usize>().map_err(|_| {
            DavError::BadRequest("DAV:nresults must be a positive integer.".into())
        })?),
        None => None,
    };
    let scope = target.scope;
    let with_bodies = wanted.calendar_data;
    let answer = ctx
        .app
        .store
        .read(move |conn| {
            let current = views::current_seq(conn, scope)?;
            let since = if token.is_empty() {
                None
            } else {
                match parse_token(&token, scope, current) {
                    Some(seq) => Some(seq),
                    None => return Ok(None),
                }
            };
            let listed = match since {
                None => views::list(conn, scope, true)?
                    .into_iter()
                    .map(|m| (m.name.clone(), m.seq, Some(m)))
                    .collect(),
                Some(since) => views::changed_since(conn, scope, since)?,
            };
            let mut out = Vec::with_capacity(listed.len());
            for (name, seq, meta) in listed {
                let body = match (&meta, with_bodies) {
                    (Some(meta), true) => views::body(conn, meta)?,
                    _ => None,
                };
                out.push((name, seq, meta, body));
            }
            Ok(Some((since, current, out)))
        })
        .await?;
    let Some((since, current, mut changes)) = answer else {
        return Err(DavError::dav(
            StatusCode::FORBIDDEN,
            "valid-sync-token",
            "This sync token is unknown here; start again with an empty token.",
        ));
    };
    let mut new_seq = current;
    let truncated = limit.is_some_and(|n| changes.len() > n);
    if let Some(n) = limit.filter(|_| truncated) {
        changes.truncate(n);
        // The token of a truncated answer points at the last change it holds.
        new_seq = changes
            .last()
            .map(|(_, seq, _, _)| *seq)
            .unwrap_or(since.unwrap_or(0));
    }
    let mut tail = String::new();
    if truncated {
        tail = multistatus::status_element(&target.base, StatusCode::INSUFFICIENT_STORAGE);
    }
    tail.push_str(&format!(
        "<D:sync-token>{}</D:sync-token>",
        escape(&props::sync_token(scope, new_seq))
    ));
    let estimate = changes
        .iter()
        .map(|(name, _, _, body)| name.len() + 300 + body.as_ref().map_or(0, |b| b.len() * 9 / 8))
        .sum();
    let (ctx, target) = (ctx.clone(), target.clone());
    Ok(Multistatus::answer(
        estimate,
        changes,
        tail,
        move |out, (name, _, meta, body)| match meta {
            Some(meta) => write_object(
                &ctx,
                out,
                &target,
                &wanted,
                meta,
                body.as_deref().map(Body::Stored),
            ),
            None => out.status(&target.href(&name), StatusCode::NOT_FOUND),
        },
    ))
}

async fn free_busy(ctx: &Ctx, target: &Target, root: &Element) -> DavResult<Response> {
    let range = root
        .child(CALDAV, "time-range")
        .ok_or_else(|| invalid_filter("free-busy-query needs a CALDAV:time-range."))
        .and_then(time_range)?;
    let (Some(start), Some(end)) = (range.start, range.end) else {
        return Err(invalid_filter("free-busy-query needs both start and end."));
    };
    let scope = target.scope;
    let busy = ctx
        .app
        .store
        .read(move |conn| views::busy_between(conn, scope, start, end))
        .await?;
    let body = crate::query::freebusy::render(&busy, start, end, crate::store::now());
    Ok(crate::http::response(
        StatusCode::OK,
        crate::http::CALENDAR,
        body,
    ))
}
