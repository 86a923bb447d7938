//! A faithful content-line tree of a stored calendar object, for what
//! queries need: property lookup with unescaped text, and re-serialising
//! chosen parts (partial retrieval, expansion). Stored objects were
//! validated by `ical` on PUT; this reader never fails, it only skips lines
//! it cannot read.

#[derive(Debug, Clone, Default)]
pub struct Component {
    pub name: String,
    pub properties: Vec<Property>,
    pub children: Vec<Component>,
}

/// Content lines are read and folded as the iCalendar model reads and
/// folds them.
pub use crate::ical::fold_into;
pub use crate::ical::line::{parse_line, Property};

impl Component {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties.iter().filter(move |p| p.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn write(&self, out: &mut String) {
        out.push_str("BEGIN:");
        out.push_str(&self.name);
        out.push_str("\r\n");
        for property in &self.properties {
            property.write(out);
        }
        for child in &self.children {
            child.write(out);
        }
        out.push_str("END:");
        out.push_str(&self.name);
        out.push_str("\r\n");
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// Parses the VCALENDAR of a stored object, decoded as intake decoded it.
pub fn parse(body: &[u8]) -> Component {
    let text = crate::ical::stored_text(body);
    let mut stack: Vec<Component> = vec![Component::default()];
    for line in unfold(text.as_str()) {
        let Some(property) = parse_line(&line) else {
            continue;
        };
        match property.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: property.raw_value.trim().to_ascii_uppercase(),
                ..Component::default()
            }),
            "END" if stack.len() > 1 => {
                let done = stack.pop().expect("checked length");
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(done);
                }
            }
            "END" => {}
            _ => {
                if let Some(current) = stack.last_mut() {
                    current.properties.push(property);
                }
            }
        }
    }
    while stack.len() > 1 {
        let done = stack.pop().expect("checked length");
        if let Some(parent) = stack.last_mut() {
            parent.children.push(done);
        }
    }
    let mut root = stack.pop().unwrap_or_default();
    match root.children.iter().position(|c| c.name == "VCALENDAR") {
        Some(index) => root.children.swap_remove(index),
        None => root,
    }
}

fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
                continue;
            }
        }
        if !raw.is_empty() {
            lines.push(raw.to_owned());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_components_and_quoted_parameters() {
        let body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nATTENDEE;CN=\"Dupont; Jean\":mailto:j@x\r\nSUMMARY:Loto\\, grand\r\n  prix\r\nCATEGORIES:f\xc3\xaate,loto\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let calendar = parse(body);
        assert_eq!(calendar.name, "VCALENDAR");
        let event = calendar.children_named("VEVENT").next().unwrap();
        assert_eq!(
            event.property("ATTENDEE").unwrap().param("CN"),
            Some("Dupont; Jean")
        );
        assert_eq!(
            event.property("SUMMARY").unwrap().text_values(),
            vec!["Loto, grand prix"]
        );
        assert_eq!(
            event.property("CATEGORIES").unwrap().text_values(),
            vec!["fête", "loto"]
        );
        assert_eq!(event.children.len(), 1);
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut out = String::new();
        fold_into(&mut out, &format!("DESCRIPTION:{}", "é".repeat(100)));
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
    }
}
