//! Writing `207 Multi-Status` bodies. Output uses fixed prefixes for the
//! namespaces concord knows and declares any other on the element itself.

use super::xml::{escape, Name, APPLE, CALDAV, CALSERVER, DAV};
use crate::http::{self, Response};
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
    Xml(String),
    /// XML content, already escaped, borrowed.
    Escaped(&'a str),
    /// Text escaped while it is written: calendar data goes from the
    /// stored body to the response without an intermediate copy.
    Text(Cow<'a, str>),
}

impl Content<'_> {
    /// The same content, borrowed.
    pub fn borrowed(&self) -> Content<'_> {
        match self {
            Content::Xml(xml) => Content::Escaped(xml),
            Content::Escaped(xml) => Content::Escaped(xml),
            Content::Text(text) => Content::Text(Cow::Borrowed(text)),
        }
    }
}

impl From<String> for Content<'static> {
    fn from(xml: String) -> Self {
        Content::Xml(xml)
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
                    Content::Escaped(xml) => write_element(&mut self.body, &value.name, xml),
                    Content::Text(text) => write_text_element(&mut self.body, &value.name, text),
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

/// Writes an element whose content is `text`, escaped.
fn write_text_element(out: &mut String, name: &Name, text: &str) {
    if text.is_empty() {
        return write_element(out, name, "");
    }
    let start = out.len();
    write_element(out, name, "\u{0}");
    // Split the element written around a placeholder into its two tags.
    let closing = out.split_off(start + out[start..].find('\u{0}').unwrap_or(0));
    out.reserve(text.len() + text.len() / 8 + closing.len());
    crate::text::escape_markup_into(out, text);
    out.push_str(&closing[1..]);
}

/// Writes `<prefix:local>content</prefix:local>`, declaring the namespace
/// when it has no fixed prefix.
pub fn write_element(out: &mut String, name: &Name, content: &str) {
    let prefix = match name.ns.as_str() {
        DAV => "D",
        CALDAV => "C",
        CALSERVER => "CS",
        APPLE => "A",
        _ => "",
    };
    let local = &name.local;
    if prefix.is_empty() {
        let declaration = if name.ns.is_empty() {
            String::new()
        } else {
            format!(" xmlns:X=\"{}\"", escape(&name.ns))
        };
        let tag = if name.ns.is_empty() {
            local.clone()
        } else {
            format!("X:{local}")
        };
        if content.is_empty() {
            let _ = write!(out, "<{tag}{declaration}/>");
        } else {
            let _ = write!(out, "<{tag}{declaration}>{content}</{tag}>");
        }
    } else if content.is_empty() {
        let _ = write!(out, "<{prefix}:{local}/>");
    } else {
        let _ = write!(out, "<{prefix}:{local}>{content}</{prefix}:{local}>");
    }
}
