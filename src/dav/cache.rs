//! What GET and calendar-multiget read most, kept in memory between writes
//! (see `store::cache` for why entries can never be stale): resolved paths,
//! and calendar objects with their body as served and its XML-escaped form.

use super::Resource;
use crate::http;
use crate::store::cache::{Budget, GenerationCache};
use crate::store::objects::ObjectMeta;
use crate::store::views::Scope;
use bytes::Bytes;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

pub struct DavCache {
    pub resolved: GenerationCache<String, Resource>,
    pub members: GenerationCache<(Scope, String), Member>,
}

impl DavCache {
    /// Caches holding what `budget` (shared with the feeds) lets them.
    pub fn new(budget: Arc<Budget>) -> DavCache {
        DavCache {
            resolved: GenerationCache::new(budget.clone()),
            members: GenerationCache::new(budget),
        }
    }
}

/// What a resolved path weighs in the cache, roughly: the key, the
/// resource's fixed part and strings, and a collection's time zone (a
/// VTIMEZONE can be kilobytes).
pub fn resource_weight(path: &str, resource: &Resource) -> usize {
    let timezone = match resource {
        Resource::Collection { collection, .. } | Resource::Object { collection, .. } => {
            collection.timezone.as_ref().map_or(0, String::len)
        }
        _ => 0,
    };
    ENTRY_OVERHEAD + std::mem::size_of::<Resource>() + path.len() + timezone
}

/// A member's weight: its body, room for the escaped copy made on first
/// use, and its metadata.
fn member_weight(member: &Member) -> usize {
    ENTRY_OVERHEAD
        + std::mem::size_of::<Member>()
        + member.body.len() * 2
        + member.meta.name.len() * 2
        + member.meta.uid.len()
}

/// A map slot, the keys' strings and allocator rounding, roughly.
const ENTRY_OVERHEAD: usize = 256;

/// A calendar object as its scope serves it: public views get the body
/// already stripped of private data.
pub struct Member {
    pub meta: ObjectMeta,
    pub body: Bytes,
    /// The Content-Type of `body` for GET.
    pub content_type: &'static str,
    escaped: OnceLock<String>,
}

impl Member {
    pub fn new(meta: ObjectMeta, stored: Vec<u8>, scope: Scope) -> Member {
        let (body, content_type) = match served_body(scope, &stored) {
            // Written by concord: UTF-8.
            Cow::Owned(public) => (public, http::CALENDAR),
            Cow::Borrowed(_) => {
                let content_type = stored_content_type(&stored);
                (stored, content_type)
            }
        };
        Member {
            meta,
            body: Bytes::from(body),
            content_type,
            escaped: OnceLock::new(),
        }
    }

    /// What it weighs in the cache (see `member_weight`).
    pub fn weight(&self) -> usize {
        member_weight(self)
    }

    /// The body as XML text content (calendar-data), escaped once.
    pub fn escaped(&self) -> &str {
        self.escaped.get_or_init(|| {
            let text = crate::query::retrieve::whole(&self.body);
            let mut out = String::with_capacity(text.len() + text.len() / 8);
            crate::text::escape_markup_into(&mut out, &text);
            out
        })
    }
}

/// The truthful label of a body served as stored. The calendar's own
/// collection serves the client's bytes unchanged, whatever their charset:
/// the PUT that stored them returned an ETag, which promises that the stored
/// representation is the one sent (RFC 4791 5.3.4), and a client syncing its
/// own objects must get back what it wrote, not a re-encoding it would take
/// for a change. Clients that honour the charset parameter then decode
/// Windows-1252 bodies correctly, and everything concord writes from stored
/// bodies (calendar-data, public views, feeds) is the UTF-8 text intake
/// decoded. A fold that cut a UTF-8 character is still UTF-8: RFC 5545 3.1
/// has receivers unfold octets before decoding.
fn stored_content_type(stored: &[u8]) -> &'static str {
    match crate::ical::stored_text(stored).charset() {
        crate::ical::Charset::Utf8 => http::CALENDAR,
        crate::ical::Charset::Windows1252 => http::CALENDAR_WINDOWS_1252,
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
