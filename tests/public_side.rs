//! The residents' side over real HTTP: event pages, the agenda's filters,
//! search and periods, the services page, the widget and its snippet
//! page, the RSS and JSON feeds, and privacy across every output.

mod common;
use common::*;

const TERRITORY: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot"
name = "Bourriot-Bergonce"
[[categories]]
slug = "fete"
name = "Fêtes et animations"
aliases = ["fête", "loto"]
[[categories]]
slug = "sport"
name = "Sport"
"#;

/// A VEVENT with extra lines before its SUMMARY.
fn event_with(uid: &str, summary: &str, start: &str, end: &str, extra: &[&str]) -> Vec<u8> {
    let lines: String = extra.iter().map(|l| format!("{l}\r\n")).collect();
    String::from_utf8(event(uid, summary, start, end))
        .unwrap()
        .replace("SUMMARY:", &format!("{lines}SUMMARY:"))
        .into_bytes()
}

fn cli(server: &Server, args: &[&str]) {
    let out = cli_output(&server.config_path(), args, "");
    assert!(out.status.success(), "{args:?}: {out:?}");
}

fn get(server: &Server, path: &str) -> Response {
    server.request("GET", path).send()
}

fn text_of(server: &Server, path: &str) -> String {
    get(server, path).expect(200).text()
}

/// The territory with a few events: a loto at Arue (asso-a, with a
/// description holding links), a football match at Bourriot (asso-b).
fn territory() -> Server {
    let server = Server::start_with(TERRITORY);
    cli(
        &server,
        &[
            "organiser",
            "set",
            "asso-a",
            "--commune",
            "arue",
            "--email",
            "contact@comite-arue.fr",
            "--phone",
            "05 56 00 00 00",
        ],
    );
    cli(
        &server,
        &["organiser", "set", "asso-b", "--commune", "bourriot"],
    );
    put_event(
        &server,
        "asso-a",
        "loto",
        event_with(
            "loto-2027@asso-a",
            "Grand loto",
            "20270306T193000Z",
            "20270306T220000Z",
            &[
                "LOCATION:Salle des fêtes d'Arue",
                "CATEGORIES:Loto",
                "DESCRIPTION:Inscriptions sur https://example.org/loto?x=1&y=2. Pas de <script>alert(1)</script> ni javascript:alert(2)\\nBuvette.",
            ],
        ),
    );
    put_event(
        &server,
        "asso-b",
        "match",
        event_with(
            "match-1",
            "Match de football",
            "20261129T140000Z",
            "20261129T160000Z",
            &["LOCATION:Stade, Bourriot", "CATEGORIES:Sport"],
        ),
    );
    server
}

/// The JSON-LD of an event page, parsed.
fn json_ld(page: &str) -> serde_json::Value {
    let start = page
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + "<script type=\"application/ld+json\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let text = &page[start..end];
    assert!(!text.contains('<'), "nothing may close the script: {text}");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn an_event_page_says_when_where_who_in_words_with_schema_org_data() {
    let server = territory();
    let page = text_of(&server, "/evenements/loto-2027%40asso-a");
    assert!(
        page.contains("Samedi 6 mars 2027, de 20 h 30 à 23 h"),
        "{page}"
    );
    for shown in [
        "<h1>Grand loto</h1>",
        "Salle des fêtes d&#39;Arue",
        "<dd>Arue</dd>",
        "Fêtes et animations",
        "Comité des fêtes d&#39;Arue",
        "mailto:contact@comite-arue.fr",
        "tel:0556000000",
        // The description: web addresses are links, the rest is text.
        "<a href=\"https://example.org/loto?x=1&#38;y=2\">",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
        "<br>Buvette.",
        "href=\"/evenements/loto-2027@asso-a/evenement.ics\"",
        "value=\"http://127.0.0.1:5232/evenements/loto-2027@asso-a\"",
    ] {
        assert!(page.contains(shown), "{shown:?} not in {page}");
    }
    assert!(!page.contains("href=\"javascript"), "{page}");
    assert!(!page.contains("Cet événement est annulé"));
    let data = json_ld(&page);
    assert_eq!(data["@context"], "https://schema.org");
    assert_eq!(data["@type"], "Event");
    assert_eq!(data["name"], "Grand loto");
    assert_eq!(data["startDate"], "2027-03-06T20:30:00+01:00");
    assert_eq!(data["endDate"], "2027-03-06T23:00:00+01:00");
    assert_eq!(data["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        data["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(data["location"]["@type"], "Place");
    assert_eq!(data["location"]["name"], "Salle des fêtes d'Arue");
    assert_eq!(data["location"]["address"]["addressLocality"], "Arue");
    assert_eq!(data["organizer"][0]["name"], "Comité des fêtes d'Arue");
    assert_eq!(data["organizer"][0]["email"], "contact@comite-arue.fr");
    assert!(data["description"]
        .as_str()
        .unwrap()
        .contains("<script>alert(1)</script>"));
    // "Ajouter à mon agenda": the feeds' form of the event, alone.
    let file = get(&server, "/evenements/loto-2027%40asso-a/evenement.ics").expect(200);
    assert_eq!(
        file.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let text = file.text();
    for line in [
        "BEGIN:VCALENDAR\r\n",
        "UID:loto-2027@asso-a\r\n",
        "SUMMARY:Grand loto\r\n",
        "URL:http://127.0.0.1:5232/evenements/loto-2027@asso-a\r\n",
        "ORGANIZER;CN=Comité des fêtes d'Arue:mailto:contact@comite-arue.fr\r\n",
    ] {
        assert!(text.contains(line), "{line:?} not in {text}");
    }
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1);
    // The agenda and the directory link to it.
    let agenda = text_of(&server, "/?du=2027-03-01&au=2027-03-31");
    assert!(
        agenda.contains("href=\"/evenements/loto-2027@asso-a\""),
        "{agenda}"
    );
    let directory = text_of(&server, "/associations");
    assert!(directory.contains("href=\"/evenements/loto-2027@asso-a\""));
    // And the feeds' URL property points at it.
    let feed = text_of(&server, "/feeds/intercommunal.ics");
    assert!(feed.contains("URL:http://127.0.0.1:5232/evenements/match-1\r\n"));
}

#[test]
fn recurring_events_have_a_page_per_date_and_cancelled_ones_say_so() {
    let server = territory();
    put_event(
        &server,
        "asso-a",
        "gym",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:gym\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:20261201T180000\r\nDTEND;TZID=Europe/Paris:20261201T190000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Gym douce\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:gym\r\nDTSTAMP:20261101T120000Z\r\nRECURRENCE-ID;TZID=Europe/Paris:20261208T180000\r\nDTSTART;TZID=Europe/Paris:20261208T180000\r\nDTEND;TZID=Europe/Paris:20261208T190000\r\nSTATUS:CANCELLED\r\nSUMMARY:Gym douce\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".as_bytes(),
    );
    let agenda = text_of(&server, "/");
    assert!(
        agenda.contains("href=\"/evenements/gym/2026-12-01\""),
        "{agenda}"
    );
    let first = text_of(&server, "/evenements/gym/2026-12-01");
    assert!(
        first.contains("Mardi 1er décembre 2026, de 18 h à 19 h"),
        "{first}"
    );
    assert!(first.contains("Prochaines dates"));
    for later in ["2026-12-08", "2026-12-15", "2026-12-22"] {
        assert!(
            first.contains(&format!("href=\"/evenements/gym/{later}\"")),
            "{later} not in {first}"
        );
    }
    assert!(first.contains("(annulé)"), "the cancelled date is marked");
    let cancelled = text_of(&server, "/evenements/gym/2026-12-08");
    assert!(
        cancelled.contains("Cet événement est annulé"),
        "{cancelled}"
    );
    assert_eq!(
        json_ld(&cancelled)["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    // Without a date: the next one.
    let next = text_of(&server, "/evenements/gym");
    assert!(next.contains("Mardi 1er décembre 2026"), "{next}");
    // A date the series does not have, or nonsense: 404.
    get(&server, "/evenements/gym/2026-12-02").expect(404);
    get(&server, "/evenements/gym/demain").expect(404);
    get(&server, "/evenements/gym/2026-12-01/x").expect(404);
}

#[test]
fn private_and_unknown_events_are_the_same_404() {
    let server = territory();
    put_event(
        &server,
        "asso-a",
        "bureau",
        event_with(
            "bureau",
            "Réunion du bureau",
            "20261201T180000Z",
            "20261201T200000Z",
            &["CLASS:PRIVATE"],
        ),
    );
    let private = get(&server, "/evenements/bureau").expect(404).text();
    let unknown = get(&server, "/evenements/nobody").expect(404).text();
    assert_eq!(private, unknown, "no trace of the private event");
    assert!(!private.contains("Réunion"));
    get(&server, "/evenements/bureau/evenement.ics").expect(404);
    get(&server, "/evenements/bureau/2026-12-01").expect(404);
    // An organiser who stops publishing takes its pages down too.
    get(&server, "/evenements/match-1").expect(200);
    cli(
        &server,
        &["organiser", "set", "asso-b", "--publishes", "false"],
    );
    eventually("the page goes", || {
        let status = get(&server, "/evenements/match-1").status;
        (status != 404).then(|| status.to_string())
    });
}

#[test]
fn the_agenda_shows_a_week_with_shortcuts_filters_and_its_subscription() {
    let server = territory();
    put_event(
        &server,
        "asso-a",
        "marche",
        event_with(
            "marche",
            "Marché de Noël",
            "20261212T090000Z",
            "20261212T170000Z",
            &["LOCATION:Place de l'église, Arue"],
        ),
    );
    // Today is Saturday 28 November 2026: the week runs to 4 December.
    let week = text_of(&server, "/");
    assert!(week.contains("du 28 novembre au 4 décembre 2026"), "{week}");
    assert!(week.contains("Match de football"));
    assert!(!week.contains("Marché de Noël"), "two weeks ahead");
    assert!(week.contains("href=\"/?du=2026-12-05\" rel=\"next\">Semaine suivante"));
    let later = text_of(&server, "/?du=2026-12-12");
    assert!(later.contains("Marché de Noël"));
    for shortcut in [
        "href=\"/?du=2026-11-28&#38;au=2026-11-28\">Aujourd&#39;hui",
        "href=\"/?du=2026-11-28&#38;au=2026-11-29\">Ce week-end",
        "href=\"/?du=2026-11-28&#38;au=2026-11-30\">Ce mois-ci",
    ] {
        assert!(week.contains(shortcut), "{shortcut} not in {week}");
    }
    // Filters, kept in every link and in the subscription.
    let arue = text_of(&server, "/?commune=arue&du=2026-11-01&au=2027-03-31");
    assert!(arue.contains("Grand loto") && arue.contains("Marché de Noël"));
    assert!(!arue.contains("Match de football"));
    for link in [
        "webcal://127.0.0.1:5232/feeds/intercommunal.ics?commune=arue",
        "http://127.0.0.1:5232/feeds/intercommunal.rss?commune=arue",
        "http://127.0.0.1:5232/api/public/events?commune=arue",
        "/partager?commune=arue",
        "Dans Google Agenda",
        "Dans Outlook",
        "«\u{202f}À partir de l'URL\u{202f}»",
    ] {
        assert!(arue.contains(link), "{link} not in {arue}");
    }
    let sport = text_of(&server, "/?categorie=sport&du=2026-11-01&au=2027-03-31");
    assert!(sport.contains("Match de football") && !sport.contains("Grand loto"));
    let by_b = text_of(&server, "/?organisateur=asso-b&du=2026-11-01&au=2027-03-31");
    assert!(by_b.contains("Match de football") && !by_b.contains("Grand loto"));
    let searched = text_of(&server, "/?q=noel&du=2026-11-01&au=2027-03-31");
    assert!(searched.contains("Marché de Noël") && !searched.contains("Grand loto"));
    assert!(searched.contains("feeds/intercommunal.ics?q=noel"));
    // Unknown values: 400 naming the valid ones.
    for (query, valid) in [
        ("commune=paris", "arue, bourriot"),
        ("categorie=theatre", "fete, sport"),
        ("organisateur=nobody", "asso-a, asso-b"),
    ] {
        let refused = get(&server, &format!("/?{query}")).expect(400).text();
        assert!(refused.contains(valid), "{query}: {refused}");
    }
    get(&server, "/?du=2026-13-01").expect(400);
    // The text version reads in sentences.
    let text = text_of(&server, "/agenda/texte?du=2026-11-01&au=2027-03-31");
    assert!(text.contains("Version texte") || text.contains("version texte"));
    assert!(
        text.contains("De 20 h 30 à 23 h\u{202f}: <a href=\"/evenements/loto-2027@asso-a\">Grand loto</a>. Lieu\u{202f}: Salle des fêtes d&#39;Arue. Organisé par Comité des fêtes d&#39;Arue."),
        "{text}"
    );
    assert_eq!(
        text_of(&server, "/?version=texte&du=2026-11-01&au=2027-03-31"),
        text
    );
}

#[test]
fn anonymous_pages_come_from_the_cache_until_the_data_changes() {
    let server = territory();
    // The command-line tools set up part of the territory.
    after_outside_writes(&server, "/?du=2026-11-01&au=2027-03-31", "asso-a", "Comité");
    eventually("a cached answer", || {
        let source = get(&server, "/")
            .expect(200)
            .header("x-concord-cache")
            .map(str::to_owned);
        (source.as_deref() != Some("hit")).then(|| format!("{source:?}"))
    });
    let again = get(&server, "/").expect(200);
    assert_eq!(again.header("x-concord-cache"), Some("hit"));
    let etag = again.header("etag").unwrap().to_owned();
    server
        .request("GET", "/")
        .header("If-None-Match", &etag)
        .send()
        .expect(304);
    // So are the directory and the quarterly agenda (large pages that
    // read a year or a quarter of every organiser's events).
    let kept = ["/associations", "/agenda/trimestre/2026-T4"];
    for path in kept {
        get(&server, path).expect(200);
        let again = get(&server, path).expect(200);
        assert_eq!(again.header("x-concord-cache"), Some("hit"), "{path}");
    }
    put_event(
        &server,
        "asso-a",
        "new",
        event("new", "Soirée jeux", "20261130T180000Z", "20261130T200000Z"),
    );
    let changed = get(&server, "/").expect(200);
    assert!(changed.text().contains("Soirée jeux"));
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    for path in kept {
        let changed = get(&server, path).expect(200);
        assert_eq!(changed.header("x-concord-cache"), Some("miss"), "{path}");
    }
    let quarter = get(&server, "/agenda/trimestre/2026-T4").expect(200).text();
    assert!(quarter.contains("Soirée jeux"), "{quarter}");
}

#[test]
fn search_ignores_case_and_accents_and_never_reads_typed_syntax() {
    let server = territory();
    put_event(
        &server,
        "asso-a",
        "musique",
        event_with(
            "musique",
            "Fête de la musique",
            "20261201T170000Z",
            "20261201T210000Z",
            &[
                "DESCRIPTION:Concert des élèves",
                "LOCATION:Église Saint-Jean",
            ],
        ),
    );
    let window = "du=2026-11-01&au=2027-03-31";
    let found = |q: &str| {
        let answer = get(&server, &format!("/?q={q}&{window}"));
        assert_eq!(answer.status, 200, "q={q}: {}", answer.text());
        let text = answer.text();
        (
            text.contains("Fête de la musique"),
            text.contains("Grand loto"),
        )
    };
    // Title, description, place, organiser; any case, any accents.
    for q in [
        "F%C3%8ATE+MUSIQUE",
        "fete+musique",
        "MUSIQUE",
        "musiq",
        "eleves",
        "%C3%A9glise",
        "eglise+saint",
    ] {
        assert_eq!(found(q), (true, false), "q={q}");
    }
    // "Comité des fêtes d'Arue" organises both.
    assert_eq!(found("comite"), (true, true), "the organiser's name");
    assert_eq!(found("f%C3%AAtes"), (true, true));
    // FTS5 syntax is only text, never a 500.
    for q in [
        "%22",
        "%22f%C3%AAte",
        "fete*",
        "*",
        "NEAR(fete+musique)",
        "NEAR",
        "-fete",
        "-",
        "fete+OR+loto",
        "(",
        ":",
        "title:fete",
        "%22%22%22",
        "AND",
        "%5E",
    ] {
        for path in [
            format!("/?q={q}&{window}"),
            format!("/feeds/intercommunal.ics?q={q}"),
            format!("/feeds/intercommunal.rss?q={q}"),
            format!("/api/public/events?q={q}&{window}"),
            format!("/widget?q={q}"),
            format!("/agenda/texte?q={q}"),
        ] {
            let status = get(&server, &path).status;
            assert_eq!(status, 200, "{path}");
        }
    }
    assert_eq!(
        found("fete+OR+musique"),
        (false, false),
        "OR is a word here"
    );
    assert_eq!(found("-musique"), (true, false), "- is not a negation");
    // The feeds take the search too.
    let ics = text_of(&server, "/feeds/intercommunal.ics?q=musique");
    assert!(ics.contains("SUMMARY:Fête de la musique") && !ics.contains("Grand loto"));
    // Renaming an organiser and deleting an event keep the index in step.
    cli(
        &server,
        &[
            "organiser",
            "rename",
            "asso-b",
            "--name",
            "Union sportive Bourriotaise",
        ],
    );
    eventually("the new name is found", || {
        let text = text_of(&server, &format!("/?q=bourriotaise&{window}"));
        (!text.contains("Match de football")).then(|| "not found".into())
    });
    server
        .as_user("asso-a", "DELETE", "/dav/calendars/asso-a/main/musique.ics")
        .send()
        .expect(204);
    assert_eq!(found("musique"), (false, false));
}

#[test]
fn no_output_shows_private_events_attendees_or_alarms() {
    let server = territory();
    put_event(
        &server,
        "asso-a",
        "prive",
        event_with(
            "prive-1",
            "Secretissime réunion",
            "20261130T180000Z",
            "20261130T200000Z",
            &["CLASS:PRIVATE", "DESCRIPTION:secretissime ordre du jour"],
        ),
    );
    put_event(
        &server,
        "asso-b",
        "tournoi",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:tournoi\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20261201T140000Z\r\nDTEND:20261201T170000Z\r\nSUMMARY:Tournoi de sixte\r\nORGANIZER;CN=Paul:mailto:paul.secretissime@asso.test\r\nATTENDEE;CN=Jeanne:mailto:jeanne.secretissime@asso.test\r\nX-MOZ-NOTE:secretissime note\r\nCOMMENT:secretissime commentaire\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:secretissime rappel\r\nTRIGGER:-PT1H\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".as_bytes(),
    );
    let window = "du=2026-11-01&au=2027-03-31";
    let outputs = [
        "/".to_owned(),
        format!("/?{window}"),
        format!("/?q=sixte&{window}"),
        format!("/?q=tournoi&{window}"),
        format!("/agenda/texte?{window}"),
        "/evenements/tournoi".to_owned(),
        "/evenements/tournoi/evenement.ics".to_owned(),
        "/feeds/intercommunal.ics".to_owned(),
        "/feeds/intercommunal.ics?q=tournoi".to_owned(),
        "/feeds/asso-b.ics".to_owned(),
        "/feeds/intercommunal.rss".to_owned(),
        "/feeds/asso-b.rss".to_owned(),
        format!("/api/public/events?{window}"),
        "/widget?limite=50".to_owned(),
        "/services".to_owned(),
        "/associations".to_owned(),
        "/partager".to_owned(),
    ];
    let searched = text_of(&server, &format!("/?q=secretissime&{window}"));
    assert!(
        !searched.contains("Tournoi"),
        "attendees and alarms are not searched"
    );
    let mut public_seen = 0;
    for path in &outputs {
        let text = text_of(&server, path).to_lowercase();
        assert!(!text.contains("secretissime"), "{path}: {text}");
        assert!(!text.contains("asso.test"), "{path}: {text}");
        assert!(
            !text.contains("valarm") && !text.contains("attendee"),
            "{path}"
        );
        public_seen += usize::from(text.contains("tournoi"));
    }
    assert!(
        public_seen >= 10,
        "the public event is shown: {public_seen}"
    );
    let private = get(&server, "/evenements/prive-1").expect(404).text();
    assert!(!private.to_lowercase().contains("secretissime"));
}

/// Runs tests/validate_public.py with `args`; its output, or a panic with
/// the reason.
fn validate(args: &[&str]) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_public.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .expect("python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "validate_public.py {args:?}: {text}");
    text
}

#[test]
fn rss_reads_in_feedparser_with_stable_links_to_event_pages() {
    let server = territory();
    let answer = get(
        &server,
        "/feeds/intercommunal.rss?du=2026-11-01&au=2027-03-31",
    )
    .expect(200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    let file = server.dir.path().join("feed.rss");
    std::fs::write(&file, &answer.body).unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&validate(&["rss", file.to_str().unwrap()])).unwrap();
    assert_eq!(parsed["language"], "fr");
    let entries = parsed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{parsed}");
    assert_eq!(entries[0]["title"], "Match de football");
    assert_eq!(
        entries[0]["link"],
        "http://127.0.0.1:5232/evenements/match-1"
    );
    assert_eq!(entries[0]["id"], entries[0]["link"]);
    assert_eq!(
        entries[1]["link"],
        "http://127.0.0.1:5232/evenements/loto-2027@asso-a"
    );
    assert!(entries[1]["summary"]
        .as_str()
        .unwrap()
        .contains("Samedi 6 mars 2027"));
    // The feeds' filters, and their refusals.
    let arue = text_of(
        &server,
        "/feeds/intercommunal.rss?commune=arue&du=2026-11-01&au=2027-03-31",
    );
    assert!(arue.contains("Grand loto") && !arue.contains("Match de football"));
    let refused = get(&server, "/feeds/intercommunal.rss?commune=paris")
        .expect(400)
        .text();
    assert!(refused.contains("arue, bourriot"), "{refused}");
    get(&server, "/feeds/intercommunal.rss?ville=arue").expect(400);
    let mine = text_of(&server, "/feeds/asso-b.rss?du=2026-11-01&au=2027-03-31");
    assert!(mine.contains("Match de football") && !mine.contains("Grand loto"));
    get(&server, "/feeds/nobody.rss").expect(404);
    eventually("a cached feed", || {
        let again = get(
            &server,
            "/feeds/intercommunal.rss?du=2026-11-01&au=2027-03-31",
        );
        let source = again
            .expect(200)
            .header("x-concord-cache")
            .map(str::to_owned);
        (source.as_deref() != Some("hit")).then(|| format!("{source:?}"))
    });
}

#[test]
fn the_json_api_is_open_paged_cached_and_follows_its_schema() {
    let server = territory();
    let path = "/api/public/events?du=2026-11-01&au=2027-03-31&limit=1";
    let answer = get(&server, path).expect(200);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let schema =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/public-events.schema.json");
    let file = server.dir.path().join("events.json");
    std::fs::write(&file, &answer.body).unwrap();
    validate(&["json", schema.to_str().unwrap(), file.to_str().unwrap()]);
    let first: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(first["total"], 2);
    assert_eq!(first["events"][0]["id"], "match-1");
    assert_eq!(first["events"][0]["occurrenceId"], "match-1/2026-11-29");
    assert_eq!(first["events"][0]["start"], "2026-11-29T15:00:00+01:00");
    assert_eq!(first["events"][0]["commune"]["slug"], "bourriot");
    assert_eq!(first["events"][0]["categories"][0]["slug"], "sport");
    assert_eq!(first["events"][0]["status"], "confirmed");
    let next = first["next"].as_str().unwrap();
    let next_path = next.strip_prefix("http://127.0.0.1:5232").unwrap();
    let second = get(&server, next_path).expect(200);
    std::fs::write(&file, &second.body).unwrap();
    validate(&["json", schema.to_str().unwrap(), file.to_str().unwrap()]);
    let second: serde_json::Value = serde_json::from_slice(&second.body).unwrap();
    assert_eq!(second["events"][0]["id"], "loto-2027@asso-a");
    assert_eq!(
        second["events"][0]["organisers"][0]["email"],
        "contact@comite-arue.fr"
    );
    assert!(second["events"][0]["description"]
        .as_str()
        .unwrap()
        .contains("Buvette"));
    assert!(second["next"].is_null());
    // ETag and 304.
    let etag = answer.header("etag").unwrap().to_owned();
    let not_modified = server
        .request("GET", path)
        .header("If-None-Match", &etag)
        .send()
        .expect(304);
    assert_eq!(
        not_modified.header("access-control-allow-origin"),
        Some("*")
    );
    // Filters, refusals in JSON, preflight.
    let arue: serde_json::Value = serde_json::from_slice(
        &get(
            &server,
            "/api/public/events?commune=arue&du=2026-11-01&au=2027-03-31",
        )
        .expect(200)
        .body,
    )
    .unwrap();
    assert_eq!(arue["total"], 1);
    let refused = get(&server, "/api/public/events?category=theatre").expect(400);
    let refused: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
    assert!(refused["error"].as_str().unwrap().contains("fete, sport"));
    get(&server, "/api/public/events?limit=0").expect(400);
    get(&server, "/api/public/events?surprise=1").expect(400);
    server
        .request("OPTIONS", "/api/public/events")
        .send()
        .expect(204);
    server
        .request("POST", "/api/public/events")
        .send()
        .expect(405);
    // The schema is served too, and the rest of /api/ still needs a login.
    get(&server, "/api/public/schema.json").expect(200);
    get(&server, "/api/conflicts").expect(401);
}

#[test]
fn services_show_their_next_permanence_and_contact() {
    let server = territory();
    cli(
        &server,
        &[
            "organiser",
            "set",
            "asso-b",
            "--kind",
            "service",
            "--phone",
            "05 57 11 22 33",
        ],
    );
    put_event(
        &server,
        "asso-b",
        "permanence",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:fs\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:20261201T093000\r\nDTEND;TZID=Europe/Paris:20261201T120000\r\nRRULE:FREQ=WEEKLY\r\nLOCATION:Maison France services\\, Bourriot\r\nSUMMARY:Permanence France services\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".as_bytes(),
    );
    let page = text_of(&server, "/services");
    assert!(page.contains("Football club de Bourriot"), "{page}");
    assert!(
        !page.contains("Comité des fêtes"),
        "associations are not services"
    );
    assert!(
        page.contains("Prochaine permanence\u{202f}: mardi 1er décembre 2026, 9 h 30-12 h, à Maison France services, Bourriot."),
        "{page}"
    );
    assert!(page.contains("mardi 8 décembre 2026, 9 h 30-12 h"));
    assert!(page.contains("tel:0557112233"));
    assert!(page.contains("href=\"/evenements/fs/2026-12-01\""));
}

#[test]
fn the_widget_frames_a_selection_and_partager_writes_its_code() {
    let server = territory();
    let answer = get(&server, "/widget?commune=arue&limite=5").expect(200);
    assert_eq!(
        answer.header("content-security-policy"),
        Some("frame-ancestors *; default-src 'none'; style-src 'unsafe-inline'")
    );
    assert!(answer.header("x-frame-options").is_none());
    let widget = answer.text();
    assert!(widget.contains("<html lang=\"fr\">"));
    assert!(!widget.contains("<script"));
    assert!(widget.contains("Prochains événements à Arue"));
    assert!(widget.contains(
        "<a href=\"http://127.0.0.1:5232/evenements/loto-2027@asso-a\" target=\"_top\">Grand loto</a>"
    ), "{widget}");
    assert!(!widget.contains("Match de football"));
    let one = text_of(&server, "/widget?limite=1");
    assert!(one.contains("Match de football") && !one.contains("Grand loto"));
    let coloured = text_of(&server, "/widget?couleur=%23036&taille=20");
    assert!(coloured.contains("color:#003366") && coloured.contains("font-size:20px"));
    for (query, says) in [
        ("couleur=zz0000", "hexadécimaux"),
        ("couleur=red", "hexadécimaux"),
        ("couleur=ffff00", "contraste"),
        ("couleur=1b5e20;x", "hexadécimaux"),
        ("taille=200", "taille"),
        ("limite=0", "limite"),
        ("limite=51", "limite"),
        ("commune=paris", "arue, bourriot"),
    ] {
        let refused = get(&server, &format!("/widget?{query}")).expect(400).text();
        assert!(refused.contains(says), "{query}: {refused}");
    }
    let share = text_of(&server, "/partager?commune=arue&limite=3&couleur=1b5e20");
    for shown in [
        "&#60;iframe src=&#34;http://127.0.0.1:5232/widget?commune=arue&#38;limite=3&#38;couleur=1b5e20&#34;",
        "webcal://127.0.0.1:5232/feeds/intercommunal.ics?commune=arue",
        "http://127.0.0.1:5232/feeds/intercommunal.rss?commune=arue",
        "http://127.0.0.1:5232/api/public/events?commune=arue",
        "<iframe src=\"http://127.0.0.1:5232/widget?commune=arue&#38;limite=3&#38;couleur=1b5e20\"",
    ] {
        assert!(share.contains(shown), "{shown} not in {share}");
    }
    get(&server, "/partager?commune=paris").expect(400);
}
