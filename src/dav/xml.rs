//! Request bodies: XML parsed into a small owned tree, with the limits that
//! keep hostile bodies cheap (no DOCTYPE, so no entity expansion; bounded
//! depth and element count). Elements are identified by namespace URI and
//! local name, never by prefix; unknown elements are kept as they are.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
pub const APPLE: &str = "http://apple.com/ns/ical/";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    pub ns: String,
    pub local: String,
}

impl Name {
    pub fn new(ns: &str, local: &str) -> Name {
        Name {
            ns: ns.to_owned(),
            local: local.to_owned(),
        }
    }

    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

#[derive(Debug, Clone)]
pub struct Element {
    pub name: Name,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.name.is(ns, local)
    }

    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, local))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct XmlLimits {
    pub max_depth: usize,
    pub max_elements: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("the XML body is not well-formed: {0}")]
    Malformed(String),
    #[error("XML bodies with a DOCTYPE are refused")]
    Doctype,
    #[error("the XML body nests elements deeper than {0} levels")]
    TooDeep(usize),
    #[error("the XML body has more than {0} elements")]
    TooManyElements(usize),
    #[error("the XML body is empty")]
    Empty,
}

/// Parses a whole request body into its root element.
pub fn parse(body: &[u8], limits: XmlLimits) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| XmlError::Malformed("the body is not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        let ns = match ns {
            ResolveResult::Bound(ns) => ns.0.to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => {
                return Err(XmlError::Malformed(format!(
                    "namespace prefix {prefix:?} is not declared"
                )))
            }
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                let mut attributes = Vec::new();
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let key = attribute.key.as_ref().to_owned();
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| XmlError::Malformed(e.to_string()))?
                        .into_owned();
                    attributes.push((key, value));
                }
                let element = Element {
                    name: Name {
                        ns,
                        local: start.local_name().as_ref().to_owned(),
                    },
                    attributes,
                    children: Vec::new(),
                    text: String::new(),
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(element);
                } else {
                    attach(&mut stack, &mut root, element);
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) => append_text(&mut stack, &text.xml10_content())?,
            Event::CData(data) => {
                let data = data.into_inner().into_owned();
                append_text(&mut stack, &data)?
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match reference.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(XmlError::Malformed(format!("unknown entity &{other};")))
                        }
                    },
                };
                append_text(&mut stack, &resolved)?
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "unclosed element at end of body".into(),
        ));
    }
    root.ok_or(XmlError::Empty)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn append_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(XmlError::Malformed("text outside the root element".into())),
    }
    Ok(())
}

/// Escapes text for element content and attribute values.
pub use crate::text::escape_markup as escape;
