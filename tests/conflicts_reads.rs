//! Reading a "Conflits" calendar has no side effect: the server brings it up
//! to date only for someone who may read it, writes only what changed, and
//! a path of a login that does not exist costs nothing. Observed over HTTP
//! through ctags, sync tokens and ETags (ETags are change sequence numbers,
//! so they tell when a conflict event was written).

mod common;
use common::davxml::{self, CALDAV, CS, DAV};
use common::*;

const EXTRA: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"

[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
"#;

const AGG: &str = "/dav/intercommunal/";

fn conflits(login: &str) -> String {
    format!("/dav/calendars/{login}/conflits/")
}

/// An event at the Arue hall on `day` (YYYYMMDD), 14:00-17:00 UTC.
fn at_the_hall(uid: &str, summary: &str, day: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{day}T140000Z\r\nDTEND:{day}T170000Z\r\nSUMMARY:{summary}\r\nLOCATION:Salle des fêtes d'Arue\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

/// PUTs and returns the new ETag as a number.
fn put(server: &Server, login: &str, path: &str, body: &[u8]) -> i64 {
    let response = server.as_user(login, "PUT", path).ics(body).send();
    assert!(
        matches!(response.status, 201 | 204),
        "PUT {path}: {} {}",
        response.status,
        response.text()
    );
    etag_number(response.header("etag").expect("ETag of a PUT"))
}

fn etag_number(etag: &str) -> i64 {
    etag.trim_matches('"').parse().expect("numeric ETag")
}

/// asso-a and asso-b both book the Arue hall on 13 March 2027.
fn clashing() -> Server {
    let server = Server::start_with(EXTRA);
    put(
        &server,
        "asso-a",
        &format!("{CAL_A}loto.ics"),
        &at_the_hall("loto@asso-a", "Loto", "20270313"),
    );
    put(
        &server,
        "asso-b",
        &format!("{CAL_B}ag.ics"),
        &at_the_hall("ag@asso-b", "Assemblée générale", "20270313"),
    );
    server
}

/// getctag and sync-token of a collection, read by `login`.
fn tags(server: &Server, login: &str, collection: &str) -> (String, String) {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>"#;
    let text = server
        .as_user(login, "PROPFIND", collection)
        .header("Depth", "0")
        .xml(body)
        .send()
        .expect(207)
        .text();
    let ms = davxml::multistatus(&text);
    let own = ms.one(collection);
    (
        own.text(CS, "getctag").expect("getctag"),
        own.text(DAV, "sync-token").expect("sync-token"),
    )
}

/// What a read must leave alone: the intercommunal calendar (whose ctag
/// moves with any change anywhere) and both organisers' calendars.
fn state(server: &Server) -> Vec<(String, String)> {
    vec![
        tags(server, "asso-a", AGG),
        tags(server, "asso-a", CAL_A),
        tags(server, "asso-b", CAL_B),
    ]
}

/// sync-collection asking for ETags: (href, status, ETag) and the new token.
fn sync(
    server: &Server,
    login: &str,
    collection: &str,
    token: &str,
) -> (Vec<(String, u16, Option<i64>)>, String) {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let text = server
        .as_user(login, "REPORT", collection)
        .header("Depth", "1")
        .xml(&body)
        .send()
        .expect(207)
        .text();
    let ms = davxml::multistatus(&text);
    let entries = ms
        .responses
        .iter()
        .map(|r| {
            (
                r.href.clone(),
                r.status.unwrap_or(200),
                r.text(DAV, "getetag").map(|e| etag_number(&e)),
            )
        })
        .collect();
    (entries, ms.sync_token.expect("sync-token"))
}

/// Every way of reading a collection and a member inside it.
fn reads(collection: &str) -> Vec<(&'static str, String, &'static str, String)> {
    let propfind = fixture_text("requests/thunderbird-propfind-etags.xml");
    let sync = fixture_text("requests/thunderbird-sync-collection-initial.xml");
    let query = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#
    );
    let member = format!("{collection}0123456789abcdef0123.ics");
    vec![
        ("PROPFIND", collection.to_owned(), "0", propfind.clone()),
        ("PROPFIND", collection.to_owned(), "1", propfind.clone()),
        ("REPORT", collection.to_owned(), "1", sync),
        ("REPORT", collection.to_owned(), "1", query),
        ("GET", collection.to_owned(), "0", String::new()),
        ("GET", member.clone(), "0", String::new()),
        ("PROPFIND", member, "0", propfind),
    ]
}

#[test]
fn another_organisers_conflits_calendar_is_refused_before_any_work() {
    let server = clashing();
    let before = state(&server);
    for (method, path, depth, body) in reads(&conflits("asso-b")) {
        let response = server
            .as_user("asso-a", method, &path)
            .header("Depth", depth)
            .xml(&body)
            .send();
        // A member that does not exist may be told apart (404).
        assert!(
            matches!(response.status, 403 | 404)
                && (path.ends_with('/') == (response.status == 403)),
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
    }
    assert_eq!(state(&server), before, "a refused read changed something");

    // asso-b's conflict event is written when asso-b first reads its
    // calendar, so after anything asso-a writes now.
    let marker = put(
        &server,
        "asso-a",
        &format!("{CAL_A}reunion.ics"),
        &event(
            "reunion@asso-a",
            "Réunion",
            "20270401T180000Z",
            "20270401T190000Z",
        ),
    );
    let (entries, _) = sync(&server, "asso-b", &conflits("asso-b"), "");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let written = entries[0].2.expect("ETag of the conflict event");
    assert!(
        written > marker,
        "asso-b's conflits calendar was written ({written}) before asso-b read it ({marker})"
    );
}

#[test]
fn conflits_paths_of_missing_logins_are_not_found_and_change_nothing() {
    let server = clashing();
    let before = state(&server);
    for (login, target) in [
        ("asso-a", "nobody"),
        ("staff", "nobody"),
        ("asso-a", "asso-a-nobody"),
    ] {
        for (method, path, depth, body) in reads(&conflits(target)) {
            let response = server
                .as_user(login, method, &path)
                .header("Depth", depth)
                .xml(&body)
                .send();
            assert_eq!(
                response.status,
                404,
                "{method} {path} as {login}: {}",
                response.text()
            );
        }
    }
    assert_eq!(state(&server), before);
}

#[test]
fn reading_ones_conflits_calendar_again_changes_nothing_until_the_data_does() {
    let server = clashing();
    let mine = conflits("asso-a");
    let (first, token) = sync(&server, "asso-a", &mine, "");
    assert_eq!(first.len(), 1, "{first:?}");
    let (href, _, etag) = first[0].clone();
    let ctag = tags(&server, "asso-a", &mine);
    let before = state(&server);
    for _ in 0..3 {
        for (method, path, depth, body) in reads(&mine) {
            let response = server
                .as_user("asso-a", method, &path)
                .header("Depth", depth)
                .xml(&body)
                .send();
            assert!(
                matches!(response.status, 200 | 207 | 404),
                "{method} {path}: {} {}",
                response.status,
                response.text()
            );
        }
        let event = server.as_user("asso-a", "GET", &href).send().expect(200);
        assert_eq!(event.header("etag").map(etag_number), etag);
        assert_eq!(
            sync(&server, "asso-a", &mine, &token),
            (vec![], token.clone())
        );
        assert_eq!(tags(&server, "asso-a", &mine), ctag);
    }
    assert_eq!(state(&server), before);

    // A write that makes a new conflict shows at the very next read.
    put(
        &server,
        "asso-b",
        &format!("{CAL_B}bal.ics"),
        &at_the_hall("bal@asso-b", "Bal", "20270313"),
    );
    let (changes, _) = sync(&server, "asso-a", &mine, &token);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, 200);
    assert_ne!(tags(&server, "asso-a", &mine), ctag);
}
