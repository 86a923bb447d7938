//! The desk's registrations and activation links over real HTTP: a request
//! sent through `/inscription` is listed on `/gestion/inscriptions`,
//! approved (a new organiser, or linked to an existing one) with its
//! activation link shown once and mailed, or rejected with a reason; every
//! decision is in the journal; an organiser gets a new link from its card.
//! Also the desk home's counts of registrations waiting and feeds failing.

mod common;

use common::smtp::Sink;
use common::web::{csrf_from, unescape_html, WebClient};
use common::*;

const TERRITORY: &str = "
[[communes]]
slug = \"losse\"
name = \"Losse\"
[[communes]]
slug = \"arue\"
name = \"Arue\"
[[communes]]
slug = \"bourriot\"
name = \"Bourriot-Bergonce\"
[[categories]]
slug = \"loto\"
name = \"Loto\"
";

fn come_forward(server: &Server, name: &str, email: &str) {
    let mut newcomer = WebClient::new(server);
    let csrf = csrf_from(&newcomer.get("/inscription").expect(200).text());
    newcomer
        .post_form(
            "/inscription",
            &[
                ("csrf", &csrf),
                ("nom", name),
                ("nature", "association"),
                ("commune", "losse"),
                ("categories", "loto"),
                ("contact", "Marie Dupont"),
                ("courriel", email),
                ("description", "Lotos et bals."),
            ],
        )
        .expect(200);
}

/// The activation link's path in a page or message.
fn link_in(text: &str) -> String {
    let start = text
        .find("/activation/")
        .unwrap_or_else(|| panic!("no activation link in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '<')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn staff_approve_a_registration_and_hand_out_its_link() {
    let sink = Sink::start();
    let server = Server::start_with(&format!("{TERRITORY}{}", sink.config()));
    come_forward(&server, "Comité des fêtes de Losse", "marie@example.org");
    sink.wait_for(1); // staff's notice
    let mut staff = WebClient::signed_in(&server, "staff");

    let home = staff.get("/gestion/").expect(200).text();
    assert!(
        home.contains("<span class=\"compte\">1</span> Inscriptions en attente"),
        "{home}"
    );
    let page = staff.get("/gestion/inscriptions").expect(200).text();
    assert!(
        unescape_html(&page).contains("Accepter « Comité des fêtes de Losse »"),
        "{page}"
    );
    assert!(page.contains("marie@example.org"), "{page}");
    let csrf = csrf_from(&page);

    // A reserved or malformed login is refused in French, nothing decided.
    let refused = staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "approuver"),
                ("demande", "1"),
                ("identifiant", "feeds"),
            ],
        )
        .expect(400)
        .text();
    assert!(refused.contains("réservé"), "{refused}");

    let approved = staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "approuver"),
                ("demande", "1"),
                ("identifiant", "cdf-losse"),
                ("rattacher", ""),
            ],
        )
        .expect(200)
        .text();
    assert!(
        approved.contains("identifiant <strong>cdf-losse</strong>"),
        "{approved}"
    );
    assert!(
        approved.contains("envoyé par courriel à marie@example.org"),
        "{approved}"
    );
    let link = link_in(&approved);
    let mail = sink.wait_for(2);
    assert_eq!(mail.to, ["marie@example.org"]);
    assert!(mail.body().contains(&link), "{}", mail.body());

    // The link works: the new organiser chooses its password and gets in.
    let mut organiser = WebClient::new(&server);
    let form = organiser.get(&link).expect(200).text();
    let csrf_link = csrf_from(&form);
    let password = "Tartine vélo lampion 17";
    organiser
        .post_form(
            &link,
            &[
                ("csrf", &csrf_link),
                ("mot_de_passe", password),
                ("confirmation", password),
            ],
        )
        .expect(303);
    server
        .request("PROPFIND", "/dav/calendars/cdf-losse/")
        .auth("cdf-losse", password)
        .header("Depth", "0")
        .send()
        .expect(207);

    // Deciding twice is a conflict, not a second organiser.
    let again = staff
        .post_form(
            "/gestion/inscriptions",
            &[("csrf", &csrf), ("action", "approuver"), ("demande", "1")],
        )
        .expect(409)
        .text();
    assert!(again.contains("déjà été traitée"), "{again}");

    let page = staff.get("/gestion/inscriptions").expect(200).text();
    assert!(page.contains("Aucune demande n'attend"), "{page}");
    assert!(
        page.contains("href=\"/gestion/organisateurs/cdf-losse\""),
        "{page}"
    );
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(journal.contains("Inscription acceptée"), "{journal}");
}

#[test]
fn staff_reject_with_a_reason_or_link_to_an_existing_organiser() {
    let sink = Sink::start();
    let server = Server::start_with(&format!("{TERRITORY}{}", sink.config()));
    come_forward(&server, "Doublon", "a@example.org");
    come_forward(&server, "Association A bis", "b@example.org");
    sink.wait_for(2);
    let mut staff = WebClient::signed_in(&server, "staff");
    let csrf = csrf_from(&staff.get("/gestion/inscriptions").expect(200).text());

    // No reason, no refusal.
    staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "refuser"),
                ("demande", "1"),
                ("raison", " "),
            ],
        )
        .expect(400);
    let done = staff.post_form(
        "/gestion/inscriptions",
        &[
            ("csrf", &csrf),
            ("action", "refuser"),
            ("demande", "1"),
            ("raison", "Déjà inscrite sous un autre nom."),
        ],
    );
    assert_eq!(done.status, 303);
    assert_eq!(
        done.header("location"),
        Some("/gestion/inscriptions?fait=refuse")
    );
    let mail = sink.wait_for(3);
    assert_eq!(mail.to, ["a@example.org"]);
    assert!(mail.body().contains("Déjà inscrite sous un autre nom."));

    // Linked to asso-a: no new account, the link is asso-a's.
    let linked = staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "approuver"),
                ("demande", "2"),
                ("rattacher", "asso-a"),
            ],
        )
        .expect(200)
        .text();
    assert!(
        linked.contains("rattachée à l'organisateur existant")
            || linked.contains("Demande rattachée"),
        "{linked}"
    );
    assert!(linked.contains("<strong>asso-a</strong>"), "{linked}");
    // An unknown organiser to link to is refused.
    come_forward(&server, "Troisième", "c@example.org");
    let unknown = staff
        .post_form(
            "/gestion/inscriptions",
            &[
                ("csrf", &csrf),
                ("action", "approuver"),
                ("demande", "3"),
                ("rattacher", "personne"),
            ],
        )
        .expect(400)
        .text();
    assert!(unknown.contains("Aucun organisateur"), "{unknown}");
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(journal.contains("Inscription refusée"), "{journal}");
    assert!(
        journal.contains("Déjà inscrite sous un autre nom."),
        "{journal}"
    );
}

#[test]
fn a_new_activation_link_from_the_organisers_card() {
    let server = Server::start();
    let mut staff = WebClient::signed_in(&server, "staff");
    let card = staff
        .get("/gestion/organisateurs/asso-a")
        .expect(200)
        .text();
    assert!(
        card.contains("Nouveau lien d&#39;activation")
            || card.contains("Nouveau lien d'activation"),
        "{card}"
    );
    let csrf = csrf_from(&card);
    let shown = staff
        .post_form(
            "/gestion/organisateurs/asso-a",
            &[("csrf", &csrf), ("action", "activation")],
        )
        .expect(200)
        .text();
    assert!(shown.contains("transmettez-le vous-même"), "{shown}");
    let link = link_in(&shown);
    // The old password works until the link is used.
    server
        .request("PROPFIND", "/dav/calendars/asso-a/")
        .auth("asso-a", PASSWORD)
        .header("Depth", "0")
        .send()
        .expect(207);
    let mut organiser = WebClient::new(&server);
    let csrf_link = csrf_from(&organiser.get(&link).expect(200).text());
    let password = "Nouveau mot de passe très long";
    organiser
        .post_form(
            &link,
            &[
                ("csrf", &csrf_link),
                ("mot_de_passe", password),
                ("confirmation", password),
            ],
        )
        .expect(303);
    server
        .request("PROPFIND", "/dav/calendars/asso-a/")
        .auth("asso-a", PASSWORD)
        .header("Depth", "0")
        .send()
        .expect(401);
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(
        journal.contains("Nouveau lien d&#39;activation")
            || journal.contains("Nouveau lien d'activation"),
        "{journal}"
    );

    // Organisers cannot ask one for another.
    let mut other = WebClient::signed_in(&server, "asso-b");
    let csrf_b = csrf_from(&other.get("/espace/").expect(200).text());
    other
        .post_form(
            "/gestion/organisateurs/asso-a",
            &[("csrf", &csrf_b), ("action", "activation")],
        )
        .expect(403);
}

#[test]
fn the_desk_home_lists_feeds_failing_for_a_week() {
    let mut server = Server::start_with("[import]\nallow_private = true\ntimeout_seconds = 2\n");
    // Nothing listens on port 9 of the loopback: every fetch fails.
    let url = "http://127.0.0.1:9/club.ics";
    let added = cli_output(
        &server.config_path(),
        &["import", "add", "asso-a", url, "--name", "club"],
        "",
    );
    assert!(added.status.success(), "{added:?}");
    let run = cli_output(&server.config_path(), &["import", "run"], "");
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("club")
            || String::from_utf8_lossy(&run.stderr).contains("club"),
        "{run:?}"
    );

    // A day of failures: the organiser knows, the desk does not nag yet.
    let mut staff = WebClient::signed_in(&server, "staff");
    let home = staff.get("/gestion/").expect(200).text();
    assert!(
        home.contains("Aucun\u{202f}: les agendas tenus ailleurs"),
        "{home}"
    );
    assert!(
        home.contains("<span class=\"compte compte-nul\">0</span> Flux importés en échec"),
        "{home}"
    );

    // Eight days later the desk lists it with its organiser and error.
    server.restart_at("2026-12-06T10:00:00Z");
    let mut staff = WebClient::signed_in(&server, "staff");
    let home = staff.get("/gestion/").expect(200).text();
    assert!(
        home.contains("<span class=\"compte\">1</span> Flux importés en échec"),
        "{home}"
    );
    assert!(
        home.contains("<code>http://127.0.0.1:9/club.ics</code>"),
        "{home}"
    );
    assert!(
        home.contains("href=\"/gestion/organisateurs/asso-a\""),
        "{home}"
    );
    // Said in French, from the kind of failure recorded.
    assert!(
        home.contains("agenda ne répond pas\u{202f}; concord réessaiera plus tard"),
        "{home}"
    );
}
