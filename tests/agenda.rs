//! The quarterly agenda over real HTTP: the public page and its print
//! versions (cover, months and days, communes, categories, regular series,
//! cancelled events, organisers' index, print CSS), and in the desk the
//! marks for the cover and the day's order, the exports (CSV, XLSX) and
//! what changed since the last export. (Printing to PDF in Chromium is
//! tests/browser/test_desk.py's.)

mod common;

use common::web::{location, values_of, WebClient};
use common::*;

const TERRITORY: &str = r#"
[feeds]
territory_name = "Communauté de communes du Pays d'Arue"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot"
name = "Bourriot-Bergonce"
[[categories]]
slug = "fete"
name = "Fêtes et animations"
[[categories]]
slug = "sport"
name = "Sport"
"#;

fn with(extra: &str, uid: &str, summary: &str, start: &str, end: &str) -> String {
    String::from_utf8(event(uid, summary, start, end))
        .unwrap()
        .replace("SUMMARY:", &format!("{extra}SUMMARY:"))
}

/// A quarter of events: two the same day, one cancelled, one private, a
/// weekly series, one in the next quarter.
fn quarter() -> Server {
    let server = Server::start_with(TERRITORY);
    let out = cli_output(
        &server.config_path(),
        &[
            "organiser",
            "set",
            "asso-b",
            "--email",
            "foot@bourriot.example",
            "--phone",
            "05 58 11 22 33",
        ],
        "",
    );
    assert!(out.status.success());
    put_event(
        &server,
        "asso-a",
        "fete",
        with(
            "CATEGORIES:Fêtes et animations\r\nLOCATION:Place de Bourriot-Bergonce\r\n",
            "fete",
            "Fête de la galette",
            "20270116T140000Z",
            "20270116T180000Z",
        ),
    );
    put_event(
        &server,
        "asso-b",
        "match",
        with(
            "CATEGORIES:Sport\r\n",
            "match",
            "Match de gala",
            "20270116T190000Z",
            "20270116T210000Z",
        ),
    );
    put_event(
        &server,
        "asso-a",
        "bal",
        with(
            "STATUS:CANCELLED\r\n",
            "bal",
            "Bal masqué",
            "20270220T200000Z",
            "20270220T230000Z",
        ),
    );
    put_event(
        &server,
        "asso-a",
        "secret",
        with(
            "CLASS:PRIVATE\r\n",
            "secret",
            "Réunion du bureau",
            "20270210T180000Z",
            "20270210T200000Z",
        ),
    );
    put_event(
        &server,
        "asso-b",
        "gym",
        with(
            "RRULE:FREQ=WEEKLY;COUNT=10\r\nCATEGORIES:Sport\r\n",
            "gym",
            "Gym douce",
            "20270105T173000Z",
            "20270105T190000Z",
        ),
    );
    put_event(
        &server,
        "asso-a",
        "printemps",
        with(
            "",
            "printemps",
            "Fête du printemps",
            "20270410T140000Z",
            "20270410T180000Z",
        ),
    );
    server
}

#[test]
fn the_quarter_lists_public_events_by_month_and_day() {
    let server = quarter();
    let page = server
        .request("GET", "/agenda/trimestre/2027-T1")
        .send()
        .expect(200)
        .text();
    for seen in [
        "Agenda du 1er trimestre 2027",
        "janvier 2027",
        "samedi 16 janvier 2027",
        "Fête de la galette",
        "Match de gala",
        "<span class=\"categorie\">Fêtes et animations</span>",
        "<span class=\"categorie\">Sport</span>",
        "Bourriot-Bergonce",
        "Annulé\u{202f}:</span> Bal masqué",
        "Rendez-vous réguliers",
        "chaque mardi, 18 h 30 – 20 h, du 5 janvier au 9 mars 2027",
        "Les organisateurs",
        "foot@bourriot.example",
        "05 58 11 22 33",
        "/agenda/trimestre/2027-T1/a4",
        "/agenda/trimestre/2027-T1/a5",
    ] {
        assert!(page.contains(seen), "{seen}: {page}");
    }
    assert!(
        !page.contains("Réunion du bureau"),
        "private events stay private"
    );
    assert!(!page.contains("Fête du printemps"), "next quarter");
    assert_eq!(
        page.matches("Gym douce").count(),
        1,
        "a series is listed once"
    );
    // The galette (15 h) comes before the match (20 h) on the 16th.
    assert!(page.find("Fête de la galette").unwrap() < page.find("Match de gala").unwrap());
    server
        .request("GET", "/agenda/trimestre/2027-T5")
        .send()
        .expect(404);
    server
        .request("GET", "/agenda/trimestre/2027-T1/a3")
        .send()
        .expect(404);
}

#[test]
fn print_versions_have_a_cover_and_their_paper() {
    let server = quarter();
    for (format, paper) in [("a4", "size:A4"), ("a5", "size:A5")] {
        let page = server
            .request("GET", &format!("/agenda/trimestre/2027-T1/{format}"))
            .send()
            .expect(200)
            .text();
        for seen in [
            &format!("<body class=\"impression {format}\">"),
            "<link rel=\"stylesheet\" href=\"/static/agenda.css\">",
            "<p class=\"territoire\">Communauté de communes du Pays d&#39;Arue</p>",
            "1er trimestre 2027",
            "janvier – mars 2027",
            "Fête de la galette",
            "Les organisateurs",
        ] {
            assert!(page.contains(seen), "{format}: {seen}: {page}");
        }
        let css = server
            .request("GET", "/static/agenda.css")
            .send()
            .expect(200)
            .text();
        assert!(css.contains(&format!("@page {format}{{{paper}")), "{css}");
        assert!(css.contains("counter(page)"), "page numbers");
    }
}

/// The marks form of a month and its events' ids.
fn marks_form(staff: &mut WebClient, month: u32) -> (String, Vec<String>) {
    let page = staff
        .get(&format!("/gestion/agenda/2027-T1?mois={month}"))
        .expect(200)
        .text();
    let ids = values_of(&page, "ids")[0]
        .split(',')
        .map(str::to_owned)
        .collect();
    (page, ids)
}

#[test]
fn staff_put_events_forward_and_order_a_day() {
    let server = quarter();
    let mut staff = WebClient::signed_in(&server, "staff");
    let (page, ids) = marks_form(&mut staff, 1);
    assert!(
        page.contains("Fête de la galette") && page.contains("Gym douce"),
        "{page}"
    );
    assert_eq!(ids.len(), 3, "galette, match, gym: {ids:?}");
    let titles = ["Fête de la galette", "Match de gala", "Gym douce"];
    // Ids come in the page's order, as do the titles found.
    let order_of = |title: &str| {
        let at = page.find(title).unwrap();
        let mut sorted: Vec<usize> = titles.iter().map(|t| page.find(t).unwrap()).collect();
        sorted.sort();
        ids[sorted.iter().position(|p| *p == at).unwrap()].clone()
    };
    let (galette, matchday) = (order_of("Fête de la galette"), order_of("Match de gala"));
    // The print version is rendered once between two changes; the marks
    // are a change.
    for source in ["miss", "hit"] {
        let a4 = server
            .request("GET", "/agenda/trimestre/2027-T1/a4")
            .send()
            .expect(200);
        assert_eq!(a4.header("x-concord-cache"), Some(source));
        assert!(!a4.text().contains("À la une"), "nothing put forward yet");
    }
    let ids_field = ids.join(",");
    let avant = format!("avant-{matchday}");
    let ordre_match = format!("ordre-{matchday}");
    let ordre_galette = format!("ordre-{galette}");
    let done = staff
        .post(
            "/gestion/agenda/2027-T1",
            &[
                ("action", "marques"),
                ("ids", &ids_field),
                ("mois", "1"),
                (&avant, "oui"),
                (&ordre_match, "-1"),
                (&ordre_galette, "0"),
            ],
        )
        .expect(303);
    assert_eq!(
        location(&done),
        "/gestion/agenda/2027-T1?mois=1&fait=marques"
    );
    let cover = server
        .request("GET", "/agenda/trimestre/2027-T1/a4")
        .send()
        .expect(200)
        .text();
    let une = &cover[cover.find("À la une").expect("a cover list")..];
    assert!(une.contains("Match de gala"), "{cover}");
    let body = &cover[cover.find("<main").unwrap()..];
    assert!(
        body.find("Match de gala").unwrap() < body.find("Fête de la galette").unwrap(),
        "ordered first in its day: {body}"
    );
    staff
        .post(
            "/gestion/agenda/2027-T1",
            &[
                ("action", "marques"),
                ("ids", &ids_field),
                (&ordre_match, "mille"),
            ],
        )
        .expect(400);
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(journal.contains("mise en avant ou ordre"), "{journal}");
}

#[test]
fn exports_for_the_print_shop_and_what_changed_since() {
    let server = quarter();
    let mut staff = WebClient::signed_in(&server, "staff");
    let changes = staff
        .get("/gestion/agenda/2027-T1/changements")
        .expect(200)
        .text();
    assert!(changes.contains("pas encore été exporté"), "{changes}");
    let csv = staff
        .post("/gestion/agenda/2027-T1/export", &[("format", "csv")])
        .expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("agenda-2027-T1.csv"));
    assert!(csv.body.starts_with("\u{feff}".as_bytes()));
    let text = csv.text();
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        lines[0].starts_with("\"Date\";\"Jour\";\"Heure\";\"Titre\""),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines.len(),
        1 + 4,
        "galette, match, bal, gym (once): {text}"
    );
    assert!(
        text.contains(
            "\"2027-01-16\";\"samedi 16 janvier 2027\";\"15 h – 19 h\";\"Fête de la galette\""
        ),
        "{text}"
    );
    assert!(text.contains("\"annulé\""), "{text}");
    assert!(text.contains("\"régulier (10 dates)\""), "{text}");
    assert!(!text.contains("Réunion du bureau"));
    let xlsx = staff
        .post("/gestion/agenda/2027-T1/export", &[("format", "xlsx")])
        .expect(200);
    assert_eq!(
        xlsx.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(xlsx.body.starts_with(b"PK\x03\x04"), "a zip container");
    let names = String::from_utf8_lossy(&xlsx.body);
    assert!(
        names.contains("xl/worksheets/sheet1.xml"),
        "an XLSX workbook"
    );
    staff
        .post("/gestion/agenda/2027-T1/export", &[("format", "pdf")])
        .expect(400);
    let unchanged = staff
        .get("/gestion/agenda/2027-T1/changements")
        .expect(200)
        .text();
    assert!(unchanged.contains("Rien n'a changé"), "{unchanged}");
    // A new event, a changed one, a deleted one.
    put_event(
        &server,
        "asso-a",
        "fete",
        with(
            "CATEGORIES:Fêtes et animations\r\nLOCATION:Place de Bourriot-Bergonce\r\n",
            "fete",
            "Fête de la galette des rois",
            "20270116T140000Z",
            "20270116T180000Z",
        ),
    );
    put_event(
        &server,
        "asso-b",
        "loto",
        with(
            "",
            "loto",
            "Loto de mars",
            "20270313T190000Z",
            "20270313T220000Z",
        ),
    );
    server
        .as_user("asso-b", "DELETE", "/dav/calendars/asso-b/main/match.ics")
        .send()
        .expect(204);
    let changed = staff
        .get("/gestion/agenda/2027-T1/changements")
        .expect(200)
        .text();
    for seen in [
        "Modifié",
        "Fête de la galette des rois",
        "Nouveau",
        "Loto de mars",
        "Retiré",
        "Match de gala",
    ] {
        assert!(changed.contains(seen), "{seen}: {changed}");
    }
    assert!(changed.contains("3 ligne(s) à revoir"), "{changed}");
    let journal = staff
        .get("/gestion/journal?action=agenda-export")
        .expect(200)
        .text();
    assert!(
        journal.contains("4 ligne(s), CSV") && journal.contains("XLSX"),
        "{journal}"
    );
}
