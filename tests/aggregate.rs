//! The intercommunal calendar over CalDAV: `/dav/intercommunal/` and its
//! alias `/dav/calendars/{login}/intercommunal/` in every home. It shows
//! the public events of every publishing organiser, never a private or
//! confidential one, never attendees, alarms or X- properties, and refuses
//! every write with `DAV:need-privileges`.

mod common;
use common::*;

const AGG: &str = "/dav/intercommunal/";
const ALIAS_A: &str = "/dav/calendars/asso-a/intercommunal/";

const PRIVATE_SUMMARY: &str = "Rendez-vous chez le notaire";
const CONFIDENTIAL_SUMMARY: &str = "Commission du CCAS";
const GOOGLE_UID: &str = "3k9v1q2m7d8h4s6t0c5r2n1b8p@google.com";

/// A VEVENT in UTC on `day` (YYYYMMDD), 18:00-20:00, with `extra` content
/// lines (CRLF-terminated) added at the end of the VEVENT; the calendar
/// carries an X-WR-CALNAME as Apple and Google exports do.
fn vevent(uid: &str, summary: &str, day: &str, extra: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nX-WR-CALNAME:Perso\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{day}T180000Z\r\nDTEND:{day}T200000Z\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

/// Private details a public event carries, which must never leave.
const PRIVATE_DETAILS: &str = "ATTENDEE;CN=Jean Dupont;PARTSTAT=ACCEPTED:mailto:jean.dupont@example.org\r\nX-MOZ-GENERATION:4\r\nX-SECRET-NOTE:code du portail 1234\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n";

fn delete(server: &Server, login: &str, path: &str) {
    server.as_user(login, "DELETE", path).send().expect(204);
}

/// Runs `concord --config ... ARGS` against the server's database.
fn concord(server: &Server, args: &[&str]) -> String {
    let out = cli_with_stdin(&server.config_path(), args, "");
    assert!(
        out.status.success(),
        "concord {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One `DAV:response` of a multistatus.
#[derive(Debug, Clone)]
struct Entry {
    href: String,
    /// The response-level status (404 in sync and multiget), or 200 when
    /// the response carries properties.
    status: u16,
    etag: Option<String>,
    data: Option<String>,
    raw: String,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#13;", "\r")
        .replace("&amp;", "&")
}

fn entries(xml: &str) -> Vec<Entry> {
    xml.split("<D:response>")
        .skip(1)
        .map(|chunk| {
            let raw = chunk.split("</D:response>").next().unwrap().to_owned();
            let href = unescape(between(&raw, "<D:href>", "</D:href>").expect("href"));
            let status = if raw.contains("<D:propstat>") {
                200
            } else {
                between(&raw, "<D:status>HTTP/1.1 ", " ")
                    .expect("status")
                    .parse()
                    .unwrap()
            };
            Entry {
                href,
                status,
                etag: between(&raw, "<D:getetag>", "</D:getetag>").map(unescape),
                data: between(&raw, "<C:calendar-data>", "</C:calendar-data>").map(unescape),
                raw,
            }
        })
        .collect()
}

fn sync_token(xml: &str) -> String {
    let start = xml.rfind("<D:sync-token>").expect("sync-token") + "<D:sync-token>".len();
    let end = xml[start..].find("</D:sync-token>").unwrap() + start;
    xml[start..end].to_owned()
}

/// Member hrefs (and etags) of a Depth 1 PROPFIND on `collection`.
fn members(server: &Server, login: &str, collection: &str) -> Vec<(String, String)> {
    let text = server
        .as_user(login, "PROPFIND", collection)
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .expect(207)
        .text();
    let all = entries(&text);
    assert_eq!(all[0].href, collection, "{text}");
    all.into_iter()
        .skip(1)
        .map(|e| (e.href, e.etag.expect("member etag")))
        .collect()
}

fn member_hrefs(server: &Server, login: &str, collection: &str) -> Vec<String> {
    members(server, login, collection)
        .into_iter()
        .map(|(href, _)| href)
        .collect()
}

/// Multiget of `hrefs` in `collection` with calendar-data, DAVx5's body.
fn multiget(server: &Server, login: &str, collection: &str, hrefs: &[String]) -> Vec<Entry> {
    let template = fixture_text("requests/davx5-calendar-multiget.xml");
    let list: String = hrefs.iter().map(|h| format!("<href>{h}</href>")).collect();
    let body = template.replace("<href>HREF_1</href><href>HREF_2</href>", &list);
    assert_ne!(body, template);
    entries(
        &server
            .as_user(login, "REPORT", collection)
            .header("Depth", "1")
            .xml(&body)
            .send()
            .expect(207)
            .text(),
    )
}

fn sync(server: &Server, login: &str, collection: &str, token: &str) -> (Vec<Entry>, String) {
    let body = if token.is_empty() {
        fixture_text("requests/thunderbird-sync-collection-initial.xml")
    } else {
        fixture_text("requests/thunderbird-sync-collection.xml").replace("SYNC_TOKEN", token)
    };
    let text = server
        .as_user(login, "REPORT", collection)
        .header("Depth", "1")
        .xml(&body)
        .send()
        .expect(207)
        .text();
    (entries(&text), sync_token(&text))
}

/// Sync-collection asking for calendar-data too (as iOS does on changes).
fn sync_with_data(server: &Server, login: &str, collection: &str) -> Vec<Entry> {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#;
    entries(
        &server
            .as_user(login, "REPORT", collection)
            .xml(body)
            .send()
            .expect(207)
            .text(),
    )
}

fn time_range_query(start: &str, end: &str, with_data: bool) -> String {
    let data = if with_data { "<C:calendar-data/>" } else { "" };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>{data}</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    )
}

fn query(server: &Server, login: &str, collection: &str, body: &str) -> Vec<Entry> {
    entries(
        &server
            .as_user(login, "REPORT", collection)
            .header("Depth", "1")
            .xml(body)
            .send()
            .expect(207)
            .text(),
    )
}

/// The UID of the (first) VEVENT in an iCalendar text.
fn uid_of(ics: &str) -> String {
    ics.replace("\r\n ", "")
        .lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .map(|u| u.trim().to_owned())
        .unwrap_or_else(|| panic!("no UID in {ics}"))
}

/// The href under `collection` of the member whose UID is `uid`.
fn href_of(server: &Server, login: &str, collection: &str, uid: &str) -> String {
    let hrefs = member_hrefs(server, login, collection);
    multiget(server, login, collection, &hrefs)
        .into_iter()
        .find(|e| e.data.as_deref().is_some_and(|d| uid_of(d) == uid))
        .unwrap_or_else(|| panic!("{uid} is not in {collection}"))
        .href
}

/// Checks that a public view of an object holds nothing private: no
/// attendee, alarm, X- property (in time zones neither: they only tell
/// which tool wrote them), private or confidential event.
#[track_caller]
fn assert_public_only(ics: &str) {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    for line in unfolded.lines() {
        assert!(!line.starts_with("ATTENDEE"), "attendee leaked: {ics}");
        assert!(!line.starts_with("BEGIN:VALARM"), "alarm leaked: {ics}");
        // concord's own calendar name is the only X- property allowed.
        assert!(
            !line.starts_with("X-") || line.starts_with("X-WR-CALNAME:"),
            "X- property leaked ({line}): {ics}"
        );
        assert!(!line.starts_with("CLASS:PRIVATE"), "{ics}");
        assert!(!line.starts_with("CLASS:CONFIDENTIAL"), "{ics}");
    }
    for secret in [
        "jean.dupont@example.org",
        "code du portail",
        PRIVATE_SUMMARY,
        CONFIDENTIAL_SUMMARY,
        "Perso",
    ] {
        assert!(!unfolded.contains(secret), "{secret} leaked: {ics}");
    }
}

/// asso-a: one public event with private details, a private and a
/// confidential one (real-world files); asso-b: Google Calendar's export.
fn seeded() -> Server {
    let server = Server::start();
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}loto.ics"),
        vevent(
            "loto-2027@asso-a",
            "Grand loto",
            "20270313",
            PRIVATE_DETAILS,
        ),
    );
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}notaire.ics"),
        fixture("ics/private-event.ics"),
    );
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}ccas.ics"),
        fixture("ics/confidential-event.ics"),
    );
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}google.ics"),
        fixture("ics/google-event.ics"),
    );
    server
}

#[test]
fn public_events_of_both_organisers_appear_everywhere() {
    let server = seeded();
    // Depth 1 PROPFIND: exactly the two public events.
    let hrefs = member_hrefs(&server, "asso-a", AGG);
    assert_eq!(hrefs.len(), 2, "{hrefs:?}");
    for href in &hrefs {
        assert!(
            href.starts_with(AGG) && href.ends_with(".ics"),
            "member href {href}"
        );
    }
    // Multiget: both, with their UIDs, and public data only.
    let got = multiget(&server, "asso-b", AGG, &hrefs);
    let mut uids: Vec<String> = got
        .iter()
        .map(|e| {
            assert_eq!(e.status, 200, "{}", e.raw);
            let data = e.data.as_deref().expect("calendar-data");
            assert_public_only(data);
            uid_of(data)
        })
        .collect();
    uids.sort();
    assert_eq!(uids, vec![GOOGLE_UID.to_owned(), "loto-2027@asso-a".into()]);

    // calendar-query with a time-range: both events are on 2027-03-13.
    let march = query(
        &server,
        "asso-a",
        AGG,
        &time_range_query("20270301T000000Z", "20270401T000000Z", true),
    );
    let mut found: Vec<&str> = march.iter().map(|e| e.href.as_str()).collect();
    found.sort();
    let mut expected: Vec<&str> = hrefs.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(found, expected);
    for entry in &march {
        assert_public_only(entry.data.as_deref().expect("calendar-data"));
    }
    // A range outside them finds nothing; the range of the private and the
    // confidential events (May 2027) finds nothing either.
    for (start, end) in [
        ("20270401T000000Z", "20270501T000000Z"),
        ("20270501T000000Z", "20270601T000000Z"),
    ] {
        let none = query(&server, "asso-a", AGG, &time_range_query(start, end, false));
        assert!(none.is_empty(), "{start}..{end}: {none:?}");
    }
    // A client's open-ended query (Evolution) sees the same two.
    let open = query(
        &server,
        "asso-b",
        AGG,
        &fixture_text("requests/evolution-calendar-query.xml"),
    );
    assert_eq!(open.len(), 2, "{open:?}");

    // GET of each member.
    for href in &hrefs {
        let response = server.as_user("asso-a", "GET", href).send().expect(200);
        assert!(response
            .header("content-type")
            .unwrap()
            .starts_with("text/calendar"));
        assert!(response.header("etag").is_some_and(|t| t.starts_with('"')));
        let text = response.text();
        assert!(text.contains("BEGIN:VEVENT"), "{text}");
        assert_public_only(&text);
    }

    // The same through the alias in asso-a's home, with the same names.
    let alias = member_hrefs(&server, "asso-a", ALIAS_A);
    let names = |list: &[String], base: &str| {
        let mut names: Vec<String> = list
            .iter()
            .map(|h| h.strip_prefix(base).unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&alias, ALIAS_A), names(&hrefs, AGG));
    let via_alias = multiget(&server, "asso-a", ALIAS_A, &alias);
    assert_eq!(via_alias.len(), 2);
    assert!(via_alias
        .iter()
        .all(|e| e.status == 200 && e.data.is_some()));
    for href in &alias {
        server.as_user("asso-a", "GET", href).send().expect(200);
    }
}

#[test]
fn private_and_confidential_events_cannot_be_reached_by_guessing() {
    let server = seeded();
    let listed = member_hrefs(&server, "asso-a", AGG);
    // Members are named by number: try every small number.
    let guesses: Vec<String> = (0..60).map(|n| format!("{AGG}{n}.ics")).collect();
    let mut reachable = Vec::new();
    for href in &guesses {
        let response = server.as_user("asso-a", "GET", href).send();
        match response.status {
            200 => {
                assert_public_only(&response.text());
                reachable.push(href.clone());
            }
            404 => {}
            other => panic!("GET {href}: {other} {}", response.text()),
        }
    }
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    reachable.sort();
    assert_eq!(reachable, listed_sorted, "only listed members can be read");
    // A multiget of every guess: 404 for all but the listed ones.
    for entry in multiget(&server, "asso-a", AGG, &guesses) {
        if listed.contains(&entry.href) {
            assert_eq!(entry.status, 200);
            assert_public_only(entry.data.as_deref().unwrap());
        } else {
            assert_eq!(entry.status, 404, "{}", entry.raw);
            assert!(entry.data.is_none());
        }
    }
    // The owner's own names do not work in the aggregate either, nor do
    // the UIDs.
    for name in [
        "notaire.ics",
        "ccas.ics",
        "rdv-notaire-20270519@perso.example.fr.ics",
        "commission-ccas-20270526@mairie-arue.example.fr.ics",
    ] {
        for base in [AGG, ALIAS_A] {
            server
                .as_user("asso-a", "GET", &format!("{base}{name}"))
                .send()
                .expect(404);
        }
    }
    // Staff, who read every calendar, do not see them in the aggregate.
    let staff_hrefs = member_hrefs(&server, "staff", AGG);
    assert_eq!(staff_hrefs.len(), 2);
    for entry in multiget(&server, "staff", AGG, &staff_hrefs) {
        assert_public_only(entry.data.as_deref().unwrap());
    }
    // And the whole calendar's GET (export) holds no private event.
    let export = server
        .as_user("asso-b", "GET", AGG)
        .send()
        .expect(200)
        .text();
    assert!(export.contains("SUMMARY:Grand loto"), "{export}");
    // (Its own name is concord's X-WR-CALNAME, not a client's.)
    assert_public_only(&export.replace("X-WR-CALNAME:Agenda intercommunal\r\n", ""));
}

#[test]
fn every_home_lists_the_aggregate_as_a_read_only_calendar() {
    let server = seeded();
    let body = fixture_text("requests/ios-propfind-home-depth1.xml");
    for login in ["asso-a", "asso-b"] {
        let home = format!("/dav/calendars/{login}/");
        let text = server
            .as_user(login, "PROPFIND", &home)
            .header("Depth", "1")
            .xml(&body)
            .send()
            .expect(207)
            .text();
        let all = entries(&text);
        let alias = format!("{home}intercommunal/");
        let aggregate = all
            .iter()
            .find(|e| e.href == alias)
            .unwrap_or_else(|| panic!("{alias} not listed: {text}"));
        assert!(
            aggregate
                .raw
                .contains("<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>"),
            "{}",
            aggregate.raw
        );
        let privileges = between(
            &aggregate.raw,
            "<D:current-user-privilege-set>",
            "</D:current-user-privilege-set>",
        )
        .expect("current-user-privilege-set");
        assert!(privileges.contains("<D:read/>"), "{privileges}");
        for write in [
            "<D:write/>",
            "<D:write-content/>",
            "<D:write-properties/>",
            "<D:bind/>",
            "<D:unbind/>",
            "<D:all/>",
        ] {
            assert!(
                !privileges.contains(write),
                "{write} on {alias}: {privileges}"
            );
        }
        // Its own calendar, next to it, is writable (the check is not vacuous).
        let main = all
            .iter()
            .find(|e| e.href == format!("{home}main/"))
            .expect("main listed");
        assert!(main.raw.contains("<D:write-content/>"), "{}", main.raw);
        // Nobody else's alias shows in this home.
        let other = if login == "asso-a" {
            "asso-b"
        } else {
            "asso-a"
        };
        assert!(
            !text.contains(&format!("/dav/calendars/{other}/")),
            "{text}"
        );
    }
    // Depth 0 on the aggregate itself: a calendar, read-only, with a sync
    // token, accepting events.
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:current-user-privilege-set/><D:sync-token/><CS:getctag/><C:supported-calendar-component-set/><D:displayname/></D:prop></D:propfind>"#;
    for path in [AGG, ALIAS_A] {
        let text = server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "0")
            .xml(body)
            .send()
            .expect(207)
            .text();
        let entry = &entries(&text)[0];
        assert_eq!(entry.href, path);
        assert!(entry.raw.contains("<C:calendar/>"), "{text}");
        assert!(entry.raw.contains("<D:read/>"), "{text}");
        assert!(!entry.raw.contains("<D:write"), "{text}");
        assert!(!entry.raw.contains("<D:bind/>"), "{text}");
        assert!(entry.raw.contains("<C:comp name=\"VEVENT\"/>"), "{text}");
        assert!(entry.raw.contains("urn:concord:sync:"), "{text}");
    }
}

/// Asserts a 403 whose body is a DAV:error with need-privileges.
#[track_caller]
fn assert_need_privileges(response: Response, privilege: &str) {
    let text = response.text();
    assert_eq!(response.status, 403, "{text}");
    assert!(text.contains("<D:need-privileges>"), "{text}");
    assert!(
        text.contains(&format!("<D:{privilege}/>")),
        "{privilege}: {text}"
    );
}

#[test]
fn writes_to_the_aggregate_get_403_need_privileges() {
    let server = seeded();
    let before = members(&server, "asso-a", AGG);
    let loto = href_of(&server, "asso-a", AGG, "loto-2027@asso-a");
    let name = loto.strip_prefix(AGG).unwrap();
    let alias_loto = format!("{ALIAS_A}{name}");
    let changed = vevent("loto-2027@asso-a", "Loto modifié", "20270313", "");
    // Even its owner cannot change the event through the aggregate.
    for path in [&loto, &alias_loto] {
        assert_need_privileges(
            server.as_user("asso-a", "PUT", path).ics(&changed).send(),
            "write-content",
        );
        assert_need_privileges(server.as_user("asso-a", "DELETE", path).send(), "unbind");
    }
    assert_need_privileges(
        server.as_user("asso-b", "PUT", &loto).ics(&changed).send(),
        "write-content",
    );
    assert_need_privileges(server.as_user("asso-b", "DELETE", &loto).send(), "unbind");
    let proppatch = fixture_text("requests/proppatch-displayname.xml");
    for path in [AGG, ALIAS_A] {
        assert_need_privileges(
            server
                .as_user("asso-a", "PROPPATCH", path)
                .xml(&proppatch)
                .send(),
            "write-properties",
        );
        assert_need_privileges(server.as_user("asso-a", "DELETE", path).send(), "unbind");
        assert_need_privileges(
            server.as_user("asso-a", "PUT", path).ics(&changed).send(),
            "write-content",
        );
    }
    // Nothing changed.
    assert_eq!(members(&server, "asso-a", AGG), before);
    let own = server
        .as_user("asso-a", "GET", &format!("{CAL_A}loto.ics"))
        .send()
        .expect(200)
        .text();
    assert!(own.contains("SUMMARY:Grand loto"), "{own}");
    assert!(!own.contains("modifié"));
}

#[test]
fn put_of_a_new_member_in_the_aggregate_gets_403_need_privileges() {
    // Creating an event in the read-only calendar (a client whose user
    // dragged an event into it) must be refused as a missing privilege,
    // not as a missing resource.
    let server = seeded();
    let event = vevent("nouveau@asso-a", "Nouveau", "20270320", "");
    for path in [
        format!("{AGG}nouveau.ics"),
        format!("{ALIAS_A}nouveau.ics"),
        format!("{AGG}999999.ics"),
    ] {
        let response = server.as_user("asso-a", "PUT", &path).ics(&event).send();
        let text = response.text();
        assert_eq!(response.status, 403, "PUT {path}: {text}");
        assert!(text.contains("<D:need-privileges>"), "PUT {path}: {text}");
    }
    assert_eq!(member_hrefs(&server, "asso-a", AGG).len(), 2);
}

#[test]
fn hrefs_stay_stable_when_another_organiser_changes_its_events() {
    let server = seeded();
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}foot.ics"),
        vevent("foot@asso-b", "Match de foot", "20270410", ""),
    );
    let before = members(&server, "asso-a", AGG);
    let loto = href_of(&server, "asso-a", AGG, "loto-2027@asso-a");
    let google = href_of(&server, "asso-a", AGG, GOOGLE_UID);
    let foot = href_of(&server, "asso-a", AGG, "foot@asso-b");
    let etag = |list: &[(String, String)], href: &str| {
        list.iter()
            .find(|(h, _)| h == href)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{href} missing from {list:?}"))
    };

    // asso-b adds several events, changes one, deletes another.
    for n in 0..3 {
        put_at(
            &server,
            "asso-b",
            &format!("{CAL_B}new-{n}.ics"),
            vevent(&format!("new-{n}@asso-b"), "Nouveau", "20270415", ""),
        );
    }
    let google_changed =
        fixture_text("ics/google-event.ics").replace("SUMMARY:", "SUMMARY:(reporté) ");
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}google.ics"),
        google_changed.as_bytes(),
    );
    delete(&server, "asso-b", &format!("{CAL_B}foot.ics"));

    let after = members(&server, "asso-a", AGG);
    assert_eq!(after.len(), 5, "{after:?}");
    // asso-a's event: same href, same etag.
    assert_eq!(etag(&after, &loto), etag(&before, &loto));
    // The changed event kept its href, with a new etag.
    assert_ne!(etag(&after, &google), etag(&before, &google));
    assert_eq!(href_of(&server, "asso-a", AGG, GOOGLE_UID), google);
    // The deleted one is gone, and its href is not reused.
    assert!(!after.iter().any(|(h, _)| h == &foot));
    server.as_user("asso-a", "GET", &foot).send().expect(404);
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}later.ics"),
        vevent("later@asso-b", "Plus tard", "20270416", ""),
    );
    let later = href_of(&server, "asso-a", AGG, "later@asso-b");
    assert_ne!(later, foot, "a deleted event's href was given to another");
    server.as_user("asso-a", "GET", &foot).send().expect(404);
    // And a change of asso-a keeps asso-b's hrefs.
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}autre.ics"),
        vevent("autre@asso-a", "Autre", "20270501", ""),
    );
    assert_eq!(href_of(&server, "asso-b", AGG, GOOGLE_UID), google);
    assert_eq!(href_of(&server, "asso-b", AGG, "loto-2027@asso-a"), loto);
}

#[test]
fn incremental_sync_reports_changes_deletions_and_events_made_private() {
    let server = seeded();
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}rando.ics"),
        vevent("rando@asso-a", "Randonnée", "20270320", ""),
    );
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}foot.ics"),
        vevent("foot@asso-b", "Match", "20270410", ""),
    );
    let (initial, token) = sync(&server, "asso-a", AGG, "");
    assert_eq!(initial.len(), 4, "{initial:?}");
    assert!(initial.iter().all(|e| e.status == 200 && e.etag.is_some()));
    assert!(token.starts_with("urn:concord:sync:"), "{token}");
    let loto = href_of(&server, "asso-a", AGG, "loto-2027@asso-a");
    let rando = href_of(&server, "asso-a", AGG, "rando@asso-a");
    let foot = href_of(&server, "asso-a", AGG, "foot@asso-b");
    let google = href_of(&server, "asso-a", AGG, GOOGLE_UID);
    let loto_etag = initial
        .iter()
        .find(|e| e.href == loto)
        .and_then(|e| e.etag.clone())
        .unwrap();

    // No change: nothing reported, same token.
    let (nothing, same) = sync(&server, "asso-a", AGG, &token);
    assert!(nothing.is_empty(), "{nothing:?}");
    assert_eq!(same, token);

    // Changed, deleted, made private, and new.
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}loto.ics"),
        vevent("loto-2027@asso-a", "Grand loto (complet)", "20270313", ""),
    );
    delete(&server, "asso-b", &format!("{CAL_B}foot.ics"));
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}rando.ics"),
        vevent("rando@asso-a", "Randonnée", "20270320", "CLASS:PRIVATE\r\n"),
    );
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}tournoi.ics"),
        vevent("tournoi@asso-b", "Tournoi", "20270417", ""),
    );
    let (changes, next) = sync(&server, "asso-a", AGG, &token);
    assert_ne!(next, token);
    let status = |href: &str| {
        let found: Vec<&Entry> = changes.iter().filter(|e| e.href == href).collect();
        assert_eq!(found.len(), 1, "{href} in {changes:?}");
        found[0].clone()
    };
    let changed = status(&loto);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.etag.as_deref(), Some(loto_etag.as_str()));
    assert_eq!(status(&foot).status, 404, "deleted");
    assert_eq!(status(&rando).status, 404, "made private");
    let new: Vec<&Entry> = changes
        .iter()
        .filter(|e| e.status == 200 && e.href != loto)
        .collect();
    assert_eq!(new.len(), 1, "{changes:?}");
    let tournoi = href_of(&server, "asso-a", AGG, "tournoi@asso-b");
    assert_eq!(new[0].href, tournoi);
    assert!(
        !changes.iter().any(|e| e.href == google),
        "unchanged event reported: {changes:?}"
    );
    // The private event is gone from the listing and from GET.
    server.as_user("asso-a", "GET", &rando).send().expect(404);
    assert!(!member_hrefs(&server, "asso-a", AGG).contains(&rando));

    // The same token works through the alias and names the same members.
    let (via_alias, _) = sync(&server, "asso-a", ALIAS_A, &token);
    let mut a: Vec<(String, u16)> = via_alias
        .iter()
        .map(|e| (e.href.replace(ALIAS_A, AGG), e.status))
        .collect();
    let mut b: Vec<(String, u16)> = changes.iter().map(|e| (e.href.clone(), e.status)).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // Back to public: reported again as 200.
    put_at(
        &server,
        "asso-a",
        &format!("{CAL_A}rando.ics"),
        vevent("rando@asso-a", "Randonnée", "20270320", "CLASS:PUBLIC\r\n"),
    );
    let (back, _) = sync(&server, "asso-a", AGG, &next);
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(
        (back[0].href.as_str(), back[0].status),
        (rando.as_str(), 200)
    );
}

#[test]
fn an_organiser_that_stops_publishing_leaves_the_aggregate() {
    let server = seeded();
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}foot.ics"),
        vevent("foot@asso-b", "Match", "20270410", ""),
    );
    let google = href_of(&server, "asso-a", AGG, GOOGLE_UID);
    let foot = href_of(&server, "asso-a", AGG, "foot@asso-b");
    let loto = href_of(&server, "asso-a", AGG, "loto-2027@asso-a");
    let (_, token) = sync(&server, "asso-a", AGG, "");

    concord(
        &server,
        &["organiser", "set", "asso-b", "--publishes", "false"],
    );
    // Cached answers go when the server notices the other process's write.
    eventually("multiget of the withdrawn events", || {
        let got = multiget(&server, "asso-a", AGG, &[google.clone(), foot.clone()]);
        let statuses: Vec<u16> = got.iter().map(|e| e.status).collect();
        (statuses != [404, 404]).then(|| format!("{statuses:?}"))
    });
    let hrefs = member_hrefs(&server, "asso-a", AGG);
    assert_eq!(hrefs, vec![loto.clone()]);
    for href in [&google, &foot] {
        server.as_user("asso-a", "GET", href).send().expect(404);
    }
    let (changes, next) = sync(&server, "asso-a", AGG, &token);
    for href in [&google, &foot] {
        let entry = changes
            .iter()
            .find(|e| &e.href == href)
            .unwrap_or_else(|| panic!("{href} not reported: {changes:?}"));
        assert_eq!(entry.status, 404, "{}", entry.raw);
    }
    assert!(!changes.iter().any(|e| e.href == loto), "{changes:?}");
    // asso-b still has its events in its own calendar.
    assert_eq!(member_hrefs(&server, "asso-b", CAL_B).len(), 2);

    // Publishing again brings them back under the same hrefs.
    concord(
        &server,
        &["organiser", "set", "asso-b", "--publishes", "true"],
    );
    let mut hrefs = member_hrefs(&server, "asso-a", AGG);
    hrefs.sort();
    let mut expected = vec![google.clone(), foot.clone(), loto];
    expected.sort();
    assert_eq!(hrefs, expected);
    let (back, _) = sync(&server, "asso-a", AGG, &next);
    for href in [&google, &foot] {
        assert!(
            back.iter().any(|e| &e.href == href && e.status == 200),
            "{href} not back: {back:?}"
        );
    }
}

#[test]
fn a_further_calendar_is_published_only_when_its_owner_says_so() {
    let server = seeded();
    let extra = "/dav/calendars/asso-a/fetes/";
    server
        .as_user("asso-a", "MKCALENDAR", extra)
        .xml(&fixture_text("requests/mkcalendar-thunderbird.xml"))
        .send()
        .expect(201);
    put_at(
        &server,
        "asso-a",
        &format!("{extra}bal.ics"),
        vevent("bal@asso-a", "Bal du 14 juillet", "20270713", ""),
    );
    put_at(
        &server,
        "asso-a",
        &format!("{extra}secret.ics"),
        vevent(
            "secret@asso-a",
            "Réunion interne",
            "20270714",
            "CLASS:PRIVATE\r\n",
        ),
    );
    let (_, token) = sync(&server, "asso-a", AGG, "");
    let listed = |server: &Server| {
        let hrefs = member_hrefs(server, "asso-b", AGG);
        let mut uids: Vec<String> = multiget(server, "asso-b", AGG, &hrefs)
            .iter()
            .map(|e| uid_of(e.data.as_deref().unwrap()))
            .collect();
        uids.sort();
        uids
    };
    assert_eq!(listed(&server), vec![GOOGLE_UID, "loto-2027@asso-a"]);

    let out = concord(&server, &["publish", "asso-a", "--calendar", "fetes"]);
    assert!(out.contains("published"), "{out}");
    assert_eq!(
        listed(&server),
        vec![GOOGLE_UID, "bal@asso-a", "loto-2027@asso-a"]
    );
    let bal = href_of(&server, "asso-b", AGG, "bal@asso-a");
    let (changes, next) = sync(&server, "asso-b", AGG, &token);
    assert!(
        changes.iter().any(|e| e.href == bal && e.status == 200),
        "{changes:?}"
    );
    assert!(
        changes.iter().all(|e| e.status == 404 || e.href == bal),
        "{changes:?}"
    );

    concord(&server, &["unpublish", "asso-a", "--calendar", "fetes"]);
    assert_eq!(listed(&server), vec![GOOGLE_UID, "loto-2027@asso-a"]);
    let (changes, _) = sync(&server, "asso-b", AGG, &next);
    assert!(
        changes.iter().any(|e| e.href == bal && e.status == 404),
        "{changes:?}"
    );
    // A calendar that does not exist cannot be published.
    let out = cli_with_stdin(
        &server.config_path(),
        &["publish", "asso-a", "--calendar", "nope"],
        "",
    );
    assert!(!out.status.success());
}

/// getctag of a collection, read by `login`.
fn ctag(server: &Server, login: &str, collection: &str) -> String {
    let text = server
        .as_user(login, "PROPFIND", collection)
        .header("Depth", "0")
        .xml(&fixture_text("requests/thunderbird-propfind-ctag.xml"))
        .send()
        .expect(207)
        .text();
    between(&text, "getctag>", "</")
        .unwrap_or_else(|| panic!("no getctag: {text}"))
        .to_owned()
}

#[test]
fn deleting_a_published_calendar_reports_its_events_as_deleted() {
    let server = seeded();
    let fetes = "/dav/calendars/asso-a/fetes/";
    let alias_b = "/dav/calendars/asso-b/intercommunal/";
    server
        .as_user("asso-a", "MKCALENDAR", fetes)
        .xml(&fixture_text("requests/mkcalendar-thunderbird.xml"))
        .send()
        .expect(201);
    concord(&server, &["publish", "asso-a", "--calendar", "fetes"]);
    for (uid, summary, day) in [
        ("bal@asso-a", "Bal", "20270713"),
        ("kermesse@asso-a", "Kermesse", "20270620"),
    ] {
        put_at(
            &server,
            "asso-a",
            &format!("{fetes}{uid}.ics"),
            vevent(uid, summary, day, ""),
        );
    }
    let gone: Vec<String> = ["bal@asso-a", "kermesse@asso-a"]
        .iter()
        .map(|uid| href_of(&server, "asso-b", AGG, uid))
        .collect();
    let (_, token) = sync(&server, "asso-b", AGG, "");
    let (_, alias_token) = sync(&server, "asso-b", alias_b, "");
    let (ctag_before, alias_ctag_before) = (
        ctag(&server, "asso-b", AGG),
        ctag(&server, "asso-b", alias_b),
    );

    server.as_user("asso-a", "DELETE", fetes).send().expect(204);

    let removed = |collection: &str| -> Vec<(String, u16)> {
        gone.iter()
            .map(|href| (href.replace(AGG, collection), 404))
            .collect()
    };
    let reported = |changes: &[Entry]| -> Vec<(String, u16)> {
        let mut all: Vec<(String, u16)> =
            changes.iter().map(|e| (e.href.clone(), e.status)).collect();
        all.sort();
        all
    };
    // Right after the DELETE: the token is still valid, the ctag moved.
    let (changes, next) = sync(&server, "asso-b", AGG, &token);
    assert_eq!(reported(&changes), removed(AGG), "sync after the DELETE");
    assert_ne!(next, token);
    let (again, _) = sync(&server, "asso-b", AGG, &next);
    assert!(again.is_empty(), "{again:?}");
    assert_ne!(ctag(&server, "asso-b", AGG), ctag_before);
    assert_ne!(ctag(&server, "asso-b", alias_b), alias_ctag_before);
    for href in &gone {
        server.as_user("asso-b", "GET", href).send().expect(404);
    }

    // After later changes too: a client that syncs less often still
    // learns of the deletions, among the other changes.
    put_at(
        &server,
        "asso-b",
        &format!("{CAL_B}tournoi.ics"),
        vevent("tournoi@asso-b", "Tournoi", "20270501", ""),
    );
    let tournoi = href_of(&server, "asso-b", alias_b, "tournoi@asso-b");
    let (changes, _) = sync(&server, "asso-b", alias_b, &alias_token);
    let mut expected = removed(alias_b);
    expected.push((tournoi, 200));
    expected.sort();
    assert_eq!(reported(&changes), expected, "sync of the alias");
    // The other events stay.
    assert_eq!(member_hrefs(&server, "asso-b", AGG).len(), 3);

    // A calendar made again at the same place starts empty, and its own
    // sync does not list what the deleted one held.
    server
        .as_user("asso-a", "MKCALENDAR", fetes)
        .xml(&fixture_text("requests/mkcalendar-thunderbird.xml"))
        .send()
        .expect(201);
    let (listed, _) = sync(&server, "asso-a", fetes, "");
    assert!(listed.is_empty(), "{listed:?}");
}

#[test]
fn calendar_data_from_the_aggregate_is_stripped_of_private_details() {
    let server = seeded();
    // Real-world files full of private details: attendees, alarms,
    // vendors' X- properties.
    for (login, name, file) in [
        ("asso-a", "apple.ics", "ics/apple-event.ics"),
        ("asso-a", "thunderbird.ics", "ics/thunderbird-event.ics"),
        ("asso-b", "attendees.ics", "ics/attendees-event.ics"),
        ("asso-b", "xprops.ics", "ics/x-props-event.ics"),
        ("asso-b", "outlook.ics", "ics/outlook-event.ics"),
    ] {
        put_at(
            &server,
            login,
            &format!("/dav/calendars/{login}/main/{name}"),
            fixture(file),
        );
    }
    let hrefs = member_hrefs(&server, "asso-a", AGG);
    assert_eq!(hrefs.len(), 7, "{hrefs:?}");
    let mut texts = Vec::new();
    for entry in multiget(&server, "asso-a", AGG, &hrefs) {
        texts.push(entry.data.expect("multiget calendar-data"));
    }
    for entry in query(
        &server,
        "asso-b",
        AGG,
        &time_range_query("20270101T000000Z", "20280101T000000Z", true),
    ) {
        texts.push(entry.data.expect("query calendar-data"));
    }
    for entry in sync_with_data(&server, "asso-a", ALIAS_A) {
        texts.push(entry.data.expect("sync calendar-data"));
    }
    for href in &hrefs {
        texts.push(
            server
                .as_user("staff", "GET", href)
                .send()
                .expect(200)
                .text(),
        );
    }
    assert_eq!(texts.len(), 4 * 7);
    for text in &texts {
        assert_public_only(text);
        // Stripping keeps the event itself.
        assert!(
            text.contains("BEGIN:VEVENT") && text.contains("SUMMARY"),
            "{text}"
        );
    }
    let all = texts.concat();
    for gone in [
        "helene.lafitte@example.fr",
        "b.lalanne@example.fr",
        "X-APPLE-STRUCTURED-LOCATION",
        "X-MOZ-GENERATION",
        "X-MICROSOFT-CDO",
        "X-ALT-DESC",
        "X-GOOGLE-CONFERENCE",
        "X-WR-CALNAME",
    ] {
        assert!(!all.contains(gone), "{gone} leaked");
    }
    assert!(all.contains("Concert de l'harmonie municipale"));
    assert!(all.contains("Assemblée générale"));
}
