//! calendar-query corner cases of RFC 4791 9.9 that clients rely on.

mod common;
use common::*;

fn put(server: &Server, name: &str, body: &str) {
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}{name}.ics"))
        .ics(body.as_bytes())
        .send()
        .expect(201);
}

fn query(server: &Server, component: &str, range: &str) -> String {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="{component}">{range}</C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#
    );
    server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(&body)
        .send()
        .expect(207)
        .text()
}

const HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\n";

#[test]
fn a_todo_without_any_date_matches_every_time_range() {
    let server = Server::start();
    put(&server, "timeless", &format!("{HEAD}BEGIN:VTODO\r\nUID:timeless\r\nDTSTAMP:20261101T120000Z\r\nSUMMARY:Ranger la salle\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"));
    put(&server, "dated", &format!("{HEAD}BEGIN:VTODO\r\nUID:dated\r\nDTSTAMP:20261101T120000Z\r\nDUE:20270601T100000Z\r\nSUMMARY:Réserver\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"));
    let range = r#"<C:time-range start="20270101T000000Z" end="20270201T000000Z"/>"#;
    let text = query(&server, "VTODO", range);
    assert!(text.contains("timeless.ics"), "{text}");
    assert!(
        !text.contains("dated.ics"),
        "due in June, outside January: {text}"
    );
}

#[test]
fn a_filter_without_time_range_returns_members_that_have_no_instance() {
    let server = Server::start();
    put(&server, "note", &format!("{HEAD}BEGIN:VJOURNAL\r\nUID:note\r\nDTSTAMP:20261101T120000Z\r\nSUMMARY:Compte rendu\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n"));
    put(
        &server,
        "loto",
        &String::from_utf8(event(
            "loto",
            "Loto",
            "20270306T190000Z",
            "20270306T220000Z",
        ))
        .unwrap(),
    );
    let journals = query(&server, "VJOURNAL", "");
    assert!(
        journals.contains("note.ics") && !journals.contains("loto.ics"),
        "{journals}"
    );
    let events = query(&server, "VEVENT", "");
    assert!(
        events.contains("loto.ics") && !events.contains("note.ics"),
        "{events}"
    );
}
