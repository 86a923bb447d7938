//! Time ranges on VTODO (RFC 4791 9.9): every row of the table, probed at
//! its boundaries over real calendar-queries. For a range [start, end):
//!
//! | DTSTART | DURATION | DUE | COMPLETED | CREATED | matches when |
//! |---|---|---|---|---|---|
//! | Y | Y | N | * | * | start <= DTSTART+DURATION and (end > DTSTART or end >= DTSTART+DURATION) |
//! | Y | N | Y | * | * | (start < DUE or start <= DTSTART) and (end > DTSTART or end >= DUE) |
//! | Y | N | N | * | * | start <= DTSTART and end > DTSTART |
//! | N | N | Y | * | * | start < DUE and end >= DUE |
//! | N | N | N | Y | Y | (start <= CREATED or start <= COMPLETED) and (end >= CREATED or end >= COMPLETED) |
//! | N | N | N | Y | N | start <= COMPLETED and end >= COMPLETED |
//! | N | N | N | N | Y | end > CREATED |
//! | N | N | N | N | N | true |
//!
//! Dates (VALUE=DATE) are midnight in the calendar's zone (Europe/Paris:
//! 2027-01-10 is 2027-01-09T23:00:00Z).

mod common;
use common::*;

const HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\n";

/// Puts a to-do named `name` with these properties into asso-a's calendar.
fn put_todo(server: &Server, name: &str, properties: &str) {
    let body = format!(
        "{HEAD}BEGIN:VTODO\r\nUID:{name}\r\nDTSTAMP:20261101T120000Z\r\n{properties}SUMMARY:Tâche {name}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    );
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}{name}.ics"))
        .ics(body.as_bytes())
        .send()
        .expect(201);
}

/// The hrefs a VTODO calendar-query with this time range answers in
/// `collection`.
fn query(server: &Server, collection: &str, start: Option<&str>, end: Option<&str>) -> Vec<String> {
    let attribute = |name: &str, value: Option<&str>| {
        value
            .map(|v| format!(" {name}=\"{v}\""))
            .unwrap_or_default()
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO">
    <C:time-range{}{}/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
        attribute("start", start),
        attribute("end", end)
    );
    let text = server
        .as_user("asso-a", "REPORT", collection)
        .header("Depth", "1")
        .xml(&body)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&text).hrefs()
}

/// Asserts, for each range, whether the to-do `name` matches it.
#[track_caller]
fn probe(server: &Server, name: &str, row: &str, cases: &[(Option<&str>, Option<&str>, bool)]) {
    let href = format!("{CAL_A}{name}.ics");
    let mut wrong = Vec::new();
    for &(start, end, expected) in cases {
        let found = query(server, CAL_A, start, end).contains(&href);
        if found != expected {
            wrong.push(format!(
                "[{}, {}) {} but should {}",
                start.unwrap_or("-inf"),
                end.unwrap_or("+inf"),
                if found { "matches" } else { "does not match" },
                if expected { "match" } else { "not match" }
            ));
        }
    }
    assert!(wrong.is_empty(), "{name} ({row}):\n{}", wrong.join("\n"));
}

const fn at(time: &str) -> Option<&str> {
    Some(time)
}

/// A to-do of one row of the table: its name, its properties, and the
/// ranges it matches (true) or not (false).
type Todo<'a> = (
    &'a str,
    &'a str,
    &'a [(Option<&'a str>, Option<&'a str>, bool)],
);

/// Stores the to-dos in a new server, then probes each against its
/// ranges; the server, for more.
#[track_caller]
fn check_row(row: &str, todos: &[Todo]) -> Server {
    let server = Server::start();
    for (name, properties, _) in todos {
        put_todo(&server, name, properties);
    }
    for (name, _, cases) in todos {
        probe(&server, name, row, cases);
    }
    server
}

#[test]
fn dtstart_and_duration() {
    check_row(
        "start <= DTSTART+DURATION and (end > DTSTART or end >= DTSTART+DURATION)",
        &[
            (
                "hour",
                "DTSTART:20270110T100000Z\r\nDURATION:PT1H\r\n",
                &[
                    (at("20270110T090000Z"), at("20270110T100000Z"), false),
                    (at("20270110T090000Z"), at("20270110T100001Z"), true),
                    (at("20270110T103000Z"), at("20270110T103100Z"), true),
                    // The range may start right when the to-do ends.
                    (at("20270110T110000Z"), at("20270110T120000Z"), true),
                    (at("20270110T110001Z"), at("20270110T120000Z"), false),
                    (None, at("20270110T100000Z"), false),
                    (at("20270110T110000Z"), None, true),
                ],
            ),
            // Without length: start <= DTSTART and end >= DTSTART.
            (
                "instant",
                "DTSTART:20270110T100000Z\r\nDURATION:PT0S\r\n",
                &[
                    (at("20270110T090000Z"), at("20270110T100000Z"), true),
                    (at("20270110T100000Z"), at("20270110T110000Z"), true),
                    (at("20270110T100001Z"), at("20270110T110000Z"), false),
                    (at("20270110T090000Z"), at("20270110T095959Z"), false),
                ],
            ),
            // Every instance of a series, the last one included.
            (
                "daily",
                "DTSTART:20270110T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\n",
                &[
                    (at("20270112T110000Z"), at("20270112T120000Z"), true),
                    (at("20270112T110001Z"), at("20270113T100000Z"), false),
                    (at("20270113T000000Z"), at("20270114T000000Z"), false),
                ],
            ),
        ],
    );
}

#[test]
fn dtstart_and_due() {
    check_row(
        "(start < DUE or start <= DTSTART) and (end > DTSTART or end >= DUE)",
        &[
            (
                "morning",
                "DTSTART:20270110T100000Z\r\nDUE:20270110T120000Z\r\n",
                &[
                    (at("20270110T090000Z"), at("20270110T100000Z"), false),
                    (at("20270110T090000Z"), at("20270110T100001Z"), true),
                    (at("20270110T115959Z"), at("20270110T130000Z"), true),
                    (at("20270110T120000Z"), at("20270110T130000Z"), false),
                ],
            ),
            // DUE at DTSTART: start <= DTSTART and end >= DTSTART.
            (
                "same",
                "DTSTART:20270110T100000Z\r\nDUE:20270110T100000Z\r\n",
                &[
                    (at("20270110T090000Z"), at("20270110T100000Z"), true),
                    (at("20270110T100000Z"), at("20270110T110000Z"), true),
                    (at("20270110T100001Z"), at("20270110T110000Z"), false),
                    (at("20270110T090000Z"), at("20270110T095959Z"), false),
                ],
            ),
            (
                "days",
                "DTSTART;VALUE=DATE:20270110\r\nDUE;VALUE=DATE:20270112\r\n",
                &[
                    (at("20270109T220000Z"), at("20270109T230000Z"), false),
                    (at("20270111T220000Z"), at("20270111T230000Z"), true),
                    (at("20270111T230000Z"), at("20270112T000000Z"), false),
                ],
            ),
        ],
    );
}

#[test]
fn dtstart_alone() {
    check_row(
        "start <= DTSTART and end > DTSTART",
        &[
            (
                "start",
                "DTSTART:20270110T100000Z\r\n",
                &[
                    (at("20270110T100000Z"), at("20270110T110000Z"), true),
                    (at("20270110T090000Z"), at("20270110T100000Z"), false),
                    (at("20270110T100001Z"), at("20270110T110000Z"), false),
                    (None, at("20270110T100001Z"), true),
                    (at("20270110T100000Z"), None, true),
                ],
            ),
            // A date is an instant too (its midnight): the rest of its day
            // does not match.
            (
                "day",
                "DTSTART;VALUE=DATE:20270110\r\n",
                &[
                    (at("20270109T230000Z"), at("20270110T000000Z"), true),
                    (at("20270110T000000Z"), at("20270111T000000Z"), false),
                    (at("20270109T220000Z"), at("20270109T230000Z"), false),
                ],
            ),
        ],
    );
}

#[test]
fn due_alone() {
    check_row(
        "start < DUE and end >= DUE",
        &[
            (
                "due",
                "DUE:20270110T120000Z\r\n",
                &[
                    (at("20270110T110000Z"), at("20270110T120000Z"), true),
                    (at("20270110T120000Z"), at("20270110T130000Z"), false),
                    (at("20270110T110000Z"), at("20270110T115959Z"), false),
                    (at("20270110T115959Z"), at("20270110T120001Z"), true),
                    (None, at("20270110T120000Z"), true),
                    (at("20270110T120000Z"), None, false),
                ],
            ),
            (
                "due-day",
                "DUE;VALUE=DATE:20270115\r\n",
                &[
                    (at("20270114T000000Z"), at("20270114T230000Z"), true),
                    (at("20270114T230000Z"), at("20270116T000000Z"), false),
                ],
            ),
        ],
    );
}

#[test]
fn completed_and_created() {
    let cases = [
        (at("20270105T000000Z"), at("20270106T000000Z"), true),
        (at("20261231T000000Z"), at("20270101T090000Z"), true),
        (at("20261231T000000Z"), at("20270101T085959Z"), false),
        (at("20270110T120000Z"), at("20270110T130000Z"), true),
        (at("20270110T120001Z"), at("20270110T130000Z"), false),
    ];
    check_row(
        "(start <= CREATED or start <= COMPLETED) and (end >= CREATED or end >= COMPLETED)",
        &[
            (
                "done",
                "CREATED:20270101T090000Z\r\nCOMPLETED:20270110T120000Z\r\nSTATUS:COMPLETED\r\n",
                &cases,
            ),
            // Imported the other way round: CREATED after COMPLETED.
            (
                "imported",
                "CREATED:20270110T120000Z\r\nCOMPLETED:20270101T090000Z\r\n",
                &cases,
            ),
        ],
    );
}

#[test]
fn completed_alone() {
    check_row(
        "start <= COMPLETED and end >= COMPLETED",
        &[(
            "done",
            "COMPLETED:20270110T120000Z\r\n",
            &[
                (at("20270110T110000Z"), at("20270110T120000Z"), true),
                (at("20270110T120000Z"), at("20270110T130000Z"), true),
                (at("20270110T120001Z"), at("20270110T130000Z"), false),
                (at("20270110T110000Z"), at("20270110T115959Z"), false),
            ],
        )],
    );
}

#[test]
fn created_alone() {
    let server = Server::start();
    put_todo(&server, "open", "CREATED:20270101T090000Z\r\n");
    // An event lasting a day, so that the index's longest span is short.
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}fete.ics"))
        .ics(&event(
            "fete",
            "Fête",
            "20270301T100000Z",
            "20270301T180000Z",
        ))
        .send()
        .expect(201);
    probe(
        &server,
        "open",
        "end > CREATED",
        &[
            // Years later: still to do.
            (at("20300101T000000Z"), at("20300201T000000Z"), true),
            (at("20400101T000000Z"), None, true),
            (at("20261201T000000Z"), at("20270101T090000Z"), false),
            (at("20261201T000000Z"), at("20270101T090001Z"), true),
            (None, at("20270101T090000Z"), false),
        ],
    );
}

#[test]
fn without_any_date() {
    let server = check_row(
        "true",
        &[(
            "someday",
            "",
            &[
                (at("19990101T000000Z"), at("19990102T000000Z"), true),
                (None, at("20000101T000000Z"), true),
                (at("20500101T000000Z"), None, true),
            ],
        )],
    );
    let public = query(&server, "/dav/intercommunal/", at("20500101T000000Z"), None);
    assert_eq!(public.len(), 1, "in the intercommunal calendar: {public:?}");
}

/// The intercommunal calendar carries public to-dos too: they match there
/// as in their own calendar, those with CREATED alone included.
#[test]
fn in_the_intercommunal_calendar() {
    let server = Server::start();
    put_todo(&server, "someday", "");
    put_todo(&server, "open", "CREATED:20270101T090000Z\r\n");
    put_todo(&server, "due", "DUE:20270110T120000Z\r\n");
    let found = query(
        &server,
        "/dav/intercommunal/",
        at("20300101T000000Z"),
        at("20300201T000000Z"),
    );
    assert_eq!(found.len(), 2, "{found:?}");
    let due = query(
        &server,
        "/dav/intercommunal/",
        at("20270110T110000Z"),
        at("20270110T120000Z"),
    );
    assert_eq!(due.len(), 3, "{due:?}");
}
