//! Subscribing to a calendar kept elsewhere from the organiser's web space
//! (`/espace/importer`, issue 13): the form, its French errors, the list
//! of subscriptions with their state, "mettre à jour maintenant", and
//! removal, each organiser seeing and changing only its own. The feeds
//! come from the test feed server on 127.0.0.1, so the servers that must
//! reach it allow private addresses.

mod common;
use common::feeds::{Feeds, Route};
use common::web::{as_pairs, csrf_from, form_fields, set_field, WebClient};
use common::*;

const ALLOW_PRIVATE: &str = "[import]\nallow_private = true\n";
const PAGE: &str = "/espace/importer";
const SUBSCRIBE: &str = "/espace/importer/abonnements/nouveau";

/// Fields of the form changed from what the page offers.
type Changes<'a> = &'a [(&'a str, &'a str)];

/// Sends the subscription form as the page offers it, with `changes`.
fn subscribe(client: &mut WebClient, changes: &[(&str, &str)]) -> Response {
    let page = client.get(PAGE).expect(200).text();
    let mut fields = form_fields(&page, Some("abonnement"));
    for (name, value) in changes {
        set_field(&mut fields, name, value);
    }
    client.post_form(SUBSCRIBE, &as_pairs(&fields))
}

/// The id in the address a successful subscription leads to.
#[track_caller]
fn subscribed_id(response: &Response) -> i64 {
    assert_eq!(response.status, 303, "{}", response.text());
    let location = response.header("location").expect("location");
    location
        .strip_prefix("/espace/importer?abonnement=")
        .and_then(|rest| rest.strip_suffix("#abonnements"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{location}"))
}

/// Whether a page shows `text` (askama writes the `'` of values as `&#39;`).
fn shows(page: &str, text: &str) -> bool {
    page.replace("&#39;", "'").contains(text)
}

/// Waits until the import page says `text`.
fn page_says(client: &mut WebClient, text: &str) -> String {
    let mut page = String::new();
    eventually(&format!("the page says {text:?}"), || {
        page = client.get(PAGE).expect(200).text();
        (!shows(&page, text)).then(|| page.clone())
    });
    page
}

#[test]
fn an_organiser_subscribes_from_the_page_and_sees_the_feed_mirrored() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    feeds.feed(
        "/google.ics",
        fixture_text("ics/feeds/google.ics"),
        "\"g1\"",
    );
    let url = feeds.url("/google.ics");
    let mut client = WebClient::signed_in(&server, "asso-a");
    let page = client.get(PAGE).expect(200).text();
    assert!(
        shows(&page, "Vous ne suivez encore aucun agenda."),
        "{page}"
    );
    // Hourly unless chosen otherwise.
    assert!(
        shows(
            &page,
            "<option value=\"60\" selected>toutes les heures</option>"
        ),
        "{page}"
    );
    let response = subscribe(
        &mut client,
        &[("adresse", &url), ("nom", "club"), ("intervalle", "30")],
    );
    let id = subscribed_id(&response);
    let page = client
        .get(&format!("/espace/importer?abonnement={id}"))
        .expect(200)
        .text();
    assert!(
        shows(
            &page,
            "L'abonnement est enregistré dans l'agenda «\u{202f}club\u{202f}»"
        ),
        "{page}"
    );
    // The server fetches it at once, by itself.
    let page = page_says(&mut client, "5 événements");
    for shown in [
        url.as_str(),
        "toutes les 30 minutes",
        "Dernière réussite",
        "/dav/calendars/asso-a/club/",
        "Prochaine mise à jour",
    ] {
        assert!(shows(&page, shown), "{shown} missing from {page}");
    }
    assert!(!shows(&page, "Dernière erreur"), "{page}");
    let list =
        String::from_utf8_lossy(&cli_output(&server.config_path(), &["import", "list"], "").stdout)
            .into_owned();
    assert!(list.contains("asso-a/club every 30 min (chosen)"), "{list}");
    // The same address twice is refused, beside the field.
    let again = subscribe(&mut client, &[("adresse", &url), ("nom", "encore")]);
    assert_eq!(again.status, 422);
    let text = again.text();
    assert!(
        shows(
            &text,
            "Vous suivez déjà cette adresse, dans l'agenda «\u{202f}club\u{202f}»."
        ),
        "{text}"
    );
    assert!(shows(&text, "id=\"adresse-erreur\""), "{text}");
    // The other organiser sees none of it.
    let mut other = WebClient::signed_in(&server, "asso-b");
    let theirs = other.get(PAGE).expect(200).text();
    assert!(!shows(&theirs, &url), "{theirs}");
    assert!(shows(&theirs, "Vous ne suivez encore aucun agenda."));
}

#[test]
fn the_form_says_what_is_wrong_in_french_and_records_nothing() {
    // Private addresses refused, as in production.
    let server = Server::start();
    let feeds = Feeds::start();
    feeds.feed(
        "/google.ics",
        fixture_text("ics/feeds/google.ics"),
        "\"g1\"",
    );
    let mut client = WebClient::signed_in(&server, "asso-a");
    let public = "https://93.184.215.14/agenda.ics";
    let cases: [(Changes, &str, &str); 7] = [
        (
            &[("adresse", &feeds.url("/google.ics"))],
            "adresse",
            "Cette adresse mène à un serveur privé ou local\u{202f}: seuls les agendas publiés sur internet peuvent être suivis.",
        ),
        (
            &[("adresse", "http://[::1]/agenda.ics")],
            "adresse",
            "serveur privé ou local",
        ),
        (
            &[("adresse", "ftp://example.org/agenda.ics")],
            "adresse",
            "Cette adresse n'est pas valide\u{202f}: elle doit commencer par https://, http:// ou webcal://",
        ),
        (
            &[("adresse", "mon agenda google")],
            "adresse",
            "Cette adresse n'est pas valide",
        ),
        (
            &[("adresse", "")],
            "adresse",
            "Indiquez l'adresse de l'agenda",
        ),
        (
            &[("adresse", public), ("nom", "Matchs du club")],
            "nom-agenda",
            "Le nom de l'agenda s'écrit avec 2 à 64 lettres minuscules",
        ),
        (
            &[("adresse", public), ("intervalle", "5")],
            "intervalle",
            "Choisissez la fréquence des mises à jour dans la liste.",
        ),
    ];
    for (changes, field, message) in cases {
        let response = subscribe(&mut client, changes);
        assert_eq!(response.status, 422, "{changes:?}");
        let page = response.text();
        assert!(shows(&page, message), "{changes:?}: {page}");
        assert!(
            shows(
                &page,
                &format!("<p class=\"erreur\" id=\"{field}-erreur\">")
            ),
            "{changes:?}: {page}"
        );
        assert!(shows(&page, "Le formulaire contient 1 erreur"), "{page}");
        assert!(
            shows(&page, &format!("<li><a href=\"#{field}\">")),
            "{page}"
        );
        // What was typed stays in the form.
        if let Some((_, typed)) = changes.iter().find(|(k, _)| *k == "adresse") {
            assert!(shows(&page, &format!("value=\"{typed}\"")), "{page}");
        }
    }
    // A calendar name that is taken.
    let response = subscribe(&mut client, &[("adresse", public), ("nom", "main")]);
    assert_eq!(response.status, 422);
    assert!(
        shows(
            &response.text(),
            "Vous avez déjà un agenda nommé «\u{202f}main\u{202f}»"
        ),
        "{}",
        response.text()
    );
    let list = cli_output(&server.config_path(), &["import", "list"], "");
    assert_eq!(String::from_utf8_lossy(&list.stdout), "no subscriptions\n");
    assert!(feeds.seen().is_empty(), "{:?}", feeds.seen_paths());
}

#[test]
fn a_failing_feed_is_explained_and_can_be_fetched_again_now() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    feeds.route("/club.ics", Route::Status(404));
    let mut client = WebClient::signed_in(&server, "asso-a");
    let id = subscribed_id(&subscribe(
        &mut client,
        &[("adresse", &feeds.url("/club.ics"))],
    ));
    let page = page_says(&mut client, "Dernière erreur");
    assert!(
        shows(
            &page,
            "L'agenda n'existe plus à cette adresse (erreur 404)\u{202f}: vérifiez le lien"
        ),
        "{page}"
    );
    assert!(shows(&page, "Détail technique\u{202f}:"), "{page}");
    assert!(
        shows(&page, "En échec depuis le samedi 28 novembre 2026"),
        "{page}"
    );
    // Named "import" when no name is given.
    assert!(shows(&page, "/dav/calendars/asso-a/import/"), "{page}");
    // Fixed at the source: "mettre à jour maintenant" fetches at once,
    // rather than after the back-off.
    feeds.feed("/club.ics", fixture_text("ics/feeds/google.ics"), "\"g1\"");
    let csrf = csrf_from(&page);
    let response = client.post_form(
        &format!("/espace/importer/abonnements/{id}/actualiser"),
        &[("csrf", &csrf)],
    );
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location"),
        Some(format!("/espace/importer?actualisation={id}#abonnements").as_str())
    );
    let page = page_says(&mut client, "5 événements");
    assert!(!shows(&page, "Dernière erreur"), "{page}");
}

#[test]
fn only_the_owner_removes_a_subscription_and_its_calendar_goes_with_it() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    feeds.feed(
        "/google.ics",
        fixture_text("ics/feeds/google.ics"),
        "\"g1\"",
    );
    let mut owner = WebClient::signed_in(&server, "asso-a");
    let id = subscribed_id(&subscribe(
        &mut owner,
        &[("adresse", &feeds.url("/google.ics")), ("nom", "club")],
    ));
    page_says(&mut owner, "5 événements");
    let mirror = "/dav/calendars/asso-a/club/";
    server
        .as_user("asso-a", "PROPFIND", mirror)
        .header("Depth", "0")
        .send()
        .expect(207);
    let remove = format!("/espace/importer/abonnements/{id}/supprimer");
    let refresh = format!("/espace/importer/abonnements/{id}/actualiser");
    // Another organiser: as if it did not exist, whatever it tries.
    let mut other = WebClient::signed_in(&server, "asso-b");
    let csrf = csrf_from(&other.get(PAGE).expect(200).text());
    other.get(&remove).expect(404);
    other.post_form(&remove, &[("csrf", &csrf)]).expect(404);
    other.post_form(&refresh, &[("csrf", &csrf)]).expect(404);
    // Without the form's token (a forged request): refused.
    owner.post_form(&remove, &[]).expect(403);
    owner.post_form(&remove, &[("csrf", "forged")]).expect(403);
    owner
        .post_form(SUBSCRIBE, &[("adresse", &feeds.url("/x.ics"))])
        .expect(403);
    assert!(shows(&owner.get(PAGE).expect(200).text(), "5 événements"));
    // The owner confirms, then removes.
    let confirm = owner.get(&remove).expect(200).text();
    assert!(
        shows(&confirm, "Voulez-vous vraiment supprimer l'abonnement à l'agenda «\u{202f}Comité des fêtes d'Arue\u{202f}»\u{202f}?"),
        "{confirm}"
    );
    let fields = form_fields(&confirm, Some("suppression"));
    let response = owner.post_form(&remove, &as_pairs(&fields));
    assert_eq!(response.status, 303);
    let page = owner.get("/espace/importer?supprime=1").expect(200).text();
    assert!(shows(&page, "L'abonnement est supprimé"), "{page}");
    assert!(
        shows(&page, "Vous ne suivez encore aucun agenda."),
        "{page}"
    );
    server
        .as_user("asso-a", "PROPFIND", mirror)
        .header("Depth", "0")
        .send()
        .expect(404);
    owner.get(&remove).expect(404);
}
