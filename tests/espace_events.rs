//! The organisers' events on the web (`/espace/`), over real HTTP: what
//! the form writes is what a CalDAV client reads, and the other way round;
//! edits keep what calendar apps wrote; concurrent edits are never lost;
//! imports; one organiser never reaches another's events; CSRF.

mod common;
use common::web::{as_pairs, csrf_from, form_fields, set_field, Part, WebClient};
use common::*;

const TERRITORY: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot"
name = "Bourriot-Bergonce"
[[venues]]
slug = "salle-arue"
name = "Salle des fêtes"
commune = "arue"
[[categories]]
slug = "loto"
name = "Loto"
large_public_event = true
[[categories]]
slug = "concert"
name = "Concert"
"#;

fn server() -> Server {
    Server::start_with(TERRITORY)
}

/// The new-event form filled as a person would, with `changes` applied.
fn new_event_form(client: &mut WebClient, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let page = client.get("/espace/evenements/nouveau").expect(200).text();
    let mut fields = form_fields(&page, Some("evenement"));
    for (name, value) in [
        ("titre", "Grand loto du comité"),
        ("date", "2027-03-13"),
        ("heure_debut", "20:30"),
        ("heure_fin", "23:00"),
        ("lieu", "Salle des fêtes, Arue"),
        ("categorie", "loto"),
        ("description", "Cartons à 2 €.\nBuvette sur place."),
        ("lien", "https://comite-arue.example.fr/loto"),
    ] {
        set_field(&mut fields, name, value);
    }
    for (name, value) in changes {
        if name.ends_with("[]") {
            fields.push((name.trim_end_matches("[]").to_owned(), value.to_string()));
        } else {
            set_field(&mut fields, name, value);
        }
    }
    fields
}

/// Saves a filled form; returns the page it leads to.
#[track_caller]
fn save(client: &mut WebClient, path: &str, mut fields: Vec<(String, String)>) -> String {
    fields.push(("action".into(), "enregistrer".into()));
    let response = client.post_form(path, &as_pairs(&fields));
    assert_eq!(response.status, 303, "not saved: {}", response.text());
    let location = response.header("location").unwrap().to_owned();
    client.get(&location).expect(200).text()
}

/// The hrefs of a calendar's objects (PROPFIND depth 1).
fn hrefs(server: &Server, login: &str, calendar: &str) -> Vec<String> {
    let body = server
        .as_user(login, "PROPFIND", calendar)
        .header("Depth", "1")
        .xml(r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&body)
        .hrefs()
        .into_iter()
        .filter(|h| h.ends_with(".ics"))
        .collect()
}

/// The event ids the organiser's home page links to, with their titles.
fn listed(client: &mut WebClient) -> Vec<(i64, String)> {
    let page = client.get("/espace/").expect(200).text();
    let mut out = Vec::new();
    for chunk in page.split("<li class=\"evenement\">").skip(1) {
        let title = chunk
            .split("<h3")
            .nth(1)
            .and_then(|t| t.split_once('>'))
            .and_then(|(_, t)| t.split("</h3>").next())
            .unwrap_or_default()
            .to_owned();
        let id = chunk
            .split("/espace/evenements/")
            .nth(1)
            .and_then(|t| t.split('/').next())
            .and_then(|t| t.parse().ok())
            .expect("an edit link");
        out.push((id, title));
    }
    out
}

#[test]
fn the_home_page_lists_a_web_event() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let fields = new_event_form(&mut client, &[]);
    let home = save(&mut client, "/espace/evenements/nouveau", fields);
    assert!(home.contains("Grand loto du comité"), "{home}");
    assert!(home.contains("L&#39;événement est enregistré."), "{home}");
    assert!(
        home.contains("samedi 13 mars 2027 de 20 h 30 à 23 h"),
        "{home}"
    );
    let listed = listed(&mut client);
    assert_eq!(listed.len(), 1);
}

/// The body a CalDAV client GETs for the only object of a calendar.
fn only_object(server: &Server, login: &str, calendar: &str) -> (String, String) {
    let hrefs = hrefs(server, login, calendar);
    assert_eq!(hrefs.len(), 1, "{hrefs:?}");
    let body = server
        .as_user(login, "GET", &hrefs[0])
        .send()
        .expect(200)
        .text();
    (hrefs[0].clone(), body)
}

fn calendar_query(server: &Server, from: &str, to: &str) -> Vec<String> {
    let body = server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(&format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{from}" end="{to}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
        ))
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&body)
        .responses
        .iter()
        .filter_map(|r| r.text(davxml::CALDAV, "calendar-data"))
        .collect()
}

#[test]
fn an_event_made_on_the_web_is_what_calendar_apps_read() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let fields = new_event_form(
        &mut client,
        &[
            ("repetition", "hebdomadaire"),
            ("intervalle", "2"),
            ("fin", "nombre"),
            ("fin_nombre", "5"),
            ("exceptions", "27/03/2027"),
        ],
    );
    let home = save(&mut client, "/espace/evenements/nouveau", fields);
    assert!(
        home.contains("toutes les 2 semaines le samedi, 5 fois"),
        "{home}"
    );
    let (_, body) = only_object(&server, "asso-a", CAL_A);
    for line in [
        "PRODID:-//concord//CalDAV server//FR\r\n",
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n",
        "DTSTART;TZID=Europe/Paris:20270313T203000\r\n",
        "DTEND;TZID=Europe/Paris:20270313T230000\r\n",
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;COUNT=5\r\n",
        "EXDATE;TZID=Europe/Paris:20270327T203000\r\n",
        "SUMMARY:Grand loto du comité\r\n",
        "LOCATION:Salle des fêtes\\, Arue\r\n",
        "CATEGORIES:Loto\r\n",
        "DESCRIPTION:Cartons à 2 €.\\nBuvette sur place.\r\n",
        "URL:https://comite-arue.example.fr/loto\r\n",
        "CLASS:PUBLIC\r\n",
        "SEQUENCE:0\r\n",
        "DTSTAMP:2026112",
        "CREATED:2026112",
        "LAST-MODIFIED:2026112",
        "\r\nUID:",
    ] {
        assert!(body.contains(line), "{line:?} missing from {body}");
    }
    // The instance index: the excepted date is gone, the next one is there.
    assert!(calendar_query(&server, "20270326T000000Z", "20270328T000000Z").is_empty());
    let found = calendar_query(&server, "20270410T000000Z", "20270411T000000Z");
    assert_eq!(found.len(), 1);
    // The organiser's public feed shows it at once.
    let feed = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    assert!(feed.contains("SUMMARY:Grand loto du comité"), "{feed}");
}

/// `text` without the lines of properties named in `names` (unfolded
/// first), to compare what else a change left.
fn without(text: &str, names: &[&str]) -> String {
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded
        .split_inclusive("\r\n")
        .filter(|line| {
            let name = line
                .split([':', ';'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            !names.contains(&name.as_str())
        })
        .collect()
}

#[test]
fn editing_an_app_event_keeps_what_the_form_does_not_show() {
    let server = server();
    let fixtures = [
        ("thunderbird-invitation.ics", "VALARM"),
        ("x-props-event.ics", "X-"),
        ("apple-event.ics", "VALARM"),
    ];
    for (n, (file, _)) in fixtures.iter().enumerate() {
        server
            .as_user("asso-a", "PUT", &format!("{CAL_A}app-{n}.ics"))
            .ics(&fixture(&format!("ics/{file}")))
            .send()
            .expect(201);
    }
    let mut client = WebClient::signed_in(&server, "asso-a");
    for (n, (file, _)) in fixtures.iter().enumerate() {
        let href = format!("{CAL_A}app-{n}.ics");
        let before = server.as_user("asso-a", "GET", &href).send().expect(200);
        let etag = before.header("etag").unwrap().to_owned();
        let before = before.text();
        let id: i64 = etag.trim_matches('"').parse().unwrap();
        // The edit link of this event (ids are object ids, not ETags).
        let listed = listed(&mut client);
        let summary_line = before
            .replace("\r\n ", "")
            .lines()
            .find(|l| l.starts_with("SUMMARY"))
            .map(|l| l.split_once(':').unwrap().1.replace("\\,", ","))
            .unwrap();
        let (id, _) = listed
            .iter()
            .find(|(_, title)| common::web::unescape_html(title) == summary_line)
            .unwrap_or_else(|| panic!("{file}: {summary_line} not in {listed:?} (etag {id})"));
        let path = format!("/espace/evenements/{id}/modifier");
        let page = client.get(&path).expect(200).text();
        let mut fields = form_fields(&page, Some("evenement"));
        set_field(&mut fields, "lieu", "Salle des fêtes, Arue");
        save(&mut client, &path, fields);
        let after = server
            .as_user("asso-a", "GET", &href)
            .send()
            .expect(200)
            .text();
        assert!(
            after.contains("LOCATION:Salle des fêtes\\, Arue\r\n"),
            "{file}: {after}"
        );
        // Everything else byte for byte, but the stamps and the sequence.
        let changed = ["LOCATION", "SEQUENCE", "DTSTAMP", "LAST-MODIFIED"];
        assert_eq!(
            without(&after, &changed),
            without(&before, &changed),
            "{file}"
        );
        for kept in ["BEGIN:VALARM", "ATTENDEE", "X-"] {
            assert_eq!(
                before.contains(kept),
                after.contains(kept),
                "{file}: {kept}"
            );
        }
        let sequence = |text: &str| -> i64 {
            text.lines()
                .find(|l| l.starts_with("SEQUENCE:"))
                .map(|l| l[9..].trim().parse().unwrap())
                .unwrap_or(0)
        };
        assert_eq!(sequence(&after), sequence(&before) + 1, "{file}");
    }
}

#[test]
fn an_edit_made_meanwhile_elsewhere_is_never_overwritten() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let fields = new_event_form(&mut client, &[]);
    save(&mut client, "/espace/evenements/nouveau", fields);
    let (id, _) = listed(&mut client)[0].clone();
    let path = format!("/espace/evenements/{id}/modifier");
    let page = client.get(&path).expect(200).text();
    let mut mine = form_fields(&page, Some("evenement"));
    set_field(&mut mine, "titre", "Loto (version du site)");
    // Meanwhile, from a phone.
    let (href, body) = only_object(&server, "asso-a", CAL_A);
    let etag = server
        .as_user("asso-a", "GET", &href)
        .send()
        .header("etag")
        .unwrap()
        .to_owned();
    let phone = body.replace(
        "SUMMARY:Grand loto du comité",
        "SUMMARY:Loto (version du téléphone)",
    );
    server
        .as_user("asso-a", "PUT", &href)
        .header("If-Match", &etag)
        .ics(phone.as_bytes())
        .send()
        .expect(204);
    mine.push(("action".into(), "enregistrer".into()));
    let refused = client.post_form(&path, &as_pairs(&mine)).expect(409).text();
    assert!(refused.contains("a été changé ailleurs"), "{refused}");
    assert!(refused.contains("Loto (version du site)"), "{refused}");
    assert!(refused.contains("Loto (version du téléphone)"), "{refused}");
    let (_, stored) = only_object(&server, "asso-a", CAL_A);
    assert_eq!(stored, phone, "nothing written");
    // The person chooses its own version.
    let mut again = form_fields(&refused, Some("ma-version"));
    again.push(("action".into(), "enregistrer".into()));
    let response = client.post_form(&path, &as_pairs(&again));
    assert_eq!(response.status, 303, "{}", response.text());
    let (_, stored) = only_object(&server, "asso-a", CAL_A);
    assert!(
        stored.contains("SUMMARY:Loto (version du site)"),
        "{stored}"
    );
}

#[test]
fn recurrence_choices_write_the_right_rules() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    // (form fields changed, lines the stored object must hold)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            &[
                ("repetition", "hebdomadaire"),
                ("jours[]", "mardi"),
                ("jours[]", "samedi"),
                ("fin", "date"),
                ("fin_date", "2027-06-30"),
            ],
            &["RRULE:FREQ=WEEKLY;BYDAY=TU,SA;UNTIL=20270630T215959Z\r\n"],
        ),
        (
            &[
                ("repetition", "mensuelle"),
                ("mensuel", "date"),
                ("fin", "nombre"),
                ("fin_nombre", "6"),
            ],
            &["RRULE:FREQ=MONTHLY;BYMONTHDAY=13;COUNT=6\r\n"],
        ),
        (
            &[
                ("repetition", "mensuelle"),
                ("intervalle", "2"),
                ("mensuel", "rang"),
                ("fin", "jamais"),
            ],
            &["RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=2SA\r\n"],
        ),
        (
            &[
                ("date", "2027-03-27"),
                ("repetition", "mensuelle"),
                ("mensuel", "dernier"),
                ("fin", "nombre"),
                ("fin_nombre", "3"),
                ("exceptions", "24/04/2027"),
            ],
            &[
                "RRULE:FREQ=MONTHLY;BYDAY=-1SA;COUNT=3\r\n",
                "EXDATE;TZID=Europe/Paris:20270424T203000\r\n",
            ],
        ),
        (
            &[
                ("journee", "oui"),
                ("date_fin", "2027-03-14"),
                ("repetition", "hebdomadaire"),
                ("fin", "nombre"),
                ("fin_nombre", "4"),
                ("exceptions", "2027-03-20\n2027-03-27"),
            ],
            &[
                "DTSTART;VALUE=DATE:20270313\r\n",
                "DTEND;VALUE=DATE:20270315\r\n",
                "RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=4\r\n",
                "EXDATE;VALUE=DATE:20270320,20270327\r\n",
            ],
        ),
    ];
    for (changes, lines) in cases {
        let fields = new_event_form(&mut client, changes);
        save(&mut client, "/espace/evenements/nouveau", fields);
        let (href, body) = only_object(&server, "asso-a", CAL_A);
        for line in *lines {
            assert!(body.contains(line), "{line:?} missing from {body}");
        }
        // The form reads the rule back as it was chosen.
        let (id, _) = listed(&mut client)[0].clone();
        let page = client
            .get(&format!("/espace/evenements/{id}/modifier"))
            .expect(200)
            .text();
        let read = form_fields(&page, Some("evenement"));
        for (name, value) in changes.iter() {
            let name = name.trim_end_matches("[]");
            let normalise = |v: &str| {
                common::web::unescape_html(v)
                    .replace("27/03/2027", "2027-03-27")
                    .replace("24/04/2027", "2027-04-24")
            };
            assert!(
                read.iter()
                    .any(|(k, v)| k == name && normalise(v) == normalise(value)),
                "{name}={value} not read back: {read:?}"
            );
        }
        server.as_user("asso-a", "DELETE", &href).send().expect(204);
    }
}

#[test]
fn a_rule_the_form_cannot_show_stays_as_written() {
    let server = server();
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:setpos\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20270313T193000Z\r\nDTEND:20270313T220000Z\r\nRRULE:FREQ=MONTHLY;BYDAY=SA;BYSETPOS=2;COUNT=5\r\nSUMMARY:Loto mensuel\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}setpos.ics"))
        .ics(body.as_bytes())
        .send()
        .expect(201);
    let mut client = WebClient::signed_in(&server, "asso-a");
    let (id, _) = listed(&mut client)[0].clone();
    let path = format!("/espace/evenements/{id}/modifier");
    let page = client.get(&path).expect(200).text();
    assert!(
        page.contains("FREQ=MONTHLY;BYDAY=SA;BYSETPOS=2;COUNT=5"),
        "{page}"
    );
    assert!(page.contains("ne sait pas montrer"), "{page}");
    assert!(
        !page.contains("id=\"repetition\""),
        "no repetition fields: {page}"
    );
    let mut fields = form_fields(&page, Some("evenement"));
    set_field(&mut fields, "titre", "Loto du mois");
    save(&mut client, &path, fields);
    let after = server
        .as_user("asso-a", "GET", &format!("{CAL_A}setpos.ics"))
        .send()
        .expect(200)
        .text();
    assert!(after.contains("SUMMARY:Loto du mois\r\n"), "{after}");
    let changed = ["SUMMARY", "SEQUENCE", "DTSTAMP", "LAST-MODIFIED"];
    assert_eq!(without(&after, &changed), without(body, &changed));
}

fn import(client: &mut WebClient, file: &str, bytes: &[u8]) -> common::Response {
    let page = client.get("/espace/importer").expect(200).text();
    let csrf = csrf_from(&page.replace("/espace/importer?csrf=", "name=\"csrf\" value=\""));
    client.post_multipart(
        &format!("/espace/importer?csrf={csrf}"),
        &[
            (
                "fichier",
                Part::File {
                    name: file,
                    content_type: "text/calendar",
                    bytes,
                },
            ),
            ("calendrier", Part::Text("main")),
        ],
    )
}

#[test]
fn every_good_fixture_imports_and_bad_files_change_nothing() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ics");
    let mut good: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ics"))
        .collect();
    good.sort();
    let mut stored = 0;
    for path in &good {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let report = import(&mut client, name, &bytes).expect(200).text();
        assert!(
            report.contains("1 ajouté(s), 0 mis à jour"),
            "{name}: {report}"
        );
        stored += 1;
        assert_eq!(hrefs(&server, "asso-a", CAL_A).len(), stored, "{name}");
        // The same file again changes nothing.
        let again = import(&mut client, name, &bytes).expect(200).text();
        assert!(
            again.contains("0 ajouté(s), 0 mis à jour, 1 inchangé(s)"),
            "{name}: {again}"
        );
    }
    let bad_dir = dir.join("bad");
    let mut bad: Vec<_> = std::fs::read_dir(&bad_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    bad.sort();
    for path in &bad {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let response = import(&mut client, name, &bytes);
        let text = response.text();
        if name == "two-uids.ics" {
            // Bad as one CalDAV resource, but the ordinary shape of an
            // export: its two events are imported, each as its own object.
            assert!(text.contains("2 ajouté(s)"), "{name}: {text}");
            stored += 2;
        } else if response.status == 200 {
            assert!(
                text.contains("0 ajouté(s), 0 mis à jour, 0 inchangé(s), 1 refusé(s)"),
                "{name}: {text}"
            );
        } else {
            assert_eq!(response.status, 422, "{name}: {text}");
            assert!(text.contains("rien n&#39;a changé"), "{name}: {text}");
        }
        assert_eq!(hrefs(&server, "asso-a", CAL_A).len(), stored, "{name}");
    }
}

#[test]
fn an_import_updates_by_uid_and_refuses_older_versions() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let first = event("u-1", "Loto", "20270313T193000Z", "20270313T220000Z");
    let report = import(&mut client, "a.ics", &first).expect(200).text();
    assert!(report.contains("1 ajouté(s)"), "{report}");
    let file = String::from_utf8(first).unwrap().replace(
        "END:VEVENT",
        "SEQUENCE:2\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:u-2\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270314T100000Z\r\nSUMMARY:Marché\r\nEND:VEVENT",
    );
    let report = import(&mut client, "b.ics", file.as_bytes())
        .expect(200)
        .text();
    assert!(
        report.contains("1 ajouté(s), 1 mis à jour, 0 inchangé(s), 0 refusé(s)"),
        "{report}"
    );
    let older = event(
        "u-1",
        "Loto (ancien)",
        "20270313T193000Z",
        "20270313T220000Z",
    );
    let report = import(&mut client, "c.ics", &older).expect(200).text();
    assert!(report.contains("plus récente"), "{report}");
    assert_eq!(hrefs(&server, "asso-a", CAL_A).len(), 2);
}

#[test]
fn a_too_deeply_nested_event_is_refused_alone_and_the_rest_imported() {
    // The file is cut as a subscribed feed is: nesting is judged object by
    // object, and text after the calendar (a generator's comment) is not
    // the calendar's.
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let deep = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\n".repeat(20)
        + &"END:VALARM\r\n".repeat(20);
    let good = String::from_utf8(event(
        "good",
        "Loto",
        "20270313T193000Z",
        "20270313T220000Z",
    ))
    .unwrap();
    let file = good.replace(
        "END:VCALENDAR",
        &format!("BEGIN:VEVENT\r\nUID:deep\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270314T100000Z\r\nSUMMARY:Alarmes imbriquées\r\n{deep}END:VEVENT\r\nEND:VCALENDAR\r\n<!-- 3 ms -->"),
    );
    let report = import(&mut client, "deep.ics", file.as_bytes())
        .expect(200)
        .text();
    assert!(
        report.contains("1 ajouté(s), 0 mis à jour, 0 inchangé(s), 1 refusé(s)"),
        "{report}"
    );
    assert!(report.contains("Alarmes imbriquées"), "{report}");
    assert_eq!(
        hrefs(&server, "asso-a", CAL_A),
        [format!("{CAL_A}good.ics")]
    );
}

#[test]
fn one_organiser_never_reaches_anothers_events() {
    let server = server();
    server
        .as_user("asso-b", "PUT", &format!("{CAL_B}match.ics"))
        .ics(&event(
            "b-1",
            "Match secret de B",
            "20270313T140000Z",
            "20270313T160000Z",
        ))
        .send()
        .expect(201);
    let mut b = WebClient::signed_in(&server, "asso-b");
    let (b_id, _) = listed(&mut b)[0].clone();
    let mut a = WebClient::signed_in(&server, "asso-a");
    let page = a.get("/espace/").expect(200).text();
    assert!(!page.contains("Match secret de B"));
    let csrf = csrf_from(&page);
    for path in [
        format!("/espace/evenements/{b_id}/modifier"),
        format!("/espace/evenements/{b_id}/supprimer"),
    ] {
        let response = a.get(&path);
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.text().contains("Match secret"), "{path}");
        let response = a.post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("titre", "Pris par A"),
                ("date", "2027-03-13"),
                ("heure_debut", "15:00"),
                ("etag", "*"),
                ("action", "enregistrer"),
            ],
        );
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.text().contains("Match secret"), "{path}");
    }
    // B's event is as B left it.
    let body = server
        .as_user("asso-b", "GET", &format!("{CAL_B}match.ics"))
        .send()
        .expect(200)
        .text();
    assert!(body.contains("SUMMARY:Match secret de B"));
    // A's conflicts calendar is not a calendar A writes events into.
    let mut fields = new_event_form(&mut a, &[]);
    set_field(&mut fields, "calendrier", "conflits");
    fields.push(("action".into(), "enregistrer".into()));
    let refused = a.post_form("/espace/evenements/nouveau", &as_pairs(&fields));
    assert_eq!(refused.status, 422);
    assert!(hrefs(&server, "asso-a", CAL_A).is_empty());
    // Unknown or malformed ids are 404 too.
    a.get("/espace/evenements/999999/modifier").expect(404);
    a.get("/espace/evenements/abc/modifier").expect(404);
    // Signed out, every page leads to the sign-in page.
    let mut anonymous = WebClient::new(&server);
    for path in ["/espace/", "/espace/importer", "/espace/evenements/nouveau"] {
        let response = anonymous.get(path).expect(303);
        assert!(response
            .header("location")
            .unwrap()
            .starts_with("/connexion"));
    }
}

#[test]
fn forms_without_their_csrf_token_are_refused() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let mut fields = new_event_form(&mut client, &[]);
    fields.retain(|(k, _)| k != "csrf");
    fields.push(("action".into(), "enregistrer".into()));
    client
        .post_form("/espace/evenements/nouveau", &as_pairs(&fields))
        .expect(403);
    let response = client.post_multipart(
        "/espace/importer",
        &[
            (
                "fichier",
                Part::File {
                    name: "a.ics",
                    content_type: "text/calendar",
                    bytes: &event("x", "Loto", "20270313T193000Z", "20270313T220000Z"),
                },
            ),
            ("calendrier", Part::Text("main")),
        ],
    );
    assert_eq!(response.status, 403);
    assert!(hrefs(&server, "asso-a", CAL_A).is_empty());
    // Deleting needs it too.
    let fields = new_event_form(&mut client, &[]);
    save(&mut client, "/espace/evenements/nouveau", fields);
    let (id, _) = listed(&mut client)[0].clone();
    let path = format!("/espace/evenements/{id}/supprimer");
    let page = client.get(&path).expect(200).text();
    let mut fields = form_fields(&page, Some("suppression"));
    fields.retain(|(k, _)| k != "csrf");
    client.post_form(&path, &as_pairs(&fields)).expect(403);
    assert_eq!(hrefs(&server, "asso-a", CAL_A).len(), 1);
}

#[test]
fn deleting_asks_first_and_removes_it_for_calendar_apps() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let fields = new_event_form(&mut client, &[]);
    save(&mut client, "/espace/evenements/nouveau", fields);
    let (href, _) = only_object(&server, "asso-a", CAL_A);
    let (id, _) = listed(&mut client)[0].clone();
    let path = format!("/espace/evenements/{id}/supprimer");
    let page = client.get(&path).expect(200).text();
    assert!(page.contains("Voulez-vous vraiment supprimer"), "{page}");
    assert!(page.contains("Grand loto du comité"), "{page}");
    let fields = form_fields(&page, Some("suppression"));
    let response = client.post_form(&path, &as_pairs(&fields)).expect(303);
    assert_eq!(response.header("location"), Some("/espace/?fait=supprime"));
    server.as_user("asso-a", "GET", &href).send().expect(404);
}

#[test]
fn checking_the_date_shows_conflicts_and_free_dates_before_saving() {
    let server = server();
    server
        .as_user("asso-b", "PUT", &format!("{CAL_B}concert.ics"))
        .ics(
            &String::from_utf8(event(
                "b-concert",
                "Concert de l'harmonie",
                "20270313T190000Z",
                "20270313T220000Z",
            ))
            .unwrap()
            .replace("SUMMARY:", "LOCATION:Salle des fêtes\\, Arue\r\nSUMMARY:")
            .into_bytes(),
        )
        .send()
        .expect(201);
    let mut client = WebClient::signed_in(&server, "asso-a");
    let mut fields = new_event_form(&mut client, &[]);
    fields.push(("action".into(), "verifier".into()));
    let page = client
        .post_form("/espace/evenements/nouveau", &as_pairs(&fields))
        .expect(200)
        .text();
    assert!(page.contains("Vérification de la date"), "{page}");
    assert!(page.contains("Même lieu au même moment"), "{page}");
    assert!(page.contains("Concert de l&#39;harmonie"), "{page}");
    assert!(
        page.contains("name=\"decaler\" value=\"2027-03-20\""),
        "{page}"
    );
    assert!(hrefs(&server, "asso-a", CAL_A).is_empty(), "nothing saved");
    // Moving to the first free date keeps the form, checked again.
    let mut moved = form_fields(&page, Some("evenement"));
    moved.push(("decaler".into(), "2027-03-20".into()));
    let page = client
        .post_form("/espace/evenements/nouveau", &as_pairs(&moved))
        .expect(200)
        .text();
    assert!(page.contains("Aucun conflit"), "{page}");
    assert!(page.contains("value=\"2027-03-20\""), "{page}");
}

#[test]
fn wrong_fields_are_told_next_to_them_and_at_the_top() {
    let server = server();
    let mut client = WebClient::signed_in(&server, "asso-a");
    let mut fields = new_event_form(
        &mut client,
        &[
            ("titre", " "),
            ("heure_debut", "25h"),
            ("lien", "comite.fr"),
        ],
    );
    fields.push(("action".into(), "enregistrer".into()));
    let page = client
        .post_form("/espace/evenements/nouveau", &as_pairs(&fields))
        .expect(422)
        .text();
    assert!(page.contains("3 corrections sont nécessaires"), "{page}");
    for (field, message) in [
        ("titre", "Indiquez le titre"),
        ("heure_debut", "Cette heure n&#39;est pas valide"),
        ("lien", "Le lien doit être une adresse web complète"),
    ] {
        assert!(
            page.contains(&format!("<a href=\"#{field}\">{message}")),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}-erreur\"")),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}\""))
                && page.contains(&format!("aria-describedby=\"{field}-erreur\"")),
            "{field}: {page}"
        );
    }
    assert!(
        page.contains("value=\"comite.fr\""),
        "typed values stay: {page}"
    );
    assert!(hrefs(&server, "asso-a", CAL_A).is_empty());
}

#[test]
fn the_home_page_keeps_long_pasts_short() {
    let server = server();
    for n in 0..23 {
        server
            .as_user("asso-a", "PUT", &format!("{CAL_A}old-{n}.ics"))
            .ics(&event(
                &format!("old-{n}"),
                &format!("Ancien loto {n}"),
                &format!("2025{:02}10T190000Z", 1 + n % 12),
                &format!("2025{:02}10T210000Z", 1 + n % 12),
            ))
            .send()
            .expect(201);
    }
    let mut client = WebClient::signed_in(&server, "asso-a");
    let page = client.get("/espace/").expect(200).text();
    assert_eq!(
        page.matches("<li class=\"evenement\">").count(),
        20,
        "{page}"
    );
    assert!(
        page.contains("Voir les 3 autres événements passés"),
        "{page}"
    );
    let all = client.get("/espace/?passes=tous").expect(200).text();
    assert_eq!(all.matches("<li class=\"evenement\">").count(), 23);
}
