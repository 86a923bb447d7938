//! Accounts on the web, over real HTTP: coming forward (`/inscription`),
//! staff approval from the command line, activation links, "mot de passe
//! oublié" with and without mail (a local SMTP sink), sessions, the
//! public card (`/espace/profil`) and the calendar-app help
//! (`/espace/connecter`).

mod common;
use common::smtp::Sink;
use common::web::{csrf_from, WebClient};
use common::*;
use std::net::Ipv4Addr;

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
[[categories]]
slug = \"fete\"
name = \"Fête\"
";

const NEW_PASSWORD: &str = "Tartine vélo lampion 17";

// ---------------------------------------------------------------------
// Helpers.

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

const REGISTRATION: &[(&str, &str)] = &[
    ("nom", "Comité des fêtes de Losse"),
    ("nature", "association"),
    ("commune", "losse"),
    ("categories", "loto"),
    ("categories", "fete"),
    ("contact", "Marie Dupont"),
    ("courriel", "marie.dupont@example.org"),
    ("telephone", "05 58 00 00 00"),
    ("description", "Lotos, bals et fête de la Saint-Jean."),
];

fn register(browser: &mut WebClient, fields: &[(&str, &str)]) -> Response {
    browser.submit("/inscription", "/inscription", fields)
}

#[track_caller]
fn cli_ok(server: &Server, args: &[&str]) -> String {
    let out = cli_output(&server.config_path(), args, "");
    assert!(
        out.status.success(),
        "concord {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The path of the activation link a command printed.
#[track_caller]
fn link_in(text: &str) -> String {
    let start = text
        .find("/activation/")
        .unwrap_or_else(|| panic!("no activation link in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

fn set_password(browser: &mut WebClient, link: &str, password: &str, again: &str) -> Response {
    browser.submit(
        link,
        link,
        &[("mot_de_passe", password), ("confirmation", again)],
    )
}

/// Adds top-level settings to the server's config.toml (the harness
/// appends its extras inside `[auth]`).
fn prepend_config(server: &Server, lines: &str) {
    let path = server.config_path();
    let old = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{lines}\n{old}")).unwrap();
}

fn propfind_status(server: &Server, login: &str, password: &str) -> u16 {
    server
        .request("PROPFIND", &format!("/dav/calendars/{login}/main/"))
        .auth(login, password)
        .header("Depth", "0")
        .send()
        .status
}

/// The instant `days` after [`NOW`], in RFC 3339.
fn days_later(days: i64) -> String {
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    (now + chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------
// The whole path.

#[test]
fn coming_forward_then_approval_activation_and_sign_in() {
    let server = Server::start_with(TERRITORY);
    let mut newcomer = WebClient::new(&server);
    let form = newcomer.get("/inscription").expect(200).text();
    assert!(form.contains("Inscrire votre organisation"), "{form}");
    assert!(
        form.contains("<div class=\"pot-de-miel\" aria-hidden=\"true\">")
            && form.contains("name=\"site_internet\" value=\"\" tabindex=\"-1\""),
        "the honeypot is hidden from people and screen readers: {form}"
    );
    assert!(
        form.contains("<option value=\"losse\">Losse</option>"),
        "{form}"
    );
    let done = register(&mut newcomer, REGISTRATION).expect(200).text();
    assert!(done.contains("Merci\u{202f}!"), "{done}");
    assert!(done.contains("Comité des fêtes de Losse"), "{done}");

    let waiting = cli_ok(&server, &["registrations", "list"]);
    assert!(waiting.contains("#1  pending"), "{waiting}");
    assert!(
        waiting.contains("Marie Dupont <marie.dupont@example.org>, 05 58 00 00 00"),
        "{waiting}"
    );
    assert!(waiting.contains("categories: loto, fete"), "{waiting}");

    let approved = cli_ok(&server, &["registrations", "approve", "1"]);
    assert!(
        approved.contains("organiser comite-des-fetes-de-losse created"),
        "{approved}"
    );
    assert!(
        approved.contains("valid until 2026-12-12 10:00 UTC"),
        "{approved}"
    );
    assert!(
        approved.contains("not e-mailed: [mail] is not configured"),
        "{approved}"
    );
    let link = link_in(&approved);
    // Decided once: a second decision is refused.
    let again = cli_output(
        &server.config_path(),
        &["registrations", "approve", "1"],
        "",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already approved"));
    assert!(cli_ok(&server, &["registrations", "list"]).contains("no registration waiting"));
    let accounts = cli_ok(&server, &["organiser", "list"]);
    assert!(accounts.contains("comite-des-fetes-de-losse"), "{accounts}");

    // The link asks for a password and refuses weak ones, staying open.
    let mut organiser = WebClient::new(&server);
    let page = organiser.get(&link).expect(200);
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.text().contains("comite-des-fetes-de-losse"));
    let login = "comite-des-fetes-de-losse";
    for (password, again, expected) in [
        ("court", "court", "au moins 12 caractères"),
        ("motdepasse2027", "motdepasse2027", "plus courants"),
        ("Azertyuiop123!", "Azertyuiop123!", "plus courants"),
        (
            "comite-des-fetes-de-losse",
            "comite-des-fetes-de-losse",
            "identifiant ni le nom",
        ),
        (
            "Comité des fêtes de Losse 2027",
            "Comité des fêtes de Losse 2027",
            "identifiant ni le nom",
        ),
        (NEW_PASSWORD, "autre chose encore", "pas identiques"),
    ] {
        let refused = set_password(&mut organiser, &link, password, again);
        let text = refused.text();
        assert_eq!(refused.status, 400, "{password}: {text}");
        assert!(text.contains(expected), "{password}: {text}");
        assert!(
            text.contains("role=\"alert\""),
            "a summary at the top: {text}"
        );
        assert!(text.contains("aria-invalid=\"true\""), "{text}");
    }
    assert_eq!(propfind_status(&server, login, NEW_PASSWORD), 401);

    let chosen = set_password(&mut organiser, &link, NEW_PASSWORD, NEW_PASSWORD).expect(303);
    assert_eq!(chosen.header("location"), Some("/espace/"));
    assert!(
        organiser.cookie("concord_session").is_some(),
        "signed in at once"
    );
    let space = organiser.get("/espace/").expect(200).text();
    assert!(space.contains("Comité des fêtes de Losse"), "{space}");
    // The same password for calendar apps.
    assert_eq!(propfind_status(&server, login, NEW_PASSWORD), 207);

    // Single use.
    let reused = organiser.get(&link).expect(410).text();
    assert!(reused.contains("déjà servi"), "{reused}");
    let csrf = csrf_from(&space);
    organiser
        .post_form(
            &link,
            &[
                ("csrf", &csrf),
                ("mot_de_passe", "Encore un autre essai 42"),
                ("confirmation", "Encore un autre essai 42"),
            ],
        )
        .expect(410);
    assert_eq!(propfind_status(&server, login, NEW_PASSWORD), 207);

    // Its public card comes from the registration.
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    for shown in [
        "Comité des fêtes de Losse",
        "Losse",
        "Loto, Fête",
        "marie.dupont@example.org",
        "05 58 00 00 00",
        "Lotos, bals et fête de la Saint-Jean.",
    ] {
        assert!(directory.contains(shown), "{shown:?} not in {directory}");
    }
}

#[test]
fn expired_replaced_and_unknown_links_are_refused() {
    let mut server = Server::start_with(TERRITORY);
    let mut newcomer = WebClient::new(&server);
    register(&mut newcomer, REGISTRATION).expect(200);
    let approved = cli_ok(
        &server,
        &["registrations", "approve", "1", "--login", "fetes-losse"],
    );
    assert!(
        approved.contains("organiser fetes-losse created"),
        "{approved}"
    );
    let approval_link = link_in(&approved);

    // Staff hand out a new link: the older one ends.
    let first = link_in(&cli_ok(&server, &["organiser", "reset-link", "asso-a"]));
    let second = link_in(&cli_ok(&server, &["organiser", "reset-link", "asso-a"]));
    let mut browser = WebClient::new(&server);
    let replaced = browser.get(&first).expect(410).text();
    assert!(
        replaced.contains("expiré, ou un lien plus récent"),
        "{replaced}"
    );
    browser.get(&second).expect(200);
    // Until used, the current password still works.
    assert_eq!(propfind_status(&server, "asso-a", PASSWORD), 207);
    let unknown = cli_output(
        &server.config_path(),
        &["organiser", "reset-link", "nobody"],
        "",
    );
    assert!(!unknown.status.success());

    let unknown = browser
        .get("/activation/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .expect(404)
        .text();
    assert!(unknown.contains("n&#39;existe pas"), "{unknown}");
    browser.get("/activation/court").expect(404);

    // Fifteen days later, the approval's link has expired (fourteen days).
    browser.get(&approval_link).expect(200);
    let jar = browser.into_jar();
    server.restart_at(&days_later(15));
    let mut browser = WebClient::with_jar(&server, jar);
    let expired = browser.get(&approval_link).expect(410).text();
    assert!(expired.contains("a expiré"), "{expired}");
    assert!(expired.contains("/mot-de-passe-oublie"), "{expired}");
    let csrf = csrf_from(&browser.get("/connexion").text());
    browser
        .post_form(
            &approval_link,
            &[
                ("csrf", &csrf),
                ("mot_de_passe", NEW_PASSWORD),
                ("confirmation", NEW_PASSWORD),
            ],
        )
        .expect(410);
    assert_eq!(propfind_status(&server, "fetes-losse", NEW_PASSWORD), 401);
}

#[test]
fn approval_can_link_to_an_existing_organiser_and_rejection_keeps_a_reason() {
    let server = Server::start_with(TERRITORY);
    let mut newcomer = WebClient::new(&server);
    register(&mut newcomer, REGISTRATION).expect(200);
    register(&mut newcomer, REGISTRATION).expect(200);
    let linked = cli_ok(
        &server,
        &["registrations", "approve", "1", "--link-to", "asso-a"],
    );
    assert!(
        linked.contains("linked to the organiser asso-a"),
        "{linked}"
    );
    // Only asso-a's empty fields were filled: its name stays.
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(
        directory.contains("Comité des fêtes d&#39;Arue"),
        "{directory}"
    );
    assert!(
        directory.contains("marie.dupont@example.org"),
        "{directory}"
    );
    assert!(
        !directory.contains("Comité des fêtes de Losse"),
        "{directory}"
    );

    let missing = cli_output(&server.config_path(), &["registrations", "reject", "2"], "");
    assert!(!missing.status.success(), "a reason is required");
    let rejected = cli_ok(
        &server,
        &["registrations", "reject", "2", "--reason", "Déjà inscrite"],
    );
    assert!(rejected.contains("registration 2 rejected"), "{rejected}");
    let all = cli_ok(&server, &["registrations", "list", "--all"]);
    assert!(
        all.contains("#1  approved") && all.contains("#2  rejected"),
        "{all}"
    );
    assert!(all.contains("reason: Déjà inscrite"), "{all}");
    let unknown = cli_output(
        &server.config_path(),
        &["registrations", "approve", "9"],
        "",
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no registration 9"));
}

// ---------------------------------------------------------------------
// Spam and bad input.

#[test]
fn robots_and_floods_are_kept_out() {
    let server = Server::start_with(TERRITORY);
    // A robot fills the hidden field: answered as if taken, not stored.
    let mut robot = WebClient::from(&server, Ipv4Addr::new(127, 0, 0, 3));
    let mut filled = REGISTRATION.to_vec();
    filled.push(("site_internet", "http://spam.example"));
    let answer = register(&mut robot, &filled).expect(200).text();
    assert!(answer.contains("Merci"), "{answer}");
    assert!(cli_ok(&server, &["registrations", "list"]).contains("no registration waiting"));

    // Five registrations an hour from one address, then 429.
    let mut flood = WebClient::from(&server, Ipv4Addr::new(127, 0, 0, 2));
    for _ in 0..5 {
        register(&mut flood, REGISTRATION).expect(200);
    }
    let refused = register(&mut flood, REGISTRATION).expect(429);
    assert_eq!(refused.header("retry-after"), Some("3600"));
    assert!(refused.text().contains("Réessayez dans une heure"));
    // Others are not held up.
    let mut neighbour = WebClient::from(&server, Ipv4Addr::new(127, 0, 0, 4));
    register(&mut neighbour, REGISTRATION).expect(200);
    let waiting = cli_ok(&server, &["registrations", "list"]);
    assert_eq!(waiting.matches("  pending  ").count(), 6, "{waiting}");
}

#[test]
fn registration_fields_are_checked_and_errors_shown_next_to_them() {
    let server = Server::start_with(TERRITORY);
    let mut browser = WebClient::new(&server);
    let long_name = "A".repeat(121);
    let long_description = "é".repeat(2001);
    let refused = register(
        &mut browser,
        &[
            ("nom", &long_name),
            ("nature", "club"),
            ("commune", "paris"),
            ("categories", "concert"),
            ("contact", ""),
            ("courriel", "marie.example.org"),
            ("telephone", "appelez-moi"),
            ("description", &long_description),
        ],
    )
    .expect(400)
    .text();
    for (field, message) in [
        ("nom", "ne doit pas dépasser 120 caractères"),
        ("nature", "une association, une commune ou un service"),
        ("commune", "Choisissez une commune de la liste"),
        ("categories", "Choisissez des catégories de la liste"),
        ("contact", "Indiquez le nom de la personne à contacter"),
        ("courriel", "n&#39;est pas valide"),
        ("telephone", "numéro de téléphone n&#39;est pas valide"),
        ("description", "ne doit pas dépasser 2000 caractères"),
    ] {
        assert!(
            refused.contains(&format!("id=\"{field}-erreur\"")),
            "{field}: {refused}"
        );
        assert!(
            refused.contains(&format!("<a href=\"#{field}\">")),
            "{field} in the summary: {refused}"
        );
        assert!(refused.contains(message), "{message}: {refused}");
    }
    assert!(
        refused.contains("Le formulaire contient 8 erreurs\u{202f}:"),
        "{refused}"
    );
    // What was typed is kept (escaped).
    assert!(refused.contains("value=\"marie.example.org\""), "{refused}");
    assert!(cli_ok(&server, &["registrations", "list"]).contains("no registration waiting"));
    // Without a CSRF value, nothing is even read.
    browser.post_form("/inscription", REGISTRATION).expect(403);
}

// ---------------------------------------------------------------------
// Mail, through an SMTP sink this test runs (plain SMTP on loopback).

#[test]
fn links_go_by_mail_when_mail_is_configured() {
    let sink = Sink::start();
    let server = Server::start_with(&format!("{TERRITORY}{}", sink.config()));
    let mut newcomer = WebClient::new(&server);
    let done = register(&mut newcomer, REGISTRATION).expect(200).text();
    assert!(
        done.contains("à l'adresse marie.dupont@example.org"),
        "{done}"
    );

    // Staff hear of it.
    let notice = sink.wait_for(1);
    assert_eq!(notice.to, ["staff@cdc.example.fr"]);
    assert!(
        notice.body().contains("concord registrations approve 1"),
        "{}",
        notice.body()
    );
    assert!(
        notice
            .data
            .contains("Reply-To: communication@cdc.example.fr"),
        "{}",
        notice.data
    );

    // Approval mails the link the command prints.
    let approved = cli_ok(&server, &["registrations", "approve", "1"]);
    assert!(
        approved.contains("e-mailed to marie.dupont@example.org"),
        "{approved}"
    );
    let link = link_in(&approved);
    let mail = sink.wait_for(2);
    assert_eq!(mail.to, ["marie.dupont@example.org"]);
    let body = mail.body();
    assert!(
        body.contains(&format!("http://127.0.0.1:5232{link}")),
        "{body}"
    );
    assert!(
        body.contains("Votre identifiant\u{202f}: comite-des-fetes-de-losse"),
        "{body}"
    );
    assert!(
        mail.data
            .contains("From: \"Agenda intercommunal\" <agenda@cdc.example.fr>")
            || mail
                .data
                .contains("From: Agenda intercommunal <agenda@cdc.example.fr>"),
        "{}",
        mail.data
    );

    // "Mot de passe oublié" by login: a new link to the contact.
    let mut forgetful = WebClient::new(&server);
    let page = forgetful.get("/mot-de-passe-oublie").expect(200).text();
    assert!(
        page.contains("Identifiant ou adresse électronique"),
        "{page}"
    );
    let asked = forgetful
        .submit(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("identifiant", "comite-des-fetes-de-losse")],
        )
        .expect(200)
        .text();
    assert!(asked.contains("Si un compte correspond"), "{asked}");
    let reset = sink.wait_for(3);
    assert_eq!(reset.to, ["marie.dupont@example.org"]);
    let reset_link = link_in(&reset.body());
    assert!(reset.body().contains("valable jusqu"), "{}", reset.body());
    // The newer link replaced the approval's.
    forgetful.get(&link).expect(410);
    set_password(&mut forgetful, &reset_link, NEW_PASSWORD, NEW_PASSWORD).expect(303);
    assert_eq!(
        propfind_status(&server, "comite-des-fetes-de-losse", NEW_PASSWORD),
        207
    );

    // The same answer for an account that does not exist, and no mail;
    // by address too.
    let unknown = forgetful
        .submit(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("identifiant", "personne")],
        )
        .expect(200)
        .text();
    let strip = |page: &str| page.split("<main").nth(1).unwrap().to_owned();
    assert_eq!(strip(&unknown), strip(&asked));
    forgetful
        .submit(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("identifiant", "Marie.Dupont@example.org")],
        )
        .expect(200);
    let by_address = sink.wait_for(4);
    assert_eq!(by_address.to, ["Marie.Dupont@example.org"]);
    assert!(by_address.body().contains("comite-des-fetes-de-losse"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(sink.count(), 4, "no message for an unknown login");

    // Rejection tells the contact why.
    register(&mut newcomer, REGISTRATION).expect(200);
    sink.wait_for(5);
    let rejected = cli_ok(
        &server,
        &[
            "registrations",
            "reject",
            "2",
            "--reason",
            "Doublon de la demande 1",
        ],
    );
    assert!(
        rejected.contains("e-mailed to marie.dupont@example.org"),
        "{rejected}"
    );
    assert!(sink.wait_for(6).body().contains("Doublon de la demande 1"));
}

#[test]
fn without_mail_forgotten_passwords_go_through_staff() {
    let server = Server::start();
    let mut browser = WebClient::new(&server);
    let page = browser.get("/mot-de-passe-oublie").expect(200).text();
    assert!(
        page.contains("demandez un lien au service de l'intercommunalité"),
        "{page}"
    );
    assert!(
        !page.contains("<form method=\"post\" action=\"/mot-de-passe-oublie\""),
        "{page}"
    );
    // Staff hand out a link; the password chosen through it ends the
    // account's sessions and its old password.
    let mut old = WebClient::new(&server);
    old.sign_in("asso-a", PASSWORD).expect(303);
    old.get("/espace/").expect(200);
    let link = link_in(&cli_ok(&server, &["organiser", "reset-link", "asso-a"]));
    set_password(&mut browser, &link, NEW_PASSWORD, NEW_PASSWORD).expect(303);
    old.get("/espace/").expect(303);
    assert_eq!(
        propfind_status(&server, "asso-a", PASSWORD),
        401,
        "the old password is forgotten at once"
    );
    assert_eq!(propfind_status(&server, "asso-a", NEW_PASSWORD), 207);
}

#[test]
fn plain_smtp_is_refused_for_a_distant_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[mail]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\nfrom = \"agenda@example.org\"\n",
    )
    .unwrap();
    let out = cli_output(&config, &["registrations", "list"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only for a relay on this machine"));
}

// ---------------------------------------------------------------------
// Sessions.

#[test]
fn session_cookies_are_guarded_and_stored_hashed() {
    use blake2::{Blake2s256, Digest};
    let server = Server::start();
    let mut browser = WebClient::new(&server);
    let signed_in = browser.sign_in("asso-a", PASSWORD).expect(303);
    let cookie = signed_in
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("concord_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    for attribute in [
        "; Path=/",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Max-Age=2592000",
    ] {
        assert!(cookie.contains(attribute), "{attribute} not in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "base_url is http: {cookie}");
    let token = browser.cookie("concord_session").unwrap().to_owned();
    assert_eq!(token.len(), 43, "256 random bits");

    // The database holds the token's digest, never the token.
    let data = server.dir.path().join("data");
    let mut stored = Vec::new();
    for name in ["concord.db", "concord.db-wal"] {
        stored.extend(std::fs::read(data.join(name)).unwrap_or_default());
    }
    let digest = Blake2s256::digest(token.as_bytes());
    assert!(
        stored.windows(32).any(|w| w == digest.as_slice()),
        "the digest is stored"
    );
    assert!(
        !stored.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token is not"
    );

    // Signing out ends the session on the server, not only in the browser.
    let space = browser.get("/espace/").expect(200).text();
    let csrf = csrf_from(&space);
    let out = browser
        .post_form("/deconnexion", &[("csrf", &csrf)])
        .expect(303);
    assert!(out
        .headers
        .iter()
        .any(|(k, v)| k == "set-cookie" && v.contains("Max-Age=0")));
    let replayed = server
        .request("GET", "/espace/")
        .header("Cookie", &format!("concord_session={token}"))
        .send()
        .expect(303);
    assert!(replayed
        .header("location")
        .unwrap()
        .starts_with("/connexion?suite="));
}

#[test]
fn session_cookies_are_secure_behind_https() {
    let mut server = Server::start();
    prepend_config(&server, "base_url = \"https://agenda.cdc.example.fr\"");
    server.restart();
    let mut browser = WebClient::new(&server);
    let signed_in = browser.sign_in("asso-a", PASSWORD).expect(303);
    let cookies: Vec<&str> = signed_in
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(!cookies.is_empty());
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[test]
fn idle_sessions_lapse_after_thirty_days() {
    let mut server = Server::start();
    let mut browser = WebClient::new(&server);
    browser.sign_in("asso-a", PASSWORD).expect(303);
    // Used after 29 days: still open, and its idle time starts again.
    let jar = browser.into_jar();
    server.restart_at(&days_later(29));
    let mut browser = WebClient::with_jar(&server, jar);
    let used = browser.get("/espace/").expect(200);
    assert!(
        used.headers
            .iter()
            .any(|(k, v)| k == "set-cookie" && v.contains("Max-Age=2592000")),
        "the browser is told to keep the cookie longer"
    );
    // 31 days after that use: refused.
    let jar = browser.into_jar();
    server.restart_at(&days_later(60));
    let mut browser = WebClient::with_jar(&server, jar);
    let lapsed = browser.get("/espace/").expect(303);
    assert!(lapsed.header("location").unwrap().starts_with("/connexion"));
}

#[test]
fn failed_sign_ins_are_slowed_like_basic_auth() {
    let server =
        Server::start_with("failures_before_delay = 2\nfailed_verifications_per_minute = 1\n");
    let mut guesser = WebClient::from(&server, Ipv4Addr::new(127, 0, 0, 5));
    for _ in 0..2 {
        let refused = guesser.sign_in("asso-a", "not the password").expect(403);
        assert!(refused
            .text()
            .contains("Identifiant ou mot de passe incorrect"));
    }
    let throttled = guesser.sign_in("asso-a", "still not it").expect(429);
    assert_eq!(throttled.header("retry-after"), Some("60"));
    // The owner, elsewhere, is let in at once.
    let mut owner = WebClient::from(&server, Ipv4Addr::new(127, 0, 0, 6));
    owner.sign_in("asso-a", PASSWORD).expect(303);
}

#[test]
fn forms_without_their_csrf_value_are_refused() {
    let server = Server::start();
    let mut browser = WebClient::new(&server);
    browser.get("/connexion").expect(200);
    let fields = [("identifiant", "asso-a"), ("mot_de_passe", PASSWORD)];
    browser.post_form("/connexion", &fields).expect(403);
    let mut wrong = vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
    wrong.extend_from_slice(&fields);
    browser.post_form("/connexion", &wrong).expect(403);
    assert!(browser.cookie("concord_session").is_none());

    // Signed in: another session's value does not do either.
    browser.sign_in("asso-a", PASSWORD).expect(303);
    let mut other = WebClient::new(&server);
    other.sign_in("asso-b", PASSWORD).expect(303);
    let others = csrf_from(&other.get("/espace/profil").text());
    let change = [("nom", "Piraté"), ("courriel", "")];
    browser.post_form("/espace/profil", &change).expect(403);
    let mut forged = vec![("csrf", others.as_str())];
    forged.extend_from_slice(&change);
    browser.post_form("/espace/profil", &forged).expect(403);
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(!directory.contains("Piraté"));
}

#[test]
fn sign_in_never_redirects_elsewhere() {
    let server = Server::start();
    for (next, expected) in [
        ("//evil.example", "/espace/"),
        ("https://evil.example/", "/espace/"),
        ("/\\evil.example", "/espace/"),
        ("/espace/profil", "/espace/profil"),
    ] {
        let mut browser = WebClient::new(&server);
        let page = browser
            .get(&format!("/connexion?suite={}", encode(next)))
            .expect(200)
            .text();
        if expected == "/espace/" {
            assert!(page.contains("name=\"suite\" value=\"\""), "{next}: {page}");
        }
        let csrf = csrf_from(&page);
        let response = browser
            .post_form(
                "/connexion",
                &[
                    ("csrf", &csrf),
                    ("identifiant", "asso-a"),
                    ("mot_de_passe", PASSWORD),
                    ("suite", next),
                ],
            )
            .expect(303);
        assert_eq!(response.header("location"), Some(expected), "{next}");
    }
}

// ---------------------------------------------------------------------
// The public card and the calendar-app help.

#[test]
fn the_public_card_is_edited_from_the_space() {
    let server = Server::start_with(TERRITORY);
    server.request("GET", "/espace/profil").send().expect(303);
    let mut staff = WebClient::new(&server);
    staff.sign_in("staff", PASSWORD).expect(303);
    staff.get("/espace/profil").expect(403);

    let mut browser = WebClient::new(&server);
    browser.sign_in("asso-a", PASSWORD).expect(303);
    let page = browser.get("/espace/profil").expect(200).text();
    assert!(
        page.contains("value=\"Comité des fêtes d&#39;Arue\""),
        "{page}"
    );
    let good = [
        ("nom", "Comité des fêtes d'Arue"),
        ("description", "Bals, lotos\net la fête du village."),
        ("courriel", "contact@fetes-arue.fr"),
        ("telephone", "+33 5 58 00 00 00"),
        ("site", "https://fetes-arue.fr"),
        ("commune", "arue"),
        ("categories", "fete"),
    ];
    let saved = browser
        .submit("/espace/profil", "/espace/profil", &good)
        .expect(303);
    assert_eq!(
        saved.header("location"),
        Some("/espace/profil?enregistre=1")
    );
    let page = browser
        .get("/espace/profil?enregistre=1")
        .expect(200)
        .text();
    assert!(page.contains("Votre fiche est enregistrée"), "{page}");
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    for shown in [
        "contact@fetes-arue.fr",
        "+33 5 58 00 00 00",
        "<a href=\"https://fetes-arue.fr\">",
        "Bals, lotos\net la fête du village.",
        "Fête",
    ] {
        assert!(directory.contains(shown), "{shown:?} not in {directory}");
    }

    for (field, value, message) in [
        ("site", "javascript:alert(1)", "doit commencer par https://"),
        ("site", "www.fetes-arue.fr", "doit commencer par https://"),
        (
            "courriel",
            "contact(at)fetes-arue.fr",
            "n&#39;est pas valide",
        ),
        ("nom", "", "Indiquez le nom de votre organisation"),
        ("commune", "bordeaux", "Choisissez une commune"),
    ] {
        let mut fields: Vec<(&str, &str)> =
            good.iter().filter(|(k, _)| *k != field).copied().collect();
        fields.push((field, value));
        let refused = browser
            .submit("/espace/profil", "/espace/profil", &fields)
            .expect(400)
            .text();
        assert!(refused.contains(message), "{field}={value}: {refused}");
        assert!(
            refused.contains(&format!("id=\"{field}-erreur\"")),
            "{refused}"
        );
    }
    let long = "x".repeat(2001);
    let mut fields: Vec<(&str, &str)> = good
        .iter()
        .filter(|(k, _)| *k != "description")
        .copied()
        .collect();
    fields.push(("description", &long));
    browser
        .submit("/espace/profil", "/espace/profil", &fields)
        .expect(400);
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(
        directory.contains("<a href=\"https://fetes-arue.fr\">"),
        "unchanged: {directory}"
    );
    assert!(!directory.contains("javascript:"));

    // Emptied fields are cleared.
    let mut cleared: Vec<(&str, &str)> = good
        .iter()
        .filter(|(k, _)| !matches!(*k, "telephone" | "site"))
        .copied()
        .collect();
    cleared.extend([("telephone", ""), ("site", "")]);
    browser
        .submit("/espace/profil", "/espace/profil", &cleared)
        .expect(303);
    let directory = server
        .request("GET", "/associations")
        .send()
        .expect(200)
        .text();
    assert!(!directory.contains("https://fetes-arue.fr"), "{directory}");
    assert!(!directory.contains("+33 5 58"), "{directory}");
}

#[test]
fn the_connect_page_gives_this_organisers_addresses() {
    let server = Server::start();
    server
        .request("GET", "/espace/connecter/concord.mobileconfig")
        .send()
        .expect(303);
    let mut browser = WebClient::new(&server);
    browser.sign_in("asso-a", PASSWORD).expect(303);
    let page = browser.get("/espace/connecter").expect(200).text();
    for shown in [
        "http://127.0.0.1:5232/dav/",
        "http://127.0.0.1:5232/dav/principals/asso-a/",
        "http://127.0.0.1:5232/dav/calendars/asso-a/main/",
        "<code>127.0.0.1:5232</code>",
        "webcal://127.0.0.1:5232/feeds/asso-a.ics",
        "http://127.0.0.1:5232/feeds/asso-a.ics",
        "/espace/connecter/concord.mobileconfig",
        "id=\"android\"",
        "id=\"apple\"",
        "id=\"thunderbird\"",
        "id=\"evolution\"",
    ] {
        assert!(page.contains(shown), "{shown:?} not in {page}");
    }
    assert!(!page.contains("asso-b"), "{page}");
    let svg_start = page.find("<svg").expect("an inline QR code");
    let svg_end = page[svg_start..].find("</svg>").unwrap() + svg_start + 6;
    let svg = davxml::parse(&page[svg_start..svg_end]);
    assert_eq!(svg.attr("role"), Some("img"));
    assert!(svg.attr("aria-label").is_some());

    let profile = browser
        .get("/espace/connecter/concord.mobileconfig")
        .expect(200);
    assert_eq!(
        profile.header("content-type"),
        Some("application/x-apple-aspen-config")
    );
    assert!(profile
        .header("content-disposition")
        .unwrap()
        .contains("concord.mobileconfig"));
    let text = profile.text();
    let plist = davxml::parse(&text);
    let values = |key: &str| -> Vec<String> {
        fn walk(node: &davxml::Node, key: &str, out: &mut Vec<String>) {
            let mut children = node.children.iter();
            while let Some(child) = children.next() {
                if child.local == "key" && child.text == key {
                    if let Some(value) = children.next() {
                        out.push(if value.text.is_empty() {
                            value.local.clone()
                        } else {
                            value.text.clone()
                        });
                    }
                } else {
                    walk(child, key, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&plist, key, &mut out);
        out
    };
    assert_eq!(
        values("PayloadType"),
        ["com.apple.caldav.account", "Configuration"]
    );
    assert_eq!(values("CalDAVHostName"), ["127.0.0.1"]);
    assert_eq!(values("CalDAVPort"), ["5232"]);
    assert_eq!(values("CalDAVUseSSL"), ["false"]);
    assert_eq!(values("CalDAVUsername"), ["asso-a"]);
    assert_eq!(
        values("CalDAVPrincipalURL"),
        ["http://127.0.0.1:5232/dav/principals/asso-a/"]
    );
    assert!(
        values("CalDAVPassword").is_empty() && !text.contains("Password"),
        "{text}"
    );
    let uuids = values("PayloadUUID");
    assert_eq!(uuids.len(), 2);
    assert_ne!(uuids[0], uuids[1]);
    // The same on every download; another organiser's differ.
    let again = browser
        .get("/espace/connecter/concord.mobileconfig")
        .expect(200)
        .text();
    assert_eq!(again, text);
    let mut other = WebClient::new(&server);
    other.sign_in("asso-b", PASSWORD).expect(303);
    let theirs = other
        .get("/espace/connecter/concord.mobileconfig")
        .expect(200)
        .text();
    assert!(!theirs.contains(&uuids[0]) && !theirs.contains(&uuids[1]));
}
