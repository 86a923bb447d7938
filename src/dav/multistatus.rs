//! Writing `207 Multi-Status` bodies. Output uses fixed prefixes for the
//! namespaces concord knows and declares any other on the element itself.

use super::xml::{escape, Name, APPLE, CALDAV, CALSERVER, DAV};
use crate::http::{self, Response};
use crate::text::escape_markup_into;
use bytes::Bytes;
use hyper::StatusCode;
use std::borrow::Cow;
use std::fmt::Write;

pub struct Multistatus {
    body: String,
}

/// One property's value.
pub struct PropValue<'a> {
    pub name: Name,
    pub content: Content<'a>,
}

pub enum Content<'a> {
    /// XML content, already escaped.
    Xml(Cow<'a, str>),
    /// Text escaped while it is written: calendar data goes from the
    /// stored body to the response without an intermediate copy.
    Text(Cow<'a, str>),
}

impl Content<'_> {
    /// The same content, borrowed.
    pub fn borrowed(&self) -> Content<'_> {
        match self {
            Content::Xml(xml) => Content::Xml(Cow::Borrowed(xml)),
            Content::Text(text) => Content::Text(Cow::Borrowed(text)),
        }
    }
}

impl From<String> for Content<'static> {
    fn from(xml: String) -> Self {
        Content::Xml(Cow::Owned(xml))
    }
}

impl Default for Multistatus {
    fn default() -> Self {
        Self::new()
    }
}

impl Multistatus {
    pub fn new() -> Multistatus {
        Self::with_capacity(4096)
    }

    /// With room for `capacity` bytes: a large answer built in a growing
    /// buffer is copied over and over.
    pub fn with_capacity(capacity: usize) -> Multistatus {
        let mut body = String::with_capacity(capacity);
        body.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let _ = write!(
            body,
            "<D:multistatus xmlns:D=\"{DAV}\" xmlns:C=\"{CALDAV}\" xmlns:CS=\"{CALSERVER}\" xmlns:A=\"{APPLE}\">"
        );
        Multistatus { body }
    }

    /// A response with properties grouped by status: found ones in a 200
    /// propstat, the rest each in the propstat of its status.
    pub fn response(&mut self, href: &str, found: &[PropValue], failed: &[(Name, StatusCode)]) {
        let _ = write!(self.body, "<D:response><D:href>{}</D:href>", escape(href));
        if !found.is_empty() || failed.is_empty() {
            self.body.push_str("<D:propstat><D:prop>");
            for value in found {
                match &value.content {
                    Content::Xml(xml) => write_element(&mut self.body, &value.name, xml),
                    Content::Text(text) => write_element_with(
                        &mut self.body,
                        &value.name,
                        (!text.is_empty())
                            .then_some(|out: &mut String| escape_markup_into(out, text)),
                    ),
                }
            }
            self.body
                .push_str("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
        }
        let mut statuses: Vec<StatusCode> = failed.iter().map(|(_, s)| *s).collect();
        statuses.sort();
        statuses.dedup();
        for status in statuses {
            self.body.push_str("<D:propstat><D:prop>");
            for (name, _) in failed.iter().filter(|(_, s)| *s == status) {
                write_element(&mut self.body, name, "");
            }
            let _ = write!(
                self.body,
                "</D:prop><D:status>{}</D:status></D:propstat>",
                status_line(status)
            );
        }
        self.body.push_str("</D:response>");
    }

    /// A response that carries only a status (e.g. 404 in multiget or
    /// sync-collection).
    pub fn status(&mut self, href: &str, status: StatusCode) {
        self.body.push_str(&status_element(href, status));
    }

    /// Raw XML appended before the closing tag (sync-token, descriptions).
    pub fn push_raw(&mut self, xml: &str) {
        self.body.push_str(xml);
    }

    pub fn finish(mut self) -> Response {
        self.body.push_str(CLOSING);
        http::response(StatusCode::MULTI_STATUS, http::XML, self.body)
    }

    /// The answer listing `items`, each written by `write`, then `tail`
    /// (raw XML before the closing tag). An answer expected to be larger
    /// than `STREAM_ABOVE` (`estimate` octets) is written as the connection
    /// takes it, a piece at a time, instead of whole in memory first: a
    /// month over the intercommunal calendar is 1.5 MB, which 32 clients
    /// held at once. The octets are the same either way.
    pub fn answer<T, W>(estimate: usize, items: Vec<T>, tail: String, mut write: W) -> Response
    where
        T: Send + 'static,
        W: FnMut(&mut Multistatus, T) + Send + 'static,
    {
        if estimate <= STREAM_ABOVE {
            let mut out = Multistatus::with_capacity(estimate + tail.len() + 256);
            for item in items {
                write(&mut out, item);
            }
            out.push_raw(&tail);
            return out.finish();
        }
        let mut out = Some(Multistatus::with_capacity(PIECE + PIECE / 4));
        let mut items = items.into_iter();
        let pieces = std::iter::from_fn(move || {
            let mut current = out.take()?;
            while current.body.len() < PIECE {
                match items.next() {
                    Some(item) => write(&mut current, item),
                    None => {
                        current.push_raw(&tail);
                        current.body.push_str(CLOSING);
                        return Some(Bytes::from(current.body));
                    }
                }
            }
            let piece =
                std::mem::replace(&mut current.body, String::with_capacity(PIECE + PIECE / 4));
            out = Some(current);
            Some(Bytes::from(piece))
        });
        http::with_body(
            StatusCode::MULTI_STATUS,
            http::XML,
            http::Body::produced(pieces),
        )
    }
}

const CLOSING: &str = "</D:multistatus>\n";

/// Answers expected to be larger are written as they are produced (see
/// `Multistatus::answer`); smaller ones are sent whole, with their length.
pub const STREAM_ABOVE: usize = 256 * 1024;

/// Size of the pieces of an answer written as it is produced: large enough
/// that a piece is one write, small enough that making one (about fifty
/// calendar objects) does not hold the connection's thread long.
const PIECE: usize = 64 * 1024;

/// A `DAV:response` that carries only a status.
pub fn status_element(href: &str, status: StatusCode) -> String {
    format!(
        "<D:response><D:href>{}</D:href><D:status>{}</D:status></D:response>",
        escape(href),
        status_line(status)
    )
}

pub fn status_line(status: StatusCode) -> String {
    format!(
        "HTTP/1.1 {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}

/// Writes `<prefix:local>content</prefix:local>`, declaring the namespace
/// when it has no fixed prefix.
pub fn write_element(out: &mut String, name: &Name, content: &str) {
    write_element_with(
        out,
        name,
        (!content.is_empty()).then_some(|out: &mut String| out.push_str(content)),
    );
}

/// The same, with the content written by `content` into the output itself
/// (an empty element when there is none).
fn write_element_with(out: &mut String, name: &Name, content: Option<impl FnOnce(&mut String)>) {
    let (prefix, declare) = match name.ns.as_str() {
        DAV => ("D", false),
        CALDAV => ("C", false),
        CALSERVER => ("CS", false),
        APPLE => ("A", false),
        "" => ("", false),
        _ => ("X", true),
    };
    let tag = |out: &mut String| {
        if !prefix.is_empty() {
            out.push_str(prefix);
            out.push(':');
        }
        out.push_str(&name.local);
    };
    out.push('<');
    tag(out);
    if declare {
        let _ = write!(out, " xmlns:X=\"{}\"", escape(&name.ns));
    }
    match content {
        None => out.push_str("/>"),
        Some(content) => {
            out.push('>');
            content(out);
            out.push_str("</");
            tag(out);
            out.push('>');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Multistatus, STREAM_ABOVE};
    use crate::http::Body;
    use hyper::StatusCode;

    fn octets(response: crate::http::Response) -> (Vec<u8>, bool) {
        match response.into_body() {
            Body::Whole(full) => {
                use hyper::body::Body as _;
                let mut full = std::pin::pin!(full);
                let waker = std::task::Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                let mut out = Vec::new();
                while let std::task::Poll::Ready(Some(Ok(frame))) =
                    full.as_mut().poll_frame(&mut cx)
                {
                    out.extend_from_slice(frame.data_ref().unwrap());
                }
                (out, false)
            }
            Body::Produced(pieces) => (pieces.flat_map(|p| p.to_vec()).collect(), true),
        }
    }

    /// An answer written as it is produced is the same octets as the one
    /// built whole, in pieces, none empty.
    #[test]
    fn a_produced_answer_has_the_octets_of_a_whole_one() {
        let items: Vec<usize> = (0..5000).collect();
        let write = |out: &mut Multistatus, n: usize| {
            if n.is_multiple_of(7) {
                out.status(&format!("/dav/x/{n}.ics"), StatusCode::NOT_FOUND);
            } else {
                out.push_raw(&format!(
                    "<D:response><D:href>/dav/x/{n}.ics</D:href></D:response>"
                ));
            }
        };
        let tail = "<D:sync-token>t</D:sync-token>".to_owned();
        let (whole, streamed) = octets(Multistatus::answer(0, items.clone(), tail.clone(), write));
        assert!(!streamed);
        let response = Multistatus::answer(STREAM_ABOVE + 1, items, tail, write);
        assert_eq!(response.status(), StatusCode::MULTI_STATUS);
        let (produced, streamed) = octets(response);
        assert!(streamed);
        assert!(whole.len() > 4 * super::PIECE);
        assert_eq!(
            String::from_utf8(produced).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
}
