//! What the server holds in memory stays bounded: large multistatus
//! answers are written as they are produced (chunked, never whole), with
//! the octets they had when built whole, and the caches keep within
//! `[cache] max_mb`.

mod common;
use common::*;

/// An event on day `n` of March 2027 with a long description, so that a
/// month of them makes an answer larger than what is sent whole.
fn long_event(n: usize) -> Vec<u8> {
    let description = format!("Programme de la soirée n°{n} : ").repeat(80);
    let mut folded = String::new();
    let line = format!("DESCRIPTION:{description}");
    for (i, c) in line.chars().enumerate() {
        if i > 0 && i % 60 == 0 {
            folded.push_str("\r\n ");
        }
        folded.push(c);
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:soiree-{n}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:202703{:02}T180000Z\r\nDTEND:202703{:02}T200000Z\r\nSUMMARY:Soirée & cinéma <{n}>\r\n{folded}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        n % 28 + 1,
        n % 28 + 1
    )
    .into_bytes()
}

const MONTH_QUERY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20270301T000000Z" end="20270401T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#;

fn month(server: &Server, login: &str, path: &str) -> Response {
    server
        .as_user(login, "REPORT", path)
        .header("Depth", "1")
        .xml(MONTH_QUERY)
        .send()
        .expect(207)
}

fn put_month(server: &Server, count: usize) -> Vec<Vec<u8>> {
    let bodies: Vec<Vec<u8>> = (0..count).map(long_event).collect();
    for (n, body) in bodies.iter().enumerate() {
        server
            .as_user("asso-a", "PUT", &format!("{CAL_A}soiree-{n}.ics"))
            .ics(body)
            .send()
            .expect(201);
    }
    bodies
}

/// A month of 120 long events (about 400 KB of answer) is sent in chunks
/// as it is written; asked again (now from the cache of served objects) it
/// is the same octets, and each calendar-data is the stored object.
#[test]
fn a_large_answer_is_written_as_produced_with_the_same_octets() {
    let server = Server::start();
    let bodies = put_month(&server, 120);
    let first = month(&server, "asso-a", CAL_A);
    assert_eq!(first.header("transfer-encoding"), Some("chunked"));
    assert_eq!(first.header("content-length"), None);
    assert!(first.body.len() > 300_000, "{}", first.body.len());
    let second = month(&server, "asso-a", CAL_A);
    assert_eq!(
        first.text(),
        second.text(),
        "cold and cached answers differ"
    );
    let answer = davxml::multistatus(&first.text());
    assert_eq!(answer.hrefs().len(), 120);
    for (n, body) in bodies.iter().enumerate() {
        let data = answer
            .one(&format!("{CAL_A}soiree-{n}.ics"))
            .text(davxml::CALDAV, "calendar-data")
            .unwrap();
        assert_eq!(data.as_bytes(), &body[..], "soiree-{n}");
    }
    // The same through the intercommunal calendar, public view.
    let public = month(&server, "staff", "/dav/intercommunal/");
    assert_eq!(public.header("transfer-encoding"), Some("chunked"));
    assert_eq!(davxml::multistatus(&public.text()).hrefs().len(), 120);
    assert_eq!(
        public.text(),
        month(&server, "staff", "/dav/intercommunal/").text()
    );
    // A small answer is still sent whole, with its length.
    let small = server
        .as_user("asso-b", "REPORT", CAL_B)
        .header("Depth", "1")
        .xml(MONTH_QUERY)
        .send()
        .expect(207);
    assert!(small.header("content-length").is_some());
}

/// With no memory for caches, nothing is kept and every answer is still
/// right: the month, a multiget of what it lists and a feed are each made
/// afresh (the feed says so in X-Concord-Cache).
#[test]
fn with_no_memory_for_caches_answers_are_made_afresh() {
    let server = Server::start_with("[cache]\nmax_mb = 0\n");
    let bodies = put_month(&server, 3);
    let first = month(&server, "asso-a", CAL_A).text();
    assert_eq!(first, month(&server, "asso-a", CAL_A).text());
    for (n, body) in bodies.iter().enumerate() {
        let path = format!("{CAL_A}soiree-{n}.ics");
        for _ in 0..2 {
            let got = server.as_user("asso-a", "GET", &path).send().expect(200);
            assert_eq!(got.body, *body);
        }
    }
    for _ in 0..2 {
        let feed = server
            .request("GET", "/feeds/asso-a.ics")
            .send()
            .expect(200);
        assert_eq!(feed.header("x-concord-cache"), Some("miss"));
        assert!(feed.text().contains("UID:soiree-2"));
    }
    // The default budget keeps the feed.
    let server = Server::start();
    put_month(&server, 1);
    let feed = |server: &Server| {
        let response = server
            .request("GET", "/feeds/asso-a.ics")
            .send()
            .expect(200);
        response.header("x-concord-cache").map(str::to_owned)
    };
    assert_eq!(feed(&server).as_deref(), Some("miss"));
    assert_eq!(feed(&server).as_deref(), Some("hit"));
}
