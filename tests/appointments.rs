//! Appointments at the permanences (issue 14), over real HTTP: a service
//! defines its slots, residents book, cancel and move by their personal
//! link, capacity holds under concurrent bookings, advisers' events make
//! slots busy, bookings never reach public outputs, and old bookings are
//! anonymised.

mod common;
use common::web::WebClient;
use common::*;

const TERRITORY: &str = "\n[[communes]]\nslug = \"arue\"\nname = \"Arue\"\n[[communes]]\nslug = \"bourriot\"\nname = \"Bourriot-Bergonce\"\n";

const SERVICE: &str = "fs";
const PLACE: &str = "Maison France services, 2 place de la Mairie, Arue";

fn ts(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp()
}

/// Monday 30 November 2026, 9:00 in Paris: the first slot after NOW
/// (Saturday 28 November, 11:00).
fn monday_9() -> i64 {
    ts("2026-11-30T08:00:00Z")
}

/// A server with a service `fs` offering 30-minute slots on weekday
/// mornings, `capacity` people at once.
fn server_with_service(capacity: u32) -> Server {
    server_with_service_and(capacity, "")
}

/// The same, with more settings (`extra` is appended to config.toml).
fn server_with_service_and(capacity: u32, extra: &str) -> Server {
    let server = Server::start_with(&format!("{TERRITORY}{extra}"));
    let config = server.config_path();
    let out = cli_with_stdin(
        &config,
        &[
            "organiser",
            "add",
            SERVICE,
            "--name",
            "France services",
            "--kind",
            "service",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success(), "{out:?}");
    let capacity = capacity.to_string();
    let out = cli_with_stdin(
        &config,
        &[
            "permanence",
            "add",
            SERVICE,
            "--place",
            PLACE,
            "--themes",
            "Démarches en ligne, CV",
            "--hours",
            "lun 9h-12h; mar 9h-12h; mer 9h-12h; jeu 9h-12h; ven 9h-12h",
            "--closed",
            "2026-12-02",
            "--slot-minutes",
            "30",
            "--capacity",
            &capacity,
            "--days-ahead",
            "14",
            "--minutes-before",
            "60",
            "--bring",
            "une pièce d'identité",
        ],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    server
}

/// The key (`{permanence}-{start}`) of a free slot starting at `start` on
/// the service's page, if the page offers it.
fn offered(server: &Server, start: i64) -> Option<String> {
    let page = server
        .request("GET", &format!("/rendez-vous/{SERVICE}"))
        .send()
        .expect(200)
        .text();
    let suffix = format!("-{start}\"");
    page.split("creneau=")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap() + 1])
        .find(|key| key.ends_with(&suffix))
        .map(|key| key.trim_end_matches('"').to_owned())
}

/// Books `start` as an anonymous resident; the response to the form.
fn book(server: &Server, start: i64, name: &str, note: &str) -> Response {
    book_with_email(server, start, name, note, "")
}

fn book_with_email(server: &Server, start: i64, name: &str, note: &str, email: &str) -> Response {
    book_by(&mut WebClient::new(server), start, name, note, email)
}

/// Jeanne Martin, with her e-mail address, books Monday 30 November at 9:00.
fn jeanne_books_monday_9(server: &Server) -> Response {
    book_with_email(
        server,
        monday_9(),
        "Jeanne Martin",
        "",
        "jeanne@example.org",
    )
}

/// Books `start` as `visitor` (a resident, or a signed-in service).
fn book_by(visitor: &mut WebClient, start: i64, name: &str, note: &str, email: &str) -> Response {
    let key = offered(visitor.server, start).expect("the slot is offered");
    visitor.form(&format!("/rendez-vous/{SERVICE}/reserver?creneau={key}"));
    visitor.post(
        &format!("/rendez-vous/{SERVICE}/reserver"),
        &[
            ("creneau", &key),
            ("theme", "CV"),
            ("nom", name),
            ("telephone", "05 56 12 34 56"),
            ("courriel", email),
            ("commune", "arue"),
            ("note", note),
        ],
    )
}

/// The personal link's path a booking's answer sends to.
fn personal_link(response: &Response) -> String {
    assert_eq!(response.status, 303, "{}", response.text());
    let location = response.header("location").unwrap();
    location.split('?').next().unwrap().to_owned()
}

/// The service's calendar as its owner reads it (export of the
/// calendar), unfolded.
fn service_calendar(server: &Server) -> String {
    server
        .as_user(SERVICE, "GET", &format!("/dav/calendars/{SERVICE}/main/"))
        .send()
        .expect(200)
        .text()
        .replace("\r\n ", "")
}

#[test]
fn a_resident_books_a_slot_and_the_adviser_gets_a_private_event() {
    let server = server_with_service(2);
    let list = server
        .request("GET", "/rendez-vous")
        .send()
        .expect(200)
        .text();
    assert!(list.contains("France services"), "{list}");
    assert!(list.contains("Démarches en ligne, CV"), "{list}");
    let page = server
        .request("GET", &format!("/rendez-vous/{SERVICE}"))
        .send()
        .expect(200)
        .text();
    assert!(page.contains("Lundi 30 novembre 2026"), "{page}");
    assert!(page.contains("9 h à 9 h 30</a> (2 places)"), "{page}");
    assert!(page.contains("le lundi de 9 h à 12 h"), "{page}");
    // Closed on Wednesday 2 December; nothing before 60 minutes from now.
    assert!(!page.contains("Mercredi 2 décembre"), "{page}");
    assert!(page.contains("Jeudi 3 décembre"), "{page}");

    // The form says what is kept; a booking without a contact is refused.
    let key = offered(&server, monday_9()).unwrap();
    let mut visitor = WebClient::new(&server);
    let form = visitor.form(&format!("/rendez-vous/{SERVICE}/reserver?creneau={key}"));
    let form = form.text();
    assert!(
        form.contains("lundi 30 novembre 2026 de 9 h à 9 h 30"),
        "{form}"
    );
    assert!(form.contains("pendant 365\u{a0}jours"), "{form}");
    let refused = visitor.post(
        &format!("/rendez-vous/{SERVICE}/reserver"),
        &[("creneau", &key), ("theme", "CV"), ("nom", "Jeanne Dupont")],
    );
    assert_eq!(refused.status, 400);
    assert!(refused
        .text()
        .contains("Indiquez un numéro de téléphone ou une adresse e-mail"));
    // Without the form's CSRF field, nothing is booked.
    let forged = visitor.post_form(
        &format!("/rendez-vous/{SERVICE}/reserver"),
        &[
            ("csrf", "forged"),
            ("creneau", &key),
            ("theme", "CV"),
            ("nom", "X"),
            ("telephone", "0556123456"),
        ],
    );
    assert_eq!(forged.status, 403);

    let booked = book(&server, monday_9(), "Jeanne Dupont", "Dossier CAF");
    let link = personal_link(&booked);
    assert!(link.starts_with("/rendez-vous/gerer/"));
    let confirmation = server
        .request("GET", booked.header("location").unwrap())
        .send()
        .expect(200)
        .text();
    assert!(
        confirmation.contains("Votre rendez-vous est pris"),
        "{confirmation}"
    );
    assert!(confirmation.contains(PLACE), "{confirmation}");
    assert!(
        confirmation.contains("une pièce d&#39;identité"),
        "{confirmation}"
    );
    assert!(
        confirmation.contains(&link),
        "the personal link is shown: {confirmation}"
    );
    // One place left in that slot.
    let page = server
        .request("GET", &format!("/rendez-vous/{SERVICE}"))
        .send()
        .expect(200)
        .text();
    assert!(page.contains("9 h à 9 h 30</a></li>"), "{page}");

    // The adviser's calendar holds a private event with the details.
    let calendar = service_calendar(&server);
    assert!(calendar.contains("CLASS:PRIVATE"), "{calendar}");
    assert!(calendar.contains("TRANSP:TRANSPARENT"), "{calendar}");
    assert!(calendar.contains("DTSTART:20261130T080000Z"), "{calendar}");
    assert!(calendar.contains("Jeanne Dupont"), "{calendar}");
    assert!(calendar.contains("Dossier CAF"), "{calendar}");
    assert!(!calendar.contains("ATTENDEE"), "{calendar}");
}

#[test]
fn capacity_holds_under_fifty_concurrent_bookings() {
    let capacity = 3;
    let server = server_with_service(capacity);
    let key = offered(&server, monday_9()).unwrap();
    let barrier = std::sync::Barrier::new(50);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..50)
            .map(|n| {
                let (server, key, barrier) = (&server, &key, &barrier);
                scope.spawn(move || {
                    // Fifty residents, each from their own address (one
                    // address may book only so many an hour).
                    let mut visitor =
                        WebClient::from(server, std::net::Ipv4Addr::new(127, 0, 1, n + 1));
                    visitor.form(&format!("/rendez-vous/{SERVICE}/reserver?creneau={key}"));
                    let name = format!("Habitant {n}");
                    barrier.wait();
                    visitor
                        .post(
                            &format!("/rendez-vous/{SERVICE}/reserver"),
                            &[
                                ("creneau", key),
                                ("theme", "CV"),
                                ("nom", &name),
                                ("courriel", "habitant@example.org"),
                            ],
                        )
                        .status
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let booked = statuses.iter().filter(|s| **s == 303).count();
    let full = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!(booked, capacity as usize, "{statuses:?}");
    assert_eq!(full, 50 - capacity as usize, "{statuses:?}");
    assert_eq!(
        service_calendar(&server).matches("BEGIN:VEVENT").count(),
        capacity as usize
    );
    assert_eq!(
        offered(&server, monday_9()),
        None,
        "a full slot is not offered"
    );
}

#[test]
fn cancel_and_move_by_the_personal_link() {
    let server = server_with_service(1);
    let link = personal_link(&book(&server, monday_9(), "Jeanne Dupont", ""));
    // A wrong link is refused clearly.
    let wrong = server
        .request(
            "GET",
            "/rendez-vous/gerer/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .expect(404)
        .text();
    assert!(wrong.contains("n&#39;est pas valable"), "{wrong}");

    // Moving to a full slot is refused; to a free one, the event moves.
    let tuesday_10 = ts("2026-12-01T09:00:00Z");
    let other = personal_link(&book(&server, tuesday_10, "Paul Martin", ""));
    let mut visitor = WebClient::new(&server);
    let moving = visitor.form(&format!("{link}/deplacer"));
    let moving = moving.text();
    assert!(
        !moving.contains(&format!("-{tuesday_10}\"")),
        "a full slot is not offered: {moving}"
    );
    let permanence = offered(&server, monday_9() + 1800).unwrap();
    let permanence = permanence.split('-').next().unwrap();
    let full = visitor.post(
        &format!("{link}/deplacer"),
        &[("creneau", &format!("{permanence}-{tuesday_10}"))],
    );
    assert_eq!(full.status, 409, "{}", full.text());
    let thursday_11 = ts("2026-12-03T10:00:00Z");
    let moved = visitor.post(
        &format!("{link}/deplacer"),
        &[("creneau", &format!("{permanence}-{thursday_11}"))],
    );
    assert_eq!(moved.status, 303, "{}", moved.text());
    let page = server.request("GET", &link).send().expect(200).text();
    assert!(
        page.contains("jeudi 3 décembre 2026 de 11 h à 11 h 30"),
        "{page}"
    );
    assert!(
        offered(&server, monday_9()).is_some(),
        "the old slot is free again"
    );
    assert_eq!(offered(&server, thursday_11), None);
    let calendar = service_calendar(&server);
    assert!(calendar.contains("DTSTART:20261203T100000Z"), "{calendar}");
    assert!(!calendar.contains("DTSTART:20261130T080000Z"), "{calendar}");
    assert_eq!(calendar.matches("BEGIN:VEVENT").count(), 2);

    // Cancelling frees the slot and deletes the event.
    visitor.form(&link);
    let cancelled = visitor.post(&link, &[]);
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    assert!(cancelled.text().contains("Votre rendez-vous est annulé"));
    assert!(offered(&server, thursday_11).is_some());
    let calendar = service_calendar(&server);
    assert!(!calendar.contains("Jeanne Dupont"), "{calendar}");
    assert!(calendar.contains("Paul Martin"), "{calendar}");
    // The used link now refuses everything, clearly.
    let again = server.request("GET", &link).send().expect(410).text();
    assert!(again.contains("a été annulé"), "{again}");
    assert_eq!(visitor.post(&link, &[]).status, 410);
    let late_move = visitor.post(
        &format!("{link}/deplacer"),
        &[("creneau", &format!("{permanence}-{thursday_11}"))],
    );
    assert_eq!(late_move.status, 410);
    server.request("GET", &other).send().expect(200);
}

#[test]
fn an_advisers_event_makes_slots_busy_but_a_free_one_does_not() {
    let server = server_with_service(2);
    assert!(offered(&server, monday_9()).is_some());
    let key = offered(&server, monday_9()).unwrap();
    // The adviser's own meeting, 9:00-10:00 on Monday, from a phone.
    server
        .as_user(
            SERVICE,
            "PUT",
            &format!("/dav/calendars/{SERVICE}/main/reunion.ics"),
        )
        .ics(&event(
            "reunion-1",
            "Réunion d'équipe",
            "20261130T080000Z",
            "20261130T090000Z",
        ))
        .send()
        .expect(201);
    // A transparent (free) event from 10:00 to 11:00 blocks nothing.
    let free = String::from_utf8(event(
        "libre-1",
        "Veille",
        "20261130T090000Z",
        "20261130T100000Z",
    ))
    .unwrap()
    .replace("SUMMARY:", "TRANSP:TRANSPARENT\r\nSUMMARY:");
    server
        .as_user(
            SERVICE,
            "PUT",
            &format!("/dav/calendars/{SERVICE}/main/libre.ics"),
        )
        .ics(free.as_bytes())
        .send()
        .expect(201);
    assert_eq!(offered(&server, monday_9()), None);
    assert_eq!(offered(&server, monday_9() + 1800), None);
    assert!(offered(&server, monday_9() + 3600).is_some());
    assert!(offered(&server, monday_9() + 5400).is_some());
    // A form opened before the meeting was added is refused on sending.
    let mut visitor = WebClient::new(&server);
    visitor.form(&format!(
        "/rendez-vous/{SERVICE}/reserver?creneau={}",
        key.replace(&monday_9().to_string(), &(monday_9() + 3600).to_string())
    ));
    let busy = visitor.post(
        &format!("/rendez-vous/{SERVICE}/reserver"),
        &[
            ("creneau", &key),
            ("theme", "CV"),
            ("nom", "X"),
            ("telephone", "0556123456"),
        ],
    );
    assert_eq!(busy.status, 409, "{}", busy.text());
}

#[test]
fn bookings_never_reach_public_outputs() {
    let server = server_with_service(2);
    let secrets = ["Zéphyrine Mystère", "NOTE-SECRETE-42", "05 56 12 34 56"];
    personal_link(&book(&server, monday_9(), secrets[0], secrets[1]));
    // A public event of the same service, to be sure its outputs are read.
    server
        .as_user(
            SERVICE,
            "PUT",
            &format!("/dav/calendars/{SERVICE}/main/atelier.ics"),
        )
        .ics(&event(
            "atelier-1",
            "Atelier numérique",
            "20261205T090000Z",
            "20261205T110000Z",
        ))
        .send()
        .expect(201);
    let public = [
        "/",
        "/?du=2026-11-28&au=2026-12-31",
        "/associations",
        "/rendez-vous",
        "/rendez-vous/fs",
        "/feeds/intercommunal.ics",
        "/feeds/fs.ics",
    ];
    let mut seen_public_event = false;
    for path in public {
        let text = server.request("GET", path).send().expect(200).text();
        seen_public_event |= text.contains("Atelier numérique");
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in {path}: {text}");
        }
        assert!(!text.contains("Rendez-vous\u{202f}: CV"), "{path}: {text}");
    }
    assert!(seen_public_event, "the public outputs were read");
    // The intercommunal calendar, as another organiser reads it.
    let intercommunal = server
        .as_user("asso-a", "GET", "/dav/intercommunal/")
        .send()
        .expect(200)
        .text();
    assert!(
        intercommunal.contains("Atelier numérique"),
        "{intercommunal}"
    );
    let report = server
        .as_user("asso-a", "REPORT", "/dav/intercommunal/")
        .header("Depth", "1")
        .xml("<?xml version=\"1.0\"?><C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\"/></C:comp-filter></C:filter></C:calendar-query>")
        .send()
        .expect(207)
        .text();
    // The JSON an organiser gets about a planned event at the same time
    // and place.
    let availability = server
        .as_user(
            "asso-a",
            "GET",
            "/api/availability?start=2026-11-30T09:00&end=2026-11-30T10:00&commune=arue",
        )
        .send()
        .expect(200)
        .text();
    for text in [intercommunal, report, availability] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert!(!text.contains("CLASS:PRIVATE"), "{text}");
    }
}

#[test]
fn a_service_defines_permanences_in_its_space_and_books_for_a_caller() {
    let server = Server::start_with(TERRITORY);
    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "organiser",
            "add",
            SERVICE,
            "--name",
            "France services",
            "--kind",
            "service",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success());
    // An association has no permanences.
    let mut association = WebClient::signed_in(&server, "asso-a");
    assert_eq!(association.get("/espace/permanences").status, 403);

    let mut service = WebClient::signed_in(&server, SERVICE);
    service.form("/espace/permanences");
    let fields = |hours: &'static str| {
        vec![
            ("action", "ajouter"),
            ("lieu", "Médiathèque d'Arue"),
            ("themes", "Impôts en ligne\nCV"),
            ("horaires", hours),
            ("fermetures", ""),
            ("duree", "45"),
            ("places", "1"),
            ("jours", "7"),
            ("delai", "0"),
            ("apporter", "votre avis d'imposition"),
        ]
    };
    let refused = service.post("/espace/permanences", &fields("lundi matin"));
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("n&#39;est pas une plage horaire"),
        "{}",
        refused.text()
    );
    let added = service.post("/espace/permanences", &fields("lun 14:00-16:15"));
    assert_eq!(added.status, 303, "{}", added.text());
    let page = service.get("/espace/permanences").text();
    assert!(page.contains("le lundi de 14 h à 16 h 15"), "{page}");
    // 14:00, 14:45, 15:30 (16:15 ends the day).
    assert!(offered(&server, ts("2026-11-30T13:00:00Z")).is_some());
    assert!(offered(&server, ts("2026-11-30T14:30:00Z")).is_some());
    assert!(offered(&server, ts("2026-11-30T15:15:00Z")).is_none());

    // The service books for a caller with the public form, signed in.
    let key = offered(&server, ts("2026-11-30T13:45:00Z")).unwrap();
    let form = service.form(&format!("/rendez-vous/{SERVICE}/reserver?creneau={key}"));
    assert!(form.text().contains("pour quelqu'un"), "{}", form.text());
    let booked = service.post(
        &format!("/rendez-vous/{SERVICE}/reserver"),
        &[
            ("creneau", &key),
            ("theme", "Impôts en ligne"),
            ("nom", "Marcel Appelant"),
            ("telephone", "06 12 34 56 78"),
        ],
    );
    personal_link(&booked);
    let calendar = service_calendar(&server);
    assert!(
        calendar.contains("Pris par : France services"),
        "{calendar}"
    );
    let list = service.form("/espace/rendez-vous");
    let list = list.text();
    assert!(list.contains("Marcel Appelant"), "{list}");
    assert!(list.contains("prévu"), "{list}");
    let id_at = list.find("name=\"id\" value=\"").unwrap() + 17;
    let id = &list[id_at..id_at + list[id_at..].find('"').unwrap()];
    let marked = service.post("/espace/rendez-vous", &[("id", id), ("statut", "venu")]);
    assert_eq!(marked.status, 303);
    assert!(service.get("/espace/rendez-vous").text().contains("venu"));
    // Another service cannot mark it.
    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "organiser",
            "add",
            "cias",
            "--name",
            "CIAS",
            "--kind",
            "service",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success());
    let mut other = WebClient::signed_in(&server, "cias");
    other.form("/espace/rendez-vous");
    assert_eq!(
        other
            .post("/espace/rendez-vous", &[("id", id), ("statut", "absent")])
            .status,
        404
    );
}

#[test]
fn old_bookings_are_anonymised_and_still_counted() {
    let mut server = server_with_service(1);
    let link = personal_link(&book(&server, monday_9(), "Jeanne Dupont", "Dossier CAF"));
    let mut service = WebClient::signed_in(&server, SERVICE);
    let list = service.form("/espace/rendez-vous");
    let list = list.text();
    let id_at = list.find("name=\"id\" value=\"").unwrap() + 17;
    let id = list[id_at..id_at + list[id_at..].find('"').unwrap()].to_owned();
    assert_eq!(
        service
            .post("/espace/rendez-vous", &[("id", &id), ("statut", "venu")])
            .status,
        303
    );
    // Within the retention time, nothing changes.
    server.restart_at("2027-11-29T10:00:00Z");
    assert!(service_calendar(&server).contains("Jeanne Dupont"));
    // 365 days after the appointment, the server anonymises it at start.
    server.restart_at("2027-12-01T10:00:00Z");
    let calendar = service_calendar(&server);
    assert!(!calendar.contains("Jeanne Dupont"), "{calendar}");
    assert!(!calendar.contains("Dossier CAF"), "{calendar}");
    server.request("GET", &link).send().expect(404);
    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "appointments",
            "indicators",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-31",
        ],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("total,,1,1,0,0,1.00"), "{csv}");
    assert!(csv.contains("commune,arue,1,1,0,0,1.00"), "{csv}");
    assert!(csv.contains("theme,CV,1,1,0,0,1.00"), "{csv}");
    assert!(!csv.contains("Jeanne"), "{csv}");
}

#[test]
fn the_purge_command_anonymises_as_the_server_does() {
    let server = server_with_service(1);
    personal_link(&book(&server, monday_9(), "Jeanne Dupont", ""));
    let purge = |clock: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_concord"))
            .env("CONCORD_CLOCK", clock)
            .arg("--config")
            .arg(server.config_path())
            .args(["appointments", "purge"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // The appointment is on Monday 30 November 2026, kept 365 days.
    assert!(purge("2027-11-29T10:00:00Z").starts_with("0 booking(s)"));
    assert!(service_calendar(&server).contains("Jeanne Dupont"));
    assert!(purge("2027-12-01T10:00:00Z").starts_with("1 booking(s)"));
    eventually("the server sees the purge", || {
        let calendar = service_calendar(&server);
        calendar.contains("Jeanne Dupont").then_some(calendar)
    });
}

#[test]
fn staff_mark_bookings_and_download_the_indicators() {
    let server = server_with_service(2);
    personal_link(&book(&server, monday_9(), "Jeanne Dupont", ""));
    personal_link(&book(&server, monday_9() + 1800, "Paul Martin", ""));
    let anonymous = server
        .request("GET", "/gestion/rendez-vous")
        .send()
        .expect(303);
    assert!(anonymous
        .header("location")
        .unwrap()
        .starts_with("/connexion"));
    let mut association = WebClient::signed_in(&server, "asso-a");
    assert_eq!(association.get("/gestion/rendez-vous").status, 403);

    let mut staff = WebClient::signed_in(&server, "staff");
    let desk = staff.get("/gestion/rendez-vous").text();
    assert!(
        desk.contains("/gestion/rendez-vous/fs\">France services</a>"),
        "{desk}"
    );
    let list = staff.form("/gestion/rendez-vous/fs");
    let list = list.text();
    assert!(
        list.contains("Jeanne Dupont") && list.contains("Paul Martin"),
        "{list}"
    );
    let ids: Vec<String> = list
        .split("name=\"id\" value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for (id, status) in ids.iter().zip(["venu", "absent"]) {
        let marked = staff.post("/gestion/rendez-vous/fs", &[("id", id), ("statut", status)]);
        assert_eq!(marked.status, 303, "{}", marked.text());
        assert_eq!(marked.header("location"), Some("/gestion/rendez-vous/fs"));
    }
    let csv = staff.get("/gestion/rendez-vous/indicateurs.csv?du=2026-11-01&au=2026-12-31");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let csv = csv.text();
    assert!(
        csv.starts_with("groupe,valeur,rendez_vous,venus,absents,annules,taux_presence\r\n"),
        "{csv}"
    );
    assert!(csv.contains("total,,2,1,1,0,0.50\r\n"), "{csv}");
    assert!(csv.contains("mois,2026-11,2,1,1,0,0.50\r\n"), "{csv}");
    assert!(!csv.contains("Jeanne"), "{csv}");
    // Outside the period, nothing is counted.
    let empty = staff
        .get("/gestion/rendez-vous/indicateurs.csv?du=2027-01-01&au=2027-01-31")
        .text();
    assert!(empty.contains("total,,0,0,0,0,\r\n"), "{empty}");
}

#[test]
fn with_mail_the_resident_gets_a_confirmation_and_an_invitation() {
    let sink = common::smtp::Sink::start();
    let server = server_with_service_and(2, &sink.config());
    jeanne_books_monday_9(&server).expect(303);
    let sent = sink.wait_for(1);
    assert_eq!(sent.to, ["jeanne@example.org"]);
    let data = sent.data.replace("=\r\n", "");
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("text/calendar; method=REQUEST"), "{data}");
    assert!(data.contains("rendez-vous.ics"), "{data}");
    // Without an address, nothing is sent.
    book(&server, monday_9(), "Paul Durand", "").expect(303);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.count(), 1);
}

/// The messages the sink got from `first` (1-based) on, as (to, subject
/// line, body), once `count` have arrived.
fn mails(sink: &common::smtp::Sink, first: usize, count: usize) -> Vec<(String, String, String)> {
    sink.wait_for(count);
    (first..=count)
        .map(|n| {
            let sent = sink.wait_for(n);
            let subject = sent
                .data
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("subject:"))
                .unwrap_or_default()
                .to_owned();
            (
                sent.to.join(","),
                subject,
                sent.body().replace("\r\n", "\n"),
            )
        })
        .collect()
}

/// The path of the personal link in a message.
fn link_in_mail(body: &str) -> String {
    let at = body.find("/rendez-vous/gerer/").expect("a personal link");
    body[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// Waits long enough for a message the server would wrongly send.
fn quiet() {
    std::thread::sleep(std::time::Duration::from_millis(1500));
}

#[test]
fn the_day_before_each_booking_with_an_email_gets_one_reminder() {
    let sink = common::smtp::Sink::start();
    let mut server = server_with_service_and(3, &sink.config());
    let tuesday_9 = ts("2026-12-01T08:00:00Z");
    let tuesday_10 = ts("2026-12-01T09:00:00Z");
    let monday_10_30 = ts("2026-11-30T09:30:00Z");
    // Saturday 28 November: Jeanne books Monday 9:00; Paul books Tuesday
    // and cancels; Marc books Thursday and moves to Monday 10:30; Luc
    // gives only a phone number.
    let jeanne = personal_link(&jeanne_books_monday_9(&server));
    let paul = personal_link(&book_with_email(
        &server,
        tuesday_10,
        "Paul Durand",
        "",
        "paul@example.org",
    ));
    let marc = personal_link(&book_with_email(
        &server,
        ts("2026-12-03T09:00:00Z"),
        "Marc Petit",
        "",
        "marc@example.org",
    ));
    book(&server, monday_9(), "Luc Sans Courriel", "").expect(303);
    sink.wait_for(3); // the confirmations
    let mut visitor = WebClient::new(&server);
    visitor.form(&paul);
    visitor.post(&paul, &[]).expect(200);
    let permanence = offered(&server, monday_10_30).unwrap();
    visitor.form(&format!("{marc}/deplacer"));
    visitor
        .post(&format!("{marc}/deplacer"), &[("creneau", &permanence)])
        .expect(303);
    // Still Saturday: nothing is due yet.
    let jar = visitor.into_jar();
    server.restart_at("2026-11-28T18:00:00Z");
    quiet();
    assert_eq!(sink.count(), 3);

    // Sunday 29 November, 11:00: the reminders of Monday's bookings.
    server.restart_at("2026-11-29T10:00:00Z");
    let reminders = mails(&sink, 4, 5);
    quiet();
    assert_eq!(sink.count(), 5, "one reminder per booking with an address");
    let to: Vec<&str> = reminders.iter().map(|(to, _, _)| to.as_str()).collect();
    assert_eq!(to, ["jeanne@example.org", "marc@example.org"]);
    let (_, subject, body) = &reminders[0];
    // The subject is encoded (its no-break space): its plain words show.
    assert!(subject.contains("votre rendez-vous demain"), "{subject}");
    assert!(body.contains("Bonjour Jeanne Martin"), "{body}");
    assert!(
        body.contains("a lieu demain\u{202f}:\n\nlundi 30 novembre 2026 de 9 h à 9 h 30\n"),
        "{body}"
    );
    assert!(body.contains(PLACE), "{body}");
    assert!(body.contains("Thème\u{202f}: CV"), "{body}");
    assert!(
        body.contains("À apporter\u{202f}: une pièce d'identité"),
        "{body}"
    );
    assert!(
        reminders[1]
            .2
            .contains("lundi 30 novembre 2026 de 10 h 30 à 11 h"),
        "the moved booking is reminded of its new slot: {}",
        reminders[1].2
    );
    // The reminder's personal link opens the same booking; the
    // confirmation's still does.
    let reminded = link_in_mail(body);
    assert_ne!(reminded, jeanne);
    for link in [&reminded, &jeanne] {
        let page = server.request("GET", link).send().expect(200).text();
        assert!(page.contains("Jeanne Martin"), "{page}");
    }

    // Exactly once: another start the same day sends nothing again.
    server.restart_at("2026-11-29T15:00:00Z");
    quiet();
    assert_eq!(sink.count(), 5);

    // Booked on the day before: the confirmation is the reminder.
    book_with_email(
        &server,
        ts("2026-11-30T10:00:00Z"),
        "Léa Tardive",
        "",
        "lea@example.org",
    )
    .expect(303);
    sink.wait_for(6);
    // Jeanne moves to Tuesday with the reminder's link.
    let mut visitor = WebClient::with_jar(&server, jar);
    visitor.form(&format!("{reminded}/deplacer"));
    let key = format!("{}-{tuesday_9}", permanence.split('-').next().unwrap());
    visitor
        .post(&format!("{reminded}/deplacer"), &[("creneau", &key)])
        .expect(303);
    server.restart_at("2026-11-29T16:00:00Z");
    quiet();
    assert_eq!(sink.count(), 6, "Léa booked today: no reminder");

    // Monday 30 November: Jeanne is reminded of her new slot, Paul (who
    // cancelled Tuesday) is not.
    server.restart_at("2026-11-30T08:00:00Z");
    let reminders = mails(&sink, 7, 7);
    quiet();
    assert_eq!(sink.count(), 7);
    let (to, _, body) = &reminders[0];
    assert_eq!(to, "jeanne@example.org");
    assert!(
        body.contains("mardi 1er décembre 2026 de 9 h à 9 h 30"),
        "{body}"
    );
    let page = server.request("GET", &jeanne).send().expect(200).text();
    assert!(page.contains("mardi 1er décembre 2026"), "{page}");
}

#[test]
fn a_reminder_the_mail_server_defers_is_sent_at_the_next_pass_and_one_it_refuses_is_not() {
    let sink = common::smtp::Sink::start();
    let mut server = server_with_service_and(3, &sink.config());
    // Saturday 28 November: two bookings for Monday.
    jeanne_books_monday_9(&server).expect(303);
    book_with_email(
        &server,
        ts("2026-11-30T09:30:00Z"),
        "Marc Petit",
        "",
        "marc@example.org",
    )
    .expect(303);
    sink.wait_for(2); // the confirmations
                      // Sunday morning the mail server defers Jeanne's message and refuses
                      // Marc's address for good.
    sink.refuse("jeanne@example.org", "451 4.3.0 Mailbox busy, try later");
    sink.refuse("marc@example.org", "550 5.1.1 No such mailbox");
    server.restart_at("2026-11-29T07:00:00Z");
    quiet();
    assert_eq!(sink.count(), 2, "both were refused");
    // The next pass, the mail server takes everything: Jeanne's reminder
    // goes, once; Marc's is not tried again.
    sink.accept_all();
    server.restart_at("2026-11-29T07:10:00Z");
    let reminders = mails(&sink, 3, 3);
    assert_eq!(reminders[0].0, "jeanne@example.org");
    assert!(
        reminders[0]
            .2
            .contains("lundi 30 novembre 2026 de 9 h à 9 h 30"),
        "{}",
        reminders[0].2
    );
    // Its link opens the booking.
    let link = link_in_mail(&reminders[0].2);
    let page = server.request("GET", &link).send().expect(200).text();
    assert!(page.contains("Jeanne Martin"), "{page}");
    server.restart_at("2026-11-29T07:20:00Z");
    quiet();
    assert_eq!(sink.count(), 3, "sent once, and Marc's never");
}

#[test]
fn the_booking_form_and_the_personal_links_are_limited_per_address() {
    let server = server_with_service(30);
    let mut resident = WebClient::new(&server);
    let mut links = Vec::new();
    for n in 0..20 {
        let name = format!("Habitant {n}");
        links.push(personal_link(&book_by(
            &mut resident,
            monday_9(),
            &name,
            "",
            "",
        )));
    }
    let refused = book_by(&mut resident, monday_9(), "Un de trop", "", "");
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("3600"));
    let text = refused.text();
    assert!(text.contains("Réessayez dans une heure"), "{text}");
    assert!(!service_calendar(&server).contains("Un de trop"));
    // Another address books; so does the service for a caller.
    book_by(
        &mut WebClient::from(&server, std::net::Ipv4Addr::new(127, 0, 0, 2)),
        monday_9(),
        "Voisine",
        "",
        "",
    )
    .expect(303);
    let mut service = WebClient::signed_in(&server, SERVICE);
    book_by(&mut service, monday_9(), "Appel", "", "").expect(303);

    // Cancelling and moving by link: a wrong link counts too.
    let mut prober = WebClient::from(&server, std::net::Ipv4Addr::new(127, 0, 0, 3));
    prober.form(&links[0]);
    let wrong = "/rendez-vous/gerer/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for n in 0..20 {
        let path = match n % 2 {
            0 => wrong.to_owned(),
            _ => format!("{wrong}/deplacer"),
        };
        let status = prober.post(&path, &[]).status;
        assert!(status == 404 || status == 409, "{status}");
    }
    let limited = prober.post(&links[0], &[]);
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert!(limited.text().contains("annulés ou déplacés"));
    server.request("GET", &links[0]).send().expect(200);
    // The resident's own address still cancels.
    resident.form(&links[0]);
    resident.post(&links[0], &[]).expect(200);
}

#[test]
fn no_organiser_may_take_a_login_the_appointments_addresses_use() {
    let server = server_with_service_and(1, "[[categories]]\nslug = \"loto\"\nname = \"Loto\"\n");
    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "organiser",
            "add",
            "gerer",
            "--name",
            "Gérer",
            "--kind",
            "service",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reserved"),
        "{out:?}"
    );
    // Nor through the desk's approval of a registration.
    use common::web::csrf_from;
    let mut newcomer = WebClient::new(&server);
    let csrf = csrf_from(&newcomer.get("/inscription").expect(200).text());
    newcomer
        .post_form(
            "/inscription",
            &[
                ("csrf", &csrf),
                ("nom", "Gérer ensemble"),
                ("nature", "association"),
                ("commune", "arue"),
                ("categories", "loto"),
                ("contact", "Marie Dupont"),
                ("courriel", "marie@example.org"),
                ("description", "Entraide."),
            ],
        )
        .expect(200);
    let mut staff = WebClient::signed_in(&server, "staff");
    let csrf = csrf_from(&staff.get("/gestion/inscriptions").expect(200).text());
    let refused = staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "approuver"),
                ("demande", "1"),
                ("identifiant", "gerer"),
            ],
        )
        .expect(400)
        .text();
    assert!(refused.contains("réservé"), "{refused}");
    server
        .request("GET", "/rendez-vous/gerer")
        .send()
        .expect(404);
}
