//! The private event each booking puts in its service's calendar, so that
//! it reaches the advisers' phones through CalDAV. It is `CLASS:PRIVATE`
//! (never in a public output) and `TRANSP:TRANSPARENT` (a slot with room
//! for several people stays free for the next one: places are counted
//! from the bookings, not from free-busy). The resident's details are in
//! DESCRIPTION, not in ATTENDEE: nothing is ever sent to them by a client.

use crate::query::export::{escape_text, plain, PRODID};
use crate::query::tree::Component;

/// What the event tells the adviser.
pub struct BookingEvent<'a> {
    pub uid: &'a str,
    pub start: i64,
    pub end: i64,
    pub now: i64,
    pub theme: &'a str,
    pub place: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub commune: Option<&'a str>,
    pub note: Option<&'a str>,
    /// Who booked for the resident (a phone call), if not the resident.
    pub booked_by: Option<&'a str>,
}

pub fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

impl BookingEvent<'_> {
    pub fn to_ics(&self) -> Vec<u8> {
        let mut lines = vec![
            format!("Rendez-vous : {}", self.theme),
            format!("Nom : {}", self.name),
        ];
        let optional = [
            ("Téléphone", self.phone),
            ("Courriel", self.email),
            ("Commune de résidence", self.commune),
            ("Note", self.note),
            ("Pris par", self.booked_by),
        ];
        for (label, value) in optional {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                lines.push(format!("{label} : {value}"));
            }
        }
        let event = Component {
            name: "VEVENT".into(),
            properties: vec![
                plain("UID", &escape_text(self.uid)),
                plain("DTSTAMP", &utc(self.now)),
                plain("DTSTART", &utc(self.start)),
                plain("DTEND", &utc(self.end)),
                plain(
                    "SUMMARY",
                    &escape_text(&format!("Rendez-vous : {} – {}", self.theme, self.name)),
                ),
                plain("LOCATION", &escape_text(self.place)),
                plain("DESCRIPTION", &escape_text(&lines.join("\n"))),
                plain("CLASS", "PRIVATE"),
                plain("TRANSP", "TRANSPARENT"),
                plain("STATUS", "CONFIRMED"),
            ],
            children: Vec::new(),
        };
        Component {
            name: "VCALENDAR".into(),
            properties: vec![plain("VERSION", "2.0"), plain("PRODID", PRODID)],
            children: vec![event],
        }
        .to_text()
        .into_bytes()
    }
}

/// Validates and indexes `body` as a PUT does, and stores it as `name` in
/// the calendar `collection_id` inside the caller's write transaction,
/// through the one write path (`crate::write`). Returns the new ETag.
pub fn put(
    tx: &rusqlite::Transaction,
    collection_id: i64,
    name: &str,
    body: &[u8],
    tz: chrono_tz::Tz,
    limits: &crate::ical::Limits,
) -> Result<String, super::Error> {
    let object = crate::ical::parse_object(body, tz, limits)
        .map_err(|e| super::Error::Invalid(e.to_string()))?;
    let conditions = crate::write::Conditions::default();
    match crate::write::store(tx, collection_id, name, body, &object, &conditions) {
        Ok(stored) => Ok(stored.etag),
        Err(crate::write::WriteError::Store(error)) => Err(error.into()),
        Err(other) => Err(super::Error::Invalid(other.to_string())),
    }
}

/// Deletes `name` from the calendar as a DELETE does (change log entry);
/// false when it was not there.
pub fn delete(
    tx: &rusqlite::Transaction,
    collection_id: i64,
    name: &str,
) -> Result<bool, super::Error> {
    let conditions = crate::write::Conditions::default();
    match crate::write::remove(tx, collection_id, name, &conditions) {
        Ok(()) => Ok(true),
        Err(crate::write::WriteError::NotFound) => Ok(false),
        Err(crate::write::WriteError::Store(error)) => Err(error.into()),
        Err(other) => Err(super::Error::Invalid(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_booking_event_is_private_transparent_and_valid() {
        let event = BookingEvent {
            uid: "rdv-1",
            start: 1_796_000_400,
            end: 1_796_002_200,
            now: 1_795_000_000,
            theme: "CV, lettre",
            place: "France services; Arue",
            name: "Jeanne Dupont",
            phone: Some("05 56 00 00 00"),
            email: None,
            commune: Some("Arue"),
            note: Some("apporter\nle dossier"),
            booked_by: None,
        };
        let ics = event.to_ics();
        let text = String::from_utf8(ics.clone()).unwrap();
        assert!(text.contains("CLASS:PRIVATE\r\n"));
        assert!(text.contains("TRANSP:TRANSPARENT\r\n"));
        assert!(text.contains("LOCATION:France services\\; Arue\r\n"));
        assert!(!text.contains("ATTENDEE"));
        let object =
            crate::ical::parse_object(&ics, chrono_tz::Europe::Paris, &Default::default()).unwrap();
        assert_eq!(object.class, crate::ical::Class::Private);
        assert_eq!(object.instances.len(), 1);
        assert!(object.instances[0].transparent);
        let description = crate::query::tree::parse(&ics);
        let vevent = description.children_named("VEVENT").next().unwrap();
        let text = vevent
            .property("DESCRIPTION")
            .unwrap()
            .text_values()
            .join(",");
        assert!(text.contains("Téléphone : 05 56 00 00 00"), "{text}");
        assert!(text.contains("Note : apporter\nle dossier"), "{text}");
    }
}
