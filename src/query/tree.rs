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

#[derive(Debug, Clone)]
pub struct Property {
    /// Upper-cased property name.
    pub name: String,
    /// Parameters: upper-cased name and raw value (quotes removed).
    pub params: Vec<(String, String)>,
    /// The value as written (still escaped).
    pub raw_value: String,
}

impl Property {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value with RFC 5545 text escapes resolved; multi-valued text
    /// properties (CATEGORIES) yield one string per value.
    pub fn text_values(&self) -> Vec<String> {
        let mut values = vec![String::new()];
        let mut chars = self.raw_value.chars();
        while let Some(c) = chars.next() {
            let current = values.last_mut().expect("never empty");
            match c {
                '\\' => match chars.next() {
                    Some('n') | Some('N') => current.push('\n'),
                    Some(other) => current.push(other),
                    None => {}
                },
                ',' if self.name == "CATEGORIES" || self.name == "RESOURCES" => {
                    values.push(String::new())
                }
                c => current.push(c),
            }
        }
        values
    }

    /// The UTC instant of a DATE or DATE-TIME value: local times are read in
    /// their TZID or, when floating, in `floating`; a date is its midnight.
    pub fn instant(&self, floating: chrono_tz::Tz) -> Option<i64> {
        use chrono::{NaiveDate, NaiveDateTime, TimeZone};
        let value = self.raw_value.trim();
        if let Some(utc) = value.strip_suffix('Z') {
            return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .ok()
                .map(|t| t.and_utc().timestamp());
        }
        let zone = self
            .param("TZID")
            .and_then(crate::ical::resolve_tzid)
            .unwrap_or(floating);
        let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
            .ok()
            .or_else(|| {
                NaiveDate::parse_from_str(value, "%Y%m%d")
                    .ok()?
                    .and_hms_opt(0, 0, 0)
            })?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.timestamp())
    }

    /// Writes the content line, folded at 75 octets on character boundaries.
    pub fn write(&self, out: &mut String) {
        let mut line = self.name.clone();
        for (name, value) in &self.params {
            line.push(';');
            line.push_str(name);
            line.push('=');
            if value.contains([':', ';', ',']) {
                line.push('"');
                line.push_str(value);
                line.push('"');
            } else {
                line.push_str(value);
            }
        }
        line.push(':');
        line.push_str(&self.raw_value);
        fold_into(out, &line);
    }
}

/// Content lines are folded as the iCalendar model folds them.
pub use crate::ical::fold_into;

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

/// Reads one unfolded content line.
pub fn parse_line(line: &str) -> Option<Property> {
    // The name ends at the first ';' or ':'; parameter values may be quoted
    // and hold ':' and ';'.
    let name_end = line.find([';', ':'])?;
    let name = line[..name_end].trim().to_ascii_uppercase();
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after.find('=')?;
        let param_name = after[..eq].to_ascii_uppercase();
        let mut value_part = &after[eq + 1..];
        let mut value = String::new();
        loop {
            if let Some(quoted) = value_part.strip_prefix('"') {
                let close = quoted.find('"')?;
                value.push_str(&quoted[..close]);
                value_part = &quoted[close + 1..];
            } else {
                let end = value_part.find([',', ';', ':']).unwrap_or(value_part.len());
                value.push_str(&value_part[..end]);
                value_part = &value_part[end..];
            }
            match value_part.strip_prefix(',') {
                Some(more) => {
                    value.push(',');
                    value_part = more;
                }
                None => break,
            }
        }
        params.push((param_name, value));
        rest = value_part;
    }
    let raw_value = rest.strip_prefix(':')?.to_owned();
    Some(Property {
        name,
        params,
        raw_value,
    })
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
