//! Writing `207 Multi-Status` bodies. Output uses fixed prefixes for the
//! namespaces concord knows and declares any other on the element itself.

use super::xml::{escape, Name, APPLE, CALDAV, CALSERVER, DAV};
use crate::http::{self, Response};
use crate::text::escape_markup_into;
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
        let _ = write!(
            self.body,
            "<D:response><D:href>{}</D:href><D:status>{}</D:status></D:response>",
            escape(href),
            status_line(status)
        );
    }

    /// Raw XML appended before the closing tag (sync-token, descriptions).
    pub fn push_raw(&mut self, xml: &str) {
        self.body.push_str(xml);
    }

    pub fn finish(mut self) -> Response {
        self.body.push_str("</D:multistatus>\n");
        http::response(StatusCode::MULTI_STATUS, http::XML, self.body)
    }
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
