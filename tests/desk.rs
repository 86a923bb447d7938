//! The staff desk over real HTTP: who may enter (staff only, on every
//! address and form), CSRF, the home's counts, and each section's actions.

mod common;

use common::web::{location, values_of, WebClient};
use common::*;

/// Every address of the desk.
const PAGES: &[&str] = &[
    "/gestion",
    "/gestion/",
    "/gestion/moderation",
    "/gestion/conflits",
    "/gestion/conflits?du=2027-01-01&au=2027-03-31",
    "/gestion/conflits.csv",
    "/gestion/disponibilite",
    "/gestion/organisateurs",
    "/gestion/organisateurs/asso-a",
    "/gestion/organisateurs/asso-a/abonnements/1/supprimer",
    "/gestion/lieux",
    "/gestion/agenda",
    "/gestion/agenda/2027-T1",
    "/gestion/agenda/2027-T1/changements",
    "/gestion/indicateurs",
    "/gestion/indicateurs/evenements-par-commune.csv",
    "/gestion/journal",
    "/gestion/inscriptions",
    "/gestion/nimporte-quoi",
];

/// Every form of the desk: (address, fields). Each would change something
/// when sent by staff.
const FORMS: &[(&str, &[(&str, &str)])] = &[
    (
        "/gestion/moderation",
        &[("action", "valider"), ("objet", "1")],
    ),
    (
        "/gestion/moderation",
        &[("action", "masquer"), ("objet", "1"), ("raison", "x")],
    ),
    (
        "/gestion/moderation",
        &[("action", "retablir"), ("objet", "1")],
    ),
    ("/gestion/conflits", &[("action", "vu"), ("cle", "x")]),
    ("/gestion/conflits", &[("action", "a-voir"), ("cle", "x")]),
    (
        "/gestion/organisateurs/asso-a",
        &[("action", "fiche"), ("nom", "Pirate")],
    ),
    ("/gestion/organisateurs/asso-a", &[("action", "desactiver")]),
    ("/gestion/organisateurs/asso-a", &[("action", "activation")]),
    (
        "/gestion/inscriptions",
        &[("action", "refuser"), ("demande", "1"), ("raison", "x")],
    ),
    (
        "/gestion/inscriptions",
        &[("action", "approuver"), ("demande", "1")],
    ),
    ("/gestion/organisateurs/asso-a", &[("action", "activer")]),
    (
        "/gestion/organisateurs/asso-a",
        &[("action", "moderation"), ("politique", "reviewed")],
    ),
    (
        "/gestion/organisateurs/asso-a",
        &[("action", "retirer"), ("agenda", "main")],
    ),
    (
        "/gestion/organisateurs/asso-a",
        &[("action", "publier"), ("agenda", "main")],
    ),
    (
        "/gestion/lieux",
        &[("action", "alias"), ("texte", "x"), ("lieu", "y")],
    ),
    (
        "/gestion/lieux",
        &[
            ("action", "lieu"),
            ("slug", "z"),
            ("nom", "Z"),
            ("commune", "arue"),
        ],
    ),
    (
        "/gestion/agenda/2027-T1",
        &[("action", "marques"), ("ids", "1"), ("ordre-1", "1")],
    ),
    ("/gestion/agenda/2027-T1/export", &[("format", "csv")]),
    ("/gestion/agenda/2027-T1/export", &[("format", "xlsx")]),
    (
        "/gestion/organisateurs/asso-a/abonnements/nouveau",
        &[
            ("adresse", "https://93.184.215.14/agenda.ics"),
            ("intervalle", "60"),
            ("publier", "oui"),
        ],
    ),
    (
        "/gestion/organisateurs/asso-a/abonnements/1/actualiser",
        &[],
    ),
    ("/gestion/organisateurs/asso-a/abonnements/1/supprimer", &[]),
];

#[test]
fn organisers_get_403_on_every_desk_address_and_form() {
    let server = Server::start();
    let mut organiser = WebClient::signed_in(&server, "asso-a");
    for path in PAGES {
        let response = organiser.get(path);
        assert_eq!(response.status, 403, "GET {path}: {}", response.text());
        assert!(response.text().contains("réservée au personnel"), "{path}");
    }
    for (path, fields) in FORMS {
        let response = organiser.post(path, fields);
        assert_eq!(response.status, 403, "POST {path} {fields:?}");
    }
    // Nothing changed: the organiser is still enabled, named as before.
    let mut staff = WebClient::signed_in(&server, "staff");
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(!card.contains("Pirate"), "{card}");
    assert!(!card.contains("désactivé"), "{card}");
}

#[test]
fn anonymous_visitors_are_sent_to_sign_in_on_every_desk_address_and_form() {
    let server = Server::start();
    for path in PAGES {
        let response = server.request("GET", path).send().expect(303);
        let target = location(&response);
        assert!(
            target.starts_with("/connexion?suite=%2Fgestion"),
            "{path} -> {target}"
        );
    }
    // A form sent without a session: refused for its CSRF value, or sent
    // to sign in when it carries a form cookie's; never run.
    let mut visitor = WebClient::anonymous(&server);
    for (path, fields) in FORMS {
        let plain = server
            .request("POST", path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(common::web::form_body(fields))
            .send();
        assert_eq!(plain.status, 403, "POST {path} without a session");
        let response = visitor.post(path, fields).expect(303);
        assert!(location(&response).starts_with("/connexion"), "{path}");
    }
    let mut staff = WebClient::signed_in(&server, "staff");
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(!card.contains("Pirate"));
}

#[test]
fn staff_forms_need_the_sessions_csrf_value() {
    let server = Server::start();
    let mut staff = WebClient::signed_in(&server, "staff");
    for (path, fields) in FORMS {
        let without = staff.post_form(path, fields);
        assert_eq!(without.status, 403, "POST {path} without csrf");
        let mut forged = vec![("csrf", "forged-value")];
        forged.extend_from_slice(fields);
        let forged = staff.post_form(path, &forged);
        assert_eq!(forged.status, 403, "POST {path} with a forged csrf");
    }
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(!card.contains("Pirate"));
    // Another staff session's value is not this one's.
    let their_csrf = WebClient::signed_in(&server, "staff").csrf();
    let mut theirs = vec![("csrf", their_csrf.as_str())];
    theirs.extend_from_slice(&[("action", "fiche"), ("nom", "Pirate")]);
    let response = staff.post_form("/gestion/organisateurs/asso-a", &theirs);
    assert_eq!(response.status, 403);
}

#[test]
fn staff_sign_in_lands_on_the_desk_home() {
    let server = Server::start();
    let mut staff = WebClient::signed_in(&server, "staff");
    let home = staff.get("/gestion/").expect(200).text();
    for seen in [
        "Conflits des 90 prochains jours à voir",
        "Événements en attente de validation",
        "Lieux non reconnus",
        "aria-current=\"page\"",
    ] {
        assert!(home.contains(seen), "{seen}: {home}");
    }
    let _ = values_of(&home, "objet");
}

/// A small territory: two communes, a hall, lotos as large events.
const TERRITORY: &str = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot"
name = "Bourriot-Bergonce"
[[categories]]
slug = "loto"
name = "Loto"
large_public_event = true
[[categories]]
slug = "sport"
name = "Sport"
[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
"#;

fn put(server: &Server, login: &str, name: &str, body: &[u8]) {
    let response = server
        .as_user(
            login,
            "PUT",
            &format!("/dav/calendars/{login}/main/{name}.ics"),
        )
        .ics(body)
        .send();
    assert!(
        response.status == 201 || response.status == 204,
        "{response:?}"
    );
}

fn at_the_hall(uid: &str, summary: &str, start: &str, end: &str) -> Vec<u8> {
    String::from_utf8(event(uid, summary, start, end))
        .unwrap()
        .replace(
            "SUMMARY:",
            "LOCATION:Salle des fêtes d'Arue\r\nCATEGORIES:Loto\r\nSUMMARY:",
        )
        .into_bytes()
}

fn set_email(server: &Server, login: &str, email: &str) {
    let out = cli_output(
        &server.config_path(),
        &["organiser", "set", login, "--email", email],
        "",
    );
    assert!(out.status.success(), "{out:?}");
}

/// asso-a and asso-b both hold a loto at the hall on 15 January 2027.
fn two_lotos() -> Server {
    let server = Server::start_with(TERRITORY);
    set_email(&server, "asso-a", "comite@arue.example");
    set_email(&server, "asso-b", "foot@bourriot.example");
    put(
        &server,
        "asso-a",
        "loto-a",
        &at_the_hall(
            "loto-a",
            "Loto du comité",
            "20270115T190000Z",
            "20270115T230000Z",
        ),
    );
    put(
        &server,
        "asso-b",
        "loto-b",
        &at_the_hall(
            "loto-b",
            "Loto du foot",
            "20270115T200000Z",
            "20270115T230000Z",
        ),
    );
    server
}

const QUARTER: &str = "/gestion/conflits?du=2027-01-01&au=2027-03-31";

#[test]
fn conflicts_show_both_sides_and_are_acknowledged_and_taken_back() {
    let server = two_lotos();
    let mut staff = WebClient::signed_in(&server, "staff");
    let home = staff.get("/gestion/").expect(200).text();
    assert!(
        home.contains("<span class=\"compte\">2</span> Conflits des 90 prochains jours"),
        "same hall and two large events the same day: {home}"
    );
    let page = staff.get(QUARTER).expect(200).text();
    for seen in [
        "Loto du comité",
        "Loto du foot",
        "Comité des fêtes d&#39;Arue",
        "Football club de Bourriot",
        "comite@arue.example",
        "foot@bourriot.example",
        "mailto:comite%40arue%2Eexample,foot%40bourriot%2Eexample?subject=",
        "Même lieu au même moment",
        "à voir",
    ] {
        assert!(page.contains(seen), "{seen}: {page}");
    }
    let keys = values_of(&page, "cle");
    assert_eq!(keys.len(), 2, "{page}");
    let key = keys
        .iter()
        .find(|k| k.starts_with("meme-lieu:"))
        .unwrap()
        .clone();
    let done = staff
        .post(
            "/gestion/conflits",
            &[("action", "vu"), ("cle", &key), ("retour", QUARTER)],
        )
        .expect(303);
    assert!(location(&done).starts_with(QUARTER), "{}", location(&done));
    assert!(location(&done).ends_with("fait=vu"));
    let api = server
        .as_user("staff", "GET", "/api/conflicts?du=2027-01-01&au=2027-03-31")
        .send()
        .expect(200)
        .text();
    let report: serde_json::Value = serde_json::from_str(&api).unwrap();
    let acknowledged: Vec<&str> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["acknowledged"] == true)
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(acknowledged, vec![key.as_str()]);
    // Filters: seen or not, rule, severity, commune, organiser.
    let count = |staff: &mut WebClient, query: &str| {
        values_of(
            &staff.get(&format!("{QUARTER}&{query}")).expect(200).text(),
            "cle",
        )
        .len()
    };
    assert_eq!(count(&mut staff, "vus=oui"), 1);
    assert_eq!(count(&mut staff, "vus=non"), 1);
    assert_eq!(count(&mut staff, "regle=meme-lieu"), 1);
    assert_eq!(count(&mut staff, "gravite=hard"), 1);
    assert_eq!(count(&mut staff, "gravite=info"), 0);
    assert_eq!(count(&mut staff, "commune=arue"), 2);
    assert_eq!(count(&mut staff, "commune=bourriot"), 0);
    assert_eq!(count(&mut staff, "organisateur=asso-b"), 2);
    staff.get(&format!("{QUARTER}&commune=paris")).expect(400);
    staff
        .get(&format!("{QUARTER}&organisateur=personne"))
        .expect(400);
    // Taken back: to be seen again.
    staff
        .post("/gestion/conflits", &[("action", "a-voir"), ("cle", &key)])
        .expect(303);
    assert_eq!(count(&mut staff, "vus=oui"), 0);
    // A key that names no conflict.
    staff
        .post(
            "/gestion/conflits",
            &[("action", "vu"), ("cle", "meme-lieu:1@0:99@0")],
        )
        .expect(404);
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(journal.contains("Conflit marqué vu"), "{journal}");
    assert!(journal.contains("Conflit de nouveau à voir"), "{journal}");
}

#[test]
fn conflicts_export_as_csv_for_french_spreadsheets() {
    let server = two_lotos();
    let mut staff = WebClient::signed_in(&server, "staff");
    let csv = staff
        .get("/gestion/conflits.csv?du=2027-01-01&au=2027-03-31&regle=meme-lieu")
        .expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("conflits-2027-01-01-2027-03-31.csv"));
    assert!(
        csv.body.starts_with("\u{feff}".as_bytes()),
        "a BOM for Excel"
    );
    let text = csv.text();
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 2, "a header and one conflict: {text}");
    assert!(
        lines[0].starts_with("\"Clé\";\"Règle\";\"Gravité\";\"Vu\""),
        "{}",
        lines[0]
    );
    for seen in [
        "\"meme-lieu\"",
        "\"Loto du comité\"",
        "\"Loto du foot\"",
        "\"comite@arue.example\"",
        "\"bloquant\"",
        "\"non\"",
    ] {
        assert!(lines[1].contains(seen), "{seen}: {}", lines[1]);
    }
}

#[test]
fn the_date_checker_finds_clashes_and_free_dates() {
    let server = two_lotos();
    let mut staff = WebClient::signed_in(&server, "staff");
    let form = staff.get("/gestion/disponibilite").expect(200).text();
    assert!(form.contains("Salle des fêtes, Arue"), "{form}");
    let busy = staff
        .get("/gestion/disponibilite?start=2027-01-15T20%3A30&end=2027-01-15T23%3A00&venue=sdf-arue&organisateur=asso-b")
        .expect(200)
        .text();
    assert!(busy.contains("entre en conflit"), "{busy}");
    assert!(
        busy.contains("Loto du comité"),
        "the other organiser's: {busy}"
    );
    assert!(
        !busy.contains("Loto du foot"),
        "asso-b's own event does not count: {busy}"
    );
    assert!(busy.contains("Dates libres proches"), "{busy}");
    assert!(
        busy.contains("vendredi 22 janvier 2027 à 20 h 30"),
        "same weekday first: {busy}"
    );
    let free = staff
        .get("/gestion/disponibilite?start=2027-01-16T20%3A30&venue=sdf-arue")
        .expect(200)
        .text();
    assert!(free.contains("Cette date est libre"), "{free}");
    staff.get("/gestion/disponibilite?start=demain").expect(400);
    staff
        .get("/gestion/disponibilite?start=2027-01-16T20%3A30&venue=ailleurs")
        .expect(400);
}

#[test]
fn organisers_are_searched_and_their_card_edited() {
    let server = Server::start_with(TERRITORY);
    let mut staff = WebClient::signed_in(&server, "staff");
    let list = staff.get("/gestion/organisateurs").expect(200).text();
    assert!(
        list.contains("Comité des fêtes d&#39;Arue") && list.contains("Football club de Bourriot")
    );
    let found = staff
        .get("/gestion/organisateurs?q=FOOTBALL")
        .expect(200)
        .text();
    assert!(found.contains("Football club de Bourriot"), "{found}");
    assert!(!found.contains("Comité des fêtes"), "{found}");
    let card = [
        ("action", "fiche"),
        ("nom", "Comité des fêtes d'Arue et environs"),
        ("genre", "association"),
        ("commune", "arue"),
        ("categories", "loto"),
        ("categories", "sport"),
        ("courriel", "contact@comite.example"),
        ("telephone", "05 58 00 00 00"),
        ("site", "https://comite.example"),
        ("publie", "oui"),
    ];
    let done = staff
        .post("/gestion/organisateurs/asso-a", &card)
        .expect(303);
    assert_eq!(location(&done), "/gestion/organisateurs/asso-a?fait=fiche");
    let page = staff
        .get("/gestion/organisateurs/asso-a?fait=fiche")
        .expect(200)
        .text();
    assert!(page.contains("La fiche publique est enregistrée"), "{page}");
    assert!(page.contains("value=\"contact@comite.example\""), "{page}");
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(
        directory.contains("Comité des fêtes d&#39;Arue et environs"),
        "{directory}"
    );
    assert!(directory.contains("contact@comite.example"), "{directory}");
    assert!(directory.contains("Loto, Sport"), "{directory}");
    // Refusals: a commune, category or address that is not one.
    for (field, value) in [
        ("commune", "paris"),
        ("categories", "bingo"),
        ("courriel", "pas-une-adresse"),
        ("nom", ""),
    ] {
        let mut bad: Vec<(&str, &str)> =
            card.iter().filter(|(k, _)| *k != field).copied().collect();
        bad.push((field, value));
        staff
            .post("/gestion/organisateurs/asso-a", &bad)
            .expect(400);
    }
    staff.get("/gestion/organisateurs/personne").expect(404);
    staff
        .post(
            "/gestion/organisateurs/personne",
            &[("action", "desactiver")],
        )
        .expect(404);
    let journal = staff
        .get("/gestion/journal?action=organiser-card")
        .expect(200)
        .text();
    assert!(journal.contains("Fiche publique modifiée"), "{journal}");
    assert!(journal.contains("contact@comite.example"), "{journal}");
}

#[test]
fn organisers_are_disabled_enabled_and_their_calendars_withdrawn() {
    let server = Server::start_with(TERRITORY);
    let mut staff = WebClient::signed_in(&server, "staff");
    put(
        &server,
        "asso-a",
        "fete",
        &event(
            "fete-1",
            "Fête de l'hiver",
            "20270115T190000Z",
            "20270115T230000Z",
        ),
    );
    let feed = || {
        server
            .request("GET", "/feeds/intercommunal.ics")
            .send()
            .expect(200)
            .text()
    };
    assert!(feed().contains("Fête de l'hiver"));
    staff
        .post(
            "/gestion/organisateurs/asso-a",
            &[("action", "retirer"), ("agenda", "main")],
        )
        .expect(303);
    assert!(!feed().contains("Fête de l'hiver"), "withdrawn");
    staff
        .post(
            "/gestion/organisateurs/asso-a",
            &[("action", "publier"), ("agenda", "main")],
        )
        .expect(303);
    assert!(feed().contains("Fête de l'hiver"), "published again");
    staff
        .post(
            "/gestion/organisateurs/asso-a",
            &[("action", "retirer"), ("agenda", "autre")],
        )
        .expect(404);
    staff
        .post("/gestion/organisateurs/asso-a", &[("action", "desactiver")])
        .expect(303);
    assert!(!feed().contains("Fête de l'hiver"), "disabled");
    server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "0")
        .send()
        .expect(401);
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(card.contains("Réactiver le compte"), "{card}");
    staff
        .post("/gestion/organisateurs/asso-a", &[("action", "activer")])
        .expect(303);
    assert!(feed().contains("Fête de l'hiver"), "enabled");
    server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "0")
        .send()
        .expect(207);
    let journal = staff.get("/gestion/journal").expect(200).text();
    for seen in [
        "Agenda retiré",
        "Agenda publié",
        "Organisateur désactivé",
        "Organisateur réactivé",
    ] {
        assert!(journal.contains(seen), "{seen}: {journal}");
    }
}

#[test]
fn unknown_places_become_aliases_or_venues_on_top_of_the_configuration() {
    let server = Server::start_with(TERRITORY);
    let mut staff = WebClient::signed_in(&server, "staff");
    let at = |location: &str, uid: &str, summary: &str| {
        String::from_utf8(event(uid, summary, "20270115T190000Z", "20270115T230000Z"))
            .unwrap()
            .replace("SUMMARY:", &format!("LOCATION:{location}\r\nSUMMARY:"))
            .into_bytes()
    };
    put(
        &server,
        "asso-a",
        "foyer",
        &at("Foyer rural", "foyer", "Soirée au foyer"),
    );
    put(
        &server,
        "asso-b",
        "sdf",
        &at("Salle des fêtes d'Arue", "sdf", "Loto à la salle"),
    );
    put(
        &server,
        "asso-a",
        "stade",
        &at("Stade de Bourriot-Bergonce", "stade", "Tournoi au stade"),
    );
    let page = staff
        .get("/gestion/lieux?du=2027-01-01&au=2027-01-31")
        .expect(200)
        .text();
    assert!(page.contains("<strong>Foyer rural</strong>"), "{page}");
    assert!(
        page.contains("<strong>Stade de Bourriot-Bergonce</strong>"),
        "{page}"
    );
    assert!(page.contains("config.toml"), "{page}");
    let home = staff.get("/gestion/").expect(200).text();
    assert!(
        home.contains("<span class=\"compte\">2</span> Lieux non reconnus"),
        "{home}"
    );
    // "Foyer rural" is the hall: its event now clashes with the loto.
    staff
        .post(
            "/gestion/lieux",
            &[
                ("action", "alias"),
                ("texte", "Foyer rural"),
                ("lieu", "sdf-arue"),
            ],
        )
        .expect(303);
    let conflicts = staff.get(QUARTER).expect(200).text();
    assert!(
        conflicts.contains("Soirée au foyer") && conflicts.contains("Loto à la salle"),
        "{conflicts}"
    );
    // The stadium is a new venue, in Bourriot-Bergonce: an event there by
    // asso-a (of Arue) happens in Bourriot-Bergonce.
    staff
        .post(
            "/gestion/lieux",
            &[
                ("action", "lieu"),
                ("slug", "stade-bourriot"),
                ("nom", "Stade"),
                ("commune", "bourriot"),
            ],
        )
        .expect(303);
    let page = staff
        .get("/gestion/lieux?du=2027-01-01&au=2027-01-31")
        .expect(200)
        .text();
    assert!(
        page.contains("Tous les lieux de la période sont reconnus"),
        "{page}"
    );
    assert!(page.contains("ajouté dans la gestion"), "{page}");
    assert!(page.contains("Foyer rural (gestion)"), "{page}");
    let agenda = server
        .request("GET", "/?du=2027-01-15&au=2027-01-15&commune=bourriot")
        .send()
        .expect(200)
        .text();
    assert!(agenda.contains("Tournoi au stade"), "{agenda}");
    // The command line reads them too.
    let out = cli_output(
        &server.config_path(),
        &[
            "conflicts",
            "--from",
            "2027-01-01",
            "--to",
            "2027-01-31",
            "--format",
            "csv",
        ],
        "",
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.contains("Soirée au foyer"), "{csv}");
    // Refusals: a taken slug, an unknown commune or venue, the same alias.
    for fields in [
        vec![
            ("action", "lieu"),
            ("slug", "sdf-arue"),
            ("nom", "X"),
            ("commune", "arue"),
        ],
        vec![
            ("action", "lieu"),
            ("slug", "nouveau"),
            ("nom", "X"),
            ("commune", "paris"),
        ],
        vec![
            ("action", "lieu"),
            ("slug", "Pas Bon"),
            ("nom", "X"),
            ("commune", "arue"),
        ],
        vec![
            ("action", "alias"),
            ("texte", "Ailleurs"),
            ("lieu", "nulle-part"),
        ],
        vec![
            ("action", "alias"),
            ("texte", "Foyer rural"),
            ("lieu", "sdf-arue"),
        ],
    ] {
        staff.post("/gestion/lieux", &fields).expect(400);
    }
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(
        journal.contains("Lieu ajouté") && journal.contains("Autre nom d&#39;un lieu ajouté"),
        "{journal}"
    );
}
