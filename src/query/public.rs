//! What may leave the server in public views (the intercommunal calendar,
//! feeds): attendees, alarms and the X- properties of private tools are
//! removed, and so are overridden instances that are not public.

use super::tree::{self, Component};

/// Strips a component in place; returns false when it must not be shown.
pub fn strip(component: &mut Component) -> bool {
    if component.name == "VTIMEZONE" {
        strip_private_properties(component);
        return true;
    }
    let class = component
        .property("CLASS")
        .map(|p| p.raw_value.trim().to_ascii_uppercase());
    if class.is_some_and(|c| c != "PUBLIC") {
        return false;
    }
    component
        .properties
        .retain(|p| p.name != "ATTENDEE" && !p.name.starts_with("X-"));
    component.children.retain(|c| c.name != "VALARM");
    component.children.retain_mut(strip);
    true
}

/// X- properties (e.g. X-LIC-LOCATION) also go from time zones and their
/// sub-components: nothing needs them, and they tell which tool wrote them.
fn strip_private_properties(component: &mut Component) {
    component.properties.retain(|p| !p.name.starts_with("X-"));
    component
        .children
        .iter_mut()
        .for_each(strip_private_properties);
}

/// The public form of a stored object.
pub fn public_body(body: &[u8]) -> Vec<u8> {
    let mut calendar = tree::parse(body);
    calendar.properties.retain(|p| !p.name.starts_with("X-"));
    calendar.children.retain_mut(strip);
    calendar.to_text().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_data_never_survives() {
        let body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Perso\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Loto\r\nATTENDEE;CN=Jean:mailto:jean@example.org\r\nX-MOZ-GENERATION:3\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:1\r\nRECURRENCE-ID:20270101T100000Z\r\nCLASS:PRIVATE\r\nSUMMARY:Secret\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let text = String::from_utf8(public_body(body)).unwrap();
        assert!(text.contains("SUMMARY:Loto"));
        for gone in [
            "jean@example.org",
            "VALARM",
            "X-MOZ",
            "X-WR-CALNAME",
            "Secret",
        ] {
            assert!(!text.contains(gone), "{gone} leaked: {text}");
        }
    }
}
