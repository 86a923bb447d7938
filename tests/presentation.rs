//! What residents and staff read, shown as it is meant (issue 15): tentative
//! dates marked, one filter vocabulary with French refusals, the directory
//! in French order with contacts, French dates in the conflicts calendars,
//! and staff's own conflicts calendar.

mod common;
use common::*;

const TERRITORY: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"
[[communes]]
slug = "laruscade"
name = "Laruscade"

[[categories]]
slug = "sport"
name = "Sport"
[[categories]]
slug = "fete"
name = "Fête"
aliases = ["fêtes"]

[[venues]]
slug = "sdf-laruscade"
name = "Salle des fêtes"
commune = "laruscade"
closed = [{ from = "2027-04-01", to = "2027-04-30", reason = "travaux" }]
"#;

/// 2027, explicit: the test clock is 2026-11-28.
const PAGE_MARCH: &str = "/?du=2027-03-01&au=2027-03-31";
const WINDOW: &str = "from=2027-01-01&to=2028-01-01";

/// An event with extra lines (CATEGORIES, LOCATION...) before SUMMARY.
fn event_with(uid: &str, summary: &str, start: &str, end: &str, extra: &[&str]) -> Vec<u8> {
    let mut lines = String::new();
    for line in extra {
        lines.push_str(line);
        lines.push_str("\r\n");
    }
    String::from_utf8(event(uid, summary, start, end))
        .unwrap()
        .replace("SUMMARY:", &format!("{lines}SUMMARY:"))
        .into_bytes()
}

fn cli(server: &Server, args: &[&str]) -> String {
    let out = cli_with_stdin(&server.config_path(), args, PASSWORD);
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------
// Tentative dates.

#[test]
fn tentative_dates_are_marked_on_the_agenda_and_keep_their_status_in_feeds() {
    let server = Server::start_with(TERRITORY);
    put_event(
        &server,
        "asso-a",
        "theatre",
        fixture("ics/google-tentative-event.ics"),
    );
    put_event(
        &server,
        "asso-b",
        "match",
        event(
            "match@asso-b",
            "Match de gala",
            "20270320T140000Z",
            "20270320T160000Z",
        ),
    );
    let page = server.request("GET", PAGE_MARCH).send().expect(200).text();
    let item = |summary: &str| {
        let at = page
            .find(summary)
            .unwrap_or_else(|| panic!("{summary}: {page}"));
        let start = page[..at].rfind("<li class=\"evenement\">").unwrap();
        let end = at + page[at..].find("</li>").unwrap();
        page[start..end].to_owned()
    };
    let theatre = item("Soirée théâtre du comité");
    assert!(theatre.contains("date à confirmer"), "{theatre}");
    assert!(theatre.contains("20 h 30 – 23 h 30"), "{theatre}");
    assert!(
        !item("Match de gala").contains("à confirmer"),
        "only tentative events are marked: {page}"
    );
    // The print view is the same page: the mark is not hidden from print.
    assert!(!page.contains(".a-confirmer{display:none"), "{page}");

    // Feeds keep STATUS:TENTATIVE and the summary as written.
    for path in [
        format!("/feeds/intercommunal.ics?{WINDOW}"),
        format!("/feeds/asso-a.ics?{WINDOW}"),
    ] {
        let feed = server.request("GET", &path).send().expect(200).text();
        assert!(feed.contains("STATUS:TENTATIVE\r\n"), "{path}: {feed}");
        assert!(
            feed.contains("SUMMARY:Soirée théâtre du comité\r\n"),
            "nothing is prefixed to the summary: {feed}"
        );
    }
}

// ---------------------------------------------------------------------
// One vocabulary.

fn sorted_events(server: &Server) {
    put_event(
        server,
        "asso-a",
        "fete",
        event_with(
            "fete@asso-a",
            "Fête de la Saint-Jean",
            "20270312T180000Z",
            "20270312T220000Z",
            &["CATEGORIES:Fêtes"],
        ),
    );
    put_event(
        server,
        "asso-b",
        "match",
        event_with(
            "match@asso-b",
            "Match de gala",
            "20270313T140000Z",
            "20270313T160000Z",
            &["CATEGORIES:Sport"],
        ),
    );
}

#[test]
fn pages_and_feeds_take_french_and_english_filter_names() {
    let server = Server::start_with(TERRITORY);
    sorted_events(&server);
    // The agenda page: categorie= and category=, du/au and from/to.
    for query in [
        "categorie=sport&du=2027-03-01&au=2027-03-31",
        "category=sport&from=2027-03-01&to=2027-03-31",
        "cat%C3%A9gorie=sport&du=2027-03-01&to=2027-03-31",
    ] {
        let page = server
            .request("GET", &format!("/?{query}"))
            .send()
            .expect(200)
            .text();
        assert!(page.contains("Match de gala"), "{query}: {page}");
        assert!(!page.contains("Saint-Jean"), "{query}: {page}");
    }
    // organisateur= (and organiser=) on the page too.
    for name in ["organisateur", "organiser", "organizer"] {
        let page = server
            .request("GET", &format!("{PAGE_MARCH}&{name}=asso-a"))
            .send()
            .expect(200)
            .text();
        assert!(page.contains("Saint-Jean"), "{name}: {page}");
        assert!(!page.contains("Match de gala"), "{name}: {page}");
    }
    // Feeds: the pages' names are accepted and ask the same feed.
    let english = server
        .request(
            "GET",
            "/feeds/intercommunal.ics?category=fete&from=2027-01-01&to=2028-01-01",
        )
        .send()
        .expect(200);
    let french = server
        .request(
            "GET",
            "/feeds/intercommunal.ics?categorie=fete&du=2027-01-01&au=2028-01-01",
        )
        .send()
        .expect(200);
    assert_eq!(english.body, french.body);
    assert_eq!(french.header("x-concord-cache"), Some("hit"));
    let text = french.text();
    assert!(text.contains("fete@asso-a"), "{text}");
    assert!(!text.contains("match@asso-b"), "{text}");
    let organiser = server
        .request(
            "GET",
            "/feeds/intercommunal.ics?organisateur=asso-b&du=2027-01-01&au=2028-01-01",
        )
        .send()
        .expect(200)
        .text();
    assert!(organiser.contains("match@asso-b") && !organiser.contains("fete@asso-a"));
}

#[test]
fn refusals_are_in_french_with_the_valid_values() {
    let server = Server::start_with(TERRITORY);
    // Public pages (HTML: apostrophes come escaped).
    for (query, mentions) in [
        (
            "/?categorie=foot",
            &[
                "«\u{202f}foot\u{202f}» n&#39;est pas une catégorie",
                "sport, fete",
            ][..],
        ),
        (
            "/?category=foot",
            &["n&#39;est pas une catégorie", "sport, fete"][..],
        ),
        (
            "/?commune=paris",
            &[
                "n&#39;est pas une commune",
                "arue, bourriot-bergonce, laruscade",
            ][..],
        ),
        (
            "/?organisateur=nobody",
            &["n&#39;est pas un organisateur", "asso-a, asso-b"][..],
        ),
        ("/?du=13/03/2027", &["AAAA-MM-JJ"][..]),
    ] {
        let text = server.request("GET", query).send().expect(400).text();
        assert!(text.contains("<html lang=\"fr\">"), "{query}: {text}");
        for word in mentions {
            assert!(text.contains(word), "{query}: {word:?} not in {text}");
        }
    }
    // Feeds (plain text).
    let feed = |query: &str| {
        server
            .request("GET", &format!("/feeds/intercommunal.ics?{query}"))
            .send()
            .expect(400)
            .text()
    };
    for (query, mentions) in [
        (
            "categorie=foot",
            &[
                "n'est pas une catégorie",
                "Valeurs possibles",
                "sport, fete",
            ][..],
        ),
        (
            "category=foot",
            &["n'est pas une catégorie", "sport, fete"][..],
        ),
        (
            "commune=paris",
            &[
                "n'est pas une commune",
                "arue, bourriot-bergonce, laruscade",
            ][..],
        ),
        (
            "organiser=nobody",
            &["n'est pas un organisateur", "asso-a, asso-b"][..],
        ),
        (
            "city=arue",
            &[
                "Le paramètre «\u{202f}city\u{202f}» n'est pas connu",
                "categorie (ou category)",
            ][..],
        ),
        (
            "du=2027-05-01&au=2027-04-01",
            &["La période doit finir après son début"][..],
        ),
        ("from=2027-01-01&to=2031-01-01", &["3 ans au plus"][..]),
    ] {
        let text = feed(query);
        for word in mentions {
            assert!(text.contains(word), "{query}: {word:?} not in {text}");
        }
        assert!(
            !text.contains("Unknown") && !text.contains("Valid"),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------
// The directory.

#[test]
fn directory_lists_organisers_in_french_order_with_contacts_and_next_events() {
    let server = Server::start_with(TERRITORY);
    for (login, name, commune) in [
        ("ecoles-musique", "Écoles de musique", "laruscade"),
        ("amicale", "Amicale", "arue"),
        ("comite", "Comité", "laruscade"),
    ] {
        cli(
            &server,
            &[
                "organiser",
                "add",
                login,
                "--name",
                name,
                "--commune",
                commune,
                "--password-stdin",
            ],
        );
    }
    cli(
        &server,
        &[
            "organiser",
            "set",
            "ecoles-musique",
            "--email",
            "ecoles@laruscade.example",
            "--phone",
            "05 57 00 00 01",
            "--website",
            "https://ecoles.laruscade.example/",
            "--categories",
            "fete,sport",
        ],
    );
    cli(
        &server,
        &[
            "organiser",
            "set",
            "amicale",
            "--email",
            "amicale@arue.example",
        ],
    );
    // Four events ahead: the directory shows the next three. One before
    // the clock's today (2026-11-28) is not "next".
    for (uid, summary, day) in [
        ("passe", "Audition passée", "20261010"),
        ("d", "Concert de printemps", "20270410"),
        ("a", "Audition de Noël", "20261212"),
        ("c", "Portes ouvertes", "20270306"),
        ("b", "Concert du Nouvel An", "20270109"),
    ] {
        put_event(
            &server,
            "ecoles-musique",
            uid,
            event(
                &format!("{uid}@ecoles"),
                summary,
                &format!("{day}T170000Z"),
                &format!("{day}T190000Z"),
            ),
        );
    }
    let page = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    // By display name, accents and case ignored: "Écoles" with E.
    let names = [
        "<h2>Amicale</h2>",
        "<h2>Comité</h2>",
        "<h2>Comité des fêtes d&#39;Arue</h2>",
        "<h2>Écoles de musique</h2>",
        "<h2>Football club de Bourriot</h2>",
    ];
    let positions: Vec<usize> = names
        .iter()
        .map(|n| page.find(n).unwrap_or_else(|| panic!("{n} in {page}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{positions:?}: {page}"
    );
    let ecoles = &page[positions[3]..positions[4]];
    for shown in [
        "Laruscade",
        "Fête, Sport",
        "mailto:ecoles@laruscade.example",
        "05 57 00 00 01",
        "tel:0557000001",
        "href=\"https://ecoles.laruscade.example/\"",
        "webcal://",
        "/feeds/ecoles-musique.ics",
        "samedi 12 décembre 2026",
        "Audition de Noël",
        "Concert du Nouvel An",
        "Portes ouvertes",
        "Courriel\u{202f}:",
    ] {
        assert!(ecoles.contains(shown), "{shown:?} not in {ecoles}");
    }
    assert!(!ecoles.contains("Concert de printemps"), "three at most");
    assert!(
        !ecoles.contains("Audition passée"),
        "past events are not next"
    );
    let amicale = &page[positions[0]..positions[1]];
    assert!(amicale.contains("amicale@arue.example"), "{amicale}");
    assert!(amicale.contains("Arue"), "{amicale}");
}

// ---------------------------------------------------------------------
// Conflicts calendars.

/// Sync-collection with calendar-data: every calendar-data of a calendar.
fn calendar_data(server: &Server, login: &str, collection: &str) -> Vec<String> {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#;
    let text = server
        .as_user(login, "REPORT", collection)
        .header("Depth", "1")
        .xml(body)
        .send()
        .expect(207)
        .text();
    text.split("<C:calendar-data>")
        .skip(1)
        .map(|chunk| {
            chunk
                .split("</C:calendar-data>")
                .next()
                .unwrap()
                .replace("&#13;", "\r")
                .replace("&apos;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
                // Unfolded, and text unescaped enough to read.
                .replace("\r\n ", "")
                .replace("\\n", "\n")
                .replace("\\,", ",")
                .replace("\\;", ";")
        })
        .collect()
}

/// Two organisers at the Laruscade hall on Saturday 13 February 2027 at
/// 20:00 and 20:30 Paris time; a third in the hall while it is closed.
fn clashing() -> Server {
    let server = Server::start_with(TERRITORY);
    cli(
        &server,
        &[
            "organiser",
            "add",
            "asso-c",
            "--name",
            "Amicale laïque",
            "--commune",
            "laruscade",
            "--password-stdin",
        ],
    );
    cli(
        &server,
        &[
            "organiser",
            "set",
            "asso-b",
            "--email",
            "fcb@bourriot.example",
        ],
    );
    let hall = "LOCATION:Salle des fêtes de Laruscade";
    put_event(
        &server,
        "asso-a",
        "loto",
        event_with(
            "loto@asso-a",
            "Loto",
            "20270213T190000Z",
            "20270213T220000Z",
            &[hall],
        ),
    );
    put_event(
        &server,
        "asso-b",
        "bal",
        event_with(
            "bal@asso-b",
            "Bal",
            "20270213T193000Z",
            "20270213T223000Z",
            &[hall],
        ),
    );
    put_event(
        &server,
        "asso-c",
        "theatre",
        event_with(
            "theatre@asso-c",
            "Théâtre",
            "20270410T183000Z",
            "20270410T210000Z",
            &[hall],
        ),
    );
    server
}

#[test]
fn conflits_calendars_write_dates_in_french() {
    let server = clashing();
    let events = calendar_data(&server, "asso-a", "/dav/calendars/asso-a/conflits/");
    assert_eq!(events.len(), 1, "{events:?}");
    let text = &events[0];
    assert!(
        text.contains("Votre événement : Loto, samedi 13 février 2027 à 20 h."),
        "{text}"
    );
    assert!(
        text.contains("Autre événement : Bal, samedi 13 février 2027 de 20 h 30 à 23 h 30."),
        "{text}"
    );
    assert!(
        text.contains("Même lieu au même moment : Salle des fêtes, Laruscade"),
        "{text}"
    );
    assert!(!text.contains("2027-02-13T"), "no raw timestamps: {text}");
    // The closed hall: named with its commune, nothing to agree with.
    let closed = calendar_data(&server, "asso-c", "/dav/calendars/asso-c/conflits/");
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(
        closed[0]
            .contains("Salle des fêtes, Laruscade : fermeture du 1er au 30 avril 2027 (travaux)"),
        "{}",
        closed[0]
    );
    assert!(
        closed[0].contains("Votre événement : Théâtre, samedi 10 avril 2027 à 20 h 30."),
        "{}",
        closed[0]
    );
    assert!(!closed[0].contains("/04/2027"), "{}", closed[0]);
}

#[test]
fn staff_have_a_conflits_calendar_with_every_conflict() {
    let server = clashing();
    // In the staff home, where calendar apps look.
    let home = server
        .as_user("staff", "PROPFIND", "/dav/calendars/staff/")
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .expect(207)
        .text();
    assert!(home.contains("/dav/calendars/staff/conflits/"), "{home}");
    let mine = "/dav/calendars/staff/conflits/";
    let events = calendar_data(&server, "staff", mine);
    assert_eq!(
        events.len(),
        2,
        "both conflicts of the territory: {events:?}"
    );
    let same_hall = events
        .iter()
        .find(|e| e.contains("Même lieu"))
        .expect("the hall conflict");
    for shown in [
        "SUMMARY:Conflit : Loto (Comité des fêtes d'Arue) / Bal (Football club de Bourriot)",
        "Loto, samedi 13 février 2027 de 20 h à 23 h.",
        "Bal, samedi 13 février 2027 de 20 h 30 à 23 h 30.",
        "courriel fcb@bourriot.example",
        "concord acknowledge meme-lieu:",
        // Spanning both events.
        "DTSTART:20270213T190000Z",
        "DTEND:20270213T223000Z",
    ] {
        assert!(same_hall.contains(shown), "{shown:?} not in {same_hall}");
    }
    assert!(events
        .iter()
        .any(|e| e.contains("fermeture du 1er au 30 avril 2027")));
    // The conflicts API takes the pages' names too (`organisateur`, `du`).
    let keys = |query: &str| {
        let text = server
            .as_user("staff", "GET", &format!("/api/conflicts?{query}"))
            .send()
            .expect(200)
            .text();
        text.matches("\"key\":").count()
    };
    assert_eq!(keys("from=2027-01-01&to=2027-12-31"), 2);
    assert_eq!(keys("du=2027-01-01&au=2027-12-31&organisateur=asso-c"), 1);
    assert_eq!(keys("du=2027-03-01&au=2027-12-31"), 1);
    // Read-only, and not for organisers.
    server
        .as_user("staff", "PUT", &format!("{mine}x.ics"))
        .ics(&event("x", "x", "20270101T100000Z", "20270101T110000Z"))
        .send()
        .expect(403);
    let refused = server
        .as_user("asso-a", "PROPFIND", mine)
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send();
    assert_eq!(refused.status, 403, "{}", refused.text());
}

// ---------------------------------------------------------------------
// Typography.

#[test]
fn pages_use_narrow_no_break_spaces_in_their_own_text() {
    let server = Server::start_with(TERRITORY);
    put_event(
        &server,
        "asso-a",
        "fete",
        event_with(
            "fete@asso-a",
            "Quiz : qui sait ?",
            "20270312T180000Z",
            "20270312T220000Z",
            &["LOCATION:Place du marché"],
        ),
    );
    let page = server.request("GET", PAGE_MARCH).send().expect(200).text();
    for typeset in [
        "Lieu\u{202f}:",
        "Organisé par\u{202f}:",
        "«\u{202f}s'abonner\u{202f}»",
    ] {
        assert!(page.contains(typeset), "{typeset:?} not in {page}");
    }
    for plain in ["Lieu :", "Organisé par :", "« s'abonner »"] {
        assert!(!page.contains(plain), "{plain:?} in {page}");
    }
    // What organisers typed is left as they typed it.
    assert!(page.contains("Quiz : qui sait ?"), "{page}");
}
