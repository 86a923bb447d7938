//! Moderation end to end, over real HTTP: a reviewed organiser's event
//! reaches none of the public outputs (the agenda page, both feeds, the
//! intercommunal calendar by PROPFIND, GET and sync-collection, the print
//! agenda) until staff approve it; a change waits while the public keeps
//! the approved version; a hidden event leaves them all and comes back;
//! the organiser's own calendar serves its bytes throughout.

mod common;

use common::davxml::{multistatus, DAV};
use common::web::{values_of, WebClient};
use common::*;

const REVIEWED: &str = "\n[moderation]\ndefault_policy = \"reviewed\"\n";
const HREF: &str = "/dav/calendars/asso-a/main/loto.ics";

fn loto(summary: &str) -> Vec<u8> {
    event(
        "loto-moderation",
        summary,
        "20270115T190000Z",
        "20270115T220000Z",
    )
}

/// What each public output says, as text (feeds and pages), and the
/// intercommunal calendar's members with their bodies.
struct Public {
    page: String,
    feed: String,
    organiser_feed: String,
    members: Vec<String>,
    quarter: String,
}

fn public(server: &Server) -> Public {
    let page = server
        .request("GET", "/?du=2027-01-01&au=2027-01-31")
        .send()
        .expect(200)
        .text();
    let feed = server
        .request("GET", "/feeds/intercommunal.ics")
        .send()
        .expect(200)
        .text();
    let organiser_feed = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    let listing = server
        .as_user("asso-b", "PROPFIND", "/dav/intercommunal/")
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .expect(207)
        .text();
    let mut members = Vec::new();
    for href in multistatus(&listing).hrefs().into_iter().skip(1) {
        let body = server
            .as_user("asso-b", "GET", &href)
            .send()
            .expect(200)
            .text();
        members.push(body);
    }
    let quarter = server
        .request("GET", "/agenda/trimestre/2027-T1")
        .send()
        .expect(200)
        .text();
    Public {
        page,
        feed,
        organiser_feed,
        members,
        quarter,
    }
}

#[track_caller]
fn shown_everywhere(server: &Server, summary: &str) {
    let p = public(server);
    assert!(p.page.contains(summary), "agenda page: {}", p.page);
    assert!(p.feed.contains(summary), "feed: {}", p.feed);
    assert!(p.organiser_feed.contains(summary), "organiser feed");
    assert_eq!(
        p.members
            .iter()
            .filter(|body| body.contains(summary))
            .count(),
        1,
        "intercommunal calendar: {:?}",
        p.members
    );
    assert!(p.quarter.contains(summary), "print agenda: {}", p.quarter);
}

#[track_caller]
fn shown_nowhere(server: &Server, summary: &str) {
    let p = public(server);
    assert!(!p.page.contains(summary), "agenda page shows {summary}");
    assert!(!p.feed.contains(summary), "feed shows {summary}");
    assert!(!p.organiser_feed.contains(summary), "organiser feed");
    assert!(
        !p.members.iter().any(|body| body.contains(summary)),
        "intercommunal calendar shows {summary}"
    );
    assert!(!p.quarter.contains(summary), "print agenda shows {summary}");
}

/// The intercommunal calendar's sync from `token`: (href, status, body).
fn sync(server: &Server, token: &str) -> (Vec<(String, Option<u16>, String)>, String) {
    let body = if token.is_empty() {
        r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#.to_owned()
    } else {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#
        )
    };
    let text = server
        .as_user("asso-b", "REPORT", "/dav/intercommunal/")
        .xml(&body)
        .send()
        .expect(207)
        .text();
    let answer = multistatus(&text);
    let entries = answer
        .responses
        .iter()
        .map(|r| {
            let data = r
                .text("urn:ietf:params:xml:ns:caldav", "calendar-data")
                .unwrap_or_default();
            (r.href.clone(), r.status, data)
        })
        .collect();
    (entries, answer.sync_token.expect("sync token"))
}

/// The text of every event in asso-a's conflicts calendar (unfolded).
fn own_conflicts_calendar(server: &Server) -> String {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    let text = server
        .as_user("asso-a", "REPORT", "/dav/calendars/asso-a/conflits/")
        .header("Depth", "1")
        .xml(body)
        .send()
        .expect(207)
        .text();
    multistatus(&text)
        .responses
        .iter()
        .filter_map(|r| r.text("urn:ietf:params:xml:ns:caldav", "calendar-data"))
        .collect::<Vec<_>>()
        .join("")
        .replace("\r\n ", "")
        .replace("\\n", "\n")
}

fn own_bytes(server: &Server) -> Vec<u8> {
    server
        .as_user("asso-a", "GET", HREF)
        .send()
        .expect(200)
        .body
}

/// A staff decision on the moderation page (approve, hide, show again),
/// which sends back to the page.
fn decide(staff: &mut WebClient, fields: &[(&str, &str)]) {
    staff.post("/gestion/moderation", fields).expect(303);
}

/// The object id of the only event waiting on the moderation page.
fn waiting_id(staff: &mut WebClient) -> String {
    let page = staff.get("/gestion/moderation").expect(200).text();
    let ids = values_of(&page, "objet");
    assert!(!ids.is_empty(), "nothing waits: {page}");
    ids[0].clone()
}

#[test]
fn a_reviewed_organisers_event_waits_for_approval_everywhere() {
    let server = Server::start_with(REVIEWED);
    let mut staff = WebClient::signed_in(&server, "staff");
    let (_, token) = sync(&server, "");

    // New: public nowhere, listed for staff, its owner's bytes untouched.
    let v1 = loto("Loto de la moderation");
    put_at(&server, "asso-a", HREF, &v1);
    shown_nowhere(&server, "Loto de la moderation");
    let (changes, token) = sync(&server, &token);
    assert!(
        changes.iter().all(|(_, _, data)| data.is_empty()),
        "sync shows the waiting event: {changes:?}"
    );
    assert_eq!(own_bytes(&server), v1);
    let id = waiting_id(&mut staff);
    assert!(
        own_conflicts_calendar(&server).contains("En attente de validation"),
        "the organiser sees that its event waits"
    );

    // Approved: public everywhere, and sync brings it.
    decide(&mut staff, &[("action", "valider"), ("objet", &id)]);
    shown_everywhere(&server, "Loto de la moderation");
    let (changes, token) = sync(&server, &token);
    assert!(
        changes
            .iter()
            .any(|(href, _, data)| href.ends_with(&format!("/{id}.ics"))
                && data.contains("Loto de la moderation")),
        "sync after approval: {changes:?}"
    );
    assert_eq!(own_bytes(&server), v1);

    // Changed: the public keeps the approved version until staff approve
    // the change.
    let v2 = loto("Super loto modifie");
    put_at(&server, "asso-a", HREF, &v2);
    shown_everywhere(&server, "Loto de la moderation");
    shown_nowhere(&server, "Super loto modifie");
    assert_eq!(own_bytes(&server), v2);
    let (changes, token) = sync(&server, &token);
    assert!(
        changes
            .iter()
            .all(|(_, _, data)| !data.contains("Super loto modifie")),
        "sync shows the waiting change: {changes:?}"
    );
    let moderation = staff.get("/gestion/moderation").expect(200).text();
    assert!(moderation.contains("Super loto modifie"), "{moderation}");
    assert!(moderation.contains("ancienne version"), "{moderation}");
    decide(&mut staff, &[("action", "valider"), ("objet", &id)]);
    shown_everywhere(&server, "Super loto modifie");
    shown_nowhere(&server, "Loto de la moderation");
    let (changes, token) = sync(&server, &token);
    assert!(
        changes
            .iter()
            .any(|(_, _, data)| data.contains("Super loto modifie")),
        "{changes:?}"
    );

    // Hidden: gone from everything (sync reports it gone), then back.
    decide(
        &mut staff,
        &[
            ("action", "masquer"),
            ("objet", &id),
            ("raison", "Date en double avec la fête"),
        ],
    );
    shown_nowhere(&server, "Super loto modifie");
    let own = own_conflicts_calendar(&server);
    assert!(
        own.contains("Masqué de l'agenda public") && own.contains("Date en double avec la fête"),
        "the organiser's calendar tells it why: {own}"
    );
    let (changes, token) = sync(&server, &token);
    assert!(
        changes
            .iter()
            .any(|(href, status, _)| href.ends_with(&format!("/{id}.ics")) && *status == Some(404)),
        "sync after hiding: {changes:?}"
    );
    assert_eq!(own_bytes(&server), v2);
    decide(&mut staff, &[("action", "retablir"), ("objet", &id)]);
    shown_everywhere(&server, "Super loto modifie");
    let (changes, _) = sync(&server, &token);
    assert!(
        changes
            .iter()
            .any(|(_, _, data)| data.contains("Super loto modifie")),
        "{changes:?}"
    );
    assert_eq!(own_bytes(&server), v2);

    // Every decision is listed, with who and why.
    let journal = staff.get("/gestion/moderation").expect(200).text();
    for seen in [
        "Événement validé",
        "Événement masqué",
        "Événement rétabli",
        "Date en double avec la fête",
        "staff",
    ] {
        assert!(journal.contains(seen), "{seen} missing: {journal}");
    }
}

#[test]
fn a_trusted_organisers_hidden_event_comes_back_and_deletion_is_immediate() {
    let server = Server::start();
    let mut staff = WebClient::signed_in(&server, "staff");
    let v1 = loto("Loto de confiance");
    put_at(&server, "asso-a", HREF, &v1);
    shown_everywhere(&server, "Loto de confiance");
    let text = public(&server).members.len();
    assert_eq!(text, 1);
    // Trusted organisers' events never wait.
    assert!(values_of(
        &staff.get("/gestion/moderation").expect(200).text(),
        "objet"
    )
    .is_empty());
    let listing = server
        .as_user("asso-b", "PROPFIND", "/dav/intercommunal/")
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .expect(207)
        .text();
    let href = multistatus(&listing).hrefs()[1].clone();
    let id = href
        .trim_start_matches("/dav/intercommunal/")
        .trim_end_matches(".ics")
        .to_owned();
    decide(
        &mut staff,
        &[("action", "masquer"), ("objet", &id), ("raison", "Doublon")],
    );
    shown_nowhere(&server, "Loto de confiance");
    server.as_user("asso-b", "GET", &href).send().expect(404);
    // Hiding changes nothing the organiser sent.
    let v2 = loto("Loto de confiance, nouvelle heure");
    put_at(&server, "asso-a", HREF, &v2);
    shown_nowhere(&server, "Loto de confiance");
    assert_eq!(own_bytes(&server), v2);
    decide(&mut staff, &[("action", "retablir"), ("objet", &id)]);
    shown_everywhere(&server, "Loto de confiance, nouvelle heure");
    let _ = DAV;
}

#[test]
fn the_approved_version_leaves_with_its_event() {
    let server = Server::start_with(REVIEWED);
    let mut staff = WebClient::signed_in(&server, "staff");
    put_at(&server, "asso-a", HREF, loto("Loto approuve"));
    let id = waiting_id(&mut staff);
    decide(&mut staff, &[("action", "valider"), ("objet", &id)]);
    put_at(&server, "asso-a", HREF, loto("Loto en attente"));
    shown_everywhere(&server, "Loto approuve");
    // Made private: withdrawn at once, approved copy included.
    let private = String::from_utf8(loto("Loto en attente"))
        .unwrap()
        .replace("SUMMARY:", "CLASS:PRIVATE\r\nSUMMARY:");
    put_at(&server, "asso-a", HREF, private.as_bytes());
    shown_nowhere(&server, "Loto approuve");
    // Deleted: gone too.
    put_at(&server, "asso-a", HREF, loto("Loto en attente"));
    server.as_user("asso-a", "DELETE", HREF).send().expect(204);
    shown_nowhere(&server, "Loto");
}

#[test]
fn making_an_organiser_trusted_publishes_what_waited() {
    let server = Server::start_with(REVIEWED);
    let mut staff = WebClient::signed_in(&server, "staff");
    put_at(&server, "asso-a", HREF, loto("Loto patient"));
    shown_nowhere(&server, "Loto patient");
    staff
        .post(
            "/gestion/organisateurs/asso-a",
            &[("action", "moderation"), ("politique", "trusted")],
        )
        .expect(303);
    shown_everywhere(&server, "Loto patient");
    // And a reviewed one's existing events stay public; its changes wait.
    staff
        .post(
            "/gestion/organisateurs/asso-a",
            &[("action", "moderation"), ("politique", "reviewed")],
        )
        .expect(303);
    shown_everywhere(&server, "Loto patient");
    put_at(&server, "asso-a", HREF, loto("Loto patient modifie"));
    shown_everywhere(&server, "Loto patient");
    shown_nowhere(&server, "Loto patient modifie");
}

/// The one copy of a co-organised event ("Loto commun ...") each public
/// output shows: `shown` in all of them, once, and none of `absent`.
#[track_caller]
fn one_copy_shown(server: &Server, shown: &str, absent: &[&str]) {
    let p = public(server);
    assert!(p.page.contains(shown), "agenda page lacks {shown}");
    assert_eq!(
        p.feed.matches("SUMMARY:Loto commun").count(),
        1,
        "feed: {}",
        p.feed
    );
    assert!(p.feed.contains(&format!("SUMMARY:{shown}\r\n")), "feed");
    let copies: Vec<&String> = p
        .members
        .iter()
        .filter(|body| body.contains("Loto commun"))
        .collect();
    assert_eq!(copies.len(), 1, "intercommunal calendar: {copies:?}");
    assert!(copies[0].contains(shown), "intercommunal calendar");
    assert!(p.quarter.contains(shown), "print agenda lacks {shown}");
    for other in absent {
        assert!(!p.page.contains(other), "agenda page shows {other}");
        assert!(!p.feed.contains(other), "feed shows {other}");
        assert!(!p.quarter.contains(other), "print agenda shows {other}");
    }
}

/// A co-organised event (the same UID in two organisers' calendars) stays
/// public while one copy may be shown, and every output shows the same
/// copy: the earliest one the public may see, as itself or as its
/// approved version. The feeds once let a waiting or hidden earliest copy
/// hide the other organiser's copy while the agenda page showed it (or
/// showed both).
#[test]
fn a_co_organised_event_shows_one_copy_the_public_may_see_everywhere() {
    let server = Server::start_with(REVIEWED);
    let mut staff = WebClient::signed_in(&server, "staff");
    staff
        .post(
            "/gestion/organisateurs/asso-b",
            &[("action", "moderation"), ("politique", "trusted")],
        )
        .expect(303);
    let (a1, a2, b) = ("Loto commun A1", "Loto commun A2", "Loto commun B");
    // asso-a (reviewed) puts it first: its copy waits, asso-b's is seen.
    put_at(&server, "asso-a", HREF, loto(a1));
    put_at(
        &server,
        "asso-b",
        "/dav/calendars/asso-b/main/loto.ics",
        loto(b),
    );
    one_copy_shown(&server, b, &[a1]);
    // Approved, asso-a's earlier copy takes the place of asso-b's.
    let id = waiting_id(&mut staff);
    decide(&mut staff, &[("action", "valider"), ("objet", &id)]);
    one_copy_shown(&server, a1, &[b]);
    // Its change waits: the approved version still stands for both.
    put_at(&server, "asso-a", HREF, loto(a2));
    one_copy_shown(&server, a1, &[a2, b]);
    // Hidden: asso-b's copy is the one the public sees.
    decide(
        &mut staff,
        &[("action", "masquer"), ("objet", &id), ("raison", "Doublon")],
    );
    one_copy_shown(&server, b, &[a1, a2]);
    decide(&mut staff, &[("action", "retablir"), ("objet", &id)]);
    one_copy_shown(&server, a1, &[a2, b]);
}
