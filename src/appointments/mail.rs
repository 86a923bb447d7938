//! The e-mails of a booking: the confirmation, its text and the `.ics`
//! attachment (iTIP `METHOD:REQUEST`) that puts the appointment in the
//! resident's own calendar, and the reminder the day before. Only the
//! content: sending belongs to `crate::mail` and `super::reminders`.

use super::event::utc;
use crate::query::export::{escape_text, plain, PRODID};
use crate::query::tree::{Component, Property};

pub struct Confirmation {
    pub subject: String,
    pub text: String,
    /// `text/calendar; method=REQUEST; charset=utf-8`, named `rendez-vous.ics`.
    pub ics: Vec<u8>,
}

/// What the resident is told.
pub struct Details<'a> {
    pub uid: &'a str,
    pub start: i64,
    pub end: i64,
    pub now: i64,
    pub service: &'a str,
    /// The service's public e-mail, as the invitation's organiser.
    pub service_email: Option<&'a str>,
    pub place: &'a str,
    pub theme: &'a str,
    pub bring: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// The personal link (absolute URL) to cancel or move.
    pub link: &'a str,
    pub tz: chrono_tz::Tz,
}

/// The text both messages share: greeting, what is said of the
/// appointment (`about`, e.g. "est confirmé"), when, where, the theme,
/// what to bring and the personal link.
fn letter(d: &Details, about: &str) -> String {
    let when = crate::french::span(d.tz, d.start, d.end, false);
    let mut text = format!(
        "Bonjour {},\n\nVotre rendez-vous avec {} {about}\u{202f}:\n\n{}\n{}\nThème\u{202f}: {}\n",
        d.name, d.service, when, d.place, d.theme
    );
    if !d.bring.trim().is_empty() {
        text.push_str(&format!("À apporter\u{202f}: {}\n", d.bring.trim()));
    }
    text.push_str(&format!(
        "\nPour annuler ou déplacer ce rendez-vous\u{202f}: {}\nCe lien est personnel\u{202f}: ne le transmettez pas.\n",
        d.link
    ));
    text
}

/// The reminder the day before: plain text only (the invitation went
/// with the confirmation).
pub struct Reminder {
    pub subject: String,
    pub text: String,
}

/// The reminder, sent at `d.now`: "demain" the day before, "aujourd'hui"
/// when it goes on the day itself (a server that was down the day before).
pub fn reminder(d: &Details) -> Reminder {
    let day = |t: i64| crate::time::local_date(d.tz, t);
    let when = match day(d.start) == day(d.now) {
        true => "aujourd'hui",
        false => "demain",
    };
    let mut text = letter(d, &format!("a lieu {when}"));
    text.push_str("\nSi vous ne pouvez pas venir, annulez-le\u{202f}: la place servira à quelqu'un d'autre.\n");
    Reminder {
        subject: format!(
            "Rappel\u{202f}: votre rendez-vous {when} avec {}",
            d.service
        ),
        text,
    }
}

pub fn confirmation(d: &Details) -> Confirmation {
    let text = letter(d, "est confirmé");
    let organiser = d.service_email.unwrap_or("noreply@invalid");
    let param = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let event = Component {
        name: "VEVENT".into(),
        properties: vec![
            plain("UID", &escape_text(d.uid)),
            plain("DTSTAMP", &utc(d.now)),
            plain("DTSTART", &utc(d.start)),
            plain("DTEND", &utc(d.end)),
            plain("SEQUENCE", "0"),
            plain(
                "SUMMARY",
                &escape_text(&format!("Rendez-vous\u{202f}: {} ({})", d.theme, d.service)),
            ),
            plain("LOCATION", &escape_text(d.place)),
            plain(
                "DESCRIPTION",
                &escape_text(&format!(
                    "À apporter\u{202f}: {}\nAnnuler ou déplacer\u{202f}: {}",
                    d.bring.trim(),
                    d.link
                )),
            ),
            Property {
                name: "ORGANIZER".into(),
                params: vec![param("CN", d.service)],
                raw_value: format!("mailto:{organiser}"),
            },
            Property {
                name: "ATTENDEE".into(),
                params: vec![
                    param("CN", d.name),
                    param("PARTSTAT", "ACCEPTED"),
                    param("RSVP", "FALSE"),
                ],
                raw_value: format!("mailto:{}", d.email),
            },
            plain("STATUS", "CONFIRMED"),
        ],
        children: Vec::new(),
    };
    let calendar = Component {
        name: "VCALENDAR".into(),
        properties: vec![
            plain("VERSION", "2.0"),
            plain("PRODID", PRODID),
            plain("METHOD", "REQUEST"),
        ],
        children: vec![event],
    };
    Confirmation {
        subject: format!("Votre rendez-vous avec {}", d.service),
        text,
        ics: calendar.to_text().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_says_tomorrow_or_today_as_the_case_is() {
        // Tuesday 1 December 2026, 9:30 in Paris.
        let start = 1_796_113_800;
        let at = |now: i64| {
            reminder(&Details {
                uid: "rdv-1",
                start,
                end: start + 1800,
                now,
                service: "France services",
                service_email: None,
                place: "Mairie d'Arue",
                theme: "CV",
                bring: "",
                name: "Jeanne",
                email: "jeanne@example.org",
                link: "https://agenda.example/rendez-vous/gerer/abc",
                tz: chrono_tz::Europe::Paris,
            })
        };
        // Monday 30 November, 9:00 in Paris; then Tuesday, 7:00.
        let tomorrow = at(start - 86_400 - 1800);
        assert_eq!(
            tomorrow.subject,
            "Rappel\u{202f}: votre rendez-vous demain avec France services"
        );
        assert!(tomorrow.text.contains("a lieu demain\u{202f}:"));
        assert!(!tomorrow.text.contains("À apporter"), "nothing to bring");
        assert!(tomorrow
            .text
            .contains("https://agenda.example/rendez-vous/gerer/abc"));
        let today = at(start - 9000);
        assert!(today.text.contains("a lieu aujourd'hui\u{202f}:"));
    }

    #[test]
    fn the_confirmation_tells_when_where_and_how_to_cancel() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:30:00Z")
            .unwrap()
            .timestamp();
        let mail = confirmation(&Details {
            uid: "rdv-1",
            start,
            end: start + 1800,
            now: start - 86_400,
            service: "France services",
            service_email: Some("fs@example.org"),
            place: "Mairie d'Arue",
            theme: "CV",
            bring: "pièce d'identité",
            name: "Jeanne",
            email: "jeanne@example.org",
            link: "https://agenda.example/rendez-vous/gerer/abc",
            tz: chrono_tz::Europe::Paris,
        });
        assert_eq!(mail.subject, "Votre rendez-vous avec France services");
        assert!(
            mail.text
                .contains("mardi 1er décembre 2026 de 9 h 30 à 10 h"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("À apporter\u{202f}: pièce d'identité"));
        assert!(mail
            .text
            .contains("https://agenda.example/rendez-vous/gerer/abc"));
        let ics = String::from_utf8(mail.ics.clone()).unwrap();
        assert!(ics.contains("METHOD:REQUEST\r\n"));
        assert!(ics.contains("ORGANIZER;CN=France services:mailto:fs@example.org\r\n"));
        assert!(ics.contains(
            "ATTENDEE;CN=Jeanne;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:jeanne@example.org\r\n"
        ));
        // Its event reads back (iTIP's METHOD keeps it out of concord's
        // intake, which is for stored resources).
        let tree = crate::query::tree::parse(&mail.ics);
        let event = tree.children_named("VEVENT").next().unwrap();
        let dtstart = event.property("DTSTART").unwrap();
        assert_eq!(dtstart.instant(chrono_tz::Europe::Paris), Some(start));
    }
}
