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

/// Objects whose alarms ring within [start, end) (RFC 4791 9.9), asked the
/// way python-caldav and Apple Calendar do.
fn alarms_ringing(server: &Server, start: &str, end: &str) -> String {
    query(
        server,
        "VEVENT",
        &format!(
            r#"<C:comp-filter name="VALARM"><C:time-range start="{start}" end="{end}"/></C:comp-filter>"#
        ),
    )
}

#[test]
fn time_ranges_inside_valarm_follow_every_ring_of_every_instance() {
    let server = Server::start();
    let alarm = |trigger: &str, extra: &str| {
        format!("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\n{trigger}\r\n{extra}END:VALARM\r\n")
    };
    // 08:00-09:00 UTC, rings at 07:45.
    put(&server, "simple", &format!("{HEAD}BEGIN:VEVENT\r\nUID:simple\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270110T080000Z\r\nDTEND:20270110T090000Z\r\nSUMMARY:Répétition\r\n{}END:VEVENT\r\nEND:VCALENDAR\r\n", alarm("TRIGGER:-PT15M", "")));
    // Mondays 18:00-20:00 in Paris, rings half an hour before the end:
    // 18:30 UTC in winter, 17:30 UTC once summer time began (28 March).
    put(&server, "weekly", &format!("{HEAD}BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:20270104T180000\r\nDTEND;TZID=Europe/Paris:20270104T200000\r\nRRULE:FREQ=WEEKLY;COUNT=20\r\nSUMMARY:Chorale\r\n{}END:VEVENT\r\nEND:VCALENDAR\r\n", alarm("TRIGGER;RELATED=END:-PT30M", "")));
    // An absolute time, repeated twice ten minutes apart: 09:00, 09:10, 09:20.
    put(&server, "absolute", &format!("{HEAD}BEGIN:VEVENT\r\nUID:absolute\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270201T140000Z\r\nDTEND:20270201T150000Z\r\nSUMMARY:Assemblée\r\n{}END:VEVENT\r\nEND:VCALENDAR\r\n", alarm("TRIGGER;VALUE=DATE-TIME:20270201T090000Z", "REPEAT:2\r\nDURATION:PT10M\r\n")));
    // Thursdays 10:00 UTC with an alarm a day before; the second Thursday
    // was moved to Friday and its override has no alarm.
    put(&server, "moved", &format!("{HEAD}BEGIN:VEVENT\r\nUID:moved\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270304T100000Z\r\nDTEND:20270304T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Marché\r\n{}END:VEVENT\r\nBEGIN:VEVENT\r\nUID:moved\r\nDTSTAMP:20261101T120000Z\r\nRECURRENCE-ID:20270311T100000Z\r\nDTSTART:20270312T100000Z\r\nDTEND:20270312T110000Z\r\nSUMMARY:Marché (vendredi)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", alarm("TRIGGER:-P1D", "")));
    // No alarm at all.
    put(&server, "silent", &format!("{HEAD}BEGIN:VEVENT\r\nUID:silent\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270110T074500Z\r\nDTEND:20270110T090000Z\r\nSUMMARY:Sans rappel\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));

    let cases: &[(&str, &str, &[&str])] = &[
        // python-caldav's check: the ring at 07:45 is inside, not after.
        ("20270110T074000Z", "20270110T075500Z", &["simple"]),
        ("20270110T080000Z", "20270110T081500Z", &[]),
        // The end is exclusive.
        ("20270110T073000Z", "20270110T074500Z", &[]),
        // The first Monday in winter, the thirteenth in summer time.
        ("20270104T182500Z", "20270104T183500Z", &["weekly"]),
        ("20270329T172500Z", "20270329T173500Z", &["weekly"]),
        ("20270329T182500Z", "20270329T183500Z", &[]),
        // After the twentieth and last Monday (17 May).
        ("20270524T172500Z", "20270524T173500Z", &[]),
        // Repetitions of an absolute trigger.
        ("20270201T091800Z", "20270201T092200Z", &["absolute"]),
        ("20270201T092500Z", "20270201T094000Z", &[]),
        // The series rings the day before its first Thursday...
        ("20270303T095500Z", "20270303T100500Z", &["moved"]),
        // ... but not before the moved one, whose override has no alarm.
        ("20270310T095500Z", "20270310T100500Z", &[]),
        ("20270311T095500Z", "20270311T100500Z", &[]),
        ("20270317T095500Z", "20270317T100500Z", &["moved"]),
    ];
    for (start, end, expected) in cases {
        let text = alarms_ringing(&server, start, end);
        for name in ["simple", "weekly", "absolute", "moved", "silent"] {
            assert_eq!(
                text.contains(&format!("/{name}.ics")),
                expected.contains(&name),
                "{name} for alarms in [{start}, {end}): {text}"
            );
        }
    }
}

#[test]
fn a_time_range_deeper_than_alarms_is_refused_as_unsupported() {
    let server = Server::start();
    let response = server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD"><C:time-range start="20270101T000000Z" end="20270201T000000Z"/></C:comp-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#)
        .send()
        .expect(403);
    assert!(
        response.text().contains("supported-filter"),
        "{}",
        response.text()
    );
}

#[test]
fn a_time_range_with_a_category_filter_needs_both() {
    // python-caldav's search(category=..., start=..., end=...).
    let server = Server::start();
    put(&server, "hands", &format!("{HEAD}BEGIN:VEVENT\r\nUID:hands\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270107T120000Z\r\nDTEND:20270107T130000Z\r\nCATEGORIES:hands,feet\r\nSUMMARY:Atelier\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
    put(&server, "other", &format!("{HEAD}BEGIN:VEVENT\r\nUID:other\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270108T120000Z\r\nDTEND:20270108T130000Z\r\nCATEGORIES:eyes\r\nSUMMARY:Autre\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
    let search = |start: &str, end: &str| {
        query(
            &server,
            "VEVENT",
            &format!(
                r#"<C:time-range start="{start}" end="{end}"/><C:prop-filter name="CATEGORIES"><C:text-match collation="i;ascii-casemap">hands</C:text-match></C:prop-filter>"#
            ),
        )
    };
    let text = search("20270101T110000Z", "20270113T140000Z");
    assert!(text.contains("/hands.ics"), "{text}");
    assert!(!text.contains("/other.ics"), "{text}");
    let text = search("20270101T090000Z", "20270106T140000Z");
    assert!(!text.contains("/hands.ics"), "{text}");
}

#[test]
fn updates_keep_the_index_right_whether_or_not_the_event_moves() {
    let server = Server::start();
    let body = |summary: &str, day: &str| {
        format!("{HEAD}BEGIN:VEVENT\r\nUID:kermesse\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:{day}T140000\r\nDTEND;TZID=Europe/Paris:{day}T180000\r\nRRULE:FREQ=YEARLY;COUNT=3\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    };
    let update = |text: String| {
        server
            .as_user("asso-a", "PUT", &format!("{CAL_A}kermesse.ics"))
            .ics(text.as_bytes())
            .send()
            .expect(204);
    };
    let june_2028 = r#"<C:time-range start="20280601T000000Z" end="20280701T000000Z"/>"#;
    let july_2028 = r#"<C:time-range start="20280701T000000Z" end="20280801T000000Z"/>"#;
    put(&server, "kermesse", &body("Kermesse", "20270619"));
    assert!(query(&server, "VEVENT", june_2028).contains("kermesse.ics"));
    // Retitled only: the instances stay as they were, and still answer.
    update(body("Kermesse de l'école", "20270619"));
    assert!(query(&server, "VEVENT", june_2028).contains("kermesse.ics"));
    assert!(!query(&server, "VEVENT", july_2028).contains("kermesse.ics"));
    // Moved to July: every year of the series moves.
    update(body("Kermesse de l'école", "20270703"));
    assert!(!query(&server, "VEVENT", june_2028).contains("kermesse.ics"));
    assert!(query(&server, "VEVENT", july_2028).contains("kermesse.ics"));
    // One more year: the series grows by an instance.
    update(body("Kermesse de l'école", "20270703").replace("COUNT=3", "COUNT=4"));
    let july_2030 = r#"<C:time-range start="20300701T000000Z" end="20300801T000000Z"/>"#;
    assert!(query(&server, "VEVENT", july_2030).contains("kermesse.ics"));
}

/// An infinite series is indexed up to a horizon (5 years) and expanded
/// again for later ranges; when that range holds more occurrences than
/// `max_instances`, the series still matches (it used to vanish from the
/// answer without a word).
#[test]
fn an_infinite_series_matches_ranges_past_its_horizon_however_long() {
    // Weekly from 2027: 260 occurrences within the horizon, 520 in 2035-2045.
    let server = Server::start_with("[limits]\nmax_instances = 300\n");
    put(
        &server,
        "marche",
        &fixture_text("ics/recurring-infinite.ics"),
    );
    let long = r#"<C:time-range start="20350101T000000Z" end="20450101T000000Z"/>"#;
    let text = query(&server, "VEVENT", long);
    assert!(
        text.contains("marche.ics"),
        "ten years past the horizon: {text}"
    );
    let thursday = r#"<C:time-range start="20400105T070000Z" end="20400105T080000Z"/>"#;
    let text = query(&server, "VEVENT", thursday);
    assert!(text.contains("marche.ics"), "one Thursday morning: {text}");
    let wednesday = r#"<C:time-range start="20400104T070000Z" end="20400104T080000Z"/>"#;
    let text = query(&server, "VEVENT", wednesday);
    assert!(
        !text.contains("marche.ics"),
        "one Wednesday morning: {text}"
    );
}
