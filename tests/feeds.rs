//! Public ICS feeds: `/feeds/intercommunal.ics` with its filters and
//! `/feeds/{login}.ics`; privacy, HTTP caching, gzip, HEAD, the iCalendar
//! format itself (CRLF, folding, UTF-8), and an independent parse with
//! Python's `icalendar` (tests/validate_feed.py).

mod common;
use common::*;
use std::io::Read;

/// The intercommunal feed over 2027, where the test events are: the default
/// window moves with the date, so tests name theirs (one test below checks
/// the default window with dates relative to today).
const FEED: &str = "/feeds/intercommunal.ics?from=2027-01-01&to=2028-01-01";
const WINDOW_2027: &str = "from=2027-01-01&to=2028-01-01";
const TERRITORY: &str = "Agenda du Pays d'Albret, Landes";

/// Communes, categories and feed settings. The harness's organisers give
/// their commune by name ("Arue", "Bourriot-Bergonce"), which concord
/// resolves to these slugs.
const CONFIG: &str = r#"
[feeds]
territory_name = "Agenda du Pays d'Albret, Landes"
refresh_minutes = 30

[[communes]]
slug = "arue"
name = "Arue"

[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"

[[communes]]
slug = "losse"
name = "Losse"

[[categories]]
slug = "sport"
name = "Sport"

[[categories]]
slug = "fete"
name = "Fête"
aliases = ["Festivités", "Fêtes"]

[[categories]]
slug = "culture"
name = "Culture"
"#;

/// A VEVENT in UTC on `day` (YYYYMMDD), 10:00-12:00, with `extra` content
/// lines (CRLF-terminated) at the end of the VEVENT.
fn vevent(uid: &str, summary: &str, day: &str, extra: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{day}T100000Z\r\nDTEND:{day}T120000Z\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

fn put(server: &Server, login: &str, name: &str, body: &[u8]) {
    let path = format!("/dav/calendars/{login}/main/{name}");
    let response = server.as_user(login, "PUT", &path).ics(body).send();
    assert!(
        response.status == 201 || response.status == 204,
        "PUT {path}: {} {}",
        response.status,
        response.text()
    );
}

/// Runs `concord --config ... ARGS` against the server's database.
fn concord(server: &Server, args: &[&str], stdin: &str) -> String {
    let out = cli_with_stdin(&server.config_path(), args, stdin);
    assert!(
        out.status.success(),
        "concord {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn get(server: &Server, path: &str) -> String {
    let response = server.request("GET", path).send();
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    String::from_utf8(response.body).expect("a feed is UTF-8")
}

/// Content lines with folding undone.
fn unfold(text: &str) -> Vec<String> {
    text.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The UIDs of the feed's VEVENTs (overridden instances not counted),
/// sorted.
fn uids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for event in vevents(text) {
        if event.iter().any(|l| l.starts_with("RECURRENCE-ID")) {
            continue;
        }
        let uid = event
            .iter()
            .find_map(|l| l.strip_prefix("UID:"))
            .unwrap_or_else(|| panic!("VEVENT without UID in {text}"));
        out.push(uid.to_owned());
    }
    out.sort();
    out
}

/// Each VEVENT's unfolded lines.
fn vevents(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in unfold(text) {
        if line == "BEGIN:VEVENT" {
            current = Some(Vec::new());
        } else if line == "END:VEVENT" {
            out.push(current.take().expect("END without BEGIN"));
        } else if let Some(event) = current.as_mut() {
            event.push(line);
        }
    }
    out
}

/// The UID of a fixture, unfolded.
fn fixture_uid(file: &str) -> String {
    unfold(&fixture_text(file))
        .into_iter()
        .find_map(|l| l.strip_prefix("UID:").map(str::to_owned))
        .unwrap_or_else(|| panic!("no UID in {file}"))
}

/// The territory: asso-a (Arue, category fete), asso-b (Bourriot-Bergonce,
/// category culture) and asso-c (Losse, no category), with public events
/// spread over 2027, one private event and two outside the default window.
fn territory() -> Server {
    let server = Server::start_with(CONFIG);
    concord(
        &server,
        &[
            "organiser",
            "add",
            "asso-c",
            "--name",
            "Amicale laïque de Losse",
            "--commune",
            "losse",
            "--password-stdin",
        ],
        PASSWORD,
    );
    concord(
        &server,
        &["organiser", "set", "asso-a", "--categories", "fete"],
        "",
    );
    concord(
        &server,
        &["organiser", "set", "asso-b", "--categories", "culture"],
        "",
    );
    put(
        &server,
        "asso-a",
        "fete.ics",
        &vevent("fete@asso-a", "Fête de la Saint-Pierre", "20270313", ""),
    );
    put(
        &server,
        "asso-a",
        "sport.ics",
        &vevent(
            "sport@asso-a",
            "Tournoi de quilles",
            "20270410",
            "CATEGORIES:Sport\r\n",
        ),
    );
    put(
        &server,
        "asso-a",
        "private.ics",
        &vevent(
            "private@asso-a",
            "Réunion du bureau",
            "20270412",
            "CLASS:PRIVATE\r\nCATEGORIES:Sport\r\n",
        ),
    );
    put(
        &server,
        "asso-a",
        "ancien.ics",
        &vevent("ancien@asso-a", "Vœux 2025", "20250110", ""),
    );
    put(
        &server,
        "asso-a",
        "futur.ics",
        &vevent("futur@asso-a", "Carnaval 2028", "20280304", ""),
    );
    put(
        &server,
        "asso-b",
        "concert.ics",
        &vevent("concert@asso-b", "Concert de printemps", "20270522", ""),
    );
    put(
        &server,
        "asso-b",
        "course.ics",
        &vevent(
            "course@asso-b",
            "Course des Landes",
            "20270605",
            "CATEGORIES:Course à pied,SPORT\r\n",
        ),
    );
    put(
        &server,
        "asso-c",
        "expo.ics",
        &vevent(
            "expo@asso-c",
            "Exposition d'été",
            "20270703",
            "CATEGORIES:Festivités\r\n",
        ),
    );
    server
}

const ALL_2027: &[&str] = &[
    "concert@asso-b",
    "course@asso-b",
    "expo@asso-c",
    "fete@asso-a",
    "sport@asso-a",
];

#[test]
fn every_filter_selects_exactly_the_expected_events() {
    let server = territory();
    let cases: &[(&str, &[&str])] = &[
        ("", ALL_2027),
        ("commune=arue", &["fete@asso-a", "sport@asso-a"]),
        (
            "commune=bourriot-bergonce",
            &["concert@asso-b", "course@asso-b"],
        ),
        ("commune=losse", &["expo@asso-c"]),
        (
            "commune=arue&commune=losse",
            &["expo@asso-c", "fete@asso-a", "sport@asso-a"],
        ),
        // The event's own CATEGORIES, matched by name or alias, whatever
        // the case and accents; else the organiser's categories.
        ("category=sport", &["course@asso-b", "sport@asso-a"]),
        ("category=fete", &["expo@asso-c", "fete@asso-a"]),
        ("category=culture", &["concert@asso-b"]),
        (
            "category=sport&category=fete",
            &[
                "course@asso-b",
                "expo@asso-c",
                "fete@asso-a",
                "sport@asso-a",
            ],
        ),
        ("organiser=asso-b", &["concert@asso-b", "course@asso-b"]),
        ("organizer=asso-c", &["expo@asso-c"]),
        (
            "organiser=asso-a&organiser=asso-c",
            &["expo@asso-c", "fete@asso-a", "sport@asso-a"],
        ),
        (
            "from=2027-04-01&to=2027-06-01",
            &["concert@asso-b", "sport@asso-a"],
        ),
        ("from=2027-06-05&to=2027-06-06", &["course@asso-b"]),
        // `to` is excluded: the expo starts on 2027-07-03.
        ("from=2027-06-06&to=2027-07-03", &[]),
        ("from=2027-07-03&to=2027-07-04", &["expo@asso-c"]),
        ("from=2024-12-01&to=2025-02-01", &["ancien@asso-a"]),
        ("from=2028-01-01&to=2028-12-31", &["futur@asso-a"]),
        (
            "commune=bourriot-bergonce&category=sport",
            &["course@asso-b"],
        ),
        ("commune=arue&category=culture", &[]),
        ("organiser=asso-a&category=fete", &["fete@asso-a"]),
        (
            "organiser=asso-a&from=2024-01-01&to=2026-12-31",
            &["ancien@asso-a"],
        ),
        // Repeated values count once; percent-encoding is decoded.
        (
            "commune=arue&commune=arue",
            &["fete@asso-a", "sport@asso-a"],
        ),
        ("commune=%61rue", &["fete@asso-a", "sport@asso-a"]),
    ];
    for (query, expected) in cases {
        let path = if query.is_empty() {
            FEED.to_owned()
        } else {
            format!("{FEED}&{query}")
        };
        let text = get(&server, &path);
        assert_eq!(uids(&text), *expected, "{path}");
        assert!(!text.contains("private@asso-a"), "{path}: {text}");
    }
    // An organiser's own feed, filtered further.
    assert_eq!(
        uids(&get(&server, &format!("/feeds/asso-b.ics?{WINDOW_2027}"))),
        ["concert@asso-b", "course@asso-b"]
    );
    assert_eq!(
        uids(&get(
            &server,
            &format!("/feeds/asso-b.ics?{WINDOW_2027}&category=culture")
        )),
        ["concert@asso-b"]
    );
    assert_eq!(
        uids(&get(
            &server,
            "/feeds/asso-a.ics?from=2025-01-01&to=2025-02-01"
        )),
        ["ancien@asso-a"]
    );
    assert_eq!(
        uids(&get(&server, &format!("/feeds/asso-c.ics?{WINDOW_2027}"))),
        ["expo@asso-c"]
    );
}

#[track_caller]
fn assert_refused(server: &Server, path: &str, status: u16, mentions: &[&str]) {
    let response = server.request("GET", path).send();
    let text = response.text();
    assert_eq!(response.status, status, "{path}: {text}");
    for word in mentions {
        assert!(text.contains(word), "{path}: {word:?} not in {text:?}");
    }
    assert!(!text.contains("BEGIN:VCALENDAR"), "{path}: {text}");
}

#[test]
fn unknown_filter_values_and_parameters_are_refused() {
    let server = territory();
    assert_refused(
        &server,
        &format!("{FEED}&commune=paris"),
        400,
        &["paris", "arue", "bourriot-bergonce", "losse"],
    );
    // A commune's name is not its slug.
    assert_refused(&server, &format!("{FEED}&commune=Arue"), 400, &["arue"]);
    assert_refused(
        &server,
        &format!("{FEED}&category=foot"),
        400,
        &["foot", "sport", "fete", "culture"],
    );
    assert_refused(
        &server,
        &format!("{FEED}&category=sport&category=loto"),
        400,
        &["loto", "sport", "fete", "culture"],
    );
    assert_refused(
        &server,
        &format!("{FEED}&organiser=nobody"),
        400,
        &["nobody", "asso-a", "asso-b", "asso-c"],
    );
    // Staff are not organisers.
    assert_refused(
        &server,
        &format!("{FEED}&organiser=staff"),
        400,
        &["asso-a"],
    );
    assert_refused(&server, &format!("{FEED}&city=arue"), 400, &["city"]);
    assert_refused(
        &server,
        &format!("{FEED}&communes=arue"),
        400,
        &["communes"],
    );
    assert_refused(
        &server,
        &format!("{FEED}&from=13/03/2027"),
        400,
        &["AAAA-MM-JJ"],
    );
    assert_refused(
        &server,
        &format!("{FEED}&from=2027-05-01&to=2027-04-01"),
        400,
        &[],
    );
    assert_refused(
        &server,
        &format!("{FEED}&from=2027-01-01&to=2031-01-01"),
        400,
        &[],
    );
    assert_refused(&server, "/feeds/asso-a.ics?commune=nowhere", 400, &["arue"]);
    // Feeds that do not exist.
    for path in [
        "/feeds/unknown.ics",
        "/feeds/staff.ics",
        "/feeds/admin.ics",
        "/feeds/intercommunal",
        "/feeds/",
    ] {
        assert_refused(&server, path, 404, &[]);
    }
    let response = server.request("POST", FEED).send();
    assert_eq!(response.status, 405);
}

#[test]
fn private_events_attendees_and_alarms_never_reach_a_feed() {
    let server = territory();
    for (login, name, file) in [
        ("asso-a", "notaire.ics", "ics/private-event.ics"),
        ("asso-a", "ccas.ics", "ics/confidential-event.ics"),
        ("asso-b", "ag.ics", "ics/attendees-event.ics"),
        ("asso-b", "apple.ics", "ics/apple-event.ics"),
        ("asso-b", "google.ics", "ics/google-event.ics"),
        ("asso-c", "thunderbird.ics", "ics/thunderbird-event.ics"),
    ] {
        put(&server, login, name, &fixture(file));
    }
    put(
        &server,
        "asso-a",
        "loto.ics",
        &vevent(
            "loto@asso-a",
            "Grand loto",
            "20270320",
            "ATTENDEE;CN=Jean Dupont;PARTSTAT=ACCEPTED:mailto:jean.dupont@example.org\r\nX-SECRET-NOTE:code du portail 1234\r\nBEGIN:VALARM\r\nACTION:EMAIL\r\nSUMMARY:Rappel\r\nDESCRIPTION:Rappel\r\nATTENDEE:mailto:alarme@example.org\r\nTRIGGER:-PT1H\r\nEND:VALARM\r\n",
        ),
    );
    let feeds = [
        get(&server, FEED),
        get(&server, &format!("/feeds/asso-a.ics?{WINDOW_2027}")),
        get(&server, &format!("/feeds/asso-b.ics?{WINDOW_2027}")),
        get(&server, &format!("/feeds/asso-c.ics?{WINDOW_2027}")),
        get(&server, &format!("{FEED}&commune=arue&category=fete")),
    ];
    let all = feeds.concat();
    // The public events are there.
    for present in [
        "loto@asso-a",
        "a1c9e5f3-2b7d-4f60-9e8a-3c5d7f9b1e24",
        "6B1F3C2A-9E4D-4B7A-8C51-2D0E7F6A9B13",
        "3k9v1q2m7d8h4s6t0c5r2n1b8p@google.com",
        "0f3c5e1a-7b2d-4c8e-9a61-5d4f3b2c1a09",
    ] {
        assert!(
            feeds[0].contains(present),
            "{present} missing: {}",
            feeds[0]
        );
    }
    let unfolded = unfold(&all).join("\n");
    for secret in [
        // private and confidential events
        "rdv-notaire-20270519@perso.example.fr",
        "Rendez-vous chez le notaire",
        "Darrieutort",
        "commission-ccas-20270526@mairie-arue.example.fr",
        "Commission du CCAS",
        "private@asso-a",
        // attendees' e-mail addresses
        "jean.dupont@example.org",
        "helene.lafitte@example.fr",
        "b.lalanne@example.fr",
        "mairie@arue.example.fr",
        "salle-fetes@arue.example.fr",
        "eric.saint-martin@example.fr",
        "l.saint-martin@example.fr",
        "alarme@example.org",
        // alarms and private tools' notes
        "BEGIN:VALARM",
        "TRIGGER",
        "X-SECRET-NOTE",
        "code du portail",
        "X-MOZ-",
        "X-APPLE-STRUCTURED-LOCATION",
        "X-GOOGLE-CONFERENCE",
        "X-WR-ALARMUID",
    ] {
        assert!(!unfolded.contains(secret), "{secret} leaked into a feed");
    }
    for line in unfold(&all) {
        assert!(!line.starts_with("ATTENDEE"), "{line}");
        assert!(!line.starts_with("CLASS:PRIVATE"), "{line}");
        assert!(!line.starts_with("CLASS:CONFIDENTIAL"), "{line}");
    }
    // X- properties are gone from events and time zones; the only ones
    // left are concord's own calendar properties, once per feed.
    for feed in &feeds {
        let lines = unfold(feed);
        let header_end = lines
            .iter()
            .skip(1)
            .position(|l| l.starts_with("BEGIN:"))
            .map(|i| i + 1)
            .unwrap_or(lines.len());
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("X-") {
                continue;
            }
            let own = [
                "X-WR-CALNAME:",
                "X-WR-CALDESC:",
                "X-WR-TIMEZONE:",
                "X-PUBLISHED-TTL:",
            ]
            .iter()
            .any(|p| line.starts_with(p));
            assert!(own && i < header_end, "X- property leaked: {line}");
        }
    }
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", response.headers))
}

#[test]
fn caching_headers_conditional_requests_gzip_and_head() {
    let server = territory();
    for path in [
        FEED.to_owned(),
        format!("{FEED}&commune=arue"),
        format!("/feeds/asso-b.ics?{WINDOW_2027}"),
    ] {
        let plain = server.request("GET", &path).send().expect(200);
        assert_eq!(
            header(&plain, "content-type"),
            "text/calendar; charset=utf-8"
        );
        let etag = header(&plain, "etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "strong ETag expected: {etag}"
        );
        let last_modified = header(&plain, "last-modified").to_owned();
        assert!(last_modified.ends_with(" GMT"), "{last_modified}");
        assert!(plain.header("content-encoding").is_none());
        assert!(!plain.body.is_empty());

        // If-None-Match: 304, no body, the same ETag.
        for tags in [etag.clone(), format!("\"other\", {etag}"), "*".to_owned()] {
            let response = server
                .request("GET", &path)
                .header("If-None-Match", &tags)
                .send()
                .expect(304);
            assert!(response.body.is_empty(), "304 with a body");
            assert_eq!(response.header("etag"), Some(etag.as_str()));
        }
        let response = server
            .request("GET", &path)
            .header("If-None-Match", "\"not-this-one\"")
            .send()
            .expect(200);
        assert_eq!(response.body, plain.body);

        // If-Modified-Since: 304 at or after Last-Modified, 200 before.
        let response = server
            .request("GET", &path)
            .header("If-Modified-Since", &last_modified)
            .send()
            .expect(304);
        assert!(response.body.is_empty());
        server
            .request("GET", &path)
            .header("If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT")
            .send()
            .expect(200);

        // gzip: same content once decompressed, same ETag.
        let zipped = server
            .request("GET", &path)
            .header("Accept-Encoding", "gzip, deflate, br")
            .send()
            .expect(200);
        assert_eq!(header(&zipped, "content-encoding"), "gzip");
        assert!(header(&zipped, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding"));
        assert_eq!(
            header(&zipped, "content-type"),
            "text/calendar; charset=utf-8"
        );
        let mut decoder = flate2::read::GzDecoder::new(&zipped.body[..]);
        let mut unzipped = Vec::new();
        decoder.read_to_end(&mut unzipped).expect("valid gzip");
        assert_eq!(unzipped, plain.body);
        assert!(zipped.body.len() < plain.body.len());
        // gzip refused with q=0: plain body.
        let refused = server
            .request("GET", &path)
            .header("Accept-Encoding", "gzip;q=0, identity")
            .send()
            .expect(200);
        assert!(refused.header("content-encoding").is_none());
        assert_eq!(refused.body, plain.body);

        // HEAD: the same headers, no body (the harness checks the body).
        let head = server.request("HEAD", &path).send().expect(200);
        assert_eq!(header(&head, "etag"), etag);
        assert_eq!(header(&head, "last-modified"), last_modified);
        assert_eq!(
            header(&head, "content-type"),
            "text/calendar; charset=utf-8"
        );
        // A HEAD announces the length of the body a GET would send.
        assert_eq!(
            head.header("content-length"),
            Some(plain.body.len().to_string().as_str()),
            "HEAD {path}"
        );
        let head = server
            .request("HEAD", &path)
            .header("If-None-Match", &etag)
            .send()
            .expect(304);
        assert_eq!(header(&head, "etag"), etag);
    }
}

#[test]
fn the_etag_is_stable_until_the_feed_changes() {
    let server = territory();
    let first = server.request("GET", FEED).send().expect(200);
    let etag = header(&first, "etag").to_owned();
    let last_modified = header(&first, "last-modified").to_owned();
    for _ in 0..3 {
        let again = server.request("GET", FEED).send().expect(200);
        assert_eq!(header(&again, "etag"), etag);
        assert_eq!(header(&again, "last-modified"), last_modified);
        assert_eq!(again.body, first.body);
    }
    // A change that does not show (a private event): same ETag.
    put(
        &server,
        "asso-a",
        "prive-2.ics",
        &vevent("prive-2@asso-a", "Interne", "20270501", "CLASS:PRIVATE\r\n"),
    );
    let unchanged = server.request("GET", FEED).send().expect(200);
    assert_eq!(header(&unchanged, "etag"), etag);
    assert_eq!(unchanged.body, first.body);
    server
        .request("GET", FEED)
        .header("If-None-Match", &etag)
        .send()
        .expect(304);

    // A new public event: new ETag, new content, the old ETag gets 200.
    put(
        &server,
        "asso-b",
        "kermesse.ics",
        &vevent("kermesse@asso-b", "Kermesse", "20270612", ""),
    );
    let changed = server.request("GET", FEED).send().expect(200);
    let new_etag = header(&changed, "etag").to_owned();
    assert_ne!(new_etag, etag);
    assert!(changed.text().contains("kermesse@asso-b"));
    let response = server
        .request("GET", FEED)
        .header("If-None-Match", &etag)
        .send()
        .expect(200);
    assert_eq!(response.body, changed.body);
    // Feeds the change does not touch keep their ETag.
    let arue = server
        .request("GET", &format!("{FEED}&commune=arue"))
        .send()
        .expect(200);
    let arue_etag = header(&arue, "etag").to_owned();
    put(
        &server,
        "asso-b",
        "kermesse.ics",
        &vevent("kermesse@asso-b", "Kermesse (déplacée)", "20270613", ""),
    );
    let arue_again = server
        .request("GET", &format!("{FEED}&commune=arue"))
        .send()
        .expect(200);
    assert_eq!(header(&arue_again, "etag"), arue_etag);
    // A modification and a deletion change the feed.
    let modified = server.request("GET", FEED).send().expect(200);
    assert_ne!(header(&modified, "etag"), new_etag);
    assert!(modified.text().contains("déplacée"));
    server
        .as_user(
            "asso-b",
            "DELETE",
            "/dav/calendars/asso-b/main/kermesse.ics",
        )
        .send()
        .expect(204);
    let deleted = server.request("GET", FEED).send().expect(200);
    assert!(!deleted.text().contains("kermesse@asso-b"));
    assert_eq!(deleted.body, first.body, "back to the first content");
}

#[test]
fn a_deletion_moves_last_modified() {
    let server = territory();
    let first = server.request("GET", FEED).send().expect(200);
    let etag = header(&first, "etag").to_owned();
    let last_modified = header(&first, "last-modified").to_owned();
    // Deleted within the same second as the render, most likely: the date
    // must move all the same.
    server
        .as_user("asso-b", "DELETE", "/dav/calendars/asso-b/main/concert.ics")
        .send()
        .expect(204);
    // A subscriber that only sends If-Modified-Since learns of it.
    let after = server
        .request("GET", FEED)
        .header("If-Modified-Since", &last_modified)
        .send()
        .expect(200);
    assert!(!after.text().contains("concert@asso-b"));
    let new_etag = header(&after, "etag").to_owned();
    let new_last_modified = header(&after, "last-modified").to_owned();
    assert_ne!(new_etag, etag);
    let date = |text: &str| httpdate::parse_http_date(text).unwrap();
    assert!(date(&new_last_modified) > date(&last_modified));
    // Nothing changed since: 304 either way, even after a write that does
    // not show in the feed (a private event).
    put(
        &server,
        "asso-a",
        "prive-2.ics",
        &vevent("prive-2@asso-a", "Interne", "20270501", "CLASS:PRIVATE\r\n"),
    );
    for (name, value) in [
        ("If-None-Match", &new_etag),
        ("If-Modified-Since", &new_last_modified),
    ] {
        let response = server
            .request("GET", FEED)
            .header(name, value)
            .send()
            .expect(304);
        assert_eq!(header(&response, "last-modified"), new_last_modified);
    }
    // An event that leaves a feed through a change (here, its window)
    // moves the date too.
    let narrow = format!("{FEED}&commune=arue");
    let before = server.request("GET", &narrow).send().expect(200);
    put(
        &server,
        "asso-a",
        "sport.ics",
        &vevent("sport@asso-a", "Tournoi de quilles", "20280410", ""),
    );
    let response = server
        .request("GET", &narrow)
        .header("If-Modified-Since", header(&before, "last-modified"))
        .send()
        .expect(200);
    assert!(!response.text().contains("sport@asso-a"));
}

/// The territory once the server has seen every write of the command-line
/// tools that set up part of it: from then on, what its cache holds stays
/// until the test writes.
fn settled_territory() -> Server {
    let server = territory();
    after_outside_writes(
        &server,
        &format!("/feeds/asso-c.ics?{WINDOW_2027}"),
        "asso-c",
        "Amicale laïque de Losse",
    );
    server
}

#[test]
fn equivalent_urls_are_served_from_one_render() {
    let server = settled_territory();
    let cache = |path: &str| {
        let response = server.request("GET", path).send().expect(200);
        let source = header(&response, "x-concord-cache").to_owned();
        (source, header(&response, "etag").to_owned(), response.body)
    };
    let (source, etag, body) = cache(&format!(
        "{FEED}&commune=arue&commune=losse&category=fete&organiser=asso-a"
    ));
    assert_eq!(source, "miss");
    for same in [
        // Another order, repeated values, percent-encoding, `organizer`.
        "/feeds/intercommunal.ics?organizer=asso-a&category=fete&commune=losse&to=2028-01-01&commune=arue&from=2027-01-01",
        "/feeds/intercommunal.ics?commune=losse&commune=%61rue&commune=arue&from=2027-01-01&to=2028-01-01&category=fete&category=fete&organiser=asso-a",
    ] {
        let (source, same_etag, same_body) = cache(same);
        assert_eq!(source, "hit", "{same}");
        assert_eq!(same_etag, etag);
        assert_eq!(same_body, body);
    }
    // A different request renders its own.
    assert_eq!(cache(&format!("{FEED}&commune=arue")).0, "miss");
    // An organiser's feed ignores organiser=.
    assert_eq!(cache(&format!("/feeds/asso-a.ics?{WINDOW_2027}")).0, "miss");
    assert_eq!(
        cache(&format!("/feeds/asso-a.ics?organiser=asso-b&{WINDOW_2027}")).0,
        "hit"
    );
    // A write renders again, once.
    put(
        &server,
        "asso-a",
        "kermesse.ics",
        &vevent("kermesse@asso-a", "Kermesse", "20270612", ""),
    );
    assert_eq!(cache(&format!("/feeds/asso-a.ics?{WINDOW_2027}")).0, "miss");
    let (source, _, body) = cache("/feeds/asso-a.ics?to=2028-01-01&from=2027-01-01");
    assert_eq!(source, "hit");
    assert!(String::from_utf8(body).unwrap().contains("kermesse@asso-a"));
}

#[test]
fn a_window_wider_than_the_cap_is_refused_with_the_cap() {
    // The default cap: three years.
    let server = Server::start();
    server
        .request(
            "GET",
            "/feeds/intercommunal.ics?from=2027-01-01&to=2030-01-01",
        )
        .send()
        .expect(200);
    assert_refused(
        &server,
        "/feeds/intercommunal.ics?from=2027-01-01&to=2030-01-02",
        400,
        &["3 ans au plus", "2030-01-01"],
    );
    // A configured one (the default window must fit in it).
    let server = Server::start_with("[feeds]\nmax_window_years = 1\nmonths_ahead = 6\n");
    server
        .request("GET", "/feeds/asso-a.ics?from=2027-03-01&to=2028-03-01")
        .send()
        .expect(200);
    assert_refused(
        &server,
        "/feeds/asso-a.ics?from=2027-03-01&to=2028-03-02",
        400,
        &["1 an au plus", "2028-03-01"],
    );
    // A cap the default window (13 months) does not fit in is refused.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[feeds]\nmax_window_years = 1\nmonths_ahead = 12\nmonths_back = 1\n",
    )
    .unwrap();
    let out = cli_output(&config, &["organiser", "list"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_window_years"));
}

/// GETs `path` until `done` holds (changes made by the command line reach
/// the running server within about a second).
fn eventually(server: &Server, path: &str, done: impl Fn(u16, &str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let response = server.request("GET", path).send();
        let text = response.text();
        if done(response.status, &text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never reached the expected state: {} {text}",
            response.status
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn organisers_that_stop_publishing_leave_the_feeds() {
    let server = territory();
    assert!(get(&server, FEED).contains("concert@asso-b"));
    concord(
        &server,
        &["organiser", "set", "asso-b", "--publishes", "false"],
        "",
    );
    let text = eventually(&server, FEED, |status, text| {
        status == 200 && !text.contains("@asso-b")
    });
    assert_eq!(uids(&text), ["expo@asso-c", "fete@asso-a", "sport@asso-a"]);
    eventually(
        &server,
        &format!("/feeds/asso-b.ics?{WINDOW_2027}"),
        |status, _| status == 404,
    );
    // Nor may it be named in a filter any more.
    assert_refused(
        &server,
        &format!("{FEED}&organiser=asso-b"),
        400,
        &["asso-a"],
    );
    concord(
        &server,
        &["organiser", "set", "asso-b", "--publishes", "true"],
        "",
    );
    let text = eventually(&server, FEED, |status, text| {
        status == 200 && text.contains("concert@asso-b")
    });
    assert_eq!(uids(&text), ALL_2027);
}

const SUMMARY: &str = "Fête intercommunale de l'été — défilé\\, bal et feu d'artifice à l'étang";

const LONG_DESCRIPTION: &str = "Le comité des fêtes d'Arue et l'amicale laïque de Losse organisent ensemble la première fête intercommunale de l'été : défilé de chars fleuris, concours de quilles de neuf, goûter offert aux enfants, bal gascon animé par « Los Esbarrats » et feu d'artifice tiré au-dessus de l'étang. Crêpes, garbure, magret grillé et tourtière à la buvette ; réservation auprès de Mme Lafitte à l'épicerie « Chez Hélène » (12 € le repas, gratuit pour les moins de 6 ans). Œuvre commune des bénévoles : ça se fête !";

#[test]
fn output_is_crlf_folded_on_characters_with_calendar_properties() {
    let server = territory();
    put(
        &server,
        "asso-c",
        "fete-ete.ics",
        &vevent(
            "fete-ete@asso-c",
            SUMMARY,
            "20270717",
            &format!(
                "DESCRIPTION:{}\r\nLOCATION:Étang de Losse\\, près de l'église\r\n",
                LONG_DESCRIPTION.replace(',', "\\,").replace(';', "\\;")
            ),
        ),
    );
    put(
        &server,
        "asso-a",
        "village.ics",
        &fixture("ics/folded-utf8.ics"),
    );
    let split = fixture("ics/folded-split-utf8.ics");
    let split_ok = server
        .as_user("asso-a", "PUT", &format!("{CAL_A}village-split.ics"))
        .ics(&split)
        .send()
        .status;
    for path in [
        FEED,
        &format!("/feeds/asso-c.ics?{WINDOW_2027}"),
        &format!("/feeds/asso-a.ics?{WINDOW_2027}"),
    ] {
        let response = server.request("GET", path).send().expect(200);
        let body = response.body;
        // CRLF only.
        for (i, byte) in body.iter().enumerate() {
            match byte {
                b'\r' => assert_eq!(body.get(i + 1), Some(&b'\n'), "{path}: bare CR at {i}"),
                b'\n' => assert!(i > 0 && body[i - 1] == b'\r', "{path}: bare LF at {i}"),
                _ => {}
            }
        }
        assert!(body.ends_with(b"END:VCALENDAR\r\n"), "{path}");
        // At most 75 octets a line, and each physical line valid UTF-8:
        // no fold splits a character.
        let text = String::from_utf8(body.clone()).expect("UTF-8");
        for line in body.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(
                line.len() <= 75,
                "{path}: {} octets: {}",
                line.len(),
                String::from_utf8_lossy(line)
            );
            assert!(
                std::str::from_utf8(line).is_ok(),
                "{path}: a fold splits a character: {:?}",
                String::from_utf8_lossy(line)
            );
        }
        // Folding preserved the content exactly.
        let lines = unfold(&text);
        if *path != format!("/feeds/asso-a.ics?{WINDOW_2027}") {
            let description = lines
                .iter()
                .find(|l| l.starts_with("DESCRIPTION:Le comité des fêtes d'Arue"))
                .unwrap_or_else(|| panic!("{path}: no long DESCRIPTION: {text}"));
            let expected = LONG_DESCRIPTION.replace(',', "\\,").replace(';', "\\;");
            // The feed names the organiser on the description's last line.
            assert_eq!(
                description,
                &format!(
                    "DESCRIPTION:{expected}\\n\\nOrganisé par\u{202f}: Amicale laïque de Losse"
                )
            );
            assert!(lines.contains(&format!("SUMMARY:{SUMMARY}")), "{path}");
        }
        if *path != format!("/feeds/asso-c.ics?{WINDOW_2027}") {
            assert!(
                lines
                    .iter()
                    .any(|l| l == "SUMMARY:Fête du village — défilé, goûter et repas dansant"),
                "{path}: {text}"
            );
            assert!(
                text.contains("fete-village-20270815@comite-fetes-arue.example.fr"),
                "{path}"
            );
            if split_ok == 201 {
                assert!(
                    text.contains("fete-village-split-20270815@comite-fetes-arue.example.fr"),
                    "{path}"
                );
            }
        }
        // Calendar properties.
        let name = if path == FEED {
            TERRITORY.replace(',', "\\,")
        } else if *path == format!("/feeds/asso-c.ics?{WINDOW_2027}") {
            "Amicale laïque de Losse".to_owned()
        } else {
            "Comité des fêtes d'Arue".to_owned()
        };
        let calendar: Vec<&String> = lines
            .iter()
            .take_while(|l| !l.starts_with("BEGIN:V") || *l == "BEGIN:VCALENDAR")
            .collect();
        let has = |wanted: &str| calendar.iter().any(|l| l.as_str() == wanted);
        assert_eq!(lines[0], "BEGIN:VCALENDAR");
        for wanted in [
            "VERSION:2.0".to_owned(),
            format!("NAME:{name}"),
            format!("X-WR-CALNAME:{name}"),
            "REFRESH-INTERVAL;VALUE=DURATION:PT30M".to_owned(),
            "X-PUBLISHED-TTL:PT30M".to_owned(),
        ] {
            assert!(has(&wanted), "{path}: no {wanted} in {calendar:?}");
        }
        assert!(calendar.iter().any(|l| l.starts_with("PRODID:")), "{path}");
        assert!(!calendar.iter().any(|l| l.starts_with("METHOD:REQUEST")));
    }
    assert!(
        split_ok == 201,
        "folded-split-utf8.ics (folds inside UTF-8 sequences, RFC 5545 3.1 asks receivers to cope) was refused: {split_ok}"
    );
}

#[test]
fn uids_are_kept_and_a_recurring_event_appears_once_with_its_rule() {
    let server = territory();
    let files = [
        ("infinite.ics", "ics/recurring-infinite.ics"),
        ("weekly.ics", "ics/recurring-weekly-paris.ics"),
        ("monthly.ics", "ics/recurring-monthly-byday.ics"),
        ("rdate.ics", "ics/recurring-count-rdate.ics"),
        ("outlook.ics", "ics/outlook-event.ics"),
        ("evolution.ics", "ics/evolution-event.ics"),
    ];
    for (name, file) in files {
        put(&server, "asso-a", name, &fixture(file));
    }
    for path in [
        FEED,
        &format!("/feeds/asso-a.ics?{WINDOW_2027}"),
        &format!("{FEED}&commune=arue"),
    ] {
        let text = get(&server, path);
        let events = vevents(&text);
        let mut expected: Vec<String> = vec!["fete@asso-a".into(), "sport@asso-a".into()];
        if path == FEED {
            expected.extend(
                ["concert@asso-b", "course@asso-b", "expo@asso-c"]
                    .iter()
                    .map(|u| u.to_string()),
            );
        }
        for (_, file) in files {
            // UIDs exactly as the clients wrote them.
            expected.push(fixture_uid(file));
        }
        expected.sort();
        // One master each: no duplicates, no expanded instances.
        assert_eq!(uids(&text), expected, "{path}");
        for (uid, rule) in [
            (
                "marche-hebdo-arue@mairie-arue.example.fr",
                "RRULE:FREQ=WEEKLY;BYDAY=TH",
            ),
            (
                "club-aines-1er-samedi@mairie-arue.example.fr",
                "RRULE:FREQ=MONTHLY;BYDAY=1SA;UNTIL=20271231T225959Z",
            ),
            (
                "atelier-theatre-2027@asso-theatre-arue.example.fr",
                "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;COUNT=8",
            ),
            (
                "4e8f2c1a-6b3d-4a9e-8f7c-1d2e3f4a5b6c",
                "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T163000Z",
            ),
        ] {
            let with_uid: Vec<&Vec<String>> = events
                .iter()
                .filter(|e| e.iter().any(|l| l == &format!("UID:{uid}")))
                .collect();
            let masters: Vec<&&Vec<String>> = with_uid
                .iter()
                .filter(|e| !e.iter().any(|l| l.starts_with("RECURRENCE-ID")))
                .collect();
            assert_eq!(masters.len(), 1, "{path}: {uid}: {with_uid:?}");
            assert!(
                masters[0].iter().any(|l| l == rule),
                "{path}: {uid} lost {rule}: {:?}",
                masters[0]
            );
        }
        // The weekly series keeps its moved instance and its exceptions.
        let weekly: Vec<&Vec<String>> = events
            .iter()
            .filter(|e| {
                e.iter()
                    .any(|l| l == "UID:4e8f2c1a-6b3d-4a9e-8f7c-1d2e3f4a5b6c")
            })
            .collect();
        assert_eq!(weekly.len(), 2, "{path}: {weekly:?}");
        assert!(weekly
            .iter()
            .any(|e| e.iter().any(|l| l.starts_with("RECURRENCE-ID"))));
        assert!(weekly
            .iter()
            .any(|e| e.iter().any(|l| l.starts_with("EXDATE"))));
        let rdate: Vec<&Vec<String>> = events
            .iter()
            .filter(|e| {
                e.iter()
                    .any(|l| l == "UID:atelier-theatre-2027@asso-theatre-arue.example.fr")
            })
            .collect();
        assert!(rdate[0].iter().any(|l| l.starts_with("RDATE")), "{rdate:?}");
        // Each time zone once.
        let mut zones: Vec<String> = unfold(&text)
            .windows(2)
            .filter(|w| w[0] == "BEGIN:VTIMEZONE")
            .map(|w| w[1].clone())
            .collect();
        let count = zones.len();
        zones.sort();
        zones.dedup();
        assert_eq!(
            zones.len(),
            count,
            "{path}: a VTIMEZONE repeated: {zones:?}"
        );
    }
}

/// The interpreter that runs tests/validate_feed.py.
fn feed_python() -> String {
    python()
}

/// Runs tests/validate_feed.py on `file`; (success, stdout + stderr).
fn validate(file: &std::path::Path) -> (bool, String) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_feed.py");
    let out = std::process::Command::new(feed_python())
        .arg(&script)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (CONCORD_PYTHON): {e}", feed_python()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn feeds_pass_an_independent_icalendar_parser() {
    let server = territory();
    // Real-world producers: Google, Outlook (Windows zone names, Exchange's
    // "(UTC+01:00) ..." zone), Apple, Thunderbird, DAVx5 (zone after the
    // event), Evolution (libical zone prefix), recurring series, all-day,
    // floating and UTC times, folded UTF-8, attendees, categories, X-props.
    let files = [
        "google-event.ics",
        "outlook-event.ics",
        "outlook-utc-prefix-tz.ics",
        "apple-event.ics",
        "thunderbird-event.ics",
        "davx5-event.ics",
        "evolution-event.ics",
        "recurring-weekly-paris.ics",
        "recurring-infinite.ics",
        "recurring-monthly-byday.ics",
        "recurring-count-rdate.ics",
        "allday-single.ics",
        "allday-multiday-festival.ics",
        "duration-event.ics",
        "no-dtend-event.ics",
        "floating-time.ics",
        "utc-event.ics",
        "folded-utf8.ics",
        "attendees-event.ics",
        "categories-event.ics",
        "x-props-event.ics",
        "cancelled-event.ics",
        "transparent-event.ics",
        "private-event.ics",
    ];
    let logins = ["asso-a", "asso-b", "asso-c"];
    for (i, file) in files.iter().enumerate() {
        put(
            &server,
            logins[i % logins.len()],
            file,
            &fixture(&format!("ics/{file}")),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = [
        FEED.to_owned(),
        format!("{FEED}&commune=arue"),
        format!("{FEED}&category=sport&category=fete"),
        format!("/feeds/asso-b.ics?{WINDOW_2027}"),
    ];
    for (i, path) in paths.iter().enumerate() {
        let text = get(&server, path);
        let file = dir.path().join(format!("feed-{i}.ics"));
        std::fs::write(&file, &text).unwrap();
        let (ok, output) = validate(&file);
        assert!(ok, "{path} fails validation:\n{output}");
    }
    // Every public event is there, under the UID its client gave it.
    let all = unfold(&get(&server, FEED));
    for file in files {
        let uid = fixture_uid(&format!("ics/{file}"));
        let wanted = format!("UID:{uid}");
        assert_eq!(all.contains(&wanted), file != "private-event.ics", "{file}");
    }
}

#[test]
fn the_validator_rejects_a_broken_feed() {
    // The independent check is not vacuous: it fails on a VEVENT without
    // DTSTAMP whose TZID has no VTIMEZONE, and with a message.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.ics");
    std::fs::write(
        &file,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Mars/Olympus_Mons:20270101T100000\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let (ok, output) = validate(&file);
    assert!(!ok, "{output}");
    assert!(output.contains("DTSTAMP"), "{output}");
    assert!(output.contains("Mars/Olympus_Mons"), "{output}");
    assert!(
        !output.contains("cannot import icalendar"),
        "{} has no icalendar (set CONCORD_PYTHON): {output}",
        feed_python()
    );
}

#[test]
fn the_default_window_runs_from_a_month_back_to_a_year_ahead() {
    let server = Server::start();
    let today = today();
    let day = |offset: i64| {
        (today + chrono::Duration::days(offset))
            .format("%Y%m%d")
            .to_string()
    };
    for (uid, offset) in [
        ("soon", 10),
        ("last-week", -7),
        ("long-ago", -60),
        ("far-ahead", 400),
    ] {
        put(
            &server,
            "asso-a",
            &format!("{uid}.ics"),
            &vevent(uid, uid, &day(offset), ""),
        );
    }
    let text = get(&server, "/feeds/intercommunal.ics");
    assert_eq!(uids(&text), ["last-week", "soon"], "{text}");
}

/// Saves `feed` as `{name}.ics` and runs `script` on it with Python's
/// `icalendar`; the file and what the script printed.
fn read_with_python(
    server: &Server,
    name: &str,
    script: &str,
    feed: &str,
) -> (std::path::PathBuf, String) {
    let file = server.dir.path().join(format!("{name}.ics"));
    std::fs::write(&file, feed).unwrap();
    let path = server.dir.path().join(format!("read_{name}.py"));
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new(feed_python())
        .arg(&path)
        .arg(&file)
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (file, stdout)
}

/// Reads a feed with Python's `icalendar` and prints, per VEVENT,
/// `UID|ORGANIZER|CN|last line of DESCRIPTION`, then the calendar's
/// description: an independent reading of what subscribers' apps show.
const READ_ORGANISERS: &str = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for event in cal.walk('VEVENT'):
    organizer = event.get('ORGANIZER')
    description = str(event.get('DESCRIPTION', ''))
    print('|'.join([str(event['UID']), str(organizer), organizer.params.get('CN', ''), description.split('\n')[-1]]))
print('CALDESC|' + str(cal.get('DESCRIPTION')))
"#;

#[test]
fn feeds_name_the_organisers_of_each_event() {
    let server = territory();
    concord(
        &server,
        &[
            "organiser",
            "set",
            "asso-a",
            "--email",
            "contact@comite-arue.fr",
        ],
        "",
    );
    // A client's own ORGANIZER (a volunteer's address) is replaced by the
    // organiser's public card; a description keeps its text above the line.
    put(
        &server,
        "asso-a",
        "loto.ics",
        &vevent(
            "loto",
            "Loto",
            "20270306",
            "ORGANIZER;CN=Jean Dupont:mailto:jean.dupont@example.org\r\nDESCRIPTION:Nombreux lots.\\nBuvette.\r\n",
        ),
    );
    put(
        &server,
        "asso-b",
        "match.ics",
        &vevent("match", "Match", "20270307", ""),
    );
    let text = get(&server, FEED);
    assert!(!text.contains("jean.dupont"), "{text}");
    let (file, stdout) = read_with_python(&server, "organisers", READ_ORGANISERS, &text);
    let mut lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("CALDESC|") || l.starts_with("loto|") || l.starts_with("match|"))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "CALDESC|Les événements publics des associations, communes et services : Agenda du Pays d'Albret, Landes.",
            "loto|mailto:contact@comite-arue.fr|Comité des fêtes d'Arue|Organisé par\u{202f}: Comité des fêtes d'Arue",
            "match|http://127.0.0.1:5232/associations#asso-b|Football club de Bourriot|Organisé par\u{202f}: Football club de Bourriot",
        ]
    );
    // The description's own text stays above the added line.
    assert!(
        unfold(&text).iter().any(|l| l
            == "DESCRIPTION:Nombreux lots.\\nBuvette.\\n\\nOrganisé par\u{202f}: Comité des fêtes d'Arue"),
        "{text}"
    );
    assert!(
        unfold(&text).iter().any(|l| l
            == "X-WR-CALDESC:Les événements publics des associations\\, communes et services : Agenda du Pays d'Albret\\, Landes."),
        "{text}"
    );
    let (ok, output) = validate(&file);
    assert!(ok, "{output}");
    // An organiser's own feed describes itself.
    let own = get(&server, "/feeds/asso-b.ics?from=2027-01-01&to=2028-01-01");
    assert!(
        unfold(&own).iter().any(|l| l
            == "X-WR-CALDESC:Les événements publics de Football club de Bourriot (Agenda du Pays d'Albret\\, Landes)."),
        "{own}"
    );
}

/// Prints the calendar's X-WR-CALDESC and DESCRIPTION as Python's
/// `icalendar` reads them, one line each (line breaks as "⏎").
const READ_CALDESC: &str = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for name in ('X-WR-CALDESC', 'DESCRIPTION'):
    print(str(cal.get(name)).replace('\n', '⏎'))
"#;

#[test]
fn an_organisers_feed_carries_the_description_it_wrote() {
    use common::web::{as_pairs, form_fields, set_field, WebClient};
    let server = settled_territory();
    let path = format!("/feeds/asso-a.ics?{WINDOW_2027}");
    let fetch = || {
        let response = server.request("GET", &path).send().expect(200);
        let source = header(&response, "x-concord-cache").to_owned();
        let etag = header(&response, "etag").to_owned();
        (source, etag, response.text())
    };
    let (_, before, text) = fetch();
    let sentence = "X-WR-CALDESC:Les événements publics de Comité des fêtes d'Arue (Agenda du Pays d'Albret\\, Landes).";
    assert!(unfold(&text).iter().any(|l| l == sentence), "{text}");
    assert_eq!(fetch().0, "hit");

    // The organiser writes its description on its card.
    let mut client = WebClient::signed_in(&server, "asso-a");
    let mut edit = |description: &str| {
        let page = client.get("/espace/profil").expect(200).text();
        let form = page
            .find("<form method=\"post\" action=\"/espace/profil\"")
            .expect("the card's form");
        let mut fields = form_fields(&page[form..], None);
        set_field(&mut fields, "description", description);
        client
            .post_form("/espace/profil", &as_pairs(&fields))
            .expect(303);
    };
    let description = "Bals, lotos; la kermesse d'été\net la fête du village à Arue — « ouverts à tous », même aux voisins de Bourriot-Bergonce.";
    edit(description);
    let (source, etag, text) = fetch();
    assert_eq!(source, "miss", "a card edit renders the feed again");
    assert_ne!(etag, before);
    let escaped = "Bals\\, lotos\\; la kermesse d'été\\net la fête du village à Arue — « ouverts à tous »\\, même aux voisins de Bourriot-Bergonce.";
    let lines = unfold(&text);
    assert!(lines.contains(&format!("X-WR-CALDESC:{escaped}")), "{text}");
    assert!(lines.contains(&format!("DESCRIPTION:{escaped}")), "{text}");
    // Its RSS feed describes it the same way (the channel's description
    // comes before the items').
    let rss = server
        .request("GET", "/feeds/asso-a.rss")
        .send()
        .expect(200)
        .text();
    let channel = &rss[rss.find("<description>").expect("a description")..];
    assert!(
        channel.starts_with("<description>Bals, lotos; la kermesse")
            && channel.contains("même aux voisins de Bourriot-Bergonce.</description>"),
        "{rss}"
    );
    // Folded at 75 octets, as every line of the feed.
    assert!(!text.contains(&format!("X-WR-CALDESC:{escaped}")), "{text}");
    assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
    // An independent reader gets the text back.
    let (file, stdout) = read_with_python(&server, "caldesc", READ_CALDESC, &text);
    let said: Vec<&str> = stdout.lines().collect();
    // It leaves the values of X- properties, whose type it cannot know, as
    // written.
    let unescaped = description.replace('\n', "⏎");
    assert_eq!(said, [escaped, unescaped.as_str()]);
    let (ok, output) = validate(&file);
    assert!(ok, "{output}");
    // A client holding the feed from before gets the new one.
    let response = server
        .request("GET", &path)
        .header("If-None-Match", &before)
        .send()
        .expect(200);
    assert_eq!(header(&response, "etag"), etag);
    // The intercommunal feed keeps its own.
    let all = get(&server, FEED);
    assert!(
        unfold(&all).iter().any(|l| l
            == "X-WR-CALDESC:Les événements publics des associations\\, communes et services : Agenda du Pays d'Albret\\, Landes."),
        "{all}"
    );
    assert!(!all.contains("kermesse"), "{all}");
    // Cleared, the sentence comes back.
    edit("");
    let (source, _, text) = fetch();
    assert_eq!(source, "miss");
    assert!(unfold(&text).iter().any(|l| l == sentence), "{text}");
}
