//! Discovery as Thunderbird, iOS and DAVx5 do it: well-known redirect,
//! current-user-principal, calendar-home-set, Depth 1 listing.

mod common;
use common::*;

const CUP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#;

#[test]
fn well_known_redirects_to_the_dav_root() {
    let server = Server::start();
    let response = server
        .request("GET", "/.well-known/caldav")
        .send()
        .expect(301);
    assert_eq!(response.header("location"), Some("/dav/"));
    let response = server
        .as_user("asso-a", "PROPFIND", "/.well-known/caldav")
        .send()
        .expect(301);
    assert_eq!(response.header("location"), Some("/dav/"));
}

#[test]
fn root_answers_current_user_principal() {
    let server = Server::start();
    for path in ["/", "/dav/"] {
        let response = server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "0")
            .xml(CUP)
            .send()
            .expect(207);
        let text = response.text();
        assert!(
            text.contains("<D:href>/dav/principals/asso-a/</D:href>"),
            "{text}"
        );
    }
}

#[test]
fn principal_gives_home_and_home_lists_the_calendar() {
    let server = Server::start();
    let body = r#"<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/><d:displayname/><c:calendar-user-address-set/></d:prop></d:propfind>"#;
    let text = server
        .as_user("asso-a", "PROPFIND", "/dav/principals/asso-a/")
        .header("Depth", "0")
        .xml(body)
        .send()
        .expect(207)
        .text();
    assert!(
        text.contains(
            "<C:calendar-home-set><D:href>/dav/calendars/asso-a/</D:href></C:calendar-home-set>"
        ),
        "{text}"
    );
    assert!(text.contains("Comité des fêtes d&apos;Arue"), "{text}");

    let body = r#"<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:resourcetype/><cs:getctag/></d:prop></d:propfind>"#;
    let text = server
        .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/")
        .header("Depth", "1")
        .xml(body)
        .send()
        .expect(207)
        .text();
    assert!(text.contains("<D:href>/dav/calendars/asso-a/main/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype>"), "{text}");
}

#[test]
fn missing_or_wrong_credentials_get_a_basic_challenge() {
    let server = Server::start();
    let response = server
        .request("PROPFIND", "/dav/")
        .xml(CUP)
        .send()
        .expect(401);
    assert!(response
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    let response = server
        .request("PROPFIND", "/dav/")
        .auth("asso-a", "wrong password")
        .xml(CUP)
        .send()
        .expect(401);
    assert!(response.header("www-authenticate").is_some());
}

#[test]
fn options_advertises_calendar_access() {
    let server = Server::start();
    let response = server
        .as_user("asso-a", "OPTIONS", CAL_A)
        .send()
        .expect(200);
    assert_eq!(response.header("dav"), Some("1, 3, calendar-access"));
    let allow = response.header("allow").unwrap();
    assert!(
        allow.contains("PROPFIND") && allow.contains("REPORT"),
        "{allow}"
    );
    assert!(
        !allow.contains("MKCALENDAR"),
        "an existing calendar cannot be created: {allow}"
    );
}
