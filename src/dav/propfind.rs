//! PROPFIND (RFC 4918 9.1) with Depth 0 and 1.

use super::error::{DavError, DavResult};
use super::multistatus::{Multistatus, PropValue};
use super::xml::{Element, Name, DAV};
use super::{depth, parse_body, props, Ctx, Depth, Request, Resource};
use crate::http::Response;
use crate::store::accounts;
use crate::store::collections;
use crate::store::views::{self, Scope};
use hyper::StatusCode;

enum Wanted {
    Props(Vec<Name>),
    AllProp(Vec<Name>),
    PropName,
}

pub async fn propfind(ctx: &Ctx, resource: Resource, request: &Request) -> DavResult<Response> {
    if matches!(resource, Resource::Missing { .. } | Resource::Orphan) {
        return Err(DavError::NotFound);
    }
    ctx.require_read(&resource)?;
    let depth = depth(&request.headers, Depth::Infinity)?;
    if depth == Depth::Infinity {
        return Err(DavError::dav(
            StatusCode::FORBIDDEN,
            "propfind-finite-depth",
            "PROPFIND with Depth: infinity is not supported; use Depth 0 or 1.",
        ));
    }
    let wanted = match parse_body(ctx, &request.body)? {
        None => Wanted::AllProp(Vec::new()),
        Some(root) => parse_wanted(&root)?,
    };
    let mut targets = vec![resource.clone()];
    if depth == Depth::One {
        targets.extend(children(ctx, &resource).await?);
    }
    // About half a kilobyte per resource with the usual properties.
    let estimate = targets.len() * 512;
    let ctx = ctx.clone();
    Ok(Multistatus::answer(
        estimate,
        targets,
        String::new(),
        move |out, target| write_target(&ctx, out, &target, &wanted),
    ))
}

fn write_target(ctx: &Ctx, out: &mut Multistatus, target: &Resource, wanted: &Wanted) {
    match wanted {
        Wanted::Props(names) => {
            let (found, missing) = props::collect(ctx, target, names);
            out.response(&target.href(), &found, &missing);
        }
        Wanted::AllProp(include) => {
            let mut found = Vec::new();
            for (ns, local) in props::ALLPROP {
                let name = Name::new(ns, local);
                if let Some(content) = props::value(ctx, target, &name) {
                    found.push(PropValue {
                        name,
                        content: content.into(),
                    });
                }
            }
            let (extra, missing) = props::collect(ctx, target, include);
            found.extend(extra);
            out.response(&target.href(), &found, &missing);
        }
        Wanted::PropName => {
            let found: Vec<PropValue> = props::KNOWN
                .iter()
                .map(|(ns, local)| Name::new(ns, local))
                .filter(|name| props::value(ctx, target, name).is_some())
                .map(|name| PropValue {
                    name,
                    content: String::new().into(),
                })
                .collect();
            out.response(&target.href(), &found, &[]);
        }
    }
}

fn parse_wanted(root: &Element) -> DavResult<Wanted> {
    if !root.is(DAV, "propfind") {
        return Err(DavError::BadRequest(
            "The PROPFIND body must be a DAV:propfind element.".into(),
        ));
    }
    if let Some(prop) = root.child(DAV, "prop") {
        return Ok(Wanted::Props(prop_names(prop)));
    }
    if root.child(DAV, "allprop").is_some() {
        let include = root
            .child(DAV, "include")
            .map(prop_names)
            .unwrap_or_default();
        return Ok(Wanted::AllProp(include));
    }
    if root.child(DAV, "propname").is_some() {
        return Ok(Wanted::PropName);
    }
    Err(DavError::BadRequest(
        "DAV:propfind must hold DAV:prop, DAV:allprop or DAV:propname.".into(),
    ))
}

pub fn prop_names(prop: &Element) -> Vec<Name> {
    let mut names: Vec<Name> = Vec::with_capacity(prop.children.len());
    for child in &prop.children {
        if !names.contains(&child.name) {
            names.push(child.name.clone());
        }
    }
    names
}

/// Members listed by a Depth 1 PROPFIND, filtered to what the user may read.
async fn children(ctx: &Ctx, resource: &Resource) -> DavResult<Vec<Resource>> {
    let user = ctx.user.clone();
    let resource = resource.clone();
    let members = ctx
        .app
        .store
        .read(move |conn| {
            Ok(match resource {
                Resource::Root => vec![Resource::Principals, Resource::CalendarsRoot],
                Resource::Principals | Resource::CalendarsRoot => {
                    let everyone = if user.role.reads_everything() {
                        accounts::list(conn)?
                    } else {
                        vec![user.clone()]
                    };
                    let principals = matches!(resource, Resource::Principals);
                    everyone
                        .into_iter()
                        .map(|p| {
                            if principals {
                                Resource::Principal(p)
                            } else {
                                Resource::Home(p)
                            }
                        })
                        .collect()
                }
                Resource::Home(owner) => {
                    let mut members: Vec<Resource> = collections::children(conn, owner.id, "")?
                        .into_iter()
                        .map(|collection| Resource::Collection {
                            owner: owner.clone(),
                            collection,
                        })
                        .collect();
                    members.push(Resource::Aggregate {
                        seq: views::current_seq(conn, Scope::Public)?,
                        alias: Some(owner),
                    });
                    members
                }
                Resource::Aggregate { alias, .. } => views::list(conn, Scope::Public, false)?
                    .into_iter()
                    .map(|object| Resource::AggregateObject {
                        alias: alias.clone(),
                        object,
                    })
                    .collect(),
                Resource::Collection { owner, collection } if collection.is_calendar => {
                    views::list(conn, Scope::Collection(collection.id), false)?
                        .into_iter()
                        .map(|object| Resource::Object {
                            owner: owner.clone(),
                            collection: collection.clone(),
                            object,
                        })
                        .collect()
                }
                Resource::Collection { owner, collection } => {
                    collections::children(conn, owner.id, &collection.path)?
                        .into_iter()
                        .map(|collection| Resource::Collection {
                            owner: owner.clone(),
                            collection,
                        })
                        .collect()
                }
                _ => Vec::new(),
            })
        })
        .await?;
    Ok(members)
}
