//! One content line (RFC 5545 3.1) read into its name, parameters and
//! value, without any other checking: the few places that look at lines
//! one by one (cutting a file into objects, reading stored objects for
//! queries) read them alike.

use super::fold_into;

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
            .and_then(super::resolve_tzid)
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
