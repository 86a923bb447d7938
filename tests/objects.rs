//! Calendar object resources: PUT, GET, HEAD and DELETE with strong ETags
//! and conditional requests (RFC 4791 5.3.2, RFC 9110 13), byte-for-byte
//! storage of real-world files, and the refusals of RFC 4791 5.3.2.1.

mod common;
use common::davxml::{self, CALDAV, DAV};
use common::*;

fn href(name: &str) -> String {
    format!("{CAL_A}{name}")
}

/// PUTs `body` and returns the ETag, asserting 201 and a strong ETag.
#[track_caller]
fn create(server: &Server, path: &str, body: &[u8]) -> String {
    let response = server.as_user("asso-a", "PUT", path).ics(body).send();
    assert_eq!(response.status, 201, "PUT {path}: {}", response.text());
    strong_etag(&response)
}

#[track_caller]
fn strong_etag(response: &Response) -> String {
    let etag = response
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag in {:?}", response.headers))
        .to_owned();
    assert!(!etag.starts_with("W/"), "weak ETag {etag}");
    assert!(
        etag.len() >= 3 && etag.starts_with('"') && etag.ends_with('"'),
        "ETag is not a quoted string: {etag}"
    );
    etag
}

fn get_body(server: &Server, path: &str) -> Vec<u8> {
    server
        .as_user("asso-a", "GET", path)
        .send()
        .expect(200)
        .body
}

/// A file as clients write them: folded lines, CRLF, X- properties, VALARM.
fn rich_event() -> Vec<u8> {
    let body = fixture("ics/apple-event.ics");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\r\n "), "fixture has no folded line");
    assert!(text.contains("\r\nX-"), "fixture has no X- property");
    assert!(text.contains("BEGIN:VALARM"), "fixture has no VALARM");
    body
}

#[test]
fn put_gives_201_and_a_strong_etag_and_get_returns_the_same_bytes() {
    let server = Server::start();
    let body = rich_event();
    let etag = create(&server, &href("apple.ics"), &body);
    let response = server
        .as_user("asso-a", "GET", &href("apple.ics"))
        .send()
        .expect(200);
    assert!(
        response.body == body,
        "GET changed the bytes:\n{}",
        response.text()
    );
    assert_eq!(response.header("etag"), Some(etag.as_str()));
    let content_type = response.header("content-type").unwrap();
    assert!(
        content_type
            .to_ascii_lowercase()
            .starts_with("text/calendar"),
        "{content_type}"
    );
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    let server = Server::start();
    let body = rich_event();
    let etag = create(&server, &href("apple.ics"), &body);
    // The harness itself fails when a HEAD answer carries a body.
    let response = server
        .as_user("asso-a", "HEAD", &href("apple.ics"))
        .send()
        .expect(200);
    assert!(response.body.is_empty());
    assert_eq!(response.header("etag"), Some(etag.as_str()));
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert_eq!(
        response.header("content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[test]
fn update_gives_204_and_a_new_etag() {
    let server = Server::start();
    let path = href("loto.ics");
    let first = create(
        &server,
        &path,
        &event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z"),
    );
    let changed = event(
        "loto@a",
        "Loto (salle des fêtes)",
        "20270110T180000Z",
        "20270110T220000Z",
    );
    let response = server
        .as_user("asso-a", "PUT", &path)
        .ics(&changed)
        .send()
        .expect(204);
    let second = strong_etag(&response);
    assert_ne!(first, second, "an update must change the ETag");
    let got = server.as_user("asso-a", "GET", &path).send().expect(200);
    assert_eq!(got.body, changed);
    assert_eq!(got.header("etag"), Some(second.as_str()));
}

#[test]
fn if_match_with_the_current_etag_updates() {
    let server = Server::start();
    let path = href("loto.ics");
    let etag = create(
        &server,
        &path,
        &event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z"),
    );
    let changed = event("loto@a", "Loto 2", "20270110T180000Z", "20270110T220000Z");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .header("If-Match", &etag)
        .ics(&changed)
        .send()
        .expect(204);
    assert_ne!(strong_etag(&response), etag);
    assert_eq!(get_body(&server, &path), changed);
}

#[test]
fn if_match_with_a_stale_etag_is_412_and_leaves_the_body() {
    let server = Server::start();
    let path = href("loto.ics");
    let original = event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z");
    let stale = create(&server, &path, &original);
    let current_body = event("loto@a", "Loto v2", "20270110T180000Z", "20270110T220000Z");
    let current = strong_etag(
        &server
            .as_user("asso-a", "PUT", &path)
            .ics(&current_body)
            .send()
            .expect(204),
    );
    let lost_update = event("loto@a", "Loto v3", "20270110T180000Z", "20270110T220000Z");
    server
        .as_user("asso-a", "PUT", &path)
        .header("If-Match", &stale)
        .ics(&lost_update)
        .send()
        .expect(412);
    let got = server.as_user("asso-a", "GET", &path).send().expect(200);
    assert_eq!(got.body, current_body, "a refused PUT changed the resource");
    assert_eq!(got.header("etag"), Some(current.as_str()));
}

#[test]
fn if_none_match_star_creates_but_does_not_overwrite() {
    let server = Server::start();
    let path = href("loto.ics");
    let original = event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .header("If-None-Match", "*")
        .ics(&original)
        .send()
        .expect(201);
    strong_etag(&response);
    server
        .as_user("asso-a", "PUT", &path)
        .header("If-None-Match", "*")
        .ics(&event(
            "loto@a",
            "Écrasé",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(412);
    assert_eq!(get_body(&server, &path), original);
}

#[test]
fn get_with_if_none_match_of_the_current_etag_is_304() {
    let server = Server::start();
    let path = href("loto.ics");
    let etag = create(
        &server,
        &path,
        &event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z"),
    );
    let response = server
        .as_user("asso-a", "GET", &path)
        .header("If-None-Match", &etag)
        .send()
        .expect(304);
    assert!(response.body.is_empty(), "304 with a body");
    assert_eq!(response.header("etag"), Some(etag.as_str()));
    // Another ETag: the full answer.
    server
        .as_user("asso-a", "GET", &path)
        .header("If-None-Match", "\"not-the-etag\"")
        .send()
        .expect(200);
}

#[test]
fn delete_gives_204_then_get_gives_404() {
    let server = Server::start();
    let path = href("loto.ics");
    let etag = create(
        &server,
        &path,
        &event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z"),
    );
    server
        .as_user("asso-a", "DELETE", &path)
        .header("If-Match", &etag)
        .send()
        .expect(204);
    server.as_user("asso-a", "GET", &path).send().expect(404);
    server.as_user("asso-a", "DELETE", &path).send().expect(404);
}

#[test]
fn delete_with_a_stale_if_match_is_412_and_keeps_the_object() {
    let server = Server::start();
    let path = href("loto.ics");
    let stale = create(
        &server,
        &path,
        &event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z"),
    );
    let body = event("loto@a", "Loto v2", "20270110T180000Z", "20270110T220000Z");
    server
        .as_user("asso-a", "PUT", &path)
        .ics(&body)
        .send()
        .expect(204);
    server
        .as_user("asso-a", "DELETE", &path)
        .header("If-Match", &stale)
        .send()
        .expect(412);
    assert_eq!(get_body(&server, &path), body);
}

#[test]
fn a_uid_already_in_the_calendar_is_403_no_uid_conflict_naming_the_holder() {
    let server = Server::start();
    let first = href("premier.ics");
    create(
        &server,
        &first,
        &event(
            "shared-uid@a",
            "Premier",
            "20270110T180000Z",
            "20270110T220000Z",
        ),
    );
    let second = href("second.ics");
    let response = server
        .as_user("asso-a", "PUT", &second)
        .ics(&event(
            "shared-uid@a",
            "Second",
            "20270111T180000Z",
            "20270111T220000Z",
        ))
        .send()
        .expect(403);
    let (conditions, description) = davxml::error(&response.text());
    let conflict = conditions
        .iter()
        .find(|c| c.is(CALDAV, "no-uid-conflict"))
        .unwrap_or_else(|| panic!("no CALDAV:no-uid-conflict: {}", response.text()));
    let holder = conflict
        .child(DAV, "href")
        .unwrap_or_else(|| panic!("no-uid-conflict without href: {}", response.text()));
    assert_eq!(holder.text.trim(), first);
    assert!(!description.is_empty(), "no readable message");
    server.as_user("asso-a", "GET", &second).send().expect(404);
}

#[test]
fn every_real_world_fixture_round_trips_byte_for_byte() {
    let server = Server::start();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ics");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ics"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "too few fixtures: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let body = fixture(&format!("ics/{name}"));
        let path = href(name);
        let put = server.as_user("asso-a", "PUT", &path).ics(&body).send();
        if put.status != 201 {
            failures.push(format!("{name}: PUT {} {}", put.status, put.text().trim()));
            continue;
        }
        let etag = put.header("etag").unwrap_or("").to_owned();
        let got = server.as_user("asso-a", "GET", &path).send();
        if got.status != 200 || got.body != body {
            failures.push(format!(
                "{name}: GET {} returned {} bytes instead of the {} sent",
                got.status,
                got.body.len(),
                body.len()
            ));
        } else if got.header("etag") != Some(etag.as_str()) {
            failures.push(format!(
                "{name}: GET ETag {:?}, PUT ETag {etag}",
                got.header("etag")
            ));
        }
        // Several fixtures may share a UID: make room for the next one.
        let deleted = server.as_user("asso-a", "DELETE", &path).send();
        if deleted.status != 204 {
            failures.push(format!("{name}: DELETE {}", deleted.status));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures do not round-trip:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bad_fixture_is_refused_with_a_caldav_precondition() {
    let server = Server::start();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ics/bad");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no bad fixtures");
    let preconditions = [
        "valid-calendar-data",
        "valid-calendar-object-resource",
        "supported-calendar-component",
    ];
    let mut failures = Vec::new();
    for name in &names {
        let body = fixture(&format!("ics/bad/{name}"));
        let path = href(&format!("bad-{name}.ics"));
        let response = server.as_user("asso-a", "PUT", &path).ics(&body).send();
        let text = response.text();
        if !(400..500).contains(&response.status) {
            failures.push(format!("{name}: accepted with {}", response.status));
            server.as_user("asso-a", "DELETE", &path).send();
            continue;
        }
        match davxml::try_parse(&text) {
            Ok(root) if root.is(DAV, "error") => {
                let named = root
                    .children
                    .iter()
                    .any(|c| c.ns == CALDAV && preconditions.contains(&c.local.as_str()));
                let message = root
                    .child(DAV, "responsedescription")
                    .map(|d| d.text.trim().to_owned())
                    .unwrap_or_default();
                if !named {
                    failures.push(format!(
                        "{name}: {} names {:?}, not a CALDAV precondition",
                        response.status,
                        root.child_names()
                    ));
                } else if message.len() < 10 {
                    failures.push(format!("{name}: no readable message in {text}"));
                }
            }
            _ => failures.push(format!(
                "{name}: {} without a DAV:error body: {}",
                response.status,
                text.trim()
            )),
        }
        let after = server.as_user("asso-a", "GET", &path).send();
        if after.status != 404 {
            failures.push(format!(
                "{name}: GET after the refusal gave {}",
                after.status
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad fixtures are not refused properly:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn a_body_over_the_size_limit_is_413_with_max_resource_size() {
    let server = Server::start();
    let mut body = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:big@a\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270110T180000Z\r\nDTEND:20270110T220000Z\r\nSUMMARY:Gros\r\nDESCRIPTION:",
    );
    while body.len() <= 1024 * 1024 + 1000 {
        body.push_str("Programme détaillé de la fête du village\r\n ");
    }
    body.push_str("fin\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    assert!(body.len() > 1024 * 1024);
    let path = href("big.ics");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .ics(body.as_bytes())
        .send()
        .expect(413);
    let (conditions, _) = davxml::error(&response.text());
    assert!(
        conditions.iter().any(|c| c.is(CALDAV, "max-resource-size")),
        "{}",
        response.text()
    );
    server.as_user("asso-a", "GET", &path).send().expect(404);
}

#[test]
fn a_body_that_is_not_text_calendar_is_415_with_supported_calendar_data() {
    let server = Server::start();
    let path = href("plain.ics");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .header("Content-Type", "text/plain")
        .body(event(
            "plain@a",
            "Texte",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(415);
    let (conditions, _) = davxml::error(&response.text());
    assert!(
        conditions
            .iter()
            .any(|c| c.is(CALDAV, "supported-calendar-data")),
        "{}",
        response.text()
    );
    server.as_user("asso-a", "GET", &path).send().expect(404);
}

#[test]
fn put_into_a_missing_collection_is_409() {
    let server = Server::start();
    server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/nowhere/x.ics")
        .ics(&event(
            "x@a",
            "Nulle part",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(409);
}

#[test]
fn put_directly_into_the_home_is_403() {
    let server = Server::start();
    server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/x.ics")
        .ics(&event(
            "x@a",
            "Dans le home",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(403);
    server
        .as_user("asso-a", "GET", "/dav/calendars/asso-a/x.ics")
        .send()
        .expect(404);
}
