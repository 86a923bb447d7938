//! Creating and deleting collections: MKCALENDAR (RFC 4791 5.3.1) with the
//! bodies real clients send, MKCOL (RFC 4918 9.3) and extended MKCOL
//! (RFC 5689), and where they are refused.

mod common;
use common::davxml::{self, Multistatus, APPLE, CALDAV, DAV};
use common::*;

const HOME_A: &str = "/dav/calendars/asso-a/";

/// Depth 1 PROPFIND of asso-a's home with the properties clients show.
fn home_listing(server: &Server) -> Multistatus {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/><A:calendar-color/><A:calendar-order/><C:calendar-description/><C:calendar-timezone/><C:supported-calendar-component-set/><CS:getctag/></D:prop></D:propfind>"#;
    davxml::multistatus(
        &server
            .as_user("asso-a", "PROPFIND", HOME_A)
            .header("Depth", "1")
            .xml(body)
            .send()
            .expect(207)
            .text(),
    )
}

#[track_caller]
fn assert_calendar(ms: &Multistatus, href: &str) {
    let resourcetype = ms
        .one(href)
        .prop(DAV, "resourcetype")
        .unwrap_or_else(|| panic!("{href} has no resourcetype"));
    assert!(resourcetype.child(DAV, "collection").is_some(), "{href}");
    assert!(
        resourcetype.child(CALDAV, "calendar").is_some(),
        "{href} is not a calendar: {:?}",
        resourcetype.child_names()
    );
}

fn components(ms: &Multistatus, href: &str) -> Vec<String> {
    ms.one(href)
        .prop(CALDAV, "supported-calendar-component-set")
        .map(|set| {
            set.children_named(CALDAV, "comp")
                .map(|c| c.attr("name").unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn mkcalendar(server: &Server, path: &str, body: &str) -> Response {
    server
        .as_user("asso-a", "MKCALENDAR", path)
        .xml(body)
        .send()
}

#[test]
fn mkcalendar_with_the_ios_body_creates_the_calendar() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/fetes/";
    let response = mkcalendar(&server, path, &fixture_text("requests/mkcalendar-ios.xml"));
    assert_eq!(response.status, 201, "{}", response.text());
    let ms = home_listing(&server);
    assert_calendar(&ms, path);
    let calendar = ms.one(path);
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Comité des fêtes")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#FF9500FF")
    );
    assert_eq!(calendar.text(APPLE, "calendar-order").as_deref(), Some("2"));
    let timezone = calendar
        .text(CALDAV, "calendar-timezone")
        .unwrap_or_default();
    assert!(
        timezone.contains("BEGIN:VTIMEZONE") && timezone.contains("TZID:Europe/Paris"),
        "calendar-timezone: {timezone:?}"
    );
    assert_eq!(components(&ms, path), ["VEVENT"]);
}

#[test]
fn mkcalendar_with_the_thunderbird_style_body_creates_the_calendar() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/tb/";
    let response = mkcalendar(
        &server,
        path,
        &fixture_text("requests/mkcalendar-thunderbird.xml"),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let ms = home_listing(&server);
    assert_calendar(&ms, path);
    let calendar = ms.one(path);
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Comité des fêtes")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#3f9b3a")
    );
    let mut comps = components(&ms, path);
    comps.sort();
    assert_eq!(comps, ["VEVENT", "VTODO"]);
}

#[test]
fn mkcalendar_with_the_davx5_body_creates_the_calendar() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/vide-greniers/";
    let response = mkcalendar(
        &server,
        path,
        &fixture_text("requests/davx5-mkcalendar.xml"),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let ms = home_listing(&server);
    assert_calendar(&ms, path);
    let calendar = ms.one(path);
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Vide-greniers du canton")
    );
    assert_eq!(
        calendar.text(CALDAV, "calendar-description").as_deref(),
        Some("Dates des vide-greniers et brocantes autour d'Arue")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#FF8000FF")
    );
}

#[test]
fn mkcalendar_on_an_existing_url_is_405() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/fetes/";
    let body = fixture_text("requests/mkcalendar-ios.xml");
    assert_eq!(mkcalendar(&server, path, &body).status, 201);
    let response = mkcalendar(&server, path, &body);
    assert_eq!(response.status, 405, "{}", response.text());
    assert!(response.header("allow").is_some(), "405 without Allow");
    let response = mkcalendar(&server, CAL_A, &body);
    assert_eq!(response.status, 405, "{}", response.text());
}

#[test]
fn mkcol_without_body_creates_a_plain_collection() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/archives/";
    server.as_user("asso-a", "MKCOL", path).send().expect(201);
    let ms = home_listing(&server);
    let resourcetype = ms
        .one(path)
        .prop(DAV, "resourcetype")
        .expect("resourcetype");
    assert_eq!(
        resourcetype.child_names(),
        [format!("{{{DAV}}}collection")],
        "a plain collection"
    );
    // And it holds no events.
    server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/archives/x.ics")
        .ics(&event("x@a", "X", "20270110T180000Z", "20270110T220000Z"))
        .send()
        .expect(403);
}

#[test]
fn mkcol_with_an_unknown_body_is_415() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/texte/";
    server
        .as_user("asso-a", "MKCOL", path)
        .header("Content-Type", "text/plain")
        .body("une collection, s'il vous plaît")
        .send()
        .expect(415);
    server
        .as_user("asso-a", "MKCOL", path)
        .xml(r#"<?xml version="1.0"?><x:whatever xmlns:x="urn:example:unknown"><x:thing/></x:whatever>"#)
        .send()
        .expect(415);
    server
        .as_user("asso-a", "PROPFIND", path)
        .header("Depth", "0")
        .send()
        .expect(404);
}

#[test]
fn extended_mkcol_with_calendar_resourcetype_creates_a_calendar() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/harmonie/";
    let response = server
        .as_user("asso-a", "MKCOL", path)
        .xml(&fixture_text("requests/extended-mkcol.xml"))
        .send();
    assert_eq!(response.status, 201, "{}", response.text());
    let ms = home_listing(&server);
    assert_calendar(&ms, path);
    let calendar = ms.one(path);
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Concerts de l'harmonie")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#8E44ADFF")
    );
    assert_eq!(components(&ms, path), ["VEVENT"]);
    // It is a calendar: it takes events.
    server
        .as_user("asso-a", "PUT", &format!("{path}concert.ics"))
        .ics(&event(
            "concert@a",
            "Concert",
            "20270601T180000Z",
            "20270601T200000Z",
        ))
        .send()
        .expect(201);
}

#[test]
fn mkcol_with_a_missing_parent_is_409() {
    let server = Server::start();
    for method in ["MKCOL", "MKCALENDAR"] {
        server
            .as_user("asso-a", method, "/dav/calendars/asso-a/absent/enfant/")
            .send()
            .expect(409);
    }
}

#[test]
fn mkcol_in_another_users_home_is_403() {
    let server = Server::start();
    for method in ["MKCOL", "MKCALENDAR"] {
        server
            .as_user("asso-a", method, "/dav/calendars/asso-b/intrus/")
            .send()
            .expect(403);
    }
    let ms = davxml::multistatus(
        &server
            .as_user("asso-b", "PROPFIND", "/dav/calendars/asso-b/")
            .header("Depth", "1")
            .send()
            .expect(207)
            .text(),
    );
    assert!(
        ms.get("/dav/calendars/asso-b/intrus/").is_none(),
        "{:?}",
        ms.hrefs()
    );
}

#[test]
fn mkcol_inside_a_calendar_is_403() {
    let server = Server::start();
    for method in ["MKCOL", "MKCALENDAR"] {
        let path = format!("{CAL_A}sous-dossier/");
        server.as_user("asso-a", method, &path).send().expect(403);
        server
            .as_user("asso-a", "PROPFIND", &path)
            .header("Depth", "0")
            .send()
            .expect(404);
    }
}

#[test]
fn deleting_a_created_calendar_removes_it_and_its_events() {
    let server = Server::start();
    let path = "/dav/calendars/asso-a/fetes/";
    assert_eq!(
        mkcalendar(&server, path, &fixture_text("requests/mkcalendar-ios.xml")).status,
        201
    );
    let object = format!("{path}loto.ics");
    server
        .as_user("asso-a", "PUT", &object)
        .ics(&event(
            "loto@fetes",
            "Loto",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(201);
    server.as_user("asso-a", "DELETE", path).send().expect(204);
    server.as_user("asso-a", "GET", &object).send().expect(404);
    server
        .as_user("asso-a", "PROPFIND", path)
        .header("Depth", "0")
        .send()
        .expect(404);
    assert!(home_listing(&server).get(path).is_none());
    // A new calendar at the same URL starts empty.
    server
        .as_user("asso-a", "MKCALENDAR", path)
        .send()
        .expect(201);
    server.as_user("asso-a", "GET", &object).send().expect(404);
    let ms = davxml::multistatus(
        &server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "1")
            .send()
            .expect(207)
            .text(),
    );
    assert_eq!(ms.hrefs(), [path], "the old events came back");
}

#[test]
fn the_account_calendar_cannot_be_deleted() {
    let server = Server::start();
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}loto.ics"))
        .ics(&event(
            "loto@a",
            "Loto",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(201);
    let response = server.as_user("asso-a", "DELETE", CAL_A).send().expect(403);
    assert!(!response.text().trim().is_empty(), "no message");
    assert_calendar(&home_listing(&server), CAL_A);
    server
        .as_user("asso-a", "GET", &format!("{CAL_A}loto.ics"))
        .send()
        .expect(200);
}

#[test]
fn the_home_cannot_be_deleted() {
    let server = Server::start();
    server
        .as_user("asso-a", "DELETE", HOME_A)
        .send()
        .expect(403);
    assert_calendar(&home_listing(&server), CAL_A);
}
