//! Hostile and broken requests: malformed XML, entity bombs, unbound
//! prefixes, deep nesting, oversized bodies, unknown paths, path tricks and
//! unknown methods. None of them may cost a 5xx, leak data, or stop the
//! server from answering the next request.

mod common;
use common::davxml;
use common::*;

const SECRET: &str = "Réunion secrète du club";
const EVENT_B: &str = "/dav/calendars/asso-b/main/secret.ics";

fn server_with_secret() -> Server {
    let server = Server::start();
    server
        .as_user("asso-b", "PUT", EVENT_B)
        .ics(&event(
            "secret@b",
            SECRET,
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(201);
    server
}

fn propfind_with(server: &Server, body: &str) -> Response {
    server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "0")
        .xml(body)
        .send()
}

/// The server still answers an ordinary PROPFIND.
#[track_caller]
fn assert_still_serving(server: &Server) {
    let ms = davxml::multistatus(
        &propfind_with(
            server,
            &fixture_text("requests/thunderbird-propfind-ctag.xml"),
        )
        .expect(207)
        .text(),
    );
    assert!(ms.one(CAL_A).text(davxml::CS, "getctag").is_some());
}

fn oversized_xml() -> String {
    let padding = "x".repeat(300 * 1024);
    format!(
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><!-- {padding} --><D:prop><D:displayname/></D:prop></D:propfind>"#
    )
}

#[test]
fn malformed_xml_is_400() {
    let server = Server::start();
    propfind_with(&server, &fixture_text("requests/bad/malformed.xml")).expect(400);
    propfind_with(&server, "<D:propfind xmlns:D=\"DAV:\"><D:prop>").expect(400);
    server
        .as_user("asso-a", "PROPPATCH", CAL_A)
        .xml("<D:propertyupdate xmlns:D=\"DAV:\"><D:set></D:propertyupdate>")
        .send()
        .expect(400);
    assert_still_serving(&server);
}

#[test]
fn a_doctype_entity_bomb_is_400_fast() {
    let server = Server::start();
    let started = std::time::Instant::now();
    propfind_with(&server, &fixture_text("requests/bad/doctype-entity.xml")).expect(400);
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(2),
        "the entity bomb took {elapsed:?}"
    );
    assert_still_serving(&server);
}

#[test]
fn an_unbound_namespace_prefix_is_400() {
    let server = Server::start();
    propfind_with(&server, &fixture_text("requests/bad/unbound-prefix.xml")).expect(400);
    assert_still_serving(&server);
}

#[test]
fn very_deep_nesting_is_400() {
    let server = Server::start();
    propfind_with(&server, &fixture_text("requests/bad/deep-nesting.xml")).expect(400);
    assert_still_serving(&server);
}

#[test]
fn an_xml_body_over_the_limit_is_413() {
    let server = Server::start();
    let body = oversized_xml();
    assert!(body.len() > 256 * 1024);
    propfind_with(&server, &body).expect(413);
    server
        .as_user("asso-a", "REPORT", CAL_A)
        .xml(&body)
        .send()
        .expect(413);
    assert_still_serving(&server);
}

#[test]
fn unknown_paths_are_404() {
    let server = Server::start();
    for path in [
        "/nothing",
        "/dav/calendars/nobody/",
        "/dav/principals/nobody/",
        "/dav/calendars/asso-a/nothing/",
        "/dav/calendars/asso-a/main/nothing.ics",
    ] {
        let response = server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "0")
            .send();
        assert_eq!(response.status, 404, "PROPFIND {path}: {}", response.text());
        let response = server.as_user("asso-a", "GET", path).send();
        assert_eq!(response.status, 404, "GET {path}: {}", response.text());
    }
}

#[test]
fn path_tricks_are_400_and_leak_nothing() {
    let server = server_with_secret();
    for path in [
        "/dav/calendars/asso-a/../asso-b/main/",
        "/dav/calendars/asso-a/%2e%2e/asso-b/main/",
        "/dav/calendars/asso-a/%2E%2E/asso-b/main/secret.ics",
        "/dav/calendars/asso-a/main/..%2F..%2Fasso-b%2Fmain%2Fsecret.ics",
        "/dav/calendars/asso-a%2F..%2Fasso-b/main/",
        "/dav/calendars/asso-a/main/%2F..%2F..%2Fasso-b/main/secret.ics",
    ] {
        for method in ["PROPFIND", "GET", "REPORT"] {
            let mut request = server.as_user("asso-a", method, path).header("Depth", "1");
            if method == "REPORT" {
                request = request.xml(&fixture_text(
                    "requests/thunderbird-sync-collection-initial.xml",
                ));
            }
            let response = request.send();
            let text = response.text();
            assert_eq!(response.status, 400, "{method} {path}: {text}");
            assert!(!text.contains(SECRET), "{method} {path} leaked: {text}");
            assert!(
                !text.contains("secret.ics"),
                "{method} {path} leaked: {text}"
            );
            assert!(!text.contains("Bourriot"), "{method} {path} leaked: {text}");
        }
        let response = server
            .as_user("asso-a", "PUT", path)
            .ics(&event(
                "trick@a",
                "Piège",
                "20270110T180000Z",
                "20270110T220000Z",
            ))
            .send();
        assert_eq!(response.status, 400, "PUT {path}: {}", response.text());
    }
    // asso-b's calendar is untouched.
    let ms = davxml::multistatus(
        &server
            .as_user("asso-b", "PROPFIND", CAL_B)
            .header("Depth", "1")
            .send()
            .expect(207)
            .text(),
    );
    let mut hrefs = ms.hrefs();
    hrefs.sort();
    assert_eq!(hrefs, [CAL_B, EVENT_B]);
}

#[test]
fn unknown_methods_are_405_with_allow() {
    let server = Server::start();
    for method in ["FOO", "COPY", "MOVE", "LOCK", "UNLOCK", "PATCH", "POST"] {
        for path in [CAL_A, "/dav/calendars/asso-a/"] {
            let response = server.as_user("asso-a", method, path).send();
            assert_eq!(response.status, 405, "{method} {path}: {}", response.text());
            let allow = response
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"));
            assert!(allow.contains("PROPFIND"), "{method} {path}: Allow {allow}");
            assert!(
                !allow.split(',').any(|m| m.trim() == method),
                "{method} {path}: Allow {allow} lists the refused method"
            );
        }
    }
}

#[test]
fn no_bad_request_ever_gets_a_5xx() {
    let server = server_with_secret();
    let propfind = "PROPFIND";
    let oversized = oversized_xml();
    let bad_bodies: Vec<(String, &str, String)> = vec![
        (
            "malformed".into(),
            propfind,
            fixture_text("requests/bad/malformed.xml"),
        ),
        (
            "doctype".into(),
            propfind,
            fixture_text("requests/bad/doctype-entity.xml"),
        ),
        (
            "unbound prefix".into(),
            propfind,
            fixture_text("requests/bad/unbound-prefix.xml"),
        ),
        (
            "deep nesting".into(),
            propfind,
            fixture_text("requests/bad/deep-nesting.xml"),
        ),
        ("oversized".into(), propfind, oversized.clone()),
        ("oversized report".into(), "REPORT", oversized),
        ("empty report".into(), "REPORT", String::new()),
        ("not xml".into(), "REPORT", "hello".into()),
        (
            "unknown report".into(),
            "REPORT",
            r#"<x:report xmlns:x="urn:example:none"/>"#.into(),
        ),
        (
            "proppatch without set".into(),
            "PROPPATCH",
            r#"<D:propfind xmlns:D="DAV:"/>"#.into(),
        ),
        (
            "multiget without href".into(),
            "REPORT",
            r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop></C:calendar-multiget>"#.into(),
        ),
        (
            "sync token garbage".into(),
            "REPORT",
            fixture_text("requests/davx5-sync-collection.xml")
                .replace("SYNC_TOKEN", "]]>&lt;garbage"),
        ),
    ];
    let mut bad_bodies: Vec<(String, &str, Vec<u8>)> = bad_bodies
        .into_iter()
        .map(|(name, method, body)| (name, method, body.into_bytes()))
        .collect();
    bad_bodies.push((
        "not UTF-8".into(),
        propfind,
        b"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:display\xff\xfename/></D:prop></D:propfind>"
            .to_vec(),
    ));
    let mut statuses = Vec::new();
    for (name, method, body) in &bad_bodies {
        let response = server
            .as_user("asso-a", method, CAL_A)
            .header("Depth", "0")
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body.clone())
            .send();
        statuses.push((name.clone(), response.status));
    }
    for path in [
        "/nothing",
        "/dav/calendars/nobody/",
        "/dav/calendars/asso-a/../asso-b/main/",
        "/dav/calendars/asso-a/%2e%2e/asso-b/main/",
        "/dav/calendars/asso-a%2F..%2Fasso-b/main/",
        "/dav/calendars/asso-a/main/%00.ics",
        "/dav/calendars/asso-a/main/%ff%fe.ics",
        "/dav/calendars/asso-a//main/",
    ] {
        for method in ["PROPFIND", "GET", "PUT", "DELETE", "MKCOL"] {
            let response = server.as_user("asso-a", method, path).send();
            statuses.push((format!("{method} {path}"), response.status));
        }
    }
    for method in ["FOO", "COPY", "LOCK"] {
        let response = server.as_user("asso-a", method, CAL_A).send();
        statuses.push((format!("{method} {CAL_A}"), response.status));
    }
    let depth = server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "2")
        .send();
    statuses.push(("Depth: 2".into(), depth.status));
    let server_errors: Vec<_> = statuses.iter().filter(|(_, s)| *s >= 500).collect();
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:?}");
    assert!(
        statuses.iter().all(|(_, s)| *s >= 400),
        "a bad request was accepted: {statuses:?}"
    );
    assert_still_serving(&server);
}
