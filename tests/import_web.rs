//! Subscribing to a calendar kept elsewhere from the organiser's web space
//! (`/espace/importer`, issue 13): the form, its French errors, the list
//! of subscriptions with their state, "mettre à jour maintenant", and
//! removal, each organiser seeing and changing only its own; the same from
//! the staff desk's organiser card (`/gestion/organisateurs/{login}`,
//! staff only, in the audit log); a mirror left unpublished. The feeds
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
/// A feed server serving the Google export (5 events) at `/google.ics`.
fn google_feed() -> Feeds {
    let feeds = Feeds::start();
    feeds.feed(
        "/google.ics",
        fixture_text("ics/feeds/google.ics"),
        "\"g1\"",
    );
    feeds
}

fn subscribe(client: &mut WebClient, changes: &[(&str, &str)]) -> Response {
    subscribe_on(client, PAGE, changes, &[])
}

/// Sends the subscription form of `page` as it is offered, with `changes`,
/// and without the fields named in `unset` (a checkbox left unticked).
fn subscribe_on(
    client: &mut WebClient,
    page: &str,
    changes: &[(&str, &str)],
    unset: &[&str],
) -> Response {
    let text = client.get(page).expect(200).text();
    let mut fields = form_fields(&text, Some("abonnement"));
    for (name, value) in changes {
        set_field(&mut fields, name, value);
    }
    fields.retain(|(name, _)| !unset.contains(&name.as_str()));
    client.post_form(&format!("{page}/abonnements/nouveau"), &as_pairs(&fields))
}

/// The id in the address a successful subscription leads to.
#[track_caller]
fn subscribed_id(response: &Response) -> i64 {
    subscribed_on(response, PAGE)
}

/// The id in the address a successful subscription on `page` leads to.
#[track_caller]
fn subscribed_on(response: &Response, page: &str) -> i64 {
    assert_eq!(response.status, 303, "{}", response.text());
    let location = response.header("location").expect("location");
    location
        .strip_prefix(&format!("{page}?abonnement="))
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
    says(client, PAGE, text)
}

/// Waits until `path` says `text`.
fn says(client: &mut WebClient, path: &str, text: &str) -> String {
    let mut page = String::new();
    eventually(&format!("{path} says {text:?}"), || {
        page = client.get(path).expect(200).text();
        (!shows(&page, text)).then(|| page.clone())
    });
    page
}

#[test]
fn an_organiser_subscribes_from_the_page_and_sees_the_feed_mirrored() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = google_feed();
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
    let feeds = google_feed();
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
    let feeds = google_feed();
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

const CARD: &str = "/gestion/organisateurs/asso-a";

/// The number of the feed server's requests for `path`.
fn requests_for(feeds: &Feeds, path: &str) -> usize {
    feeds.seen_paths().iter().filter(|p| *p == path).count()
}

#[test]
fn staff_manage_an_organisers_subscriptions_from_its_card() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = google_feed();
    let url = feeds.url("/google.ics");
    let mut staff = WebClient::signed_in(&server, "staff");
    let card = staff.get(CARD).expect(200).text();
    for shown in [
        "<h2 id=\"abonnements\">Agendas importés</h2>",
        "Aucun agenda importé pour l'instant.",
        // Published unless told otherwise.
        "<input type=\"checkbox\" id=\"publier\" name=\"publier\" value=\"oui\" checked",
        "Publier dans l'agenda public",
    ] {
        assert!(shows(&card, shown), "{shown} missing from {card}");
    }
    // The card's own name field and the calendar name's are two fields.
    assert_eq!(card.matches("id=\"nom\"").count(), 1, "{card}");
    assert_eq!(card.matches("id=\"nom-agenda\"").count(), 1, "{card}");
    let response = subscribe_on(&mut staff, CARD, &[("adresse", &url), ("nom", "club")], &[]);
    let id = subscribed_on(&response, CARD);
    // Fetched at once by the server, and listed in the same words as on
    // the organiser's page.
    let card = says(&mut staff, CARD, "5 événements");
    for shown in [
        url.as_str(),
        "toutes les heures",
        "Dernière réussite",
        "/dav/calendars/asso-a/club/",
        "Actualiser maintenant",
    ] {
        assert!(shows(&card, shown), "{shown} missing from {card}");
    }
    assert!(!shows(&card, "(non publié)"), "{card}");
    let mut organiser = WebClient::signed_in(&server, "asso-a");
    let own = organiser.get(PAGE).expect(200).text();
    assert!(shows(&own, &url) && shows(&own, "5 événements"), "{own}");
    let public = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    assert!(public.contains("Loto du comité"), "{public}");
    // Refusals are said beside the field, of the organiser.
    let again = subscribe_on(&mut staff, CARD, &[("adresse", &url)], &[]);
    assert_eq!(again.status, 422);
    let text = again.text();
    assert!(
        shows(
            &text,
            "L'organisateur suit déjà cette adresse, dans l'agenda «\u{202f}club\u{202f}»."
        ),
        "{text}"
    );
    let named = subscribe_on(
        &mut staff,
        CARD,
        &[("adresse", "https://93.184.215.14/x.ics"), ("nom", "main")],
        &[],
    );
    assert_eq!(named.status, 422);
    let text = named.text();
    assert!(
        shows(
            &text,
            "L'organisateur a déjà un agenda nommé «\u{202f}main\u{202f}»"
        ),
        "{text}"
    );
    assert!(
        shows(&text, "<p class=\"erreur\" id=\"nom-agenda-erreur\">"),
        "{text}"
    );
    assert!(shows(&text, "<li><a href=\"#nom-agenda\">"), "{text}");
    // "Actualiser maintenant" fetches again at once.
    let before = requests_for(&feeds, "/google.ics");
    let csrf = csrf_from(&card);
    let refresh = format!("{CARD}/abonnements/{id}/actualiser");
    let response = staff.post_form(&refresh, &[("csrf", &csrf)]);
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location"),
        Some(format!("{CARD}?actualisation={id}#abonnements").as_str())
    );
    eventually("the feed is fetched again", || {
        (requests_for(&feeds, "/google.ics") == before).then(|| format!("{:?}", feeds.seen_paths()))
    });
    // Another organiser's card does not reach it.
    let elsewhere = format!("/gestion/organisateurs/asso-b/abonnements/{id}/supprimer");
    staff.get(&elsewhere).expect(404);
    staff.post_form(&elsewhere, &[("csrf", &csrf)]).expect(404);
    // "Supprimer", after a confirmation.
    let remove = format!("{CARD}/abonnements/{id}/supprimer");
    let confirm = staff.get(&remove).expect(200).text();
    assert!(
        shows(&confirm, "Voulez-vous vraiment supprimer l'abonnement à l'agenda «\u{202f}Comité des fêtes d'Arue\u{202f}»\u{202f}?"),
        "{confirm}"
    );
    assert!(
        shows(&confirm, "des applications de l'organisateur"),
        "{confirm}"
    );
    let fields = form_fields(&confirm, Some("suppression"));
    let response = staff.post_form(&remove, &as_pairs(&fields));
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location"),
        Some(format!("{CARD}?supprime=1#abonnements").as_str())
    );
    let card = staff.get(&format!("{CARD}?supprime=1")).expect(200).text();
    assert!(shows(&card, "L'abonnement est supprimé"), "{card}");
    assert!(
        shows(&card, "Aucun agenda importé pour l'instant."),
        "{card}"
    );
    server
        .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/club/")
        .header("Depth", "0")
        .send()
        .expect(404);
    // Each action is in the desk's journal, with the calendar and address.
    let journal = staff.get("/gestion/journal").expect(200).text();
    for (label, action) in [
        ("Agenda importé ajouté", "subscription-add"),
        ("Agenda importé actualisé", "subscription-refresh"),
        ("Agenda importé supprimé", "subscription-remove"),
    ] {
        let line = journal
            .split("<tr>")
            .find(|row| shows(row, &format!("<td>{label}</td>")))
            .unwrap_or_else(|| panic!("no {label} in {journal}"));
        assert!(shows(line, &url) && shows(line, "asso-a/club"), "{line}");
        assert!(shows(line, "<td>staff</td>"), "{line}");
        let only = staff
            .get(&format!("/gestion/journal?action={action}"))
            .expect(200)
            .text();
        assert_eq!(only.matches("asso-a/club").count(), 1, "{only}");
    }
}

#[test]
fn the_desk_subscription_addresses_are_staff_only_and_need_the_forms_token() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = google_feed();
    let mut owner = WebClient::signed_in(&server, "asso-a");
    let id = subscribed_id(&subscribe(
        &mut owner,
        &[("adresse", &feeds.url("/google.ics")), ("nom", "club")],
    ));
    page_says(&mut owner, "5 événements");
    let csrf = csrf_from(&owner.get(PAGE).expect(200).text());
    let new = format!("{CARD}/abonnements/nouveau");
    let remove = format!("{CARD}/abonnements/{id}/supprimer");
    let refresh = format!("{CARD}/abonnements/{id}/actualiser");
    let add = [
        ("csrf", csrf.as_str()),
        ("adresse", "https://93.184.215.14/x.ics"),
        ("intervalle", "60"),
        ("publier", "oui"),
    ];
    // The organiser itself, with its form token: 403 on the desk's.
    let forbidden = owner.get(&remove);
    assert_eq!(forbidden.status, 403);
    assert!(shows(&forbidden.text(), "réservée au personnel"));
    owner.post_form(&new, &add).expect(403);
    owner.post_form(&remove, &[("csrf", &csrf)]).expect(403);
    owner.post_form(&refresh, &[("csrf", &csrf)]).expect(403);
    // Anonymous: sent to sign in (with a form cookie's token), else 403.
    let mut visitor = WebClient::new(&server);
    let response = visitor.get(&remove).expect(303);
    assert!(
        response
            .header("location")
            .is_some_and(|l| l.starts_with("/connexion?suite=%2Fgestion")),
        "{:?}",
        response.header("location")
    );
    let visitor_csrf = csrf_from(&visitor.get("/connexion").expect(200).text());
    for path in [&new, &remove, &refresh] {
        let response = visitor
            .post_form(path, &[("csrf", &visitor_csrf)])
            .expect(303);
        assert!(
            response
                .header("location")
                .is_some_and(|l| l.starts_with("/connexion")),
            "{path}"
        );
        visitor.post_form(path, &[("csrf", "forged")]).expect(403);
    }
    // Staff without the form's token, or with a forged one: refused.
    let mut staff = WebClient::signed_in(&server, "staff");
    for path in [&new, &remove, &refresh] {
        staff.post_form(path, &[]).expect(403);
        staff.post_form(path, &[("csrf", "forged")]).expect(403);
    }
    // Nothing was added, removed or fetched again.
    let list =
        String::from_utf8_lossy(&cli_output(&server.config_path(), &["import", "list"], "").stdout)
            .into_owned();
    assert_eq!(
        list.lines().filter(|l| !l.starts_with(' ')).count(),
        1,
        "{list}"
    );
    assert!(list.contains("asso-a/club"), "{list}");
    assert_eq!(requests_for(&feeds, "/google.ics"), 1);
    let journal = staff.get("/gestion/journal").expect(200).text();
    assert!(!shows(&journal, "<td>Agenda importé"), "{journal}");
}

/// "Publier dans l'agenda public" unticked: the mirror is the organiser's
/// only, out of the public pages, the feeds and the intercommunal
/// calendar, until staff publish it.
#[test]
fn an_unpublished_mirror_stays_out_of_the_public_side_until_published() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = google_feed();
    let mut owner = WebClient::signed_in(&server, "asso-a");
    let id = subscribed_id(&subscribe_on(
        &mut owner,
        PAGE,
        &[("adresse", &feeds.url("/google.ics")), ("nom", "club")],
        &["publier"],
    ));
    let page = page_says(&mut owner, "5 événements");
    assert!(shows(&page, "toutes les heures (non publié)"), "{page}");
    assert!(shows(&page, &format!("id=\"abonnement-{id}\"")), "{page}");
    // The organiser's own calendar has the events.
    let own = server
        .as_user("asso-a", "GET", "/dav/calendars/asso-a/club/")
        .send()
        .expect(200)
        .text();
    assert!(own.contains("Loto du comité"), "{own}");
    let public_side = |server: &Server| -> Vec<(String, String)> {
        let mut seen = Vec::new();
        for path in [
            "/?du=2027-01-01&au=2027-12-31",
            "/feeds/asso-a.ics",
            "/feeds/intercommunal.ics?du=2027-01-01&au=2027-12-31",
        ] {
            let text = server.request("GET", path).send().expect(200).text();
            seen.push((path.to_owned(), text));
        }
        let aggregate = server
            .as_user("asso-b", "GET", "/dav/intercommunal/")
            .send()
            .expect(200)
            .text();
        seen.push(("/dav/intercommunal/".to_owned(), aggregate));
        seen
    };
    for (path, text) in public_side(&server) {
        assert!(!text.contains("Loto du comité"), "{path}: {text}");
    }
    // Published from the desk (the calendar is listed with the others):
    // the very same outputs now have it.
    let mut staff = WebClient::signed_in(&server, "staff");
    let card = staff.get(CARD).expect(200).text();
    let listed = card
        .split("<li")
        .find(|item| item.contains("(<code>club</code>)"))
        .unwrap_or_else(|| panic!("the mirror is not among the calendars: {card}"));
    assert!(shows(listed, "non publié"), "{listed}");
    staff
        .post_form(
            CARD,
            &[
                ("csrf", &csrf_from(&card)),
                ("action", "publier"),
                ("agenda", "club"),
            ],
        )
        .expect(303);
    eventually("the public side shows the mirror", || {
        public_side(&server)
            .into_iter()
            .find(|(_, text)| !text.contains("Loto du comité"))
            .map(|(path, _)| path)
    });
}
