//! Subscriptions to external ICS feeds (issue 13), against a feed server
//! this file starts on the loopback: real-world exports (fixtures/ics/feeds/),
//! conditional GET, changed feeds, failing feeds (HTML, 500, slow, too
//! large), redirects, the SSRF guard, skipped events, and the mirror as
//! CalDAV clients and the public side see it.
//!
//! The feed server is on 127.0.0.1, so most tests allow private addresses
//! (`[import] allow_private = true`); the guard's tests allow only the
//! name `localhost` and check that nothing else on the loopback is reached.

mod common;
use common::davxml::{self, CALDAV, DAV};
use common::feeds::{Feeds, Route};
use common::*;
use std::collections::HashMap;
use std::time::Duration;

const ALLOW_PRIVATE: &str = "[import]\nallow_private = true\n";

/// Runs a command, then gives the server the time to notice what it
/// wrote (other processes' writes are seen within 0.2 s).
fn cli(server: &Server, args: &[&str]) -> std::process::Output {
    let out = cli_output(&server.config_path(), args, "");
    std::thread::sleep(Duration::from_millis(400));
    out
}

/// Runs a command that must succeed; returns its standard output.
#[track_caller]
fn ok(server: &Server, args: &[&str]) -> String {
    let out = cli(server, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns what it said.
#[track_caller]
fn refused(server: &Server, args: &[&str]) -> String {
    let out = cli(server, args);
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The hrefs and ETags of a calendar, read with PROPFIND Depth 1 by its owner.
fn members(server: &Server, login: &str, path: &str) -> HashMap<String, String> {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#;
    let text = server
        .as_user(login, "PROPFIND", path)
        .header("Depth", "1")
        .xml(body)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&text)
        .responses
        .into_iter()
        .filter(|r| r.href != path)
        .map(|r| {
            let etag = r.text(DAV, "getetag").unwrap_or_default();
            (r.href, etag)
        })
        .collect()
}

fn sync_token(server: &Server, login: &str, path: &str) -> String {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"#;
    let text = server
        .as_user(login, "PROPFIND", path)
        .header("Depth", "0")
        .xml(body)
        .send()
        .expect(207)
        .text();
    davxml::multistatus(&text)
        .one(path)
        .text(DAV, "sync-token")
        .expect("sync-token")
}

fn get(server: &Server, login: &str, path: &str) -> String {
    server.as_user(login, "GET", path).send().expect(200).text()
}

/// The resource of a mirror holding `needle`.
fn member_with(server: &Server, login: &str, path: &str, needle: &str) -> String {
    members(server, login, path)
        .into_keys()
        .find(|href| get(server, login, href).contains(needle))
        .unwrap_or_else(|| panic!("no member of {path} holds {needle:?}"))
}

const MIRROR_A: &str = "/dav/calendars/asso-a/club/";

fn google() -> String {
    fixture_text("ics/feeds/google.ics")
}

/// A server with `extra` settings, a feed server serving the Google
/// export, and what `import add asso-a FEED --name club ARGS` said.
fn with_google(extra: &str, args: &[&str]) -> (Server, Feeds, String) {
    let server = Server::start_with(extra);
    let feeds = Feeds::start();
    feeds.feed("/google.ics", google(), "\"g1\"");
    let url = feeds.url("/google.ics");
    let mut command = vec!["import", "add", "asso-a", &url, "--name", "club"];
    command.extend_from_slice(args);
    let out = ok(&server, &command);
    (server, feeds, out)
}

/// The Google feed subscribed as asso-a's calendar `club`.
fn subscribed(extra: &str) -> (Server, Feeds) {
    let (server, feeds, out) = with_google(extra, &[]);
    assert!(out.contains("first import: 5 events: 5 added"), "{out}");
    (server, feeds)
}

#[test]
fn every_producer_s_export_is_mirrored_and_only_its_public_events_published() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    let producers = [
        ("google", "google.ics", "asso-a", 5),
        ("outlook", "outlook365.ics", "asso-b", 4),
        ("nextcloud", "nextcloud.ics", "asso-a", 3),
        ("icloud", "icloud-public.ics", "asso-a", 2),
        ("mairie", "wordpress-tec.ics", "asso-b", 3),
    ];
    for (name, file, login, events) in producers {
        let path = format!("/{file}");
        feeds.feed(&path, fixture(&format!("ics/feeds/{file}")), "\"1\"");
        let out = ok(
            &server,
            &["import", "add", login, &feeds.url(&path), "--name", name],
        );
        assert!(
            out.contains(&format!(
                "first import: {events} events: {events} added, 0 updated, 0 deleted\n"
            )),
            "{file}: {out}"
        );
        let calendar = format!("/dav/calendars/{login}/{name}/");
        assert_eq!(members(&server, login, &calendar).len(), events, "{file}");
    }
    // Overrides are stored with their master: Google's workshop and
    // Outlook's training are one resource each, with two components.
    let workshop = member_with(
        &server,
        "asso-a",
        "/dav/calendars/asso-a/google/",
        "Atelier couture",
    );
    let body = get(&server, "asso-a", &workshop);
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 2, "{body}");
    assert!(body.contains("RECURRENCE-ID;TZID=Europe/Paris:20270209T140000"));
    assert!(!body.contains("METHOD:"), "{body}");
    let training = member_with(
        &server,
        "asso-b",
        "/dav/calendars/asso-b/outlook/",
        "école de foot",
    );
    assert_eq!(
        get(&server, "asso-b", &training)
            .matches("BEGIN:VEVENT")
            .count(),
        2
    );
    // Apple's alarms carry a UID of their own: it does not split the event.
    let fishing = member_with(
        &server,
        "asso-a",
        "/dav/calendars/asso-a/icloud/",
        "Concours de pêche",
    );
    assert!(
        fishing.ends_with("/8D2F7A1C-3B4E-4F5A-9C6D-7E8F9A0B1C2D.ics"),
        "{fishing}"
    );
    // The feed's name is the calendar's; Nextcloud's to-do is not mirrored.
    let props = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:displayname/><C:supported-calendar-component-set/></D:prop></D:propfind>"#;
    let text = server
        .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/nextcloud/")
        .header("Depth", "0")
        .xml(props)
        .send()
        .expect(207)
        .text();
    let ms = davxml::multistatus(&text);
    let nextcloud = ms.one("/dav/calendars/asso-a/nextcloud/");
    assert_eq!(
        nextcloud.text(DAV, "displayname").as_deref(),
        Some("Bibliothèque de Marsas")
    );
    let components = nextcloud
        .prop(CALDAV, "supported-calendar-component-set")
        .unwrap();
    assert_eq!(components.children.len(), 1, "{text}");
    // The feed's REFRESH-INTERVAL sets Nextcloud's interval (4 h).
    let list = ok(&server, &["import", "list"]);
    let line = list
        .lines()
        .find(|l| l.contains("asso-a/nextcloud"))
        .unwrap();
    assert!(line.contains("every 240 min (the feed's)"), "{list}");

    // Public outputs: public events in, private and confidential ones out,
    // and nothing about people or alarms.
    let public_a = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    let public_b = server
        .request("GET", "/feeds/asso-b.ics")
        .send()
        .expect(200)
        .text();
    for summary in [
        "Loto du comité",
        "Atelier couture",
        "Heure du conte",
        "Concours de pêche",
    ] {
        assert!(
            public_a.contains(summary),
            "{summary} missing from {public_a}"
        );
    }
    for summary in ["Tournoi de printemps", "Vide-grenier de printemps"] {
        assert!(
            public_b.contains(summary),
            "{summary} missing from {public_b}"
        );
    }
    for hidden in [
        "Réunion du bureau",
        "Comité de lecture",
        "Commission de discipline",
        "ATTENDEE",
        "marie.dupont",
        "BEGIN:VALARM",
        "meet.google.com",
        "mairie@marsas.example",
        "X-MICROSOFT",
    ] {
        assert!(!public_a.contains(hidden), "{hidden} in {public_a}");
        assert!(!public_b.contains(hidden), "{hidden} in {public_b}");
    }
    let intercommunal = server
        .request("GET", "/feeds/intercommunal.ics")
        .send()
        .expect(200)
        .text();
    assert!(intercommunal.contains("Loto du comité"));
    assert!(!intercommunal.contains("Réunion du bureau"));
    // The owner's mirror keeps the private event as the feed gave it.
    let private = member_with(
        &server,
        "asso-a",
        "/dav/calendars/asso-a/google/",
        "Réunion du bureau",
    );
    assert!(get(&server, "asso-a", &private).contains("CLASS:PRIVATE"));

    // Requests said who they were and that gzip is welcome.
    let seen = feeds.seen();
    let first = &seen[0];
    assert!(
        first.headers["user-agent"].starts_with("concord/"),
        "{first:?}"
    );
    assert_eq!(first.headers["accept-encoding"], "gzip");
}

#[test]
fn an_unchanged_feed_moves_no_sync_token() {
    let (server, feeds) = subscribed(ALLOW_PRIVATE);
    let token = sync_token(&server, "asso-a", MIRROR_A);
    let etags = members(&server, "asso-a", MIRROR_A);
    // The server knows the ETag it gave: 304.
    let out = ok(&server, &["import", "run", "asso-a/club"]);
    assert_eq!(out, "1 asso-a/club: unchanged\n");
    let last = feeds.seen().pop().unwrap();
    assert_eq!(
        last.headers.get("if-none-match").map(String::as_str),
        Some("\"g1\"")
    );
    assert_eq!(
        last.headers.get("if-modified-since").map(String::as_str),
        Some("Sat, 28 Nov 2026 09:00:00 GMT")
    );
    assert_eq!(sync_token(&server, "asso-a", MIRROR_A), token);
    // Downloaded again without 304, stamped anew as Google does: nothing
    // is written either.
    feeds.feed(
        "/google.ics",
        google().replace("DTSTAMP:20261128T095512Z", "DTSTAMP:20261128T115959Z"),
        "\"g2\"",
    );
    let out = ok(&server, &["import", "run", "club"]);
    assert_eq!(
        out,
        "1 asso-a/club: 5 events: 0 added, 0 updated, 0 deleted\n"
    );
    assert_eq!(sync_token(&server, "asso-a", MIRROR_A), token);
    assert_eq!(members(&server, "asso-a", MIRROR_A), etags);
    // The same bytes again under a third ETag: nothing to compare even.
    feeds.route(
        "/google.ics",
        Route::Feed {
            body: google()
                .replace("DTSTAMP:20261128T095512Z", "DTSTAMP:20261128T115959Z")
                .into_bytes(),
            etag: "\"g3\"".into(),
            content_type: "text/calendar",
            gzip: true,
        },
    );
    assert_eq!(
        ok(&server, &["import", "run", "1"]),
        "1 asso-a/club: unchanged\n"
    );
    assert_eq!(sync_token(&server, "asso-a", MIRROR_A), token);
}

#[test]
fn a_changed_feed_updates_deletes_and_adds_overrides_seen_through_sync_collection() {
    let (server, feeds) = subscribed(ALLOW_PRIVATE);
    let token = sync_token(&server, "asso-a", MIRROR_A);
    let before = members(&server, "asso-a", MIRROR_A);
    let saint_jean = member_with(&server, "asso-a", MIRROR_A, "Saint-Jean");
    let loto = member_with(&server, "asso-a", MIRROR_A, "Loto du comité");
    let workshop = member_with(&server, "asso-a", MIRROR_A, "Atelier couture");
    // The loto gets a new title, the Saint-Jean is gone, the workshop gets
    // a second moved occurrence.
    let mut changed = google().replace("SUMMARY:Loto du comité", "SUMMARY:Super loto du comité");
    let start = changed
        .find("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270626")
        .unwrap();
    let end = start + changed[start..].find("END:VEVENT\r\n").unwrap() + "END:VEVENT\r\n".len();
    changed.replace_range(start..end, "");
    let new_override = "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:20270316T100000\r\nDTEND;TZID=Europe/Paris:20270316T120000\r\nDTSTAMP:20261128T095512Z\r\nUID:0hq2s7ab4kf9cv3nm1e8d6g5tl@google.com\r\nRECURRENCE-ID;TZID=Europe/Paris:20270316T140000\r\nSUMMARY:Atelier couture (matin)\r\nEND:VEVENT\r\n";
    let at = changed.find("END:VCALENDAR").unwrap();
    changed.insert_str(at, new_override);
    feeds.feed("/google.ics", changed, "\"g2\"");
    let out = ok(&server, &["import", "run"]);
    assert_eq!(
        out,
        "1 asso-a/club: 4 events: 0 added, 2 updated, 1 deleted\n"
    );
    assert!(get(&server, "asso-a", &loto).contains("SUMMARY:Super loto du comité"));
    assert_eq!(
        get(&server, "asso-a", &workshop)
            .matches("BEGIN:VEVENT")
            .count(),
        3
    );
    server
        .as_user("asso-a", "GET", &saint_jean)
        .send()
        .expect(404);
    // A client syncing from its token sees exactly these three changes.
    let report = fixture_text("requests/davx5-sync-collection.xml").replace("SYNC_TOKEN", &token);
    let text = server
        .as_user("asso-a", "REPORT", MIRROR_A)
        .header("Depth", "1")
        .xml(&report)
        .send()
        .expect(207)
        .text();
    let ms = davxml::multistatus(&text);
    let mut hrefs = ms.hrefs();
    hrefs.sort();
    let mut wanted = vec![loto.clone(), workshop.clone(), saint_jean.clone()];
    wanted.sort();
    assert_eq!(hrefs, wanted, "{text}");
    assert_eq!(ms.one(&saint_jean).status, Some(404));
    let after = members(&server, "asso-a", MIRROR_A);
    assert_ne!(after[&loto], before[&loto]);
    for (href, etag) in &after {
        if href != &loto && href != &workshop {
            assert_eq!(etag, &before[href], "{href} moved");
        }
    }
    assert_ne!(ms.sync_token.unwrap(), token);
}

#[test]
fn failing_feeds_keep_the_mirror_record_the_error_and_back_off() {
    let (server, feeds) = subscribed(ALLOW_PRIVATE);
    let etags = members(&server, "asso-a", MIRROR_A);
    feeds.route(
        "/google.ics",
        Route::Feed {
            body: b"<!DOCTYPE html>\n<html lang=\"fr\"><head><title>Calendrier introuvable</title></head><body><h1>Oups</h1></body></html>\n".to_vec(),
            etag: "\"html\"".into(),
            content_type: "text/html; charset=utf-8",
            gzip: false,
        },
    );
    let out = refused(&server, &["import", "run"]);
    assert!(
        out.contains(
            "failed: the feed is not iCalendar: the address now answers a web page (HTML)"
        ),
        "{out}"
    );
    assert_eq!(members(&server, "asso-a", MIRROR_A), etags);
    feeds.route("/google.ics", Route::Status(500));
    let out = refused(&server, &["import", "run", "club"]);
    assert!(out.contains("answered 500 Internal Server Error"), "{out}");
    assert_eq!(members(&server, "asso-a", MIRROR_A), etags);
    let list = ok(&server, &["import", "list"]);
    assert!(list.contains("    failing since 2026-11-28 "), "{list}");
    assert!(list.contains("(2 failures): http://127.0.0.1:"), "{list}");
    // Two failures: the next try is about 30 minutes later (15 doubled,
    // within a tenth either way), not an hour.
    let next = list
        .lines()
        .find_map(|l| l.trim().strip_prefix("next "))
        .unwrap();
    let next = chrono::NaiveDateTime::parse_from_str(next, "%Y-%m-%d %H:%M").unwrap();
    let now = chrono::NaiveDateTime::parse_from_str("2026-11-28 11:00", "%Y-%m-%d %H:%M").unwrap();
    let minutes = (next - now).num_minutes();
    assert!(
        (26..=34).contains(&minutes),
        "next in {minutes} min: {list}"
    );
    // The last success's events are still public.
    let public = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    assert!(public.contains("Loto du comité"));
    // Back to normal: the failure is forgotten.
    feeds.feed("/google.ics", google(), "\"g1\"");
    assert_eq!(
        ok(&server, &["import", "run"]),
        "1 asso-a/club: unchanged\n"
    );
    assert!(!ok(&server, &["import", "list"]).contains("failing"));
}

#[test]
fn a_slow_server_times_out() {
    let (server, feeds) = subscribed("[import]\nallow_private = true\ntimeout_seconds = 1\n");
    feeds.route(
        "/google.ics",
        Route::Slow(Duration::from_secs(4), google().into_bytes()),
    );
    let started = std::time::Instant::now();
    let out = refused(&server, &["import", "run"]);
    assert!(
        out.contains("failed: no answer within 1 s ([import] timeout_seconds)"),
        "{out}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited for the server"
    );
    assert_eq!(members(&server, "asso-a", MIRROR_A).len(), 5);
}

#[test]
fn a_50_mb_feed_is_cut_at_the_limit_while_it_streams() {
    let (server, feeds) = subscribed(ALLOW_PRIVATE);
    feeds.route("/google.ics", Route::Stream(50 * 1024 * 1024));
    let out = refused(&server, &["import", "run"]);
    assert!(
        out.contains(
            "failed: the feed is larger than the limit of 10485760 bytes ([import] max_bytes)"
        ),
        "{out}"
    );
    // The client hung up near the limit rather than reading 50 MB. What
    // the test server counts as sent includes what the loopback's socket
    // buffers took after the limit (several MB each way, more under load):
    // the margin is for them, not for the client.
    std::thread::sleep(Duration::from_millis(200));
    let streamed = feeds.state.lock().unwrap().streamed;
    assert!(streamed < 35 * 1024 * 1024, "{streamed} bytes sent");
    assert_eq!(members(&server, "asso-a", MIRROR_A).len(), 5);
}

#[test]
fn a_gzip_bomb_is_cut_after_decompression() {
    let (server, feeds) = subscribed("[import]\nallow_private = true\nmax_bytes = 100000\n");
    let mut huge = google();
    let padding = format!("X-PADDING:{}\r\n", "a".repeat(70));
    huge.insert_str(huge.find("BEGIN:VTIMEZONE").unwrap(), &padding.repeat(3000));
    feeds.route(
        "/google.ics",
        Route::Feed {
            body: huge.into_bytes(),
            etag: "\"big\"".into(),
            content_type: "text/calendar",
            gzip: true,
        },
    );
    let out = refused(&server, &["import", "run"]);
    assert!(
        out.contains("larger than the limit of 100000 bytes"),
        "{out}"
    );
}

#[test]
fn redirects_are_followed_five_times_at_most() {
    let (server, feeds) = subscribed(ALLOW_PRIVATE);
    for hop in 1..=6 {
        feeds.route(
            &format!("/r{hop}"),
            Route::Redirect(302, format!("/r{}", hop + 1)),
        );
    }
    feeds.route("/r7", Route::Redirect(302, feeds.url("/google.ics")));
    // /r3 -> ... -> /r7 -> the feed: five redirects.
    let out = ok(
        &server,
        &[
            "import",
            "add",
            "asso-b",
            &feeds.url("/r3"),
            "--name",
            "five",
        ],
    );
    assert!(out.contains("first import: 5 events: 5 added"), "{out}");
    let out = ok(
        &server,
        &[
            "import",
            "add",
            "asso-b",
            &feeds.url("/r2"),
            "--name",
            "six",
        ],
    );
    assert!(
        out.contains("first import failed: more than 5 redirects"),
        "{out}"
    );
    assert!(members(&server, "asso-b", "/dav/calendars/asso-b/six/").is_empty());
}

/// A feed moved for good (301 or 308 on every hop) is fetched from its new
/// address from then on; one temporary redirect (302, 307) on the way
/// leaves the subscription's address as it was.
#[test]
fn a_permanent_redirect_moves_the_subscription() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    feeds.feed("/new.ics", google(), "\"g1\"");
    feeds.route("/old.ics", Route::Redirect(301, "/mid.ics".into()));
    feeds.route("/mid.ics", Route::Redirect(308, feeds.url("/new.ics")));
    feeds.route("/for-now.ics", Route::Redirect(307, "/new.ics".into()));
    feeds.route("/half.ics", Route::Redirect(301, "/for-now.ics".into()));
    feeds.route("/found.ics", Route::Redirect(302, "/new.ics".into()));
    for (path, name) in [
        ("/old.ics", "moved"),
        ("/half.ics", "half"),
        ("/found.ics", "found"),
    ] {
        let url = feeds.url(path);
        let out = ok(&server, &["import", "add", "asso-a", &url, "--name", name]);
        assert!(out.contains("first import: 5 events: 5 added"), "{out}");
    }
    let list = ok(&server, &["import", "list"]);
    let url_of = |name: &str| {
        let line = list
            .lines()
            .find(|l| l.contains(&format!("asso-a/{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {list}"));
        line.rsplit(' ').next().unwrap().to_owned()
    };
    assert_eq!(url_of("moved"), feeds.url("/new.ics"), "{list}");
    assert_eq!(url_of("half"), feeds.url("/half.ics"), "{list}");
    assert_eq!(url_of("found"), feeds.url("/found.ics"), "{list}");
    // The next fetch goes straight to the new address, conditional on
    // what the first one got there.
    let before = feeds.seen().len();
    let out = ok(&server, &["import", "run", "asso-a/moved"]);
    assert!(out.contains("unchanged"), "{out}");
    let after: Vec<_> = feeds.seen().split_off(before);
    assert_eq!(
        after.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        vec!["/new.ics"]
    );
    assert_eq!(
        after[0].headers.get("if-none-match").map(String::as_str),
        Some("\"g1\"")
    );
}

/// With private addresses refused and only the name `localhost` trusted,
/// a redirect to 127.0.0.1 is refused before anything connects to it; an
/// address on the loopback named directly is refused by `import add`
/// itself, before anything is recorded, as the pages refuse it.
#[test]
fn a_redirect_to_a_loopback_address_is_refused() {
    let server = Server::start_with("[import]\nallow_hosts = [\"localhost\"]\n");
    let feeds = Feeds::start();
    feeds.feed("/google.ics", google(), "\"g1\"");
    feeds.route("/moved", Route::Redirect(302, feeds.url("/google.ics")));
    // The trusted name redirects to 127.0.0.1.
    let trusted = format!("http://localhost:{}/moved", feeds.port);
    let out = ok(
        &server,
        &["import", "add", "asso-a", &trusted, "--name", "club"],
    );
    let refusal = "127.0.0.1 is a loopback address: feeds are only fetched from public addresses";
    assert!(
        out.contains(&format!("first import failed: refused: {refusal}")),
        "{out}"
    );
    // Named directly, or in IPv6 clothes: refused at once, nothing
    // recorded, nothing even requested.
    let direct = feeds.url("/google.ics");
    let mapped = format!("http://[::ffff:127.0.0.1]:{}/google.ics", feeds.port);
    for (url, refusal) in [
        (direct, "127.0.0.1 is a loopback address"),
        (mapped, "::ffff:127.0.0.1 is a loopback address"),
    ] {
        let out = refused(
            &server,
            &["import", "add", "asso-a", &url, "--name", "direct"],
        );
        assert!(out.contains(refusal), "{out}");
        assert!(!out.contains("subscription "), "{out}");
    }
    assert_eq!(feeds.seen_paths(), vec!["/moved"]);
    assert!(members(&server, "asso-a", MIRROR_A).is_empty());
    let list = ok(&server, &["import", "list"]);
    assert!(!list.contains("asso-a/direct"), "{list}");
    // The trusted name itself reaches the feed.
    let feed = format!("http://localhost:{}/google.ics", feeds.port);
    let out = ok(
        &server,
        &["import", "add", "asso-a", &feed, "--name", "local"],
    );
    assert!(out.contains("first import: 5 events: 5 added"), "{out}");
}

#[test]
fn webcal_urls_are_fetched_over_https() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    feeds.feed("/google.ics", google(), "\"g1\"");
    let url = format!("webcal://127.0.0.1:{}/google.ics", feeds.port);
    let out = ok(&server, &["import", "add", "asso-a", &url]);
    // The feed server speaks plain HTTP: it got a TLS handshake instead.
    assert!(
        out.contains("first import failed: TLS with 127.0.0.1 failed"),
        "{out}"
    );
    assert!(
        feeds.seen().iter().all(|s| s.not_http),
        "{:?}",
        feeds.seen()
    );
    // Plain http works, and the calendar's name was given by default.
    let out = ok(
        &server,
        &["import", "add", "asso-a", &feeds.url("/google.ics")],
    );
    assert!(out.contains("/dav/calendars/asso-a/import-2/"), "{out}");
}

#[test]
fn one_invalid_event_is_skipped_and_reported() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let feeds = Feeds::start();
    let bad = "BEGIN:VEVENT\r\nUID:broken@club.example\r\nDTSTAMP:20261128T100000Z\r\nDTSTART:20270301T180000Z\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:Cassé\r\nEND:VEVENT\r\n";
    let mut feed = google();
    feed.insert_str(feed.find("END:VCALENDAR").unwrap(), bad);
    feeds.feed("/feed.ics", feed, "\"1\"");
    let out = ok(
        &server,
        &[
            "import",
            "add",
            "asso-a",
            &feeds.url("/feed.ics"),
            "--name",
            "club",
        ],
    );
    assert!(out.contains("first import: 6 events: 5 added, 0 updated, 0 deleted, 1 skipped\n  skipped broken@club.example: "), "{out}");
    assert_eq!(members(&server, "asso-a", MIRROR_A).len(), 5);
    let list = ok(&server, &["import", "list"]);
    assert!(list.contains("last success 2026-11-28 "), "{list}");
    assert!(
        list.contains("6 events, 1 skipped\n    skipped broken@club.example: "),
        "{list}"
    );
    // A good event turning bad keeps its last good version.
    let loto = member_with(&server, "asso-a", MIRROR_A, "Loto du comité");
    let broken = google().replace(
        "DTSTART;TZID=Europe/Paris:20270306T203000",
        "DTSTART;TZID=Europe/Paris:20270306T203000\r\nRRULE:FREQ=NEVER",
    );
    feeds.feed("/feed.ics", broken, "\"2\"");
    let out = ok(&server, &["import", "run"]);
    assert!(
        out.contains("5 events: 0 added, 0 updated, 0 deleted, 1 skipped"),
        "{out}"
    );
    assert!(get(&server, "asso-a", &loto).contains("SUMMARY:Loto du comité"));
}

#[test]
fn clients_cannot_write_to_a_mirror() {
    let (server, _feeds) = subscribed(ALLOW_PRIVATE);
    let loto = member_with(&server, "asso-a", MIRROR_A, "Loto du comité");
    let refusals = [
        ("PUT", format!("{MIRROR_A}new.ics"), "write-content"),
        ("PUT", loto.clone(), "write-content"),
        ("DELETE", loto.clone(), "unbind"),
        ("DELETE", MIRROR_A.to_owned(), "unbind"),
        ("PROPPATCH", MIRROR_A.to_owned(), "write-properties"),
        ("MKCOL", format!("{MIRROR_A}sub/"), "bind"),
    ];
    for (method, path, privilege) in refusals {
        let mut request = server.as_user("asso-a", method, &path);
        request = match method {
            "PUT" => request.ics(&event(
                "new@a",
                "Mine",
                "20270110T180000Z",
                "20270110T200000Z",
            )),
            "PROPPATCH" => request.xml(&fixture_text("requests/proppatch-displayname.xml")),
            _ => request,
        };
        let response = request.send().expect(403);
        let (conditions, description) = davxml::error(&response.text());
        let needed = conditions
            .iter()
            .find(|c| c.is(DAV, "need-privileges"))
            .unwrap_or_else(|| panic!("{method} {path}: {}", response.text()));
        assert!(
            needed.find(DAV, privilege).is_some(),
            "{method}: {}",
            response.text()
        );
        assert!(
            description.contains("copy of an external calendar feed"),
            "{description}"
        );
    }
    assert_eq!(members(&server, "asso-a", MIRROR_A).len(), 5);
    assert!(get(&server, "asso-a", &loto).contains("SUMMARY:Loto du comité"));
    // Clients are told it is read-only before they try.
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/></D:prop></D:propfind>"#;
    for path in [MIRROR_A, loto.as_str()] {
        let text = server
            .as_user("asso-a", "PROPFIND", path)
            .header("Depth", "0")
            .xml(body)
            .send()
            .expect(207)
            .text();
        let ms = davxml::multistatus(&text);
        let set = ms
            .one(path)
            .prop(DAV, "current-user-privilege-set")
            .unwrap();
        let privileges: Vec<&str> = set
            .children
            .iter()
            .flat_map(|p| p.children.iter().map(|c| c.local.as_str()))
            .collect();
        assert!(privileges.contains(&"read"), "{text}");
        assert!(
            !privileges
                .iter()
                .any(|p| p.starts_with("write") || *p == "bind" || *p == "unbind"),
            "{path}: {privileges:?}"
        );
    }
    // The organiser's own calendar is as writable as ever.
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}mine.ics"))
        .ics(&event(
            "mine@a",
            "Mine",
            "20270110T180000Z",
            "20270110T200000Z",
        ))
        .send()
        .expect(201);
}

#[test]
fn the_server_polls_subscriptions_by_itself() {
    let (server, feeds, out) = with_google(ALLOW_PRIVATE, &["--no-fetch"]);
    assert!(out.contains("first import left to the server"), "{out}");
    eventually("the server imports the new subscription", || {
        let count = members(&server, "asso-a", MIRROR_A).len();
        (count != 5).then(|| format!("{count} events"))
    });
    // Once mirrored, it is not fetched again before its interval.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(feeds.seen_paths(), vec!["/google.ics"]);
    let list = ok(&server, &["import", "list"]);
    assert!(list.contains("every 60 min"), "{list}");
    assert!(list.contains("    next 2026-11-28 1"), "{list}");
}

#[test]
fn mirrored_events_take_part_in_conflicts_and_leave_with_the_subscription() {
    let extra = r#"
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot-bergonce"
name = "Bourriot-Bergonce"
[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
[import]
allow_private = true
"#;
    let (server, _feeds) = subscribed(extra);
    // asso-b's belote at the same venue, the same evening.
    let belote = String::from_utf8(event(
        "belote@b",
        "Concours de belote",
        "20270306T200000Z",
        "20270306T230000Z",
    ))
    .unwrap()
    .replace("SUMMARY:", "LOCATION:Salle des fêtes\\, Arue\r\nSUMMARY:");
    server
        .as_user("asso-b", "PUT", &format!("{CAL_B}belote.ics"))
        .ics(belote.as_bytes())
        .send()
        .expect(201);
    let report = ok(
        &server,
        &[
            "conflicts",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-31",
            "--format",
            "csv",
        ],
    );
    let line = report
        .lines()
        .find(|l| l.contains("Loto du comité"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(line.contains("Concours de belote"), "{line}");
    // Removing the subscription removes its calendar and its events.
    let out = ok(&server, &["import", "remove", "asso-a/club"]);
    assert_eq!(
        out,
        "subscription 1 removed with its calendar asso-a/club\n"
    );
    server
        .as_user("asso-a", "PROPFIND", MIRROR_A)
        .header("Depth", "0")
        .send()
        .expect(404);
    eventually("the public feed forgets the mirror", || {
        let text = server
            .request("GET", "/feeds/asso-a.ics")
            .send()
            .expect(200)
            .text();
        text.contains("Loto du comité").then_some(text)
    });
    assert_eq!(ok(&server, &["import", "list"]), "no subscriptions\n");
}

/// A public address given as a literal: nothing to resolve, and nothing
/// fetched by the commands that refuse.
const PUBLIC: &str = "https://93.184.215.14/x.ics";

#[test]
fn the_commands_refuse_what_they_cannot_do() {
    let server = Server::start_with(ALLOW_PRIVATE);
    let bad = [
        (
            vec!["import", "add", "asso-a", "ftp://example.org/x.ics"],
            "the scheme \"ftp\" is not supported",
        ),
        (
            vec!["import", "add", "nobody", PUBLIC],
            "no account with the login \"nobody\"",
        ),
        (
            vec!["import", "add", "staff", PUBLIC],
            "staff is not an organiser",
        ),
        (
            vec!["import", "add", "asso-a", PUBLIC, "--name", "main"],
            "asso-a already has a calendar or collection called \"main\"",
        ),
        (
            vec!["import", "add", "asso-a", PUBLIC, "--name", "conflits"],
            "invalid calendar name \"conflits\"",
        ),
        (
            vec!["import", "add", "asso-a", PUBLIC, "--every", "5m"],
            "between 15 and 1440 minutes",
        ),
        (
            vec!["import", "add", "asso-a", PUBLIC, "--every", "soon"],
            "is not an interval",
        ),
        (
            vec!["import", "remove", "nothing"],
            "no subscription \"nothing\"",
        ),
        (vec!["import", "run", "42"], "no subscription \"42\""),
    ];
    for (args, message) in bad {
        let out = refused(&server, &args);
        assert!(out.contains(message), "{args:?}: {out}");
    }
    assert_eq!(ok(&server, &["import", "list"]), "no subscriptions\n");
}

/// `import add` refuses what the pages refuse, before recording anything
/// or fetching: an address on a private network or the loopback (private
/// addresses are refused here, as in production), a host that does not
/// resolve, an address the organiser already follows; each with the
/// typed refusal's message and a failing exit status.
#[test]
fn import_add_refuses_private_unresolvable_and_duplicate_addresses_up_front() {
    let server = Server::start();
    let feeds = Feeds::start();
    feeds.feed("/google.ics", google(), "\"g1\"");
    for (url, message) in [
        (
            "http://192.168.1.10/agenda.ics".to_owned(),
            "refused: 192.168.1.10 is a private address",
        ),
        (
            "http://[::1]/agenda.ics".to_owned(),
            "refused: ::1 is a loopback address",
        ),
        (
            feeds.url("/google.ics"),
            "refused: 127.0.0.1 is a loopback address",
        ),
        (
            "https://no-such-host.invalid/agenda.ics".to_owned(),
            "cannot resolve no-such-host.invalid",
        ),
    ] {
        let out = refused(&server, &["import", "add", "asso-a", &url]);
        assert!(out.contains(message), "{url}: {out}");
        assert!(!out.contains("first import"), "{url}: {out}");
    }
    assert_eq!(ok(&server, &["import", "list"]), "no subscriptions\n");
    assert!(feeds.seen().is_empty(), "{:?}", feeds.seen_paths());
    // With --no-fetch the host is not looked up (the network may be away
    // while the server is set up), but an address written as a private
    // IP is still refused; the server's fetch checks the rest.
    let out = refused(
        &server,
        &[
            "import",
            "add",
            "asso-a",
            "http://10.0.0.7/agenda.ics",
            "--no-fetch",
        ],
    );
    assert!(
        out.contains("refused: 10.0.0.7 is a private address"),
        "{out}"
    );
    let out = ok(
        &server,
        &[
            "import",
            "add",
            "asso-a",
            "https://no-such-host.invalid/agenda.ics",
            "--no-fetch",
        ],
    );
    assert!(out.contains("first import left to the server"), "{out}");
    eventually("the server's fetch fails on the name", || {
        let list = ok(&server, &["import", "list"]);
        (!list.contains("cannot resolve no-such-host.invalid")).then_some(list)
    });
    // The same address twice, where the feed may be fetched.
    let (server, feeds, _) = with_google(ALLOW_PRIVATE, &[]);
    let url = feeds.url("/google.ics");
    let before = feeds.seen().len();
    let out = refused(
        &server,
        &["import", "add", "asso-a", &url, "--name", "again"],
    );
    assert!(
        out.contains(&format!(
            "asso-a is already subscribed to {url} (calendar \"club\""
        )),
        "{out}"
    );
    assert_eq!(feeds.seen().len(), before);
    let list = ok(&server, &["import", "list"]);
    assert!(!list.contains("asso-a/again"), "{list}");
}

#[test]
fn private_subscriptions_stay_out_of_public_outputs() {
    let (server, _feeds, out) = with_google(ALLOW_PRIVATE, &["--private", "--every", "2h"]);
    assert!(out.contains("(not published)"), "{out}");
    assert_eq!(members(&server, "asso-a", MIRROR_A).len(), 5);
    let public = server
        .request("GET", "/feeds/asso-a.ics")
        .send()
        .expect(200)
        .text();
    assert!(!public.contains("Loto du comité"), "{public}");
    let list = ok(&server, &["import", "list"]);
    assert!(
        list.contains("asso-a/club (not published) every 120 min (chosen)"),
        "{list}"
    );
}
