//! One text model for stored bodies. Intake accepts bodies in Windows-1252
//! and bodies whose folding cut a UTF-8 character, and stores them byte for
//! byte; their owner gets those bytes back with a truthful charset, and
//! every text concord writes from them (calendar-data, the intercommunal
//! calendar, exports, feeds) reads them as intake did: no U+FFFD anywhere.

mod common;
use common::davxml::{self, CALDAV};
use common::*;

const OBJECT: &str = "/dav/calendars/asso-a/main/x.ics";
const AGG: &str = "/dav/intercommunal/";
const WINDOW_2027: &str = "from=2027-01-01&to=2028-01-01";

/// How a fixture must read, unfolded, wherever concord writes its text.
struct Case {
    fixture: &'static str,
    content_type: &'static str,
    words: &'static [&'static str],
}

/// Folds cut inside "fête", "à", "animé", "conseillée", "»" and
/// "bénévoles" (and the event is on 2027-08-15).
const FOLDED_SPLIT: Case = Case {
    fixture: "ics/folded-split-utf8.ics",
    content_type: "text/calendar; charset=utf-8",
    words: &[
        "Fête du village — défilé, goûter et repas dansant",
        "pour la grande fête du village",
        "repas dansant à la salle des fêtes",
        "animé par l'orchestre",
        "Réservation conseillée",
        "« Chez Hélène » avant le 1er août",
        "sapeurs-pompiers bénévoles.",
    ],
};

/// Windows-1252 é, ê, œ, ’ and € (the event is on 2027-01-16).
const WINDOWS_1252: Case = Case {
    fixture: "ics/windows-1252.ics",
    content_type: "text/calendar; charset=windows-1252",
    words: &[
        "Cérémonie des vœux du maire",
        "remise des médailles et vin d’honneur",
        "(participation 0 €)",
        "Salle des fêtes",
    ],
};

/// A UTF-8 body starting with a byte order mark (2027-01-24): readers
/// skip the mark as intake does, or BEGIN:VCALENDAR is not read.
const BOM: Case = Case {
    fixture: "ics/bom-utf8.ics",
    content_type: "text/calendar; charset=utf-8",
    words: &["Repas des aînés offert par le CCAS"],
};

#[test]
fn folds_that_cut_a_character_read_as_utf8_everywhere() {
    check(&FOLDED_SPLIT);
}

#[test]
fn windows_1252_reads_as_utf8_everywhere() {
    check(&WINDOWS_1252);
}

#[test]
fn a_byte_order_mark_is_read_as_intake_reads_it() {
    check(&BOM);
}

fn check(case: &Case) {
    let server = Server::start();
    let stored = fixture(case.fixture);
    let response = server.as_user("asso-a", "PUT", OBJECT).ics(&stored).send();
    assert_eq!(response.status, 201, "PUT: {}", response.text());

    // The owner gets the bytes sent, labelled with the charset they are in.
    let got = server.as_user("asso-a", "GET", OBJECT).send().expect(200);
    assert_eq!(got.body, stored, "GET changed the stored bytes");
    assert_eq!(got.header("content-type"), Some(case.content_type));

    // Calendar-data on the owner's calendar: multiget, query, partial
    // retrieval and expansion.
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{OBJECT}</D:href></C:calendar-multiget>"#
    );
    let data = calendar_data(&server, CAL_A, &multiget, OBJECT);
    assert_reads(case, "owner multiget", &data);
    let data = calendar_data(&server, CAL_A, &query(""), OBJECT);
    assert_reads(case, "owner calendar-query", &data);
    let partial =
        r#"<C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:allprop/></C:comp></C:comp>"#;
    let data = calendar_data(&server, CAL_A, &query(partial), OBJECT);
    assert_reads(case, "owner partial retrieval", &data);
    let expand = r#"<C:expand start="20270101T000000Z" end="20280101T000000Z"/>"#;
    let data = calendar_data(&server, CAL_A, &query(expand), OBJECT);
    assert_reads(case, "owner expansion", &data);
    let export = server.as_user("asso-a", "GET", CAL_A).send().expect(200);
    assert_reads(case, "owner calendar export", &utf8(&export.body));

    // The intercommunal calendar: its member, multiget, query, export.
    let listing = server
        .as_user("asso-b", "PROPFIND", AGG)
        .header("Depth", "1")
        .xml(r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#)
        .send()
        .expect(207);
    let hrefs = davxml::multistatus(&listing.text()).hrefs();
    let member = hrefs
        .iter()
        .find(|h| h.as_str() != AGG)
        .unwrap_or_else(|| panic!("no member in {hrefs:?}"))
        .clone();
    let public = server.as_user("asso-b", "GET", &member).send().expect(200);
    assert_eq!(
        public.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_reads(case, "intercommunal GET", &utf8(&public.body));
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><D:href>{member}</D:href></C:calendar-multiget>"#
    );
    let data = calendar_data(&server, AGG, &multiget, &member);
    assert_reads(case, "intercommunal multiget", &data);
    let data = calendar_data(&server, AGG, &query(""), &member);
    assert_reads(case, "intercommunal calendar-query", &data);
    let export = server.as_user("asso-b", "GET", AGG).send().expect(200);
    assert_reads(case, "intercommunal export", &utf8(&export.body));

    // The public feeds, over the year of the fixtures.
    for feed in ["intercommunal", "asso-a"] {
        let path = format!("/feeds/{feed}.ics?{WINDOW_2027}");
        let response = server.request("GET", &path).send().expect(200);
        assert_eq!(
            response.header("content-type"),
            Some("text/calendar; charset=utf-8")
        );
        assert_reads(case, &path, &utf8(&response.body));
    }
}

/// A calendar-query over 2027 asking for calendar-data with `inner`.
fn query(inner: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data>{inner}</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20270101T000000Z" end="20280101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    )
}

/// The calendar-data of `href` in the REPORT's answer, which must be
/// well-formed XML.
#[track_caller]
fn calendar_data(server: &Server, collection: &str, report: &str, href: &str) -> String {
    let response = server
        .as_user("asso-a", "REPORT", collection)
        .header("Depth", "1")
        .xml(report)
        .send()
        .expect(207);
    davxml::multistatus(&utf8(&response.body))
        .one(href)
        .text(CALDAV, "calendar-data")
        .unwrap_or_else(|| panic!("no calendar-data for {href}: {}", response.text()))
}

#[track_caller]
fn utf8(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("concord writes UTF-8")
}

/// `text` is a calendar which, unfolded, holds every word of the case, no
/// U+FFFD and no byte order mark.
#[track_caller]
fn assert_reads(case: &Case, what: &str, text: &str) {
    let unfolded = text.replace("\r\n ", "").replace("\\,", ",");
    assert!(
        unfolded.starts_with("BEGIN:VCALENDAR\r\n"),
        "{what}: {unfolded}"
    );
    assert!(
        !unfolded.contains(['\u{FFFD}', '\u{FEFF}']),
        "{what}: U+FFFD or U+FEFF in {unfolded}"
    );
    for word in case.words {
        assert!(unfolded.contains(word), "{what}: no {word:?} in {unfolded}");
    }
}
