//! PROPFIND (RFC 4918 9.1) and PROPPATCH (RFC 4918 9.2) on calendars and
//! events: prop, allprop and propname, finite depth, unknown properties,
//! the CalDAV/CalendarServer/Apple properties clients read, and atomic
//! PROPPATCH.

mod common;
use common::davxml::{self, Multistatus, APPLE, CALDAV, CS, DAV};
use common::*;

const EVENT_A: &str = "/dav/calendars/asso-a/main/loto.ics";

fn propfind(server: &Server, path: &str, depth: &str, body: &str) -> Multistatus {
    davxml::multistatus(
        &server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", depth)
            .xml(body)
            .send()
            .expect(207)
            .text(),
    )
}

fn prop_body(props: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:A="http://apple.com/ns/ical/"><D:prop>{props}</D:prop></D:propfind>"#
    )
}

fn put_event(server: &Server, path: &str, uid: &str) -> (Vec<u8>, String) {
    let body = event(uid, "Loto", "20270110T180000Z", "20270110T220000Z");
    let response = server
        .as_user("asso-a", "PUT", path)
        .ics(&body)
        .send()
        .expect(201);
    (body, response.header("etag").unwrap().to_owned())
}

fn proppatch(server: &Server, path: &str, body: &str) -> Multistatus {
    davxml::multistatus(
        &server
            .as_user("asso-a", "PROPPATCH", path)
            .xml(body)
            .send()
            .expect(207)
            .text(),
    )
}

const PARIS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

#[test]
fn propfind_depth_0_answers_the_thunderbird_calendar_properties() {
    let server = Server::start();
    put_event(&server, EVENT_A, "loto@a");
    let ms = propfind(
        &server,
        CAL_A,
        "0",
        &fixture_text("requests/thunderbird-propfind-calendar.xml"),
    );
    assert_eq!(ms.hrefs(), [CAL_A], "Depth 0 lists only the calendar");
    let calendar = ms.one(CAL_A);
    let resourcetype = calendar.prop(DAV, "resourcetype").expect("resourcetype");
    assert!(resourcetype.child(CALDAV, "calendar").is_some());
    assert_eq!(
        calendar
            .prop(DAV, "owner")
            .and_then(|o| o.child(DAV, "href"))
            .map(|h| h.text.trim()),
        Some("/dav/principals/asso-a/")
    );
    assert_eq!(
        calendar
            .prop(DAV, "current-user-principal")
            .and_then(|o| o.child(DAV, "href"))
            .map(|h| h.text.trim()),
        Some("/dav/principals/asso-a/")
    );
    assert!(calendar.prop(DAV, "current-user-privilege-set").is_some());
    assert!(!calendar.text(CS, "getctag").unwrap_or_default().is_empty());
}

#[test]
fn propfind_depth_1_lists_the_calendar_and_its_events() {
    let server = Server::start();
    let (_, etag1) = put_event(&server, EVENT_A, "loto@a");
    let second = format!("{CAL_A}bal.ics");
    let (_, etag2) = put_event(&server, &second, "bal@a");
    let ms = propfind(
        &server,
        CAL_A,
        "1",
        &fixture_text("requests/thunderbird-propfind-etags.xml"),
    );
    let mut hrefs = ms.hrefs();
    hrefs.sort();
    let mut expected = vec![CAL_A.to_owned(), second.clone(), EVENT_A.to_owned()];
    expected.sort();
    assert_eq!(hrefs, expected);
    assert_eq!(ms.one(EVENT_A).text(DAV, "getetag"), Some(etag1));
    assert_eq!(ms.one(&second).text(DAV, "getetag"), Some(etag2));
    assert!(ms
        .one(&second)
        .text(DAV, "getcontenttype")
        .unwrap()
        .starts_with("text/calendar"));
}

#[test]
fn allprop_returns_the_webdav_live_properties() {
    let server = Server::start();
    let (body, etag) = put_event(&server, EVENT_A, "loto@a");
    let allprop = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#;
    let ms = propfind(&server, EVENT_A, "0", allprop);
    let object = ms.one(EVENT_A);
    assert_eq!(object.text(DAV, "getetag"), Some(etag));
    assert_eq!(
        object.text(DAV, "getcontentlength"),
        Some(body.len().to_string())
    );
    assert!(object.prop(DAV, "getlastmodified").is_some());
    assert!(object.prop(DAV, "resourcetype").is_some());
    assert!(object.prop(DAV, "getcontenttype").is_some());
    let ms = propfind(&server, CAL_A, "0", allprop);
    let calendar = ms.one(CAL_A);
    assert!(calendar
        .prop(DAV, "resourcetype")
        .and_then(|r| r.child(CALDAV, "calendar"))
        .is_some());
    assert!(calendar.prop(DAV, "displayname").is_some());
    // No body at all means allprop too (RFC 4918 9.1).
    let response = server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "0")
        .send()
        .expect(207);
    assert!(davxml::multistatus(&response.text())
        .one(CAL_A)
        .prop(DAV, "displayname")
        .is_some());
}

#[test]
fn propname_lists_names_without_values() {
    let server = Server::start();
    let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>"#;
    let ms = propfind(&server, CAL_A, "0", body);
    let calendar = ms.one(CAL_A);
    for (ns, local) in [
        (DAV, "displayname"),
        (DAV, "resourcetype"),
        (DAV, "sync-token"),
        (CS, "getctag"),
        (CALDAV, "supported-calendar-component-set"),
    ] {
        let prop = calendar
            .prop(ns, local)
            .unwrap_or_else(|| panic!("propname does not list {{{ns}}}{local}"));
        assert!(
            prop.children.is_empty() && prop.text.trim().is_empty(),
            "propname gave a value for {local}"
        );
    }
}

#[test]
fn depth_infinity_is_403_with_propfind_finite_depth() {
    let server = Server::start();
    for path in [CAL_A, "/dav/calendars/asso-a/"] {
        let response = server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "infinity")
            .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
            .send()
            .expect(403);
        let (conditions, _) = davxml::error(&response.text());
        assert!(
            conditions
                .iter()
                .any(|c| c.is(DAV, "propfind-finite-depth")),
            "{}",
            response.text()
        );
    }
}

#[test]
fn unknown_properties_are_404_next_to_known_ones_in_200() {
    let server = Server::start();
    let ms = propfind(
        &server,
        CAL_A,
        "0",
        &fixture_text("requests/bad/propfind-unknown-props.xml"),
    );
    let calendar = ms.one(CAL_A);
    assert_eq!(calendar.prop_status(DAV, "displayname"), Some(200));
    assert_eq!(calendar.prop_status(DAV, "no-such-dav-property"), Some(404));
    assert_eq!(
        calendar.prop_status("urn:x-concord-test:made-up", "frobnicator"),
        Some(404)
    );
    assert_eq!(
        calendar.prop_status("urn:x-concord-test:made-up", "with-attr"),
        Some(404)
    );
    // Same local name as Apple's colour, other namespace: unknown.
    assert_eq!(
        calendar.prop_status("http://example.org/ns/nonexistent/", "calendar-color"),
        Some(404)
    );
    assert_eq!(
        calendar.prop_status("", "unqualified-in-no-namespace"),
        Some(404)
    );
}

#[test]
fn a_calendar_has_every_property_clients_read() {
    let server = Server::start();
    proppatch(
        &server,
        CAL_A,
        &fixture_text("requests/ios-proppatch-color-order.xml"),
    );
    let names = [
        (DAV, "resourcetype"),
        (DAV, "displayname"),
        (CS, "getctag"),
        (DAV, "sync-token"),
        (CALDAV, "supported-calendar-component-set"),
        (CALDAV, "supported-calendar-data"),
        (CALDAV, "max-resource-size"),
        (DAV, "supported-report-set"),
        (DAV, "current-user-privilege-set"),
        (DAV, "owner"),
        (APPLE, "calendar-color"),
        (APPLE, "calendar-order"),
        (CALDAV, "calendar-description"),
    ];
    let props: String = names
        .iter()
        .map(|(ns, local)| format!("<X:{local} xmlns:X=\"{ns}\"/>"))
        .collect();
    let ms = propfind(&server, CAL_A, "0", &prop_body(&props));
    let calendar = ms.one(CAL_A);
    for (ns, local) in names {
        assert_eq!(
            calendar.prop_status(ns, local),
            Some(200),
            "{{{ns}}}{local} missing: {calendar:?}"
        );
    }
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Comité des fêtes d'Arue")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#1BADF8FF")
    );
    assert_eq!(calendar.text(APPLE, "calendar-order").as_deref(), Some("3"));
    assert_eq!(
        calendar.text(CALDAV, "max-resource-size").as_deref(),
        Some("1048576")
    );
    let comps: Vec<&str> = calendar
        .prop(CALDAV, "supported-calendar-component-set")
        .unwrap()
        .children_named(CALDAV, "comp")
        .filter_map(|c| c.attr("name"))
        .collect();
    assert!(comps.contains(&"VEVENT"), "{comps:?}");
    let data = calendar
        .prop(CALDAV, "supported-calendar-data")
        .and_then(|d| d.child(CALDAV, "calendar-data"))
        .expect("CALDAV:calendar-data in supported-calendar-data");
    assert_eq!(data.attr("content-type"), Some("text/calendar"));
    assert_eq!(data.attr("version"), Some("2.0"));
    let reports = calendar.prop(DAV, "supported-report-set").unwrap();
    for (ns, local) in [
        (CALDAV, "calendar-multiget"),
        (CALDAV, "calendar-query"),
        (DAV, "sync-collection"),
    ] {
        assert!(
            reports.children_named(DAV, "supported-report").any(|r| r
                .child(DAV, "report")
                .and_then(|r| r.child(ns, local))
                .is_some()),
            "{local} not in supported-report-set"
        );
    }
    assert_eq!(
        calendar
            .prop(DAV, "owner")
            .and_then(|o| o.child(DAV, "href"))
            .map(|h| h.text.trim()),
        Some("/dav/principals/asso-a/")
    );
}

#[test]
fn getctag_and_sync_token_change_after_a_put() {
    let server = Server::start();
    let body = fixture_text("requests/davx5-propfind-calendar.xml");
    let before = propfind(&server, CAL_A, "0", &body);
    let ctag = before.one(CAL_A).text(CS, "getctag").expect("getctag");
    let token = before
        .one(CAL_A)
        .text(DAV, "sync-token")
        .expect("sync-token");
    put_event(&server, EVENT_A, "loto@a");
    let after = propfind(&server, CAL_A, "0", &body);
    let ctag2 = after.one(CAL_A).text(CS, "getctag").expect("getctag");
    let token2 = after
        .one(CAL_A)
        .text(DAV, "sync-token")
        .expect("sync-token");
    assert_ne!(ctag, ctag2, "getctag did not change");
    assert_ne!(token, token2, "sync-token did not change");
    // Nothing changed: same values.
    let again = propfind(&server, CAL_A, "0", &body);
    assert_eq!(again.one(CAL_A).text(CS, "getctag"), Some(ctag2));
    assert_eq!(again.one(CAL_A).text(DAV, "sync-token"), Some(token2));
}

#[test]
fn an_event_has_etag_content_type_length_and_last_modified() {
    let server = Server::start();
    let (body, etag) = put_event(&server, EVENT_A, "loto@a");
    let ms = propfind(
        &server,
        EVENT_A,
        "0",
        &prop_body("<D:getetag/><D:getcontenttype/><D:getcontentlength/><D:getlastmodified/>"),
    );
    let object = ms.one(EVENT_A);
    assert_eq!(object.text(DAV, "getetag"), Some(etag));
    assert!(object
        .text(DAV, "getcontenttype")
        .unwrap()
        .starts_with("text/calendar"));
    assert_eq!(
        object.text(DAV, "getcontentlength"),
        Some(body.len().to_string())
    );
    let modified = object.text(DAV, "getlastmodified").unwrap();
    assert!(
        modified.ends_with(" GMT") && modified.contains(", "),
        "not an HTTP date: {modified}"
    );
}

#[test]
fn owner_proppatch_sets_calendar_properties() {
    let server = Server::start();
    let ms = proppatch(
        &server,
        CAL_A,
        &fixture_text("requests/proppatch-displayname.xml"),
    );
    assert_eq!(ms.one(CAL_A).prop_status(DAV, "displayname"), Some(200));
    let ms = proppatch(
        &server,
        CAL_A,
        &fixture_text("requests/ios-proppatch-color-order.xml"),
    );
    assert_eq!(
        ms.one(CAL_A).prop_status(APPLE, "calendar-color"),
        Some(200)
    );
    assert_eq!(
        ms.one(CAL_A).prop_status(APPLE, "calendar-order"),
        Some(200)
    );
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>Fêtes, lotos &amp; bals</C:calendar-description><C:calendar-timezone><![CDATA[{PARIS}]]></C:calendar-timezone></D:prop></D:set></D:propertyupdate>"#
    );
    let ms = proppatch(&server, CAL_A, &body);
    assert_eq!(
        ms.one(CAL_A).prop_status(CALDAV, "calendar-description"),
        Some(200)
    );
    assert_eq!(
        ms.one(CAL_A).prop_status(CALDAV, "calendar-timezone"),
        Some(200)
    );
    let after = propfind(
        &server,
        CAL_A,
        "0",
        &prop_body("<D:displayname/><C:calendar-description/><A:calendar-color/><A:calendar-order/><C:calendar-timezone/>"),
    );
    let calendar = after.one(CAL_A);
    assert_eq!(
        calendar.text(DAV, "displayname").as_deref(),
        Some("Fêtes & animations d'Arue")
    );
    assert_eq!(
        calendar.text(CALDAV, "calendar-description").as_deref(),
        Some("Fêtes, lotos & bals")
    );
    assert_eq!(
        calendar.text(APPLE, "calendar-color").as_deref(),
        Some("#1BADF8FF")
    );
    assert_eq!(calendar.text(APPLE, "calendar-order").as_deref(), Some("3"));
    let timezone = calendar
        .text(CALDAV, "calendar-timezone")
        .unwrap_or_default();
    assert!(
        timezone.contains("TZID:Europe/Paris") && timezone.contains("BEGIN:VTIMEZONE"),
        "calendar-timezone: {timezone:?}"
    );
}

#[test]
fn proppatch_with_a_forbidden_property_changes_nothing() {
    let server = Server::start();
    // A description to see whether the fixture's remove is applied.
    let set = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>Avant</C:calendar-description></D:prop></D:set></D:propertyupdate>"#;
    proppatch(&server, CAL_A, set);
    let ms = proppatch(
        &server,
        CAL_A,
        &fixture_text("requests/proppatch-mixed-forbidden.xml"),
    );
    let calendar = ms.one(CAL_A);
    assert_eq!(calendar.prop_status(DAV, "getetag"), Some(403));
    assert_eq!(calendar.prop_status(DAV, "displayname"), Some(424));
    assert_eq!(
        calendar.prop_status(CALDAV, "calendar-description"),
        Some(424)
    );
    let after = propfind(
        &server,
        CAL_A,
        "0",
        &prop_body("<D:displayname/><C:calendar-description/>"),
    );
    assert_eq!(
        after.one(CAL_A).text(DAV, "displayname").as_deref(),
        Some("Comité des fêtes d'Arue"),
        "displayname changed by a failed PROPPATCH"
    );
    assert_eq!(
        after
            .one(CAL_A)
            .text(CALDAV, "calendar-description")
            .as_deref(),
        Some("Avant"),
        "description removed by a failed PROPPATCH"
    );
}
