//! The public pages residents read: French, public events only.

mod common;
use common::*;

const COMMUNES: &str = "\n[[communes]]\nslug = \"arue\"\nname = \"Arue\"\n[[communes]]\nslug = \"bourriot\"\nname = \"Bourriot-Bergonce\"\n";

fn put(server: &Server, login: &str, name: &str, body: Vec<u8>) {
    server
        .as_user(
            login,
            "PUT",
            &format!("/dav/calendars/{login}/main/{name}.ics"),
        )
        .ics(&body)
        .send()
        .expect(201);
}

fn private_event(uid: &str, summary: &str, start: &str, end: &str) -> Vec<u8> {
    String::from_utf8(event(uid, summary, start, end))
        .unwrap()
        .replace("SUMMARY:", "CLASS:PRIVATE\r\nSUMMARY:")
        .into_bytes()
}

#[test]
fn agenda_lists_public_events_by_day_in_french() {
    let server = Server::start_with(COMMUNES);
    put(
        &server,
        "asso-a",
        "loto",
        event(
            "loto-1",
            "Grand loto <du> comité",
            "20270306T190000Z",
            "20270306T220000Z",
        ),
    );
    put(
        &server,
        "asso-b",
        "secret",
        private_event(
            "secret-1",
            "Réunion du bureau",
            "20270306T100000Z",
            "20270306T120000Z",
        ),
    );
    let response = server
        .request("GET", "/?du=2027-03-01&au=2027-03-31")
        .send()
        .expect(200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = response.text();
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Samedi 6 mars 2027"), "{page}");
    assert!(
        page.contains("Grand loto &#60;du&#62; comité"),
        "titles are escaped: {page}"
    );
    assert!(page.contains("20 h – 23 h"), "local times: {page}");
    assert!(
        !page.contains("Réunion du bureau"),
        "private events never reach public pages"
    );
    assert!(page.contains("webcal://"), "a subscription link");
}

#[test]
fn agenda_filters_and_refuses_unknown_values() {
    let server = Server::start_with(COMMUNES);
    let config = server.config_path();
    let out = cli_with_stdin(
        &config,
        &["organiser", "set", "asso-a", "--commune", "arue"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    let out = cli_with_stdin(
        &config,
        &["organiser", "set", "asso-b", "--commune", "bourriot"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    put(
        &server,
        "asso-a",
        "a",
        event("a-1", "Fête d'Arue", "20270306T190000Z", "20270306T220000Z"),
    );
    put(
        &server,
        "asso-b",
        "b",
        event(
            "b-1",
            "Match à Bourriot",
            "20270306T150000Z",
            "20270306T170000Z",
        ),
    );
    let page = server
        .request("GET", "/?commune=arue&du=2027-03-01&au=2027-03-31")
        .send()
        .expect(200)
        .text();
    assert!(page.contains("Fête d&#39;Arue"), "{page}");
    assert!(!page.contains("Match à Bourriot"), "{page}");
    let refused = server
        .request("GET", "/?commune=paris")
        .send()
        .expect(400)
        .text();
    assert!(
        refused.contains("n&#39;est pas une commune de l&#39;agenda"),
        "{refused}"
    );
    server.request("GET", "/?du=2027-13-01").send().expect(400);
}

#[test]
fn directory_lists_publishing_organisers() {
    let server = Server::start();
    let out = cli_with_stdin(
        &server.config_path(),
        &["organiser", "set", "asso-b", "--publishes", "false"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    let page = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(page.contains("Comité des fêtes d&#39;Arue"), "{page}");
    assert!(page.contains("/feeds/asso-a.ics"));
    assert!(
        !page.contains("Football club"),
        "organisers that do not publish are not listed"
    );
}

#[test]
fn a_mistyped_address_gets_a_french_page() {
    let server = Server::start();
    let response = server.request("GET", "/agneda").send().expect(404);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = response.text();
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(page.contains("Cette page n&#39;existe pas."), "{page}");
    assert!(page.contains("<title>"), "{page}");
    // Other methods keep the protocol's plain answer.
    server.request("PROPFIND", "/agneda").send().expect(404);
}
