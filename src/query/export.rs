//! One VCALENDAR holding many stored objects: their components side by side
//! and each time zone once (a calendar's export, the basis of feeds).

use super::tree::{Component, Property};

pub use crate::ical::PRODID;

pub struct Export {
    timezones: Vec<Component>,
    /// The components added so far, already written: a feed of the whole
    /// territory is 12 MB of text, and its parsed components took several
    /// times that until the end of the render.
    components: String,
}

impl Default for Export {
    fn default() -> Self {
        Self::new()
    }
}

impl Export {
    pub fn new() -> Export {
        Export {
            timezones: Vec::new(),
            components: String::new(),
        }
    }

    /// Adds a parsed object (already stripped by the caller for public
    /// views): its components, and its time zones when it has any.
    pub fn add(&mut self, calendar: Component) {
        let mut kept_any = false;
        let mut zones = Vec::new();
        for child in calendar.children {
            if child.name == "VTIMEZONE" {
                zones.push(child);
            } else {
                kept_any = true;
                child.write(&mut self.components);
            }
        }
        if !kept_any {
            return;
        }
        for zone in zones {
            let id = zone.property("TZID").map(|p| p.raw_value.clone());
            let known = self
                .timezones
                .iter()
                .any(|z| z.property("TZID").map(|p| &p.raw_value) == id.as_ref());
            if !known {
                self.timezones.push(zone);
            }
        }
    }

    /// The whole calendar; `header` properties (X-WR-CALNAME, ...) go
    /// after VERSION and PRODID, then the time zones, then the components:
    /// what writing one VCALENDAR component holding them all gives.
    pub fn finish(self, header: Vec<Property>) -> String {
        let mut properties = vec![plain("VERSION", "2.0"), plain("PRODID", PRODID)];
        properties.extend(header);
        let mut head = String::from("BEGIN:VCALENDAR\r\n");
        for property in &properties {
            property.write(&mut head);
        }
        for zone in &self.timezones {
            zone.write(&mut head);
        }
        let mut text = self.components;
        text.insert_str(0, &head);
        text.push_str("END:VCALENDAR\r\n");
        text
    }
}

pub fn plain(name: &str, value: &str) -> Property {
    Property {
        name: name.to_owned(),
        params: Vec::new(),
        raw_value: value.to_owned(),
    }
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
