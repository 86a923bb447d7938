//! What public outputs (feeds, the agenda page, the intercommunal calendar)
//! let out of an organiser's events: nothing of an object that carries a
//! non-public CLASS anywhere, and of public events only what describes the
//! event, never the people (organiser's address, attendees, contacts,
//! comments, X- parameters).

mod common;
use common::*;

const COMMUNES: &str = "\n[[communes]]\nslug = \"arue\"\nname = \"Arue\"\n[[communes]]\nslug = \"bourriot-bergonce\"\nname = \"Bourriot-Bergonce\"\n";
const WINDOW: &str = "from=2027-01-01&to=2028-01-01";
const AGG: &str = "/dav/intercommunal/";

fn calendar(components: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\n{components}END:VCALENDAR\r\n").into_bytes()
}

/// Every public output, as text: both feeds, the agenda page, and the
/// intercommunal calendar's GET, calendar-query and sync-collection (with
/// calendar-data), plus a multiget of `hrefs` there.
fn public_outputs(server: &Server, hrefs: &[String]) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let mut get = |path: String| {
        let text = server.request("GET", &path).send().expect(200).text();
        outputs.push((path, text));
    };
    get(format!("/feeds/intercommunal.ics?{WINDOW}"));
    get(format!("/feeds/asso-a.ics?{WINDOW}"));
    get("/?du=2027-03-01&au=2027-03-31".into());
    let mut report = |name: &str, body: String| {
        let text = server
            .as_user("asso-b", "REPORT", AGG)
            .header("depth", "1")
            .xml(&body)
            .send()
            .expect(207)
            .text();
        outputs.push((format!("REPORT {name}"), text));
    };
    report(
        "calendar-query",
        r#"<?xml version="1.0" encoding="UTF-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20270101T000000Z" end="20280101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#.into(),
    );
    report(
        "sync-collection",
        r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#.into(),
    );
    if !hrefs.is_empty() {
        let list: String = hrefs.iter().map(|h| format!("<href>{h}</href>")).collect();
        report(
            "calendar-multiget",
            fixture_text("requests/davx5-calendar-multiget.xml")
                .replace("<href>HREF_1</href><href>HREF_2</href>", &list),
        );
    }
    let text = server
        .as_user("asso-b", "GET", AGG)
        .send()
        .expect(200)
        .text();
    outputs.push((format!("GET {AGG}"), text));
    outputs
}

/// The intercommunal hrefs of every event now in it.
fn intercommunal_hrefs(server: &Server) -> Vec<String> {
    let text = server
        .as_user("asso-b", "PROPFIND", AGG)
        .header("depth", "1")
        .xml(r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&text)
        .hrefs()
        .into_iter()
        .filter(|h| h.ends_with(".ics"))
        .collect()
}

#[test]
fn a_second_class_is_refused_with_a_precondition() {
    let server = Server::start_with(COMMUNES);
    let body = calendar(
        "BEGIN:VEVENT\r\nUID:two-classes@a\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270306T180000Z\r\nDTEND:20270306T200000Z\r\nSUMMARY:Assemblée générale\r\nCLASS:PUBLIC\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\n",
    );
    let path = format!("{CAL_A}two-classes.ics");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .ics(&body)
        .send()
        .expect(403);
    let (conditions, description) = davxml::error(&response.text());
    assert!(
        conditions
            .iter()
            .any(|c| c.is(davxml::CALDAV, "valid-calendar-object-resource")),
        "no CALDAV:valid-calendar-object-resource: {}",
        response.text()
    );
    assert!(description.contains("CLASS"), "{description}");
    server.as_user("asso-a", "GET", &path).send().expect(404);
    for (output, text) in public_outputs(&server, &[]) {
        assert!(
            !text.contains("Assemblée générale"),
            "{output} shows a refused event: {text}"
        );
    }
}

/// Each component of this object has one CLASS, so it is accepted; but one
/// occurrence is private, so nothing of the object may be public.
#[test]
fn an_object_with_a_private_override_stays_out_of_every_public_output() {
    let server = Server::start_with(COMMUNES);
    let body = calendar(
        "BEGIN:VEVENT\r\nUID:series@a\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270302T180000Z\r\nDTEND:20270302T200000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Répétition de la chorale\r\nCLASS:PUBLIC\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:series@a\r\nDTSTAMP:20261101T120000Z\r\nRECURRENCE-ID:20270309T180000Z\r\nDTSTART:20270309T180000Z\r\nDTEND:20270309T200000Z\r\nSUMMARY:Rendez-vous chez le notaire\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\n",
    );
    let path = format!("{CAL_A}series.ics");
    server
        .as_user("asso-a", "PUT", &path)
        .ics(&body)
        .send()
        .expect(201);
    // A public event beside it, to show the outputs are not just empty.
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}loto.ics"))
        .ics(&event(
            "loto@a",
            "Grand loto",
            "20270306T180000Z",
            "20270306T200000Z",
        ))
        .send()
        .expect(201);
    let hrefs = intercommunal_hrefs(&server);
    assert_eq!(hrefs.len(), 1, "only the loto is public: {hrefs:?}");
    for (output, text) in public_outputs(&server, &hrefs) {
        assert!(
            text.contains("Grand loto"),
            "{output} lost the loto: {text}"
        );
        for hidden in ["chorale", "notaire", "series@a"] {
            assert!(!text.contains(hidden), "{output} shows {hidden}: {text}");
        }
    }
    // The owner still has it all.
    let own = server.as_user("asso-a", "GET", &path).send().expect(200);
    assert_eq!(own.body, body);
}

#[test]
fn personal_fields_of_public_events_never_leave() {
    let server = Server::start_with(COMMUNES);
    let body = calendar(
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nX-LIC-LOCATION:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:vide-grenier@a\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:20270314T080000\r\nDTEND;TZID=Europe/Paris:20270314T180000\r\nSUMMARY;X-NOTE=ne pas divulguer:Vide-grenier\r\nLOCATION:Place de la mairie\\, Arue\r\nDESCRIPTION:Cent exposants.\r\nCLASS:PUBLIC\r\nORGANIZER;CN=Jean:mailto:jean.dupont@example.org\r\nATTENDEE;CN=Marie Martin;PARTSTAT=ACCEPTED:mailto:marie.martin@example.org\r\nCONTACT:Jean Dupont\\, 06 12 34 56 78\r\nCOMMENT:Clé du local chez Mme Martin\r\nEND:VEVENT\r\n",
    );
    let path = format!("{CAL_A}vide-grenier.ics");
    server
        .as_user("asso-a", "PUT", &path)
        .ics(&body)
        .send()
        .expect(201);
    let hrefs = intercommunal_hrefs(&server);
    assert_eq!(hrefs.len(), 1, "{hrefs:?}");
    let mut outputs = public_outputs(&server, &hrefs);
    let one = server
        .as_user("asso-b", "GET", &hrefs[0])
        .send()
        .expect(200)
        .text();
    outputs.push((format!("GET {}", hrefs[0]), one));
    for (output, text) in &outputs {
        assert!(
            text.contains("Vide-grenier"),
            "{output} lost the event: {text}"
        );
        for secret in [
            "jean.dupont",
            "Jean",
            "marie.martin",
            "Martin",
            "06 12 34 56 78",
            "Clé du local",
            "ne pas divulguer",
            "X-NOTE",
            "ATTENDEE",
            "CONTACT",
            "COMMENT",
            "X-LIC-LOCATION",
        ] {
            assert!(!text.contains(secret), "{output} shows {secret:?}: {text}");
        }
        // Feeds name the organiser by its public card, never by the
        // client's ORGANIZER; the CalDAV view carries no ORGANIZER at all.
        let unfolded = text.replace("\r\n ", "");
        let organizers: Vec<&str> = unfolded
            .split("\r\n")
            .filter(|l| l.starts_with("ORGANIZER"))
            .collect();
        if output.contains("/feeds/") {
            assert_eq!(
                organizers,
                ["ORGANIZER;CN=Comité des fêtes d'Arue:http://127.0.0.1:5232/associations#asso-a"],
                "{output}: {text}"
            );
        } else {
            assert!(organizers.is_empty(), "{output}: {text}");
        }
        if output.starts_with("/?") {
            continue; // the page prints titles and places, not iCalendar
        }
        for kept in [
            "SUMMARY:Vide-grenier",
            "LOCATION:Place de la mairie\\, Arue",
            "DESCRIPTION:Cent exposants.",
            "DTSTART;TZID=Europe/Paris:20270314T080000",
            "TZID:Europe/Paris",
        ] {
            assert!(text.contains(kept), "{output} lost {kept:?}: {text}");
        }
    }
    // The owner gets back exactly the bytes it wrote.
    let own = server.as_user("asso-a", "GET", &path).send().expect(200);
    assert_eq!(own.body, body);
}

/// A sync-collection on the intercommunal calendar from `token` (initial
/// when empty): its sync token and multistatus.
fn sync(server: &Server, token: &str) -> davxml::Multistatus {
    let token = if token.is_empty() {
        "<D:sync-token/>".to_owned()
    } else {
        format!("<D:sync-token>{token}</D:sync-token>")
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let text = server
        .as_user("asso-b", "REPORT", AGG)
        .xml(&body)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&text)
}

/// An object stored before a second CLASS was refused (simulated by
/// writing its body into the database and marking the schema as it was
/// then): the upgrade takes it out of every public output, and the
/// intercommunal calendar's sync reports it gone to clients that hold it.
#[test]
fn an_object_stored_with_two_classes_before_the_fix_is_not_public() {
    let mut server = Server::start_with(COMMUNES);
    let path = format!("{CAL_A}ag.ics");
    let clean = event(
        "ag@a",
        "Assemblée générale",
        "20270306T180000Z",
        "20270306T200000Z",
    );
    server
        .as_user("asso-a", "PUT", &path)
        .ics(&clean)
        .send()
        .expect(201);
    let before = sync(&server, "");
    let held = before.hrefs();
    assert_eq!(held.len(), 1, "the event is public at first: {held:?}");
    let token = before.sync_token.clone().expect("a sync token");
    let two_classes = String::from_utf8(clean)
        .unwrap()
        .replace("SUMMARY:", "CLASS:PUBLIC\r\nCLASS:PRIVATE\r\nSUMMARY:")
        .into_bytes();
    let db = server.dir.path().join("data").join("concord.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE objects SET body = ?1 WHERE uid = 'ag@a'",
        [&two_classes],
    )
    .unwrap();
    conn.execute_batch("PRAGMA user_version = 4").unwrap();
    drop(conn);
    server.restart();
    assert_eq!(intercommunal_hrefs(&server), Vec::<String>::new());
    let after = sync(&server, &token);
    assert_eq!(
        after.one(&held[0]).status,
        Some(404),
        "the held copy is reported gone"
    );
    for (output, text) in public_outputs(&server, &[]) {
        assert!(
            !text.contains("Assemblée générale"),
            "{output} shows a private event: {text}"
        );
    }
    let own = server.as_user("asso-a", "GET", &path).send().expect(200);
    assert_eq!(own.body, two_classes);
}
