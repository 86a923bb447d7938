//! What GET and calendar-multiget read most, kept in memory between writes
//! (see `store::cache` for why entries can never be stale): resolved paths,
//! and calendar objects with their body as served and its XML-escaped form.

use super::Resource;
use crate::store::cache::GenerationCache;
use crate::store::objects::ObjectMeta;
use crate::store::views::Scope;
use bytes::Bytes;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Bounds: the dataset of the whole territory (20,000 objects of about a
/// kilobyte) fits, with room for its escaped copies.
const MAX_PATHS: usize = 50_000;
const MAX_MEMBERS: usize = 50_000;

pub struct DavCache {
    pub resolved: GenerationCache<String, Resource>,
    pub members: GenerationCache<(Scope, String), Member>,
}

impl Default for DavCache {
    fn default() -> Self {
        DavCache {
            resolved: GenerationCache::new(MAX_PATHS),
            members: GenerationCache::new(MAX_MEMBERS),
        }
    }
}

/// A calendar object as its scope serves it: public views get the body
/// already stripped of private data.
pub struct Member {
    pub meta: ObjectMeta,
    pub body: Bytes,
    escaped: OnceLock<String>,
}

impl Member {
    pub fn new(meta: ObjectMeta, stored: Vec<u8>, scope: Scope) -> Member {
        let body = match served_body(scope, &stored) {
            Cow::Owned(public) => public,
            Cow::Borrowed(_) => stored,
        };
        Member {
            meta,
            body: Bytes::from(body),
            escaped: OnceLock::new(),
        }
    }

    /// The body as XML text content (calendar-data), escaped once.
    pub fn escaped(&self) -> &str {
        self.escaped.get_or_init(|| {
            let text = String::from_utf8_lossy(&self.body);
            let mut out = String::with_capacity(text.len() + text.len() / 8);
            crate::text::escape_markup_into(&mut out, &text);
            out
        })
    }
}

/// A stored body as `scope` serves it: public views strip private data.
pub fn served_body(scope: Scope, stored: &[u8]) -> Cow<'_, [u8]> {
    match scope {
        Scope::Public => Cow::Owned(crate::query::public::public_body(stored)),
        Scope::Collection(_) => Cow::Borrowed(stored),
    }
}

/// The member key of an object resource.
pub fn member_key(resource: &Resource) -> Option<(Scope, String)> {
    match resource {
        Resource::Object {
            collection, object, ..
        } => Some((Scope::Collection(collection.id), object.name.clone())),
        Resource::AggregateObject { object, .. } => Some((Scope::Public, object.name.clone())),
        _ => None,
    }
}
