//! The VFREEBUSY answer of a free-busy-query (RFC 4791 7.10): merged busy
//! periods of opaque, not cancelled events within the asked range.

use super::tree::{Component, Property};

/// A busy period: an instance's bounds and whether its event is tentative.
pub struct BusyInstance {
    pub start: i64,
    pub end: i64,
    pub tentative: bool,
}

pub fn render(busy: &[BusyInstance], start: i64, end: i64, now: i64) -> String {
    let mut periods: Vec<(i64, i64, bool)> = busy
        .iter()
        .map(|b| (b.start.max(start), b.end.min(end), b.tentative))
        .filter(|(s, e, _)| e > s)
        .collect();
    periods.sort();
    let mut merged: Vec<(i64, i64, bool)> = Vec::new();
    for (s, e, tentative) in periods {
        match merged.last_mut() {
            Some(last) if last.2 == tentative && s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e, tentative)),
        }
    }
    let utc = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default()
    };
    let property = |name: &str, params: Vec<(String, String)>, value: String| Property {
        name: name.to_owned(),
        params,
        raw_value: value,
    };
    let mut freebusy = Component {
        name: "VFREEBUSY".into(),
        properties: vec![
            property("DTSTAMP", Vec::new(), utc(now)),
            property("DTSTART", Vec::new(), utc(start)),
            property("DTEND", Vec::new(), utc(end)),
        ],
        children: Vec::new(),
    };
    for (s, e, tentative) in merged {
        let kind = if tentative { "BUSY-TENTATIVE" } else { "BUSY" };
        freebusy.properties.push(property(
            "FREEBUSY",
            vec![("FBTYPE".into(), kind.into())],
            format!("{}/{}", utc(s), utc(e)),
        ));
    }
    let calendar = Component {
        name: "VCALENDAR".into(),
        properties: vec![
            property("VERSION", Vec::new(), "2.0".into()),
            property("PRODID", Vec::new(), super::export::PRODID.into()),
        ],
        children: vec![freebusy],
    };
    calendar.to_text()
}
