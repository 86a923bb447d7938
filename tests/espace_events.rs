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
    let page = client
        .get("/espace/evenements/nouveau")
        .expect(200)
        .text();
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
            .split("<h3>")
            .nth(1)
            .and_then(|t| t.split("</h3>").next())
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
    assert!(home.contains("samedi 13 mars 2027 de 20 h 30 à 23 h"), "{home}");
    let listed = listed(&mut client);
    assert_eq!(listed.len(), 1);
}
