//! The staff desk over real HTTP: who may enter (staff only, on every
//! address and form), CSRF, the home's counts, and each section's actions.

mod common;
#[path = "support/desk.rs"]
mod desk;

use common::*;
use desk::{location, values_of, Session};

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
    "/gestion/lieux",
    "/gestion/agenda",
    "/gestion/agenda/2027-T1",
    "/gestion/agenda/2027-T1.csv",
    "/gestion/agenda/2027-T1.xlsx",
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
        &[("action", "marques"), ("ordre-1", "1")],
    ),
];

#[test]
fn organisers_get_403_on_every_desk_address_and_form() {
    let server = Server::start();
    let organiser = Session::sign_in(&server, "asso-a");
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
    let staff = Session::sign_in(&server, "staff");
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
    let visitor = Session::anonymous(&server);
    for (path, fields) in FORMS {
        let plain = server
            .request("POST", path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(desk::encode(fields))
            .send();
        assert_eq!(plain.status, 403, "POST {path} without a session");
        let response = visitor.post(path, fields).expect(303);
        assert!(location(&response).starts_with("/connexion"), "{path}");
    }
    let staff = Session::sign_in(&server, "staff");
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(!card.contains("Pirate"));
}

#[test]
fn staff_forms_need_the_sessions_csrf_value() {
    let server = Server::start();
    let staff = Session::sign_in(&server, "staff");
    for (path, fields) in FORMS {
        let without = staff.post_raw(path, &desk::encode(fields));
        assert_eq!(without.status, 403, "POST {path} without csrf");
        let mut forged = vec![("csrf", "forged-value")];
        forged.extend_from_slice(fields);
        let forged = staff.post_raw(path, &desk::encode(&forged));
        assert_eq!(forged.status, 403, "POST {path} with a forged csrf");
    }
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(!card.contains("Pirate"));
    // Another staff session's value is not this one's.
    let other = Session::sign_in(&server, "staff");
    let mut theirs = vec![("csrf", other.csrf.as_str())];
    theirs.extend_from_slice(&[("action", "fiche"), ("nom", "Pirate")]);
    let response = staff.post_raw("/gestion/organisateurs/asso-a", &desk::encode(&theirs));
    assert_eq!(response.status, 403);
}

#[test]
fn staff_sign_in_lands_on_the_desk_home() {
    let server = Server::start();
    let staff = Session::sign_in(&server, "staff");
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
