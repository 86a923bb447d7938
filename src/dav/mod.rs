//! WebDAV/CalDAV protocol: resolves the target resource, checks privileges
//! and dispatches by method. Storage and the iCalendar model are reached
//! only through their modules' functions.

pub mod cache;
pub mod error;
pub mod mkcol;
pub mod multistatus;
pub mod object;
pub mod principals;
pub mod propfind;
pub mod proppatch;
pub mod props;
pub mod report;
pub mod xml;

use crate::app::App;
use crate::http::{self, Response};
use crate::paths::{self, DavPath, PathError};
use crate::store::accounts::{self, Principal};
use crate::store::collections::{self, Collection};
use crate::store::objects::{self, ObjectMeta};
use crate::store::views::{self, Scope};
use bytes::Bytes;
use cache::Member;
use error::{DavError, DavResult};
use hyper::{HeaderMap, Method, StatusCode};
use std::sync::Arc;

/// What one request needs: the application and the authenticated user.
#[derive(Clone)]
pub struct Ctx {
    pub app: Arc<App>,
    pub user: Principal,
}

/// The target of a request, looked up once.
#[derive(Debug, Clone)]
pub enum Resource {
    Root,
    Principals,
    Principal(Principal),
    CalendarsRoot,
    Home(Principal),
    Collection {
        owner: Principal,
        collection: Collection,
    },
    Object {
        owner: Principal,
        collection: Collection,
        object: ObjectMeta,
    },
    /// The intercommunal calendar (read-only), seen through `alias`'s home
    /// or at its own URL; `seq` is its ctag.
    Aggregate {
        alias: Option<Principal>,
        seq: i64,
    },
    AggregateObject {
        alias: Option<Principal>,
        object: ObjectMeta,
    },
    /// Nothing there yet, but its parent exists (home when `parent` is None).
    Missing {
        owner: Principal,
        parent: Option<Collection>,
        name: String,
    },
    /// Nothing there, and its parent is missing too (409 for PUT/MKCOL).
    Orphan,
}

pub const DAV_HEADER: &str = "1, 3, calendar-access";

impl Resource {
    pub fn owner(&self) -> Option<&Principal> {
        match self {
            Resource::Principal(p) | Resource::Home(p) => Some(p),
            Resource::Aggregate { alias, .. } | Resource::AggregateObject { alias, .. } => {
                alias.as_ref()
            }
            Resource::Collection { owner, .. }
            | Resource::Object { owner, .. }
            | Resource::Missing { owner, .. } => Some(owner),
            _ => None,
        }
    }

    pub fn href(&self) -> String {
        match self {
            Resource::Root => paths::DAV_ROOT.into(),
            Resource::Principals => "/dav/principals/".into(),
            Resource::Principal(p) => paths::principal_href(&p.login),
            Resource::CalendarsRoot => "/dav/calendars/".into(),
            Resource::Home(p) => paths::home_href(&p.login),
            Resource::Collection { owner, collection } => {
                paths::collection_href(&owner.login, &collection.path)
            }
            Resource::Object {
                owner,
                collection,
                object,
            } => paths::object_href(&owner.login, &collection.path, &object.name),
            Resource::Missing {
                owner,
                parent,
                name,
            } => match parent {
                Some(parent) => paths::object_href(&owner.login, &parent.path, name),
                None => paths::home_href(&owner.login) + &paths::encode_segment(name),
            },
            Resource::Aggregate { alias, .. } => {
                paths::aggregate_href(alias.as_ref().map(|p| p.login.as_str()))
            }
            Resource::AggregateObject { alias, object } => {
                paths::aggregate_href(alias.as_ref().map(|p| p.login.as_str()))
                    + &paths::encode_segment(&object.name)
            }
            Resource::Orphan => String::new(),
        }
    }

    /// The methods this resource answers, for `Allow` and 405s.
    pub fn allow(&self) -> &'static str {
        match self {
            Resource::Root
            | Resource::Principals
            | Resource::Principal(_)
            | Resource::CalendarsRoot => "OPTIONS, PROPFIND, REPORT",
            Resource::Home(_) => "OPTIONS, PROPFIND, REPORT",
            Resource::Collection { collection, .. } if collection.is_calendar => {
                "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, REPORT, DELETE"
            }
            Resource::Collection { .. } => "OPTIONS, PROPFIND, PROPPATCH, DELETE",
            Resource::Object { .. } => "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT",
            Resource::Aggregate { .. } => "OPTIONS, GET, HEAD, PROPFIND, REPORT",
            Resource::AggregateObject { .. } => "OPTIONS, GET, HEAD, PROPFIND, REPORT",
            Resource::Missing { .. } | Resource::Orphan => "OPTIONS, PUT, MKCOL, MKCALENDAR",
        }
    }
}

impl Ctx {
    /// Organisers read their own home; staff and administrators read all.
    pub fn can_read(&self, owner: &Principal) -> bool {
        self.user.id == owner.id || self.user.role.reads_everything()
    }

    /// Only the owner writes, even staff cannot change an organiser's events.
    pub fn can_write(&self, owner: &Principal) -> bool {
        self.user.id == owner.id
    }

    pub fn require_read(&self, resource: &Resource) -> DavResult<()> {
        match resource.owner() {
            Some(owner) if !matches!(resource, Resource::Principal(_)) && !self.can_read(owner) => {
                Err(DavError::NeedPrivileges {
                    href: resource.href(),
                    privilege: "read",
                    reason: None,
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether the user may change `resource`: its owner may, unless the
    /// server writes it (intercommunal and conflicts calendars).
    pub fn writable(&self, resource: &Resource) -> bool {
        let read_only = match resource {
            Resource::Aggregate { .. }
            | Resource::AggregateObject { .. }
            | Resource::Principal(_) => true,
            Resource::Collection { collection, .. } | Resource::Object { collection, .. } => {
                collection.managed || collection.imported
            }
            Resource::Missing {
                parent: Some(parent),
                ..
            } => parent.managed || parent.imported,
            _ => false,
        };
        !read_only && resource.owner().is_some_and(|owner| self.can_write(owner))
    }

    pub fn require_write(&self, resource: &Resource, privilege: &'static str) -> DavResult<()> {
        if self.writable(resource) {
            Ok(())
        } else {
            Err(DavError::NeedPrivileges {
                href: resource.href(),
                privilege,
                reason: None,
            })
        }
    }
}

/// Looks the path up, in memory when nothing was written since it was last
/// looked up, else in the database; with `with_body`, also reads the object
/// it designates, in the same trip to the database (GET is the most
/// frequent request).
pub async fn resolve(
    app: &App,
    path_text: &str,
    path: DavPath,
    with_body: bool,
) -> DavResult<(Resource, Option<Arc<Member>>)> {
    let generation = app.store.generation();
    if let Some(resource) = app.dav_cache.resolved.get(generation, path_text) {
        let resource = Resource::clone(&resource);
        match cache::member_key(&resource) {
            Some(key) if with_body => {
                if let Some(member) = app.dav_cache.members.get(generation, &key) {
                    return Ok((resource, Some(member)));
                }
            }
            _ => return Ok((resource, None)),
        }
    }
    let resolved = app
        .store
        .read(move |conn| {
            let resource = match path {
                DavPath::Root => Some(Resource::Root),
                DavPath::Principals => Some(Resource::Principals),
                DavPath::CalendarsRoot => Some(Resource::CalendarsRoot),
                DavPath::Principal(login) => {
                    accounts::by_login(conn, &login)?.map(Resource::Principal)
                }
                DavPath::Home(login) => accounts::by_login(conn, &login)?.map(Resource::Home),
                DavPath::Aggregate { alias, member } => {
                    let alias = match alias {
                        Some(login) => match accounts::by_login(conn, &login)? {
                            Some(principal) => Some(principal),
                            None => return Ok(None),
                        },
                        None => None,
                    };
                    match member {
                        None => Some(Resource::Aggregate {
                            alias,
                            seq: views::current_seq(conn, Scope::Public)?,
                        }),
                        Some(name) => views::meta(conn, Scope::Public, &name)?
                            .map(|object| Resource::AggregateObject { alias, object }),
                    }
                }
                DavPath::InHome {
                    login, segments, ..
                } => match accounts::by_login(conn, &login)? {
                    None => None,
                    Some(owner) => Some(resolve_in_home(conn, owner, segments)?),
                },
            };
            let body = match (&resource, with_body) {
                (
                    Some(Resource::Object {
                        collection, object, ..
                    }),
                    true,
                ) => views::with_body(conn, Scope::Collection(collection.id), &object.name)?,
                (Some(Resource::AggregateObject { object, .. }), true) => {
                    views::with_body(conn, Scope::Public, &object.name)?
                }
                _ => None,
            };
            Ok(resource.map(|r| (r, body)))
        })
        .await?;
    let (resource, stored) = resolved.ok_or(DavError::NotFound)?;
    if !matches!(resource, Resource::Missing { .. } | Resource::Orphan) {
        let weight = cache::resource_weight(path_text, &resource);
        let resource = Arc::new(resource.clone());
        app.dav_cache
            .resolved
            .insert(generation, path_text.to_owned(), resource, weight);
    }
    let member = match (stored, cache::member_key(&resource)) {
        (Some((meta, body)), Some(key)) => {
            let member = Arc::new(Member::new(meta, body, key.0));
            app.dav_cache
                .members
                .insert(generation, key, member.clone(), member.weight());
            Some(member)
        }
        _ => None,
    };
    Ok((resource, member))
}

fn resolve_in_home(
    conn: &rusqlite::Connection,
    owner: Principal,
    mut segments: Vec<String>,
) -> crate::store::Result<Resource> {
    let full = segments.join("/");
    if let Some(collection) = collections::get(conn, owner.id, &full)? {
        return Ok(Resource::Collection { owner, collection });
    }
    let name = segments.pop().unwrap_or_default();
    if segments.is_empty() {
        return Ok(Resource::Missing {
            owner,
            parent: None,
            name,
        });
    }
    let Some(parent) = collections::get(conn, owner.id, &segments.join("/"))? else {
        return Ok(Resource::Orphan);
    };
    if parent.is_calendar {
        if let Some(object) = objects::meta(conn, parent.id, &name)? {
            return Ok(Resource::Object {
                owner,
                collection: parent,
                object,
            });
        }
    }
    Ok(Resource::Missing {
        owner,
        parent: Some(parent),
        name,
    })
}

/// The body of a request, read by the router within the method's limit.
pub struct Request {
    pub method: Method,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub async fn handle(ctx: Ctx, path: &str, request: Request) -> Response {
    let result = dispatch(&ctx, path, &request).await;
    result.unwrap_or_else(DavError::into_response)
}

async fn dispatch(ctx: &Ctx, path: &str, request: &Request) -> DavResult<Response> {
    let parsed = match paths::parse(path) {
        Ok(parsed) => parsed,
        Err(PathError::NotFound) => return Err(DavError::NotFound),
        Err(PathError::Invalid(message)) => return Err(DavError::BadRequest(message)),
    };
    // Writing into the intercommunal calendar is refused as a missing
    // privilege, also for members that do not exist.
    if let DavPath::Aggregate {
        member: Some(_), ..
    } = &parsed
    {
        if let Some(privilege) = write_privilege(request.method.as_str()) {
            return Err(DavError::NeedPrivileges {
                href: path.to_owned(),
                privilege,
                reason: None,
            });
        }
    }
    let reads_body = matches!(request.method.as_str(), "GET" | "HEAD");
    let (resource, member) = resolve_current(ctx, path, parsed, reads_body).await?;
    let method = request.method.as_str();
    if matches!(
        resource,
        Resource::Aggregate { .. } | Resource::AggregateObject { .. }
    ) {
        if let Some(privilege) = write_privilege(method) {
            return Err(DavError::NeedPrivileges {
                href: resource.href(),
                privilege,
                reason: None,
            });
        }
    }
    // A feed's mirror changes only with its feed: every write is refused,
    // saying so, whoever asks.
    if in_mirror(&resource) {
        if let Some(privilege) = write_privilege(method) {
            return Err(DavError::NeedPrivileges {
                href: resource.href(),
                privilege,
                reason: Some(MIRROR_READ_ONLY),
            });
        }
    }
    match method {
        "OPTIONS" => Ok(options(&resource)),
        "PROPFIND" => propfind::propfind(ctx, resource, request).await,
        "PROPPATCH" => proppatch::proppatch(ctx, resource, request).await,
        "GET" | "HEAD" => object::get(ctx, resource, member, request).await,
        "PUT" => object::put(ctx, resource, request).await,
        "DELETE" => object::delete(ctx, resource, request).await,
        "MKCOL" | "MKCALENDAR" => mkcol::mkcol(ctx, resource, request).await,
        "REPORT" => report::report(ctx, resource, request).await,
        _ => Err(DavError::MethodNotAllowed {
            allow: resource.allow(),
        }),
    }
}

/// `resolve`, and for a path inside a conflicts calendar, also brings that
/// calendar up to date first when the user may read it (and looks the path
/// up again if that wrote). The path is resolved and the right to read it
/// checked before: a login that does not exist or a calendar the user may
/// not read costs no conflict computation.
async fn resolve_current(
    ctx: &Ctx,
    path: &str,
    parsed: DavPath,
    with_body: bool,
) -> DavResult<(Resource, Option<Arc<Member>>)> {
    let in_conflicts = matches!(
        &parsed,
        DavPath::InHome { segments, .. }
            if segments.first().map(String::as_str) == Some(crate::conflicts::calendar::PATH)
    );
    let again = in_conflicts.then(|| parsed.clone());
    let resolved = resolve(&ctx.app, path, parsed, with_body).await?;
    let owner = match (&again, resolved.0.owner()) {
        (Some(_), Some(owner)) if ctx.can_read(owner) => owner.clone(),
        _ => return Ok(resolved),
    };
    match again {
        Some(parsed) if crate::conflicts::calendar::refresh(&ctx.app, &owner).await? => {
            resolve(&ctx.app, path, parsed, with_body).await
        }
        _ => Ok(resolved),
    }
}

/// Why a feed's mirror refuses writes.
const MIRROR_READ_ONLY: &str = "This calendar is a copy of an external calendar feed, updated by the server: change its events where they come from (or ask an administrator to end the subscription).";

/// Whether `resource` is a feed's mirror or inside one.
fn in_mirror(resource: &Resource) -> bool {
    match resource {
        Resource::Collection { collection, .. } | Resource::Object { collection, .. } => {
            collection.imported
        }
        Resource::Missing {
            parent: Some(parent),
            ..
        } => parent.imported,
        _ => false,
    }
}

/// The privilege a method would need on a read-only resource (the
/// intercommunal calendar, a feed's mirror), if it writes.
fn write_privilege(method: &str) -> Option<&'static str> {
    match method {
        "PROPPATCH" => Some("write-properties"),
        "PUT" => Some("write-content"),
        "DELETE" => Some("unbind"),
        "MKCOL" | "MKCALENDAR" => Some("bind"),
        _ => None,
    }
}

pub fn options(resource: &Resource) -> Response {
    let mut response = http::empty(StatusCode::OK);
    http::set_header(&mut response, "dav", DAV_HEADER);
    http::set_header(&mut response, "allow", resource.allow());
    http::set_header(&mut response, "content-length", "0");
    response
}

pub fn anonymous_options() -> Response {
    let mut response = http::empty(StatusCode::OK);
    http::set_header(&mut response, "dav", DAV_HEADER);
    http::set_header(
        &mut response,
        "allow",
        "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR",
    );
    http::set_header(&mut response, "content-length", "0");
    response
}

/// The `Depth` header: 0, 1, or infinity (also when absent, RFC 4918 9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
    Infinity,
}

pub fn depth(headers: &HeaderMap, default: Depth) -> DavResult<Depth> {
    match http::header(headers, "depth").map(str::trim) {
        None => Ok(default),
        Some("0") => Ok(Depth::Zero),
        Some("1") => Ok(Depth::One),
        Some(v) if v.eq_ignore_ascii_case("infinity") => Ok(Depth::Infinity),
        Some(other) => Err(DavError::BadRequest(format!(
            "Depth must be 0, 1 or infinity, not {other:?}."
        ))),
    }
}

/// Parses an XML body with the configured limits; `None` for an empty body.
pub fn parse_body(ctx: &Ctx, body: &[u8]) -> DavResult<Option<xml::Element>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let limits = xml::XmlLimits {
        max_depth: ctx.app.config.limits.max_xml_depth,
        max_elements: ctx.app.config.limits.max_xml_elements,
    };
    Ok(Some(xml::parse(body, limits)?))
}
