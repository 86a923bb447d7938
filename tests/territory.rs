//! What residents and staff read must describe the territory as it is:
//! an event's commune is where it happens (not its organiser's home), a
//! co-organised event is one event with several organisers, an all-day
//! festival entered on an iPhone (marked free) still clashes, and events
//! without categories are filed by their organiser's defaults or their
//! summary, in the feeds as in the conflict rules. Everything over real
//! HTTP and the real command line, in 2027 with explicit windows.

mod common;
use common::*;
use serde_json::Value;

const EXTRA: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"
[[communes]]
slug = "cavignac"
name = "Cavignac"
[[communes]]
slug = "saint-savin"
name = "Saint-Savin"
[[communes]]
slug = "marsas"
name = "Marsas"

[[categories]]
slug = "loto"
name = "Loto"
large_public_event = true
aliases = ["quine"]
[[categories]]
slug = "festival"
name = "Festival"
territory_wide = true
[[categories]]
slug = "sport"
name = "Sport"

[[venues]]
slug = "sdf-cavignac"
name = "Salle des fêtes"
commune = "cavignac"
[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
"#;

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

const FEED: &str = "/feeds/intercommunal.ics?from=2027-01-01&to=2028-01-01";
const PAGE: &str = "du=2027-01-01&au=2027-12-31";

/// A server with the harness' organisers (Arue, Bourriot-Bergonce) and two
/// more: a choir of Saint-Savin and a festival of Marsas.
fn territory() -> Server {
    let server = Server::start_with(EXTRA);
    for (login, name, commune) in [
        ("asso-c", "Chorale de Saint-Savin", "saint-savin"),
        ("asso-d", "Bandas de Marsas", "marsas"),
    ] {
        let out = cli_with_stdin(
            &server.config_path(),
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
            PASSWORD,
        );
        assert!(out.status.success(), "{out:?}");
    }
    server
}

fn cli(server: &Server, args: &[&str]) -> String {
    let out = cli_with_stdin(&server.config_path(), args, "");
    assert!(
        out.status.success(),
        "concord {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn conflicts_json(server: &Server, extra: &[&str]) -> Value {
    let mut args = vec![
        "conflicts",
        "--from",
        "2027-01-01",
        "--to",
        "2027-12-31",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&cli(server, &args)).expect("JSON report")
}

/// A timed event (Europe/Paris) with a location and extra lines.
fn located(
    uid: &str,
    summary: &str,
    location: &str,
    start: &str,
    end: &str,
    extra: &[&str],
) -> Vec<u8> {
    let mut lines = String::new();
    for line in extra {
        lines.push_str(line);
        lines.push_str("\r\n");
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\n{VTIMEZONE}BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=Europe/Paris:{start}\r\nDTEND;TZID=Europe/Paris:{end}\r\nSUMMARY:{summary}\r\nLOCATION:{location}\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

fn page(server: &Server, query: &str) -> String {
    server
        .request("GET", &format!("/?{PAGE}&{query}"))
        .send()
        .expect(200)
        .text()
}

fn feed(server: &Server, query: &str) -> String {
    server
        .request("GET", &format!("{FEED}{query}"))
        .send()
        .expect(200)
        .text()
}

/// The conflicts' descriptions with their two summaries, sorted.
fn described(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut sides = [
                c["a"]["summary"].as_str().unwrap_or("").to_owned(),
                c["b"]["summary"].as_str().unwrap_or("").to_owned(),
            ];
            sides.sort();
            format!(
                "{} | {} | {}",
                c["rule"].as_str().unwrap(),
                sides[0],
                sides[1]
            )
        })
        .collect();
    out.sort();
    out
}

/// Events of Bourriot's football club held in Cavignac (a venue, then an
/// address), one held at home; two lotos in Cavignac by organisers of Arue
/// and Saint-Savin, at places that match no venue.
fn places_dataset(server: &Server) {
    put_event(
        server,
        "asso-b",
        "ceremonie",
        located(
            "ceremonie",
            "Cérémonie intercommunale",
            "Salle des fêtes de Cavignac",
            "20270508T100000",
            "20270508T120000",
            &[],
        ),
    );
    put_event(
        server,
        "asso-b",
        "laep",
        located(
            "laep",
            "Atelier LAEP",
            "Maison de la petite enfance\\, 3 rue du Port\\, 33620 CAVIGNAC",
            "20270510T093000",
            "20270510T113000",
            &[],
        ),
    );
    put_event(
        server,
        "asso-b",
        "reunion",
        located(
            "reunion",
            "Réunion du club",
            "Club house",
            "20270511T183000",
            "20270511T200000",
            &[],
        ),
    );
    put_event(
        server,
        "asso-a",
        "loto-a",
        located(
            "loto-a",
            "Loto de printemps",
            "Place de la mairie\\, Cavignac",
            "20270612T140000",
            "20270612T180000",
            &["CATEGORIES:Loto"],
        ),
    );
    put_event(
        server,
        "asso-c",
        "loto-c",
        located(
            "loto-c",
            "Quine de la chorale",
            "Gymnase de Cavignac",
            "20270612T203000",
            "20270612T233000",
            &["CATEGORIES:Quine"],
        ),
    );
}

#[test]
fn an_event_belongs_to_the_commune_where_it_happens() {
    let server = territory();
    places_dataset(&server);

    // The agenda: Cavignac's filter shows what happens in Cavignac,
    // whoever organises it, and names the commune next to each event.
    let cavignac = page(&server, "commune=cavignac");
    for summary in [
        "Cérémonie intercommunale",
        "Atelier LAEP",
        "Loto de printemps",
        "Quine de la chorale",
    ] {
        assert!(cavignac.contains(summary), "{summary} missing: {cavignac}");
    }
    assert!(!cavignac.contains("Réunion du club"), "{cavignac}");
    assert!(
        cavignac.contains("Commune\u{202f}:</span> Cavignac"),
        "{cavignac}"
    );
    let bourriot = page(&server, "commune=bourriot-bergonce");
    assert!(bourriot.contains("Réunion du club"), "{bourriot}");
    assert!(
        bourriot.contains("Commune\u{202f}:</span> Bourriot-Bergonce"),
        "{bourriot}"
    );
    for summary in ["Cérémonie intercommunale", "Atelier LAEP"] {
        assert!(
            !bourriot.contains(summary),
            "{summary} is not in Bourriot: {bourriot}"
        );
    }
    assert!(!page(&server, "commune=arue").contains("Loto de printemps"));

    // The feed: the same rule.
    let cavignac = feed(&server, "&commune=cavignac");
    for summary in [
        "Cérémonie intercommunale",
        "Atelier LAEP",
        "Loto de printemps",
        "Quine de la chorale",
    ] {
        assert!(cavignac.contains(summary), "{summary} missing: {cavignac}");
    }
    assert!(!cavignac.contains("Réunion du club"), "{cavignac}");
    let bourriot = feed(&server, "&commune=bourriot-bergonce");
    assert!(bourriot.contains("SUMMARY:Réunion du club"), "{bourriot}");
    assert!(!bourriot.contains("Cérémonie"), "{bourriot}");
    assert!(!feed(&server, "&commune=saint-savin").contains("Quine"));

    // The conflicts: two lotos the same day in Cavignac, by organisers
    // of Arue and Saint-Savin, at places no venue matches.
    let report = conflicts_json(&server, &[]);
    assert_eq!(
        described(&report),
        ["grands-evenements-meme-commune | Loto de printemps | Quine de la chorale"],
        "{report:#}"
    );
    assert_eq!(report["conflicts"][0]["commune"], "cavignac");
    // Filtered by commune: the commune where they happen, in the CLI and
    // the staff API; and the unmatched locations of that commune only.
    let cavignac = conflicts_json(&server, &["--commune", "cavignac"]);
    assert_eq!(described(&cavignac), described(&report));
    assert_eq!(
        cavignac["unmatched_locations"],
        serde_json::json!({
            "Gymnase de Cavignac": 1,
            "Maison de la petite enfance, 3 rue du Port, 33620 CAVIGNAC": 1,
            "Place de la mairie, Cavignac": 1,
        }),
        "{cavignac:#}"
    );
    for commune in ["arue", "saint-savin"] {
        let other = conflicts_json(&server, &["--commune", commune]);
        assert!(described(&other).is_empty(), "{commune}: {other:#}");
    }
    let bourriot = conflicts_json(&server, &["--commune", "bourriot-bergonce"]);
    assert_eq!(
        bourriot["unmatched_locations"],
        serde_json::json!({"Club house": 1}),
        "{bourriot:#}"
    );
    let api = |commune: &str| -> Value {
        let response = server
            .as_user(
                "staff",
                "GET",
                &format!("/api/conflicts?from=2027-01-01&to=2027-12-31&commune={commune}"),
            )
            .send()
            .expect(200);
        serde_json::from_slice(&response.body).unwrap()
    };
    assert_eq!(described(&api("cavignac")), described(&report));
    assert!(described(&api("arue")).is_empty());
}

/// The Thunderbird invitation as the invitee's calendar keeps it: its own
/// answer, and the hall written its own way.
fn invitee_copy() -> Vec<u8> {
    fixture_text("ics/thunderbird-invitation.ics")
        .replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
        .replace(
            "X-MOZ-SEND-INVITATIONS:TRUE",
            "X-MOZ-RECEIVED-SEQUENCE:0\r\nX-MOZ-RECEIVED-DTSTAMP:20270112T181020Z",
        )
        .replace(
            "LOCATION:Salle des fêtes de Cavignac",
            "LOCATION:SDF\\, Cavignac (salle des fêtes)",
        )
        .into_bytes()
}

#[test]
fn a_co_organised_event_is_one_event_with_its_organisers() {
    let server = territory();
    const UID: &str = "UID:8d1e4c2b-93f7-4a6e-b0d5-2c7a9e3f1b68";
    // Arue's committee invites the choir from Thunderbird; the choir's
    // calendar app keeps the invitation in its own calendar.
    put_event(
        &server,
        "asso-a",
        "concert",
        fixture("ics/thunderbird-invitation.ics"),
    );
    put_event(&server, "asso-c", "invitation", invitee_copy());

    // The agenda: once, both organisers named, the first copy's content.
    let agenda = page(&server, "");
    assert_eq!(
        agenda.matches("Concert de printemps").count(),
        1,
        "{agenda}"
    );
    assert!(
        agenda.contains("Comité des fêtes d&#39;Arue et Chorale de Saint-Savin")
            || agenda.contains("Comité des fêtes d'Arue et Chorale de Saint-Savin"),
        "{agenda}"
    );
    assert!(agenda.contains("Salle des fêtes de Cavignac"), "{agenda}");
    assert!(!agenda.contains("SDF, Cavignac"), "{agenda}");
    let cavignac = page(&server, "commune=cavignac");
    assert_eq!(cavignac.matches("Concert de printemps").count(), 1);
    // Its page names both organisers as well.
    let event = server
        .request("GET", &format!("/evenements/{}", &UID["UID:".len()..]))
        .send()
        .expect(200)
        .text();
    assert!(event.contains("Chorale de Saint-Savin"), "{event}");
    assert!(event.contains("Salle des fêtes de Cavignac"), "{event}");

    // The intercommunal feed: once, with both organisers; each
    // organiser's own feed has it too.
    let all = feed(&server, "");
    assert_eq!(all.matches(UID).count(), 1, "{all}");
    let unfolded = all.replace("\r\n ", "");
    assert!(
        unfolded.contains(
            "Organisé par\u{202f}: Comité des fêtes d'Arue et Chorale de Saint-Savin\r\n"
        ),
        "{all}"
    );
    assert!(
        all.contains("LOCATION:Salle des fêtes de Cavignac"),
        "{all}"
    );
    for login in ["asso-a", "asso-c"] {
        let own = server
            .request(
                "GET",
                &format!("/feeds/{login}.ics?from=2027-01-01&to=2028-01-01"),
            )
            .send()
            .expect(200)
            .text();
        assert_eq!(own.matches(UID).count(), 1, "{login}: {own}");
    }
    let by_organiser = feed(&server, "&organiser=asso-c");
    assert_eq!(by_organiser.matches(UID).count(), 1, "{by_organiser}");

    // The intercommunal calendar over CalDAV: one member, the first copy.
    let export = server
        .as_user("asso-b", "GET", "/dav/intercommunal/")
        .send()
        .expect(200)
        .text();
    assert_eq!(export.matches(UID).count(), 1, "{export}");
    assert!(
        export.contains("LOCATION:Salle des fêtes de Cavignac"),
        "{export}"
    );
    let listing = server
        .as_user("asso-b", "PROPFIND", "/dav/intercommunal/")
        .header("depth", "1")
        .xml("<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:prop><d:getetag/></d:prop></d:propfind>")
        .send()
        .expect(207)
        .text();
    assert_eq!(listing.matches(".ics</").count(), 1, "{listing}");

    // Never a conflict with itself (same hall, same time, two organisers);
    // staff see it is co-organised and that the copies differ.
    let report = conflicts_json(&server, &[]);
    assert!(described(&report).is_empty(), "{report:#}");
    let shared = report["co_organised"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{report:#}");
    assert_eq!(shared[0]["summary"], "Concert de printemps");
    assert_eq!(shared[0]["differences"], serde_json::json!(["location"]));
    let logins: Vec<&str> = shared[0]["organisers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["asso-a", "asso-c"]);
    let table = cli(
        &server,
        &["conflicts", "--from", "2027-01-01", "--to", "2027-12-31"],
    );
    assert!(table.contains("copies differ: location"), "{table}");
}

#[test]
fn an_all_day_festival_marked_free_still_clashes() {
    let server = territory();
    cli(
        &server,
        &["organiser", "set", "asso-d", "--categories", "festival"],
    );
    // Entered on an iPhone: all-day, TRANSP:TRANSPARENT, no CATEGORIES.
    put_event(
        &server,
        "asso-d",
        "bandas",
        fixture("ics/ios-allday-transparent-festival.ics"),
    );
    put_event(
        &server,
        "asso-b",
        "rock",
        located(
            "rock",
            "Festival rock",
            "Stade\\, Bourriot-Bergonce",
            "20270627T180000",
            "20270627T235900",
            &["CATEGORIES:Festival"],
        ),
    );
    let report = conflicts_json(&server, &[]);
    assert_eq!(
        described(&report),
        ["categorie-territoriale | Festival des Bandas | Festival rock"],
        "{report:#}"
    );
    // Transparency still means "free" to the organiser's own free-busy.
    let freebusy = server
        .as_user("asso-d", "REPORT", "/dav/calendars/asso-d/main/")
        .header("depth", "1")
        .xml("<?xml version=\"1.0\"?><C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:time-range start=\"20270626T000000Z\" end=\"20270628T000000Z\"/></C:free-busy-query>")
        .send()
        .expect(200)
        .text();
    assert!(!freebusy.contains("\r\nFREEBUSY"), "{freebusy}");
}

#[test]
fn a_rule_may_keep_ignoring_events_marked_free() {
    let rules = r#"
[[conflict_rules]]
name = "categorie-territoriale"
kind = "same-category-territory"
severity = "warning"
ignore_transparent = true
"#;
    let server = Server::start_with(&format!("{EXTRA}{rules}"));
    cli(
        &server,
        &["organiser", "set", "asso-a", "--categories", "festival"],
    );
    put_event(
        &server,
        "asso-a",
        "bandas",
        fixture("ics/ios-allday-transparent-festival.ics"),
    );
    put_event(
        &server,
        "asso-b",
        "rock",
        located(
            "rock",
            "Festival rock",
            "Stade\\, Bourriot-Bergonce",
            "20270627T180000",
            "20270627T235900",
            &["CATEGORIES:Festival"],
        ),
    );
    let report = conflicts_json(&server, &[]);
    assert!(described(&report).is_empty(), "{report:#}");
}

/// The CATEGORIES lines of the feed's event whose SUMMARY is `summary`.
fn categories_of(feed: &str, summary: &str) -> Vec<String> {
    let unfolded = feed.replace("\r\n ", "");
    let event = unfolded
        .split("BEGIN:VEVENT")
        .find(|e| e.contains(&format!("SUMMARY:{summary}\r\n")))
        .unwrap_or_else(|| panic!("{summary} not in {feed}"));
    event
        .lines()
        .filter_map(|l| l.strip_prefix("CATEGORIES:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn feeds_write_the_categories_events_are_filed_under() {
    let server = territory();
    cli(
        &server,
        &["organiser", "set", "asso-b", "--categories", "sport"],
    );
    // No CATEGORIES: the organiser's (football club: sport), or the
    // summary's words (Arue's committee has no default), or its own.
    put_event(
        &server,
        "asso-b",
        "match",
        located(
            "match",
            "Match de gala",
            "Stade\\, Bourriot-Bergonce",
            "20270313T150000",
            "20270313T170000",
            &[],
        ),
    );
    put_event(
        &server,
        "asso-a",
        "super-loto",
        located(
            "super-loto",
            "Super loto du comité",
            "Salle des fêtes d'Arue",
            "20270213T140000",
            "20270213T180000",
            &[],
        ),
    );
    put_event(
        &server,
        "asso-a",
        "quine",
        located(
            "quine",
            "Grand quine",
            "Salle des fêtes d'Arue",
            "20270320T140000",
            "20270320T180000",
            &["CATEGORIES:Quine"],
        ),
    );
    put_event(
        &server,
        "asso-a",
        "ag",
        located(
            "ag",
            "Assemblée générale",
            "Mairie d'Arue",
            "20270115T183000",
            "20270115T200000",
            &[],
        ),
    );
    let all = feed(&server, "");
    assert_eq!(categories_of(&all, "Match de gala"), ["Sport"]);
    assert_eq!(categories_of(&all, "Super loto du comité"), ["Loto"]);
    assert_eq!(
        categories_of(&all, "Grand quine"),
        ["Quine"],
        "its own, untouched"
    );
    assert!(categories_of(&all, "Assemblée générale").is_empty());
    // The filters follow the same rule.
    let lotos = feed(&server, "&category=loto");
    assert!(lotos.contains("SUMMARY:Super loto du comité"), "{lotos}");
    assert!(lotos.contains("SUMMARY:Grand quine"), "{lotos}");
    assert!(!lotos.contains("Match de gala"), "{lotos}");
    let agenda = page(&server, "categorie=loto");
    assert!(agenda.contains("Super loto du comité"), "{agenda}");
    assert!(!agenda.contains("Assemblée générale"), "{agenda}");
    // An independent parser reads the feed, categories and all.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, &all).unwrap();
    let out = std::process::Command::new(python())
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_feed.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn uncategorised_lotos_the_same_evening_are_reported() {
    let server = territory();
    // Neither event has CATEGORIES, neither organiser default categories.
    put_event(
        &server,
        "asso-a",
        "super-loto",
        located(
            "super-loto",
            "Super loto du comité",
            "Salle des fêtes d'Arue",
            "20270213T140000",
            "20270213T180000",
            &[],
        ),
    );
    put_event(
        &server,
        "asso-c",
        "loto-ecole",
        located(
            "loto-ecole",
            "SUPER LOTO de l'école",
            "Préau de l'école\\, Arue",
            "20270213T203000",
            "20270213T233000",
            &[],
        ),
    );
    put_event(
        &server,
        "asso-c",
        "repetition",
        located(
            "repetition",
            "Répétition ouverte",
            "Église de Saint-Savin",
            "20270214T150000",
            "20270214T170000",
            &[],
        ),
    );
    let report = conflicts_json(&server, &[]);
    assert_eq!(
        described(&report),
        ["grands-evenements-meme-commune | SUPER LOTO de l'école | Super loto du comité"],
        "{report:#}"
    );
    // What still has no category is listed to staff.
    let uncategorised: Vec<&str> = report["uncategorised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["summary"].as_str().unwrap())
        .collect();
    assert_eq!(uncategorised, ["Répétition ouverte"], "{report:#}");
    let table = cli(
        &server,
        &["conflicts", "--from", "2027-01-01", "--to", "2027-12-31"],
    );
    assert!(table.contains("public events in no category"), "{table}");
    assert!(
        table.contains("Répétition ouverte (Chorale de Saint-Savin, saint-savin)"),
        "{table}"
    );
    // Filtered by commune, the list keeps that commune's events.
    let arue = conflicts_json(&server, &["--commune", "arue"]);
    assert!(
        arue["uncategorised"].as_array().unwrap().is_empty(),
        "{arue:#}"
    );
}
