//! Principal searches (RFC 3744 9.4, 9.5), which clients use to find other
//! organisers, e.g. to invite them or to look one up by name.

use super::error::{DavError, DavResult};
use super::multistatus::Multistatus;
use super::propfind::prop_names;
use super::xml::{Element, CALDAV, DAV};
use super::{props, Ctx, Resource};
use crate::http::Response;
use crate::store::accounts;
use hyper::StatusCode;

pub const SUPPORTED: &str = "<D:supported-report><D:report><D:principal-property-search/></D:report></D:supported-report><D:supported-report><D:report><D:principal-search-property-set/></D:report></D:supported-report>";

pub async fn report(ctx: &Ctx, resource: &Resource, root: &Element) -> DavResult<Response> {
    if !matches!(
        resource,
        Resource::Principals | Resource::Principal(_) | Resource::Root
    ) {
        return Err(DavError::dav(
            StatusCode::FORBIDDEN,
            "supported-report",
            "Principal searches run on /dav/principals/.",
        ));
    }
    if root.is(DAV, "principal-search-property-set") {
        return Ok(search_property_set());
    }
    // Every condition must hold (test="allof", the default); "anyof" is
    // also accepted.
    let any_of = root.attribute("test") == Some("anyof");
    let mut conditions: Vec<(Vec<String>, String)> = Vec::new();
    for search in root.children_named(DAV, "property-search") {
        let fields = search
            .child(DAV, "prop")
            .map(prop_names)
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.local)
            .collect();
        let needle = search
            .child(DAV, "match")
            .map(|m| m.text.trim().to_lowercase())
            .unwrap_or_default();
        conditions.push((fields, needle));
    }
    let mut wanted = root.child(DAV, "prop").map(prop_names).unwrap_or_default();
    if wanted.is_empty() {
        // python-caldav sends `<prop/>` followed by the properties as its
        // siblings; read them as the properties asked for.
        wanted = root
            .children
            .iter()
            .filter(|c| {
                !c.is(DAV, "prop")
                    && !c.is(DAV, "property-search")
                    && !c.is(DAV, "apply-to-principal-collection-set")
            })
            .map(|c| c.name.clone())
            .collect();
    }
    let everyone = ctx.app.store.read(accounts::list).await?;
    let mut out = Multistatus::new();
    for principal in everyone.into_iter().filter(|p| !p.disabled) {
        let matches = |(fields, needle): &(Vec<String>, String)| {
            fields.iter().any(|field| {
                let haystack = match field.as_str() {
                    "displayname" => principal.display_name.to_lowercase(),
                    "calendar-user-address-set" | "email-address-set" => {
                        crate::paths::principal_href(&principal.login)
                    }
                    _ => return false,
                };
                haystack.contains(needle.as_str())
            })
        };
        let keep = conditions.is_empty()
            || if any_of {
                conditions.iter().any(matches)
            } else {
                conditions.iter().all(matches)
            };
        if keep {
            let target = Resource::Principal(principal);
            let (found, missing) = props::collect(ctx, &target, &wanted);
            out.response(&target.href(), &found, &missing);
        }
    }
    Ok(out.finish())
}

fn search_property_set() -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:principal-search-property-set xmlns:D=\"{DAV}\" xmlns:C=\"{CALDAV}\"><D:principal-search-property><D:prop><D:displayname/></D:prop><D:description xml:lang=\"en\">Display name</D:description></D:principal-search-property><D:principal-search-property><D:prop><C:calendar-user-address-set/></D:prop><D:description xml:lang=\"en\">Calendar user address</D:description></D:principal-search-property></D:principal-search-property-set>\n"
    );
    crate::http::response(StatusCode::OK, crate::http::XML, body)
}
