//! Conflict detection end to end: a hand-made dataset whose conflicts are
//! known in advance is PUT over CalDAV by four organisers, then the report
//! is checked exactly (the full set, not "contains") through the CLI, the
//! staff API, acknowledgements, each organiser's read-only "Conflits"
//! calendar and the availability check.
//!
//! The dataset (all in 2027, Europe/Paris):
//!
//! | # | rule | events |
//! |---|------|--------|
//! | 1-3 | meme-lieu | three spellings of the Arue hall, 13 Feb: "Repas des aînés" (a), "Théâtre amateur" (c), "Assemblée générale du FCB" (b) |
//! | 4 | grands-evenements-meme-commune | two lotos in Arue on 17 Jan, 14:00 and 20:30 (a, c; "Quine" alias) |
//! | 5 | categorie-territoriale | festival in Roquefort (d, by organiser category) and in Bourriot (b), 15 May |
//! | 6-7 | lieu-ferme | gymnasium closed in April (inclusive end): 10 Apr (b), 30 Apr (c) |
//! | 8 | meme-lieu | weekly "Gym douce" (a, COUNT=6) vs one meeting on its 3rd Tuesday (b) |
//! | 9 | meme-lieu | three-day festival, DATE values (d) vs a timed event on day 3 (a) |
//! | 10 | meme-lieu | one-day all-day "Vide-grenier" (c) vs a timed match (b) |
//! | 11 | meme-lieu | DST night 28 Mar: 01:30-03:30 (c) vs 03:00-03:20 (b); 03:30 (a) is back to back |
//!
//! and near-misses that must not be reported: a cancelled and a private transparent
//! event at a booked hall, back-to-back events, same venue on different
//! days, one organiser twice at one venue, lotos in different communes,
//! events just after a series' COUNT, after an all-day event's exclusive end
//! and after a closed period, and "Chez Paulette" (no venue: listed in
//! `unmatched_locations`).

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

const EXTRA: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"
[[communes]]
slug = "roquefort"
name = "Roquefort"
[[communes]]
slug = "sarbazan"
name = "Sarbazan"

[[categories]]
slug = "loto"
name = "Loto"
large_public_event = true
aliases = ["quine"]
[[categories]]
slug = "fete"
name = "Fête"
large_public_event = true
[[categories]]
slug = "festival"
name = "Festival"
territory_wide = true
[[categories]]
slug = "sport"
name = "Sport"

[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
aliases = ["SDF Arue", "foyer rural d'Arue"]
capacity = 250
[[venues]]
slug = "stade-arue"
name = "Stade municipal"
commune = "arue"
[[venues]]
slug = "sdf-bourriot"
name = "Salle des fêtes"
commune = "bourriot-bergonce"
[[venues]]
slug = "gymnase-roquefort"
name = "Gymnase"
commune = "roquefort"
closed = [{ from = "2027-04-01", to = "2027-04-30", reason = "travaux" }]
[[venues]]
slug = "arenes-roquefort"
name = "Arènes"
commune = "roquefort"
[[venues]]
slug = "eglise-sarbazan"
name = "Église"
commune = "sarbazan"
"#;

/// Organisers of the dataset: login, display name, commune, e-mail.
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    (
        "asso-a",
        "Comité des fêtes d'Arue",
        "arue",
        "comite@arue.example",
    ),
    (
        "asso-b",
        "Football club de Bourriot",
        "bourriot-bergonce",
        "fcb@bourriot.example",
    ),
    (
        "asso-c",
        "Amicale laïque d'Arue",
        "arue",
        "amicale@arue.example",
    ),
    (
        "asso-d",
        "Festival des Landes",
        "roquefort",
        "contact@festival-landes.example",
    ),
];

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// One event of the dataset.
struct Ev {
    login: &'static str,
    uid: &'static str,
    summary: &'static str,
    location: &'static str,
    /// DTSTART/DTEND values: "20270213T120000" (Europe/Paris) or
    /// "20270806" (a DATE).
    start: &'static str,
    end: &'static str,
    extra: &'static [&'static str],
}

impl Ev {
    fn path(&self) -> String {
        format!("/dav/calendars/{}/main/{}.ics", self.login, self.uid)
    }

    fn ics(&self) -> Vec<u8> {
        self.ics_with(self.start, self.end, &[])
    }

    /// The event with other times and further property lines.
    fn ics_with(&self, start: &str, end: &str, more: &[&str]) -> Vec<u8> {
        let when = |name: &str, value: &str| {
            if value.len() == 8 {
                format!("{name};VALUE=DATE:{value}")
            } else {
                format!("{name};TZID=Europe/Paris:{value}")
            }
        };
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@concord-tests", self.uid),
            "DTSTAMP:20261120T100000Z".to_owned(),
            when("DTSTART", start),
            when("DTEND", end),
            format!("SUMMARY:{}", self.summary),
        ];
        if !self.location.is_empty() {
            lines.push(format!("LOCATION:{}", self.location.replace(',', "\\,")));
        }
        lines.extend(self.extra.iter().map(|l| l.to_string()));
        lines.extend(more.iter().map(|l| l.to_string()));
        lines.push("END:VEVENT".to_owned());
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//conflicts//FR\r\n{VTIMEZONE}{}\r\nEND:VCALENDAR\r\n",
            lines.join("\r\n")
        )
        .into_bytes()
    }
}

const fn ev(
    login: &'static str,
    uid: &'static str,
    summary: &'static str,
    location: &'static str,
    start: &'static str,
    end: &'static str,
    extra: &'static [&'static str],
) -> Ev {
    Ev {
        login,
        uid,
        summary,
        location,
        start,
        end,
        extra,
    }
}

#[rustfmt::skip]
const DATASET: &[Ev] = &[
    // 1-3: one hall, three spellings (name + commune, again without
    // accents, an alias), three organisers overlapping pairwise.
    ev("asso-a", "repas-aines", "Repas des aînés", "salle des fêtes d'Arue", "20270213T120000", "20270213T170000", &[]),
    ev("asso-c", "theatre", "Théâtre amateur", "Salle des Fetes, Arue", "20270213T150000", "20270213T180000", &[]),
    ev("asso-b", "ag-fcb", "Assemblée générale du FCB", "SDF Arue (grande salle)", "20270213T163000", "20270213T190000", &[]),
    // 4: two lotos in Arue the same day at different times (the hall is
    // the same but the times do not overlap: no meme-lieu).
    ev("asso-a", "loto-comite", "Loto du comité", "Salle des fêtes, Arue", "20270117T140000", "20270117T180000", &["CATEGORIES:Loto"]),
    ev("asso-c", "quine-amicale", "Grand quine de l'amicale", "Salle des fêtes d'Arue", "20270117T203000", "20270117T233000", &["CATEGORIES:Quine"]),
    // Near-miss: lotos at the same time in two communes.
    ev("asso-a", "loto-chasse", "Loto de la chasse", "Foyer rural d'Arue", "20270124T140000", "20270124T180000", &["CATEGORIES:LOTO"]),
    ev("asso-b", "loto-foot", "Loto du foot", "Salle des fêtes, Bourriot-Bergonce", "20270124T140000", "20270124T180000", &["CATEGORIES:loto"]),
    // 5: territory-wide category, two communes; asso-d's event has no
    // CATEGORIES and takes its organiser's (festival).
    ev("asso-d", "scene-ouverte", "Scène ouverte", "Arènes, Roquefort", "20270515T180000", "20270515T230000", &[]),
    ev("asso-b", "festival-ballon", "Festival du ballon rond", "Salle des fêtes, Bourriot-Bergonce", "20270515T200000", "20270515T230000", &["CATEGORIES:Festival"]),
    // 6-7: the gymnasium is closed 1-30 April (inclusive); 1 May is free.
    ev("asso-b", "futsal", "Tournoi de futsal", "Gymnase de Roquefort", "20270410T090000", "20270410T180000", &["CATEGORIES:Sport"]),
    ev("asso-c", "gala-danse", "Gala de danse", "Gymnase, Roquefort", "20270430T200000", "20270430T230000", &[]),
    ev("asso-b", "futsal-retour", "Tournoi de futsal (retour)", "Gymnase de Roquefort", "20270501T100000", "20270501T120000", &["CATEGORIES:Sport"]),
    // 8: a weekly series (2 Mar - 6 Apr, six Tuesdays) clashing on its
    // third instance only; 13 Apr would be a seventh instance.
    ev("asso-a", "gym-douce", "Gym douce", "Foyer rural d'Arue", "20270302T183000", "20270302T193000", &["RRULE:FREQ=WEEKLY;COUNT=6"]),
    ev("asso-b", "bureau-fcb", "Réunion du bureau du FCB", "Salle des fêtes d'Arue", "20270316T190000", "20270316T210000", &[]),
    ev("asso-b", "bilan-fcb", "Réunion de bilan", "Salle des fêtes d'Arue", "20270413T183000", "20270413T193000", &[]),
    // 9: a three-day festival (DATE values, 6-8 Aug) and a timed event on
    // its last day; 9 Aug is after the exclusive end.
    ev("asso-d", "fetes-roquefort", "Fêtes de Roquefort", "Arènes de Roquefort", "20270806", "20270809", &[]),
    ev("asso-a", "course-landaise", "Course landaise", "Arènes, Roquefort", "20270808T170000", "20270808T190000", &[]),
    ev("asso-a", "nettoyage", "Nettoyage des arènes", "Arènes de Roquefort", "20270809T090000", "20270809T120000", &[]),
    // 10: a one-day all-day event and a timed one; the next day is free.
    ev("asso-c", "vide-grenier", "Vide-grenier", "Stade municipal d'Arue", "20270619", "20270620", &[]),
    ev("asso-b", "match-gala", "Match de gala", "Stade municipal, Arue", "20270619T150000", "20270619T170000", &[]),
    ev("asso-b", "entrainement", "Entraînement", "Stade municipal, Arue", "20270620T100000", "20270620T120000", &[]),
    // 11: the night clocks go forward (28 Mar 2027, 02:00 -> 03:00):
    // 01:30-03:30 local lasts one hour, 00:30-01:30 UTC.
    ev("asso-c", "veillee", "Veillée de Pâques", "Église de Sarbazan", "20270328T013000", "20270328T033000", &[]),
    ev("asso-b", "cloches", "Sonnerie des cloches", "Eglise, Sarbazan", "20270328T030000", "20270328T032000", &[]),
    ev("asso-a", "marche-aube", "Marche de l'aube", "Église de Sarbazan", "20270328T033000", "20270328T050000", &[]),
    // Near-misses: cancelled and private transparent events at a booked hall (and
    // lotos the same evening in the same commune).
    ev("asso-a", "loto-automne", "Loto d'automne", "Salle des fêtes d'Arue", "20271009T200000", "20271009T230000", &["CATEGORIES:Loto"]),
    ev("asso-b", "repas-club", "Repas du club", "Salle des fêtes, Arue", "20271009T200000", "20271009T230000", &["STATUS:CANCELLED"]),
    ev("asso-c", "quine-chorale", "Quine de la chorale", "SDF Arue", "20271009T200000", "20271009T230000", &["CATEGORIES:Quine", "TRANSP:TRANSPARENT", "CLASS:PRIVATE"]),
    // Near-misses: back to back (18:00 end, 18:00 start).
    ev("asso-a", "couture", "Atelier couture", "Salle des fêtes, Bourriot-Bergonce", "20270904T140000", "20270904T180000", &[]),
    ev("asso-b", "aperitif", "Apéritif du club", "Salle des fêtes de Bourriot-Bergonce", "20270904T180000", "20270904T200000", &[]),
    // Near-misses: same venue, different days.
    ev("asso-a", "expo-photo", "Exposition photo", "Salle des fêtes, Bourriot-Bergonce", "20270911T100000", "20270911T180000", &[]),
    ev("asso-b", "belote", "Tournoi de belote", "Salle des fêtes, Bourriot-Bergonce", "20270912T100000", "20270912T180000", &[]),
    // Near-misses: one organiser twice at one venue (two lotos, too).
    ev("asso-a", "loto-enfants", "Loto des enfants", "Salle des fêtes d'Arue", "20270918T140000", "20270918T170000", &["CATEGORIES:Loto"]),
    ev("asso-a", "loto-adultes", "Loto des adultes", "Salle des fêtes d'Arue", "20270918T160000", "20270918T200000", &["CATEGORIES:Loto"]),
    // No venue.
    ev("asso-c", "amicale-reunion", "Réunion de l'amicale", "Chez Paulette", "20270925T190000", "20270925T210000", &[]),
];

fn event_by_uid(uid: &str) -> &'static Ev {
    DATASET
        .iter()
        .find(|e| e.uid == uid)
        .unwrap_or_else(|| panic!("no event {uid}"))
}

/// The conflicts of the dataset, as `describe` writes them.
fn expected_all() -> BTreeSet<String> {
    [
        ("meme-lieu", &["Repas des aînés", "Théâtre amateur"][..]),
        (
            "meme-lieu",
            &["Assemblée générale du FCB", "Repas des aînés"],
        ),
        (
            "meme-lieu",
            &["Assemblée générale du FCB", "Théâtre amateur"],
        ),
        (
            "grands-evenements-meme-commune",
            &["Grand quine de l'amicale", "Loto du comité"],
        ),
        (
            "categorie-territoriale",
            &["Festival du ballon rond", "Scène ouverte"],
        ),
        ("lieu-ferme", &["Tournoi de futsal"]),
        ("lieu-ferme", &["Gala de danse"]),
        ("meme-lieu", &["Gym douce", "Réunion du bureau du FCB"]),
        ("meme-lieu", &["Course landaise", "Fêtes de Roquefort"]),
        ("meme-lieu", &["Match de gala", "Vide-grenier"]),
        ("meme-lieu", &["Sonnerie des cloches", "Veillée de Pâques"]),
    ]
    .into_iter()
    .map(|(rule, summaries)| label(rule, summaries.iter().map(|s| s.to_string()).collect()))
    .collect()
}

fn label(rule: &str, mut summaries: Vec<String>) -> String {
    summaries.sort();
    format!("{rule}: {}", summaries.join(" + "))
}

/// "rule: summary + summary" for a conflict of the JSON report.
fn describe(conflict: &Value) -> String {
    let mut summaries = vec![conflict["a"]["summary"].as_str().unwrap().to_owned()];
    if !conflict["b"].is_null() {
        summaries.push(conflict["b"]["summary"].as_str().unwrap().to_owned());
    }
    label(conflict["rule"].as_str().unwrap(), summaries)
}

fn described(report: &Value) -> BTreeSet<String> {
    let list = report["conflicts"].as_array().expect("conflicts array");
    let set: BTreeSet<String> = list.iter().map(describe).collect();
    assert_eq!(set.len(), list.len(), "duplicate conflicts: {report:#}");
    set
}

fn subset(labels: &[&str]) -> BTreeSet<String> {
    let all = expected_all();
    labels
        .iter()
        .map(|l| {
            let found = all
                .iter()
                .find(|x| x.contains(l))
                .unwrap_or_else(|| panic!("{l}"));
            found.clone()
        })
        .collect()
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

/// A server with the four organisers (contacts set) and the whole dataset.
fn dataset() -> Server {
    let server = Server::start_with(EXTRA);
    for (login, name, commune, _) in &PEOPLE[2..] {
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
    for (login, _, _, email) in PEOPLE {
        cli(&server, &["organiser", "set", login, "--email", email]);
    }
    cli(
        &server,
        &["organiser", "set", "asso-d", "--categories", "festival"],
    );
    for event in DATASET {
        put_at(&server, event.login, &event.path(), event.ics());
    }
    server
}

fn cli_json(server: &Server, extra: &[&str]) -> Value {
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

fn api_json(server: &Server, query: &str) -> Value {
    let response = server
        .as_user("staff", "GET", &format!("/api/conflicts?{query}"))
        .send()
        .expect(200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        response.headers
    );
    serde_json::from_slice(&response.body).expect("JSON report")
}

fn find<'a>(report: &'a Value, label_part: &str) -> &'a Value {
    let matching: Vec<&Value> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| describe(c).contains(label_part))
        .collect();
    assert_eq!(matching.len(), 1, "{label_part}: {report:#}");
    matching[0]
}

/// The side of `conflict` whose summary is `summary`.
fn side<'a>(conflict: &'a Value, summary: &str) -> &'a Value {
    ["a", "b"]
        .iter()
        .map(|s| &conflict[*s])
        .find(|s| s["summary"] == summary)
        .unwrap_or_else(|| panic!("{summary} in {conflict:#}"))
}

#[test]
fn cli_json_reports_exactly_the_known_conflicts() {
    let server = dataset();
    let report = cli_json(&server, &[]);
    assert_eq!(described(&report), expected_all(), "{report:#}");
    assert_eq!(
        report["unmatched_locations"],
        serde_json::json!({"Chez Paulette": 1}),
        "every other spelling designates a venue"
    );
    for c in report["conflicts"].as_array().unwrap() {
        assert_eq!(c["acknowledged"], false, "{c:#}");
        let key = c["key"].as_str().unwrap();
        assert!(key.starts_with(&format!("{}:", c["rule"].as_str().unwrap())));
        let expected_severity = match c["rule"].as_str().unwrap() {
            "meme-lieu" | "lieu-ferme" => "hard",
            _ => "warning",
        };
        assert_eq!(c["severity"], expected_severity, "{c:#}");
        // Sides are different organisers.
        if !c["b"].is_null() {
            assert_ne!(c["a"]["organiser"]["login"], c["b"]["organiser"]["login"]);
        }
    }
    let keys: BTreeSet<&str> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 11, "keys are unique");

    // Venue, commune and category of each rule.
    let hall = find(&report, "Repas des aînés + Théâtre amateur");
    assert_eq!(hall["kind"], "same-venue");
    assert_eq!(hall["venue"], "sdf-arue");
    assert_eq!(
        hall["description"],
        "Même lieu au même moment : Salle des fêtes, Arue"
    );
    let lotos = find(&report, "Loto du comité");
    assert_eq!(lotos["kind"], "same-commune-large-events");
    assert_eq!(lotos["commune"], "arue");
    assert_eq!(
        lotos["description"],
        "Deux grands événements à Arue le dimanche 17 janvier 2027"
    );
    assert_eq!(
        side(lotos, "Grand quine de l'amicale")["start"],
        "2027-01-17T20:30:00+01:00"
    );
    let festival = find(&report, "Scène ouverte");
    assert_eq!(festival["kind"], "same-category-territory");
    assert_eq!(festival["category"], "festival");
    let closed = find(&report, "lieu-ferme: Tournoi de futsal");
    assert_eq!(closed["kind"], "venue-closed");
    assert_eq!(closed["venue"], "gymnase-roquefort");
    assert!(closed["b"].is_null());
    assert_eq!(
        closed["description"],
        "Gymnase, Roquefort : fermeture du 1er au 30 avril 2027 (travaux)"
    );
    assert_eq!(
        find(&report, "Gala de danse")["a"]["start"],
        "2027-04-30T20:00:00+02:00",
        "the closed period's last day is included"
    );

    // The series clashes on its 16 March instance only.
    let series = find(&report, "Gym douce");
    let gym = side(series, "Gym douce");
    assert_eq!(gym["start"], "2027-03-16T18:30:00+01:00");
    assert_eq!(gym["end"], "2027-03-16T19:30:00+01:00");
    assert!(
        !gym["recurrence_id"].is_null(),
        "an instance of a series carries its RECURRENCE-ID: {series:#}"
    );

    // All-day and multi-day events span local days.
    let arenes = find(&report, "Fêtes de Roquefort");
    assert_eq!(arenes["venue"], "arenes-roquefort");
    let fetes = side(arenes, "Fêtes de Roquefort");
    assert_eq!(fetes["start"], "2027-08-06T00:00:00+02:00");
    assert_eq!(fetes["end"], "2027-08-09T00:00:00+02:00");
    let stade = find(&report, "Vide-grenier");
    assert_eq!(stade["venue"], "stade-arue");
    assert_eq!(
        side(stade, "Vide-grenier")["start"],
        "2027-06-19T00:00:00+02:00"
    );

    // The DST night, in local time with the right offsets.
    let night = find(&report, "Veillée de Pâques");
    assert_eq!(night["venue"], "eglise-sarbazan");
    let vigil = side(night, "Veillée de Pâques");
    assert_eq!(vigil["start"], "2027-03-28T01:30:00+01:00");
    assert_eq!(vigil["end"], "2027-03-28T03:30:00+02:00");
    assert_eq!(
        side(night, "Sonnerie des cloches")["start"],
        "2027-03-28T03:00:00+02:00"
    );

    // Each side names its organiser and contact.
    let ag = side(hall, "Théâtre amateur");
    assert_eq!(ag["organiser"]["login"], "asso-c");
    assert_eq!(ag["organiser"]["name"], "Amicale laïque d'Arue");
    assert_eq!(ag["organiser"]["commune"], "arue");
    assert_eq!(ag["organiser"]["email"], "amicale@arue.example");
    assert_eq!(ag["location"], "Salle des Fetes, Arue");
}

#[test]
fn cli_table_and_csv_formats() {
    let server = dataset();
    let report = cli_json(&server, &[]);
    let keys: BTreeSet<String> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_owned())
        .collect();

    let table = cli(
        &server,
        &[
            "conflicts",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--format",
            "table",
        ],
    );
    assert!(table.contains("11 conflict(s)"), "{table}");
    assert!(table.contains("Chez Paulette"), "{table}");
    for key in &keys {
        assert!(table.contains(&format!("key: {key}")), "{key} in {table}");
    }
    // The default format is the table.
    let default = cli(
        &server,
        &["conflicts", "--from", "2027-01-01", "--to", "2027-12-31"],
    );
    assert_eq!(default, table);

    let csv = cli(
        &server,
        &[
            "conflicts",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = csv.trim_end_matches(['\r', '\n']).split("\r\n").collect();
    assert_eq!(
        lines[0],
        "key,rule,severity,acknowledged,description,start_a,summary_a,organiser_a,start_b,summary_b,organiser_b"
    );
    assert_eq!(lines.len(), 1 + 11, "{csv}");
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| csv_fields(l)).collect();
    for row in &rows {
        assert_eq!(row.len(), 11, "{row:?}");
    }
    let csv_keys: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(csv_keys, keys);
    let csv_labels: BTreeSet<String> = rows
        .iter()
        .map(|r| {
            let mut summaries = vec![r[6].clone()];
            if !r[9].is_empty() {
                summaries.push(r[9].clone());
            }
            label(&r[1], summaries)
        })
        .collect();
    assert_eq!(csv_labels, expected_all());
    // A description with a comma stays one field.
    assert!(rows
        .iter()
        .any(|r| r[4] == "Même lieu au même moment : Salle des fêtes, Arue"));

    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "conflicts",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--format",
            "xml",
        ],
        "",
    );
    assert!(!out.status.success());
}

/// Splits one RFC 4180 line.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn cli_filters_by_organiser_and_commune() {
    let server = dataset();
    let d = cli_json(&server, &["--organiser", "asso-d"]);
    assert_eq!(
        described(&d),
        subset(&["Scène ouverte", "Fêtes de Roquefort"])
    );
    // A conflict is in a commune by its venue, its commune or either
    // organiser's home commune.
    let roquefort = cli_json(&server, &["--commune", "roquefort"]);
    assert_eq!(
        described(&roquefort),
        subset(&[
            "Scène ouverte",
            "Fêtes de Roquefort",
            "lieu-ferme: Tournoi de futsal",
            "Gala de danse"
        ])
    );
    let sarbazan = cli_json(&server, &["--commune", "sarbazan"]);
    assert_eq!(described(&sarbazan), subset(&["Veillée de Pâques"]));
    let both = cli_json(
        &server,
        &["--organiser", "asso-b", "--commune", "roquefort"],
    );
    assert_eq!(
        described(&both),
        subset(&["Scène ouverte", "lieu-ferme: Tournoi de futsal"])
    );
    // The window: only January.
    let out = cli(
        &server,
        &[
            "conflicts",
            "--from",
            "2027-01-01",
            "--to",
            "2027-01-31",
            "--format",
            "json",
        ],
    );
    let january: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(described(&january), subset(&["Loto du comité"]));
    // One day: its last day is included, and an event begun before it
    // (the festival started on the 6th) counts.
    let day = |date: &str| -> Value {
        let out = cli(
            &server,
            &[
                "conflicts",
                "--from",
                date,
                "--to",
                date,
                "--format",
                "json",
            ],
        );
        serde_json::from_str(&out).unwrap()
    };
    assert_eq!(described(&day("2027-04-30")), subset(&["Gala de danse"]));
    assert_eq!(
        described(&day("2027-08-08")),
        subset(&["Fêtes de Roquefort"])
    );
    assert_eq!(described(&day("2027-08-09")), BTreeSet::new());
}

#[test]
fn staff_api_report_matches_and_filters() {
    let server = dataset();
    let report = api_json(&server, "from=2027-01-01&to=2027-12-31");
    assert_eq!(described(&report), expected_all(), "{report:#}");
    assert_eq!(
        report["unmatched_locations"],
        serde_json::json!({"Chez Paulette": 1})
    );
    // Same keys as the CLI.
    let cli_report = cli_json(&server, &[]);
    let keys = |r: &Value| -> BTreeSet<String> {
        r["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(keys(&report), keys(&cli_report));
    // Default window: today and the next 365 days (all of the dataset).
    assert_eq!(described(&api_json(&server, "")), expected_all());

    let by_organiser = api_json(&server, "from=2027-01-01&to=2027-12-31&organiser=asso-a");
    assert_eq!(
        described(&by_organiser),
        subset(&[
            "Repas des aînés + Théâtre amateur",
            "Assemblée générale du FCB + Repas des aînés",
            "Loto du comité",
            "Gym douce",
            "Fêtes de Roquefort",
        ])
    );
    let by_commune = api_json(&server, "from=2027-01-01&to=2027-12-31&commune=roquefort");
    assert_eq!(
        described(&by_commune),
        subset(&[
            "Scène ouverte",
            "Fêtes de Roquefort",
            "lieu-ferme: Tournoi de futsal",
            "Gala de danse"
        ])
    );
    let both = api_json(
        &server,
        "from=2027-01-01&to=2027-12-31&organiser=asso-c&commune=sarbazan",
    );
    assert_eq!(described(&both), subset(&["Veillée de Pâques"]));
    assert_eq!(
        described(&api_json(&server, "from=2027-04-30&to=2027-04-30")),
        subset(&["Gala de danse"])
    );
    assert_eq!(
        described(&api_json(&server, "from=2027-08-08&to=2027-08-08")),
        subset(&["Fêtes de Roquefort"])
    );
    let march = api_json(&server, "from=2027-03-01&to=2027-03-31");
    assert_eq!(
        described(&march),
        subset(&["Gym douce", "Veillée de Pâques"])
    );

    // Staff only.
    server
        .as_user("asso-a", "GET", "/api/conflicts")
        .send()
        .expect(403);
    server.request("GET", "/api/conflicts").send().expect(401);
    server
        .request("GET", "/api/conflicts")
        .auth("staff", "wrong password")
        .send()
        .expect(401);
    // Bad parameters.
    server
        .as_user("staff", "GET", "/api/conflicts?from=13/01/2027")
        .send()
        .expect(400);
    server
        .as_user(
            "staff",
            "GET",
            "/api/conflicts?from=2027-02-01&to=2027-01-01",
        )
        .send()
        .expect(400);
    server
        .as_user("staff", "GET", "/api/conflicts?commune=paris")
        .send()
        .expect(400);
    server
        .as_user("staff", "POST", "/api/conflicts")
        .send()
        .expect(405);
}

fn acknowledge(server: &Server, key: &str) {
    let body = serde_json::json!({ "key": key }).to_string();
    let response = server
        .as_user("staff", "POST", "/api/conflicts/acknowledge")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .expect(200);
    let answer: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["acknowledged"], key);
}

fn acknowledged(report: &Value) -> BTreeSet<String> {
    report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["acknowledged"] == true)
        .map(describe)
        .collect()
}

#[test]
fn acknowledgement_lasts_until_either_event_changes() {
    let server = dataset();
    let window = "from=2027-01-01&to=2027-12-31";
    let report = api_json(&server, window);
    let pair = "Repas des aînés + Théâtre amateur";
    let key = find(&report, pair)["key"].as_str().unwrap().to_owned();

    // Only staff acknowledge; unknown keys are refused.
    server
        .as_user("asso-a", "POST", "/api/conflicts/acknowledge")
        .body(serde_json::json!({ "key": key }).to_string())
        .send()
        .expect(403);
    server
        .request("POST", "/api/conflicts/acknowledge")
        .body(serde_json::json!({ "key": key }).to_string())
        .send()
        .expect(401);
    server
        .as_user("staff", "POST", "/api/conflicts/acknowledge")
        .body(r#"{"key": "meme-lieu:99999@0:99998@0"}"#)
        .send()
        .expect(404);
    server
        .as_user("staff", "GET", "/api/conflicts/acknowledge")
        .send()
        .expect(405);

    acknowledge(&server, &key);
    let report = api_json(&server, window);
    assert_eq!(acknowledged(&report), subset(&[pair]));
    assert_eq!(described(&report), expected_all());
    // The CLI sees it too.
    assert_eq!(acknowledged(&cli_json(&server, &[])), subset(&[pair]));

    // The first event changes (a new description): no longer acknowledged.
    let repas = event_by_uid("repas-aines");
    put_at(
        &server,
        repas.login,
        &repas.path(),
        repas.ics_with(repas.start, repas.end, &["DESCRIPTION:Menu : garbure."]),
    );
    let report = api_json(&server, window);
    assert_eq!(described(&report), expected_all());
    assert_eq!(
        find(&report, pair)["key"],
        key.as_str(),
        "the key is stable"
    );
    assert!(acknowledged(&report).is_empty(), "{report:#}");

    // Acknowledged again, then the other event changes.
    acknowledge(&server, &key);
    assert_eq!(acknowledged(&api_json(&server, window)), subset(&[pair]));
    let theatre = event_by_uid("theatre");
    put_at(
        &server,
        theatre.login,
        &theatre.path(),
        theatre.ics_with(theatre.start, theatre.end, &["DESCRIPTION:Entrée libre."]),
    );
    assert!(acknowledged(&api_json(&server, window)).is_empty());

    // The CLI acknowledges as well; a one-sided conflict (closed venue)
    // can be acknowledged.
    let closed = find(&report, "lieu-ferme: Tournoi de futsal")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = cli(&server, &["acknowledge", &closed]);
    assert!(out.contains(&closed), "{out}");
    assert_eq!(
        acknowledged(&api_json(&server, window)),
        subset(&["lieu-ferme: Tournoi de futsal"])
    );
    let out = cli_with_stdin(
        &server.config_path(),
        &["acknowledge", "meme-lieu:99999@0:99998@0"],
        "",
    );
    assert!(!out.status.success());
}

// ---------------------------------------------------------------------
// The Conflits calendar.

const CONFLITS: &str = "conflits";

fn conflits(login: &str) -> String {
    format!("/dav/calendars/{login}/{CONFLITS}/")
}

struct Entry {
    href: String,
    status: u16,
    data: Option<String>,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn unescape_xml(text: &str) -> String {
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
            let raw = chunk.split("</D:response>").next().unwrap();
            let status = if raw.contains("<D:propstat>") {
                200
            } else {
                between(raw, "<D:status>HTTP/1.1 ", " ")
                    .expect("status")
                    .parse()
                    .unwrap()
            };
            Entry {
                href: unescape_xml(between(raw, "<D:href>", "</D:href>").expect("href")),
                status,
                data: between(raw, "<C:calendar-data>", "</C:calendar-data>").map(unescape_xml),
            }
        })
        .collect()
}

/// Member hrefs of a Depth 1 PROPFIND.
fn members(server: &Server, login: &str, collection: &str) -> BTreeSet<String> {
    let text = server
        .as_user(login, "PROPFIND", collection)
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .expect(207)
        .text();
    let all = entries(&text);
    assert_eq!(all[0].href, collection, "{text}");
    all.into_iter().skip(1).map(|e| e.href).collect()
}

/// Sync-collection with calendar-data: (entries, new token).
fn sync(server: &Server, login: &str, collection: &str, token: &str) -> (Vec<Entry>, String) {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#
    );
    let text = server
        .as_user(login, "REPORT", collection)
        .header("Depth", "1")
        .xml(&body)
        .send()
        .expect(207)
        .text();
    let token = between(&text, "<D:sync-token>", "</D:sync-token>")
        .expect("sync-token")
        .to_owned();
    (entries(&text), token)
}

/// Unfolded lines of an iCalendar text.
fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

fn unescape_text(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of the first property `name` (parameters ignored).
fn prop(ics: &str, name: &str) -> Option<String> {
    unfold(ics).into_iter().find_map(|line| {
        let (head, value) = line.split_once(':')?;
        let prop_name = head.split(';').next()?;
        (prop_name == name).then(|| unescape_text(value))
    })
}

fn line_of(ics: &str, name: &str) -> String {
    unfold(ics)
        .into_iter()
        .find(|l| l.starts_with(&format!("{name}:")) || l.starts_with(&format!("{name};")))
        .unwrap_or_else(|| panic!("{name} in {ics}"))
}

/// Every event of `login`'s Conflits calendar by SUMMARY, with its body.
fn conflict_events(server: &Server, login: &str) -> Vec<(String, String)> {
    let (all, _) = sync(server, login, &conflits(login), "");
    let mut out: Vec<(String, String)> = all
        .into_iter()
        .map(|e| {
            assert_eq!(e.status, 200, "{}", e.href);
            let data = e.data.expect("calendar-data");
            (prop(&data, "SUMMARY").expect("SUMMARY"), data)
        })
        .collect();
    out.sort();
    out
}

fn summaries(events: &[(String, String)]) -> BTreeSet<String> {
    let set: BTreeSet<String> = events.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(set.len(), events.len(), "{events:?}");
    set
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn body_of<'a>(events: &'a [(String, String)], summary: &str) -> &'a str {
    &events
        .iter()
        .find(|(s, _)| s == summary)
        .unwrap_or_else(|| panic!("{summary} in {events:?}"))
        .1
}

#[test]
fn conflits_calendar_lists_one_event_per_conflict() {
    let server = dataset();
    let closed = "Conflit : Gymnase, Roquefort : fermeture du 1er au 30 avril 2027 (travaux)";
    let expected: [(&str, Vec<&str>); 4] = [
        (
            "asso-a",
            vec![
                "Conflit : Théâtre amateur — Amicale laïque d'Arue",
                "Conflit : Assemblée générale du FCB — Football club de Bourriot",
                "Conflit : Grand quine de l'amicale — Amicale laïque d'Arue",
                "Conflit : Réunion du bureau du FCB — Football club de Bourriot",
                "Conflit : Fêtes de Roquefort — Festival des Landes",
            ],
        ),
        (
            "asso-b",
            vec![
                "Conflit : Repas des aînés — Comité des fêtes d'Arue",
                "Conflit : Théâtre amateur — Amicale laïque d'Arue",
                "Conflit : Scène ouverte — Festival des Landes",
                closed,
                "Conflit : Gym douce — Comité des fêtes d'Arue",
                "Conflit : Vide-grenier — Amicale laïque d'Arue",
                "Conflit : Veillée de Pâques — Amicale laïque d'Arue",
            ],
        ),
        (
            "asso-c",
            vec![
                "Conflit : Repas des aînés — Comité des fêtes d'Arue",
                "Conflit : Assemblée générale du FCB — Football club de Bourriot",
                "Conflit : Loto du comité — Comité des fêtes d'Arue",
                closed,
                "Conflit : Match de gala — Football club de Bourriot",
                "Conflit : Sonnerie des cloches — Football club de Bourriot",
            ],
        ),
        (
            "asso-d",
            vec![
                "Conflit : Festival du ballon rond — Football club de Bourriot",
                "Conflit : Course landaise — Comité des fêtes d'Arue",
            ],
        ),
    ];
    for (login, wanted) in &expected {
        let listed = members(&server, login, &conflits(login));
        assert_eq!(listed.len(), wanted.len(), "{login}: {listed:?}");
        assert!(listed
            .iter()
            .all(|h| h.starts_with(&conflits(login)) && h.ends_with(".ics")));
        let events = conflict_events(&server, login);
        assert_eq!(summaries(&events), set(wanted), "{login}");
        for (_, body) in &events {
            assert_eq!(prop(body, "TRANSP").as_deref(), Some("TRANSPARENT"));
            assert!(prop(body, "X-CONCORD-CONFLICT-KEY").is_some(), "{body}");
        }
    }

    // The other event and how to reach its organiser.
    let a = conflict_events(&server, "asso-a");
    let ag = body_of(
        &a,
        "Conflit : Assemblée générale du FCB — Football club de Bourriot",
    );
    let description = prop(ag, "DESCRIPTION").unwrap();
    assert!(
        description.contains(
            "Autre événement : Assemblée générale du FCB, samedi 13 février 2027 de 16 h 30 à 19 h."
        ),
        "{description}"
    );
    assert!(
        description
            .contains("Organisateur : Football club de Bourriot, courriel fcb@bourriot.example"),
        "{description}"
    );
    assert!(
        description.contains("Votre événement : Repas des aînés, samedi 13 février 2027 à 12 h."),
        "{description}"
    );
    assert_eq!(line_of(ag, "DTSTART"), "DTSTART:20270213T110000Z");
    assert_eq!(line_of(ag, "DTEND"), "DTEND:20270213T160000Z");
    assert_eq!(
        prop(ag, "LOCATION").as_deref(),
        Some("salle des fêtes d'Arue")
    );
    // The series: the clashing instance only.
    let gym = body_of(
        &a,
        "Conflit : Réunion du bureau du FCB — Football club de Bourriot",
    );
    assert_eq!(line_of(gym, "DTSTART"), "DTSTART:20270316T173000Z");
    // A timed event against a festival given in dates.
    let course = body_of(&a, "Conflit : Fêtes de Roquefort — Festival des Landes");
    assert!(
        prop(course, "DESCRIPTION")
            .unwrap()
            .contains("courriel contact@festival-landes.example"),
        "{course}"
    );
    let d = conflict_events(&server, "asso-d");
    let fetes = body_of(&d, "Conflit : Course landaise — Comité des fêtes d'Arue");
    assert_eq!(line_of(fetes, "DTSTART"), "DTSTART;VALUE=DATE:20270806");
    assert_eq!(line_of(fetes, "DTEND"), "DTEND;VALUE=DATE:20270809");
    assert!(
        prop(fetes, "DESCRIPTION")
            .unwrap()
            .contains("courriel comite@arue.example"),
        "{fetes}"
    );
    // The DST night seen by the vigil's organiser.
    let c = conflict_events(&server, "asso-c");
    let vigil = body_of(
        &c,
        "Conflit : Sonnerie des cloches — Football club de Bourriot",
    );
    assert_eq!(line_of(vigil, "DTSTART"), "DTSTART:20270328T003000Z");
    assert_eq!(line_of(vigil, "DTEND"), "DTEND:20270328T013000Z");
    // The closed venue has no other side.
    let gala = body_of(&c, closed);
    assert!(!prop(gala, "DESCRIPTION")
        .unwrap()
        .contains("Autre événement"));

    // Staff reads it, another organiser does not.
    assert_eq!(members(&server, "staff", &conflits("asso-d")).len(), 2);
    let status = server
        .as_user("asso-b", "PROPFIND", &conflits("asso-a"))
        .header("Depth", "1")
        .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
        .send()
        .status;
    assert!(matches!(status, 403 | 404), "{status}");
}

#[test]
fn conflits_calendar_follows_changes() {
    let server = dataset();
    let (_, token_a) = sync(&server, "asso-a", &conflits("asso-a"), "");
    let (_, token_b) = sync(&server, "asso-b", &conflits("asso-b"), "");
    let before_a = members(&server, "asso-a", &conflits("asso-a"));
    let before_b = members(&server, "asso-b", &conflits("asso-b"));
    assert_eq!((before_a.len(), before_b.len()), (5, 7));

    // asso-b moves its meeting to the Wednesday: the series no longer clashes.
    let bureau = event_by_uid("bureau-fcb");
    put_at(
        &server,
        bureau.login,
        &bureau.path(),
        bureau.ics_with("20270317T190000", "20270317T210000", &[]),
    );
    let after_a = members(&server, "asso-a", &conflits("asso-a"));
    assert_eq!(after_a.len(), 4, "{after_a:?}");
    let gone: Vec<&String> = before_a.difference(&after_a).collect();
    assert_eq!(gone.len(), 1);
    assert!(
        after_a.is_subset(&before_a),
        "other conflicts keep their href"
    );
    let (changes, _) = sync(&server, "asso-a", &conflits("asso-a"), &token_a);
    let changes: Vec<(String, u16)> = changes.into_iter().map(|e| (e.href, e.status)).collect();
    assert_eq!(changes, vec![(gone[0].clone(), 404)]);
    let (changes, token_b) = sync(&server, "asso-b", &conflits("asso-b"), &token_b);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].status, 404);
    assert!(!summaries(&conflict_events(&server, "asso-a"))
        .iter()
        .any(|s| s.contains("Réunion du bureau")));
    assert!(!described(&cli_json(&server, &[]))
        .iter()
        .any(|s| s.contains("Gym douce")));

    // The other side moves: asso-a's race leaves the festival's days.
    let course = event_by_uid("course-landaise");
    put_at(
        &server,
        course.login,
        &course.path(),
        course.ics_with("20270810T170000", "20270810T190000", &[]),
    );
    assert_eq!(
        summaries(&conflict_events(&server, "asso-d")),
        set(&["Conflit : Festival du ballon rond — Football club de Bourriot"])
    );

    // A new clash appears: the training moves onto the all-day event.
    let training = event_by_uid("entrainement");
    put_at(
        &server,
        training.login,
        &training.path(),
        training.ics_with("20270619T100000", "20270619T120000", &[]),
    );
    let (changes, _) = sync(&server, "asso-b", &conflits("asso-b"), &token_b);
    assert_eq!(changes.len(), 1, "one new conflict event");
    assert_eq!(changes[0].status, 200);
    assert_eq!(
        prop(changes[0].data.as_deref().unwrap(), "SUMMARY").as_deref(),
        Some("Conflit : Vide-grenier — Amicale laïque d'Arue")
    );
    assert_eq!(
        line_of(changes[0].data.as_deref().unwrap(), "DTSTART"),
        "DTSTART:20270619T080000Z"
    );
    let c = summaries(&conflict_events(&server, "asso-c"));
    assert!(
        c.contains("Conflit : Entraînement — Football club de Bourriot"),
        "{c:?}"
    );

    // Deleting an event removes its conflicts.
    server
        .as_user("asso-c", "DELETE", &event_by_uid("veillee").path())
        .send()
        .expect(204);
    let b: Vec<String> = conflict_events(&server, "asso-b")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    // Seven, less the moved meeting, plus the training, less the vigil.
    assert_eq!(b.len(), 6, "{b:?}");
    assert!(!b.iter().any(|s| s.contains("Veillée")), "{b:?}");
    assert_eq!(
        b.iter().filter(|s| s.contains("Vide-grenier")).count(),
        2,
        "one event per conflict, even with the same other event: {b:?}"
    );
}

#[test]
fn acknowledgement_shows_in_the_conflits_calendar() {
    let server = dataset();
    let report = api_json(&server, "from=2027-01-01&to=2027-12-31");
    let key = find(&report, "Gym douce")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let summary = "Conflit : Réunion du bureau du FCB — Football club de Bourriot";
    assert!(summaries(&conflict_events(&server, "asso-a")).contains(summary));
    acknowledge(&server, &key);
    let a = summaries(&conflict_events(&server, "asso-a"));
    assert!(
        a.contains(&format!("{summary} (vu par l'intercommunalité)")),
        "{a:?}"
    );
}

#[test]
fn conflits_calendar_is_read_only() {
    let server = dataset();
    let path = format!("{}mine.ics", conflits("asso-a"));
    let body = event("mine", "Mine", "20270213T120000", "20270213T130000");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .ics(&body)
        .send()
        .expect(403);
    let text = response.text();
    assert!(text.contains("need-privileges"), "{text}");
    assert!(text.contains(&conflits("asso-a")), "{text}");

    let existing = members(&server, "asso-a", &conflits("asso-a"));
    let first = existing.iter().next().unwrap().clone();
    let text = server
        .as_user("asso-a", "PUT", &first)
        .ics(&body)
        .send()
        .expect(403)
        .text();
    assert!(text.contains("need-privileges"), "{text}");
    let text = server
        .as_user("asso-a", "DELETE", &first)
        .send()
        .expect(403)
        .text();
    assert!(text.contains("need-privileges"), "{text}");
    assert_eq!(members(&server, "asso-a", &conflits("asso-a")), existing);
    // Reading one works.
    let data = server.as_user("asso-a", "GET", &first).send().expect(200);
    assert!(data.text().contains("BEGIN:VEVENT"));
}

#[test]
fn cancelled_transparent_and_near_misses_clash_once_nudged() {
    let server = dataset();
    let window = "from=2027-01-01&to=2027-12-31";
    // The cancelled dinner is confirmed again: same hall as the loto.
    let repas = event_by_uid("repas-club");
    put_at(
        &server,
        repas.login,
        &repas.path(),
        String::from_utf8(repas.ics())
            .unwrap()
            .replace("STATUS:CANCELLED", "STATUS:CONFIRMED")
            .into_bytes(),
    );
    // The transparent loto becomes opaque: same hall and two lotos in Arue.
    let quine = event_by_uid("quine-chorale");
    put_at(
        &server,
        quine.login,
        &quine.path(),
        String::from_utf8(quine.ics())
            .unwrap()
            .replace("TRANSP:TRANSPARENT", "TRANSP:OPAQUE")
            .into_bytes(),
    );
    // Back to back becomes a one-minute overlap.
    let aperitif = event_by_uid("aperitif");
    put_at(
        &server,
        aperitif.login,
        &aperitif.path(),
        aperitif.ics_with("20270904T175900", "20270904T200000", &[]),
    );
    // The Bourriot loto moves to Arue's hall: still Bourriot's club, so
    // only the venue clashes (the commune rule uses organisers' communes).
    let foot = event_by_uid("loto-foot");
    let mut moved = String::from_utf8(foot.ics()).unwrap();
    moved = moved.replace(
        "LOCATION:Salle des fêtes\\, Bourriot-Bergonce",
        "LOCATION:Salle des fêtes d'Arue",
    );
    assert!(moved.contains("LOCATION:Salle des fêtes d'Arue"), "{moved}");
    put_at(&server, foot.login, &foot.path(), moved.into_bytes());

    let report = api_json(&server, window);
    let mut expected = expected_all();
    for (rule, pair) in [
        ("meme-lieu", ["Loto d'automne", "Repas du club"]),
        ("meme-lieu", ["Loto d'automne", "Quine de la chorale"]),
        ("meme-lieu", ["Quine de la chorale", "Repas du club"]),
        (
            "grands-evenements-meme-commune",
            ["Loto d'automne", "Quine de la chorale"],
        ),
        ("meme-lieu", ["Apéritif du club", "Atelier couture"]),
        ("meme-lieu", ["Loto de la chasse", "Loto du foot"]),
        // Held in Arue's hall, the foot club's loto now happens in Arue.
        (
            "grands-evenements-meme-commune",
            ["Loto de la chasse", "Loto du foot"],
        ),
    ] {
        expected.insert(label(rule, pair.iter().map(|s| s.to_string()).collect()));
    }
    assert_eq!(described(&report), expected, "{report:#}");
}

// ---------------------------------------------------------------------
// Availability.

fn availability(server: &Server, login: &str, query: &str) -> Value {
    let response = server
        .as_user(login, "GET", &format!("/api/availability?{query}"))
        .send()
        .expect(200);
    serde_json::from_slice(&response.body).expect("JSON")
}

/// Percent-encodes what a query value cannot hold as is ('+' would be a space).
fn encode(value: &str) -> String {
    value.replace('+', "%2B").replace(':', "%3A")
}

#[test]
fn availability_of_a_clashing_date_suggests_free_ones() {
    let server = dataset();
    // asso-a thinks of the hall on 13 February: asso-c and asso-b are
    // there (its own dinner does not count against itself).
    let answer = availability(
        &server,
        "asso-a",
        "start=2027-02-13T15:00&end=2027-02-13T18:00&venue=sdf-arue",
    );
    assert_eq!(answer["free"], false, "{answer:#}");
    let conflicts = answer["conflicts"].as_array().unwrap();
    let others: BTreeSet<String> = conflicts
        .iter()
        .map(|c| {
            assert_eq!(c["rule"], "meme-lieu", "{c:#}");
            assert_eq!(c["venue"], "sdf-arue");
            let other = if c["a"]["summary"] == "Événement envisagé" {
                &c["b"]
            } else {
                &c["a"]
            };
            other["summary"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        others,
        set(&["Théâtre amateur", "Assemblée générale du FCB"])
    );
    assert_eq!(conflicts.len(), 2);
    let suggestions: Vec<String> = answer["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert!(
        !suggestions.is_empty() && suggestions.len() <= 5,
        "{answer:#}"
    );
    assert_eq!(
        suggestions[0], "2027-02-20T15:00:00+01:00",
        "same weekday and time, a week later, first"
    );
    for suggestion in &suggestions {
        assert!(suggestion.ends_with(":00+01:00") || suggestion.ends_with(":00+02:00"));
        let again = availability(
            &server,
            "asso-a",
            &format!("start={}&venue=sdf-arue", encode(suggestion)),
        );
        assert_eq!(again["free"], true, "{suggestion}: {again:#}");
    }

    // A loto the evening of asso-a's loto in Arue: the commune rule (no
    // venue given: the organiser's commune).
    let answer = availability(
        &server,
        "asso-c",
        "start=2027-01-17T20:30&end=2027-01-17T23:30&category=loto",
    );
    assert_eq!(answer["free"], false, "{answer:#}");
    let conflicts = answer["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{answer:#}");
    assert_eq!(conflicts[0]["rule"], "grands-evenements-meme-commune");
    let suggestion = answer["suggestions"][0].as_str().expect("a suggestion");
    let again = availability(
        &server,
        "asso-c",
        &format!("start={}&category=loto", encode(suggestion)),
    );
    assert_eq!(again["free"], true, "{suggestion}: {again:#}");
    assert_eq!(again["suggestions"], serde_json::json!([]));

    // A series instance clashes; the week after the series ends does not.
    let answer = availability(
        &server,
        "asso-b",
        "start=2027-03-23T19:00&end=2027-03-23T20:00&venue=sdf-arue",
    );
    assert_eq!(answer["free"], false, "{answer:#}");
    let answer = availability(
        &server,
        "asso-b",
        "start=2027-04-13T19:00&end=2027-04-13T20:00&venue=sdf-arue",
    );
    assert_eq!(answer["free"], true, "{answer:#}");

    // A festival overlapping both festivals of 15 May, wherever it is.
    let answer = availability(
        &server,
        "asso-a",
        "start=2027-05-15T21:00&end=2027-05-15T22:00&category=festival",
    );
    let rules: Vec<&Value> = answer["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["rule"])
        .collect();
    assert_eq!(
        rules,
        [
            &Value::from("categorie-territoriale"),
            &Value::from("categorie-territoriale")
        ],
        "{answer:#}"
    );

    // The gymnasium is closed.
    let answer = availability(
        &server,
        "asso-a",
        "start=2027-04-17T14:00&venue=gymnase-roquefort",
    );
    assert_eq!(answer["free"], false, "{answer:#}");
    assert_eq!(answer["conflicts"][0]["rule"], "lieu-ferme");
    for suggestion in answer["suggestions"].as_array().unwrap() {
        let s = suggestion.as_str().unwrap();
        assert!(!s.starts_with("2027-04"), "{s} is in the closed period");
    }
}

#[test]
fn availability_of_a_free_date() {
    let server = dataset();
    let answer = availability(
        &server,
        "asso-a",
        "start=2027-02-20T15:00&end=2027-02-20T18:00&venue=sdf-arue",
    );
    assert_eq!(
        answer,
        serde_json::json!({"free": true, "conflicts": [], "suggestions": []})
    );
    // Back to back with the theatre (ends 18:00) is free too.
    let answer = availability(
        &server,
        "asso-b",
        "start=2027-02-13T19:00&end=2027-02-13T22:00&venue=sdf-arue",
    );
    assert_eq!(answer["free"], true, "{answer:#}");
    // A loto in Bourriot the day of Arue's lotos.
    let answer = availability(
        &server,
        "asso-b",
        "start=2027-01-17T14:00&end=2027-01-17T18:00&category=loto",
    );
    assert_eq!(answer["free"], true, "{answer:#}");
    // Cancelled and transparent events do not block.
    let answer = availability(
        &server,
        "asso-d",
        "start=2027-10-09T20:00&end=2027-10-09T23:00&venue=sdf-arue&category=loto&commune=bourriot-bergonce",
    );
    // The hall is taken, and a loto in Arue's hall happens in Arue, the
    // same day as Arue's "Loto d'automne" (the venue's commune counts, not
    // the commune given for the organiser).
    let rules: std::collections::BTreeSet<&str> = answer["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["grands-evenements-meme-commune", "meme-lieu"].into(),
        "{answer:#}"
    );
    assert!(answer["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["venue"] == "sdf-arue"));
}

#[test]
fn availability_requires_an_account_and_valid_parameters() {
    let server = Server::start_with(EXTRA);
    server
        .request("GET", "/api/availability?start=2027-02-13T15:00")
        .send()
        .expect(401);
    for query in [
        "",
        "start=tomorrow",
        "start=2027-02-13T15:00&end=2027-02-13T14:00",
        "start=2027-02-13T15:00&end=2027-03-13T15:00",
        "start=2027-02-13T15:00&venue=nowhere",
        "start=2027-02-13T15:00&commune=paris",
        "start=2027-02-13T15:00&category=bingo",
    ] {
        server
            .as_user("asso-a", "GET", &format!("/api/availability?{query}"))
            .send()
            .expect(400);
    }
    let answer = availability(&server, "asso-a", "start=2027-02-13T15:00&venue=sdf-arue");
    assert_eq!(answer["free"], true);
}

#[test]
fn series_exceptions_and_overrides_are_followed() {
    let server = dataset();
    let gym = event_by_uid("gym-douce");
    // The clashing Tuesday is excluded.
    put_at(
        &server,
        gym.login,
        &gym.path(),
        gym.ics_with(
            gym.start,
            gym.end,
            &["EXDATE;TZID=Europe/Paris:20270316T183000"],
        ),
    );
    let mut expected = expected_all();
    assert!(expected.remove(&label(
        "meme-lieu",
        vec!["Gym douce".into(), "Réunion du bureau du FCB".into()]
    )));
    assert_eq!(described(&cli_json(&server, &[])), expected);

    // The last Tuesday (6 April) moves to 13 April, onto asso-b's meeting.
    let series = String::from_utf8(gym.ics_with(
        gym.start,
        gym.end,
        &["EXDATE;TZID=Europe/Paris:20270316T183000"],
    ))
    .unwrap();
    let moved = "BEGIN:VEVENT\r\nUID:gym-douce@concord-tests\r\nDTSTAMP:20261120T100000Z\r\nRECURRENCE-ID;TZID=Europe/Paris:20270406T183000\r\nDTSTART;TZID=Europe/Paris:20270413T183000\r\nDTEND;TZID=Europe/Paris:20270413T193000\r\nSUMMARY:Gym douce\r\nLOCATION:Foyer rural d'Arue\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let body = series.replace("END:VCALENDAR\r\n", moved);
    put_at(&server, gym.login, &gym.path(), body.into_bytes());
    let report = cli_json(&server, &[]);
    expected.insert(label(
        "meme-lieu",
        vec!["Gym douce".into(), "Réunion de bilan".into()],
    ));
    assert_eq!(described(&report), expected, "{report:#}");
    let conflict = find(&report, "Réunion de bilan");
    assert_eq!(
        side(conflict, "Gym douce")["start"],
        "2027-04-13T18:30:00+02:00"
    );
    let a = summaries(&conflict_events(&server, "asso-a"));
    assert!(
        a.contains("Conflit : Réunion de bilan — Football club de Bourriot")
            && !a.contains("Conflit : Réunion du bureau du FCB — Football club de Bourriot"),
        "{a:?}"
    );
}

#[test]
fn suggestions_keep_the_local_time_across_dst() {
    let server = dataset();
    // asso-b wants the hall on Tuesday 23 March at 19:00, during the
    // weekly gym (18:30-19:30, until 6 April); clocks change on the 28th.
    let answer = availability(
        &server,
        "asso-b",
        "start=2027-03-23T19:00&end=2027-03-23T20:00&venue=sdf-arue",
    );
    assert_eq!(answer["free"], false, "{answer:#}");
    assert_eq!(
        answer["suggestions"],
        serde_json::json!([
            "2027-04-13T19:00:00+02:00",
            "2027-04-20T19:00:00+02:00",
            "2027-02-23T19:00:00+01:00",
            "2027-04-27T19:00:00+02:00",
            "2027-02-16T19:00:00+01:00"
        ]),
        "same weekday and local time, nearest first"
    );
}

#[test]
fn conflits_calendar_covers_a_month_back_to_a_year_ahead() {
    let server = Server::start_with(EXTRA);
    // Today is 2026-11-28: the calendar covers 2026-10-28 to 2027-11-29.
    for (day, inside) in [
        ("20261020", false),
        ("20261110", true),
        ("20271120", true),
        ("20271215", false),
    ] {
        for login in ["asso-a", "asso-b"] {
            let body = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//conflicts//FR\r\n{VTIMEZONE}BEGIN:VEVENT\r\nUID:{login}-{day}\r\nDTSTAMP:20261120T100000Z\r\nDTSTART;TZID=Europe/Paris:{day}T140000\r\nDTEND;TZID=Europe/Paris:{day}T170000\r\nSUMMARY:{login} {day} {inside}\r\nLOCATION:Salle des fêtes d'Arue\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            );
            put_at(
                &server,
                login,
                &format!("/dav/calendars/{login}/main/{day}.ics"),
                body.into_bytes(),
            );
        }
    }
    let out = cli(
        &server,
        &[
            "conflicts",
            "--from",
            "2026-10-01",
            "--to",
            "2027-12-31",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["conflicts"].as_array().unwrap().len(), 4);
    let a = summaries(&conflict_events(&server, "asso-a"));
    assert_eq!(
        a,
        set(&[
            "Conflit : asso-b 20261110 true — Football club de Bourriot",
            "Conflit : asso-b 20271120 true — Football club de Bourriot",
        ])
    );
}

#[test]
fn command_line_changes_reach_the_conflits_calendar() {
    let server = dataset();
    let summary = "Conflit : Assemblée générale du FCB — Football club de Bourriot";
    let before = conflict_events(&server, "asso-a");
    assert!(prop(body_of(&before, summary), "DESCRIPTION")
        .unwrap()
        .contains("fcb@bourriot.example"));
    cli(
        &server,
        &[
            "organiser",
            "set",
            "asso-b",
            "--email",
            "secretariat@bourriot.example",
        ],
    );
    eventually("the new e-mail in asso-a's Conflits calendar", || {
        let events = conflict_events(&server, "asso-a");
        let description = prop(body_of(&events, summary), "DESCRIPTION").unwrap();
        (!description.contains("courriel secretariat@bourriot.example")).then_some(description)
    });

    let key = find(&cli_json(&server, &[]), "Gym douce")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    cli(&server, &["acknowledge", &key]);
    eventually("the acknowledgement in asso-a's Conflits calendar", || {
        let a = summaries(&conflict_events(&server, "asso-a"));
        (!a.contains(
            "Conflit : Réunion du bureau du FCB — Football club de Bourriot (vu par l'intercommunalité)",
        ))
        .then(|| format!("{a:?}"))
    });
}

#[test]
fn a_private_event_shows_only_its_time_and_organiser() {
    let server = dataset();
    let ag = event_by_uid("ag-fcb");
    put_at(
        &server,
        ag.login,
        &ag.path(),
        ag.ics_with(ag.start, ag.end, &["CLASS:PRIVATE"]),
    );
    // Still a conflict for everybody.
    let report = cli_json(&server, &[]);
    assert_eq!(report["conflicts"].as_array().unwrap().len(), 11);
    let a = conflict_events(&server, "asso-a");
    let mine = body_of(&a, "Conflit : Événement privé — Football club de Bourriot");
    assert!(prop(mine, "DESCRIPTION")
        .unwrap()
        .contains("Organisateur : Football club de Bourriot, courriel fcb@bourriot.example"));
    for (_, body) in a.iter().chain(&conflict_events(&server, "asso-c")) {
        assert!(
            !body.contains("Assemblée") && !body.contains("grande salle"),
            "{body}"
        );
    }
    let answer = availability(
        &server,
        "asso-a",
        "start=2027-02-13T17:00&end=2027-02-13T18:00&venue=sdf-arue",
    );
    let text = answer.to_string();
    assert!(
        !text.contains("Assemblée") && !text.contains("grande salle"),
        "{text}"
    );
    assert!(text.contains("Événement privé"), "{text}");
}

#[test]
fn acknowledging_a_pair_that_does_not_conflict_is_refused() {
    let server = dataset();
    let report = cli_json(&server, &[]);
    // Object ids of two events that exist but do not clash with each other:
    // the hall dinner (13 Feb) and the festival stage (15 May).
    let id = |label_part: &str, summary: &str| -> i64 {
        side(find(&report, label_part), summary)["object_id"]
            .as_i64()
            .unwrap()
    };
    let repas = id("Repas des aînés + Théâtre amateur", "Repas des aînés");
    let scene = id("Scène ouverte", "Scène ouverte");
    let (x, y) = (repas.min(scene), repas.max(scene));
    let key = format!("meme-lieu:{x}@0:{y}@0");
    let response = server
        .as_user("staff", "POST", "/api/conflicts/acknowledge")
        .body(serde_json::json!({ "key": key }).to_string())
        .send();
    assert_eq!(
        response.status,
        404,
        "{key} is no conflict; answered {}",
        response.text()
    );
}

#[test]
fn all_day_events_follow_local_days_on_dst_changes() {
    let server = Server::start_with(EXTRA);
    let church = "Église de Sarbazan";
    let events = [
        // 28 March 2027 lasts 23 hours, 31 October 25 hours.
        ev(
            "asso-a",
            "journee",
            "Journée paroissiale",
            church,
            "20270328",
            "20270329",
            &[],
        ),
        ev(
            "asso-b",
            "vepres",
            "Vêpres",
            church,
            "20270328T230000",
            "20270328T235000",
            &[],
        ),
        ev(
            "asso-b",
            "concert",
            "Concert de minuit",
            church,
            "20270329T003000",
            "20270329T013000",
            &[],
        ),
        ev(
            "asso-a",
            "kermesse",
            "Kermesse",
            church,
            "20271031",
            "20271101",
            &[],
        ),
        ev(
            "asso-b",
            "halloween",
            "Veillée d'Halloween",
            church,
            "20271031T231500",
            "20271031T234500",
            &[],
        ),
        ev(
            "asso-b",
            "toussaint",
            "Messe de la Toussaint",
            church,
            "20271101T000000",
            "20271101T010000",
            &[],
        ),
    ];
    for event in &events {
        put_at(&server, event.login, &event.path(), event.ics());
    }
    let report = cli_json(&server, &[]);
    assert_eq!(
        described(&report),
        [
            label(
                "meme-lieu",
                vec!["Journée paroissiale".into(), "Vêpres".into()]
            ),
            label(
                "meme-lieu",
                vec!["Kermesse".into(), "Veillée d'Halloween".into()]
            ),
        ]
        .into_iter()
        .collect::<BTreeSet<_>>(),
        "{report:#}"
    );
    let spring = find(&report, "Journée paroissiale");
    assert_eq!(
        side(spring, "Journée paroissiale")["end"],
        "2027-03-29T00:00:00+02:00"
    );
    let autumn = find(&report, "Kermesse");
    assert_eq!(
        side(autumn, "Kermesse")["start"],
        "2027-10-31T00:00:00+02:00"
    );
    assert_eq!(side(autumn, "Kermesse")["end"], "2027-11-01T00:00:00+01:00");
}
