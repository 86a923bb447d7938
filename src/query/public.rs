//! What may leave the server in public views (feeds, the intercommunal
//! calendar's GET, REPORT and multiget): one rule, [`publish`], used by all
//! of them.
//!
//! - An object is public only when every CLASS of every one of its
//!   components (overrides included) is PUBLIC or absent; otherwise nothing
//!   of it is shown. The index's class (`ical::validate`) follows the same
//!   rule, so the SQL filter and this one agree; this one also covers
//!   bodies stored before the rule (they were reclassified by migration 5).
//! - What is shown is an allow-list: the properties that describe the event
//!   to the public, with standard parameters only. Everything about people
//!   goes (ATTENDEE, ORGANIZER, CONTACT, COMMENT, REQUEST-STATUS), as do X-
//!   properties and X- parameters (private tools' notes), alarms and every
//!   other sub-component, and properties this list does not know. An allow
//!   list, not a deny list: a property a client invents later stays private
//!   until someone decides it is not.

use super::tree::{self, Component, Property};

/// Properties of a VEVENT, VTODO or VJOURNAL that public views carry
/// (RFC 5545 descriptive, date, recurrence and change-management
/// properties, and RFC 7986 COLOR and IMAGE).
fn item_property(name: &str) -> bool {
    matches!(
        name,
        "UID"
            | "DTSTAMP"
            | "DTSTART"
            | "DTEND"
            | "DURATION"
            | "DUE"
            | "COMPLETED"
            | "RECURRENCE-ID"
            | "RRULE"
            | "RDATE"
            | "EXDATE"
            | "SEQUENCE"
            | "CREATED"
            | "LAST-MODIFIED"
            | "STATUS"
            | "TRANSP"
            | "CLASS"
            | "PRIORITY"
            | "PERCENT-COMPLETE"
            | "SUMMARY"
            | "DESCRIPTION"
            | "LOCATION"
            | "GEO"
            | "CATEGORIES"
            | "RESOURCES"
            | "URL"
            | "ATTACH"
            | "COLOR"
            | "IMAGE"
    )
}

/// Properties of a VTIMEZONE and of its STANDARD/DAYLIGHT parts (all of
/// RFC 5545 3.6.5 but COMMENT).
fn timezone_property(name: &str) -> bool {
    matches!(
        name,
        "TZID"
            | "LAST-MODIFIED"
            | "TZURL"
            | "DTSTART"
            | "TZOFFSETFROM"
            | "TZOFFSETTO"
            | "TZNAME"
            | "RRULE"
            | "RDATE"
    )
}

/// Properties of the VCALENDAR itself.
fn calendar_property(name: &str) -> bool {
    matches!(name, "VERSION" | "PRODID" | "CALSCALE")
}

/// Parameters kept on the properties that stay: those that change how a
/// value reads. ALTREP is a URI to an alternate text of the same value.
fn public_param(name: &str) -> bool {
    matches!(
        name,
        "VALUE" | "TZID" | "LANGUAGE" | "ALTREP" | "FMTTYPE" | "ENCODING" | "RANGE" | "DISPLAY"
    )
}

/// Keeps `property` when `allowed` names it, with its public parameters.
fn keep(property: &mut Property, allowed: fn(&str) -> bool) -> bool {
    if !allowed(&property.name) {
        return false;
    }
    property.params.retain(|(name, _)| public_param(name));
    true
}

/// Strips a parsed stored object in place to its public form, in one pass;
/// returns false when nothing of it may be shown (some CLASS is not PUBLIC).
pub fn publish(calendar: &mut Component) -> bool {
    let mut public = true;
    calendar
        .properties
        .retain_mut(|p| keep(p, calendar_property));
    calendar
        .children
        .retain_mut(|child| match child.name.as_str() {
            "VEVENT" | "VTODO" | "VJOURNAL" => {
                child.properties.retain_mut(|p| {
                    if p.name == "CLASS" && !p.raw_value.trim().eq_ignore_ascii_case("PUBLIC") {
                        public = false;
                    }
                    keep(p, item_property)
                });
                // VALARM, and RFC 9073 PARTICIPANT or VLOCATION (which name
                // people and their addresses).
                child.children.clear();
                true
            }
            "VTIMEZONE" => {
                strip_timezone(child);
                true
            }
            // X- components and anything else a client may add.
            _ => false,
        });
    public
}

fn strip_timezone(zone: &mut Component) {
    zone.properties.retain_mut(|p| keep(p, timezone_property));
    zone.children
        .retain(|c| c.name == "STANDARD" || c.name == "DAYLIGHT");
    zone.children.iter_mut().for_each(strip_timezone);
}

/// The public form of a stored object, or None when it is not public.
pub fn public_calendar(body: &[u8]) -> Option<Component> {
    let mut calendar = tree::parse(body);
    publish(&mut calendar).then_some(calendar)
}

/// The public form of a stored object as text. Public views list only
/// objects the index calls public, which agrees with [`publish`]; should
/// they ever disagree, the answer is a calendar with nothing in it.
pub fn public_body(body: &[u8]) -> Vec<u8> {
    let calendar = public_calendar(body).unwrap_or_else(|| Component {
        name: "VCALENDAR".into(),
        properties: vec![
            super::export::plain("VERSION", "2.0"),
            super::export::plain("PRODID", super::export::PRODID),
        ],
        children: Vec::new(),
    });
    calendar.to_text().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public_text(body: &str) -> Option<String> {
        public_calendar(body.as_bytes()).map(|c| c.to_text())
    }

    #[test]
    fn private_data_never_survives() {
        let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Perso\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nX-LIC-LOCATION:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nCOMMENT:note\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Europe/Paris:20270101T100000\r\nSUMMARY;LANGUAGE=fr;X-NOTE=secret1:Loto\r\nDESCRIPTION;ALTREP=\"https://example.org/loto\":Grand loto\r\nATTENDEE;CN=Jean:mailto:jean@example.org\r\nORGANIZER;CN=Paul:mailto:paul@example.org\r\nCOMMENT:secret2\r\nCONTACT:secret3\r\nREQUEST-STATUS:2.0;Success\r\nX-MOZ-GENERATION:3\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nBEGIN:PARTICIPANT\r\nCALENDAR-ADDRESS:mailto:secret4@example.org\r\nEND:PARTICIPANT\r\nEND:VEVENT\r\nBEGIN:X-PRIVATE\r\nSUMMARY:secret5\r\nEND:X-PRIVATE\r\nEND:VCALENDAR\r\n";
        let text = public_text(body).expect("public");
        for kept in [
            "SUMMARY;LANGUAGE=fr:Loto\r\n",
            "DESCRIPTION;ALTREP=\"https://example.org/loto\":Grand loto",
            "DTSTART;TZID=Europe/Paris:20270101T100000",
            "TZOFFSETTO:+0100",
        ] {
            assert!(text.contains(kept), "{kept} lost: {text}");
        }
        for gone in [
            "example.org\r\n",
            "ATTENDEE",
            "ORGANIZER",
            "COMMENT",
            "CONTACT",
            "REQUEST-STATUS",
            "VALARM",
            "X-",
            "secret",
            "PARTICIPANT",
        ] {
            assert!(!text.contains(gone), "{gone} leaked: {text}");
        }
    }

    #[test]
    fn one_private_class_anywhere_hides_the_whole_object() {
        let event = |classes: &str| {
            format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Loto\r\n{classes}END:VEVENT\r\nBEGIN:VEVENT\r\nUID:1\r\nRECURRENCE-ID:20270101T100000Z\r\nSUMMARY:Loto\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        };
        assert!(public_text(&event("")).is_some());
        assert!(public_text(&event("CLASS:public\r\n")).is_some());
        assert!(public_text(&event("CLASS:PUBLIC\r\nCLASS:PRIVATE\r\n")).is_none());
        assert!(public_text(&event("CLASS:CONFIDENTIAL\r\n")).is_none());
        assert!(public_text(&event("CLASS:X-SECRET\r\n")).is_none());
        let override_private = event("").replace(
            "RECURRENCE-ID:20270101T100000Z\r\n",
            "RECURRENCE-ID:20270101T100000Z\r\nCLASS:PRIVATE\r\n",
        );
        assert!(public_text(&override_private).is_none());
        let text = String::from_utf8(public_body(override_private.as_bytes())).unwrap();
        assert!(!text.contains("Loto"), "{text}");
    }
}
