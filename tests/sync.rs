//! Synchronisation as DAVx5, iOS and Thunderbird do it: sync-collection
//! (RFC 6578) with their request bodies, paging with DAV:limit, and
//! calendar-multiget (RFC 4791 7.9).

mod common;
use common::davxml::{self, Multistatus, CALDAV, DAV};
use common::*;

/// The sync-collection bodies of the three clients, initial and with a token.
const CLIENTS: &[(&str, &str, &str)] = &[
    (
        "DAVx5",
        "requests/davx5-sync-collection-initial.xml",
        "requests/davx5-sync-collection.xml",
    ),
    ("iOS", "", "requests/ios-sync-collection.xml"),
    (
        "Thunderbird",
        "requests/thunderbird-sync-collection-initial.xml",
        "requests/thunderbird-sync-collection.xml",
    ),
];

fn put(server: &Server, name: &str, summary: &str) -> String {
    let path = format!("{CAL_A}{name}");
    let response = server
        .as_user("asso-a", "PUT", &path)
        .ics(&event(
            &format!("{name}@a"),
            summary,
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send();
    assert!(
        response.status == 201 || response.status == 204,
        "PUT {path}: {}",
        response.status
    );
    response.header("etag").unwrap().to_owned()
}

fn report(server: &Server, body: &str) -> Response {
    server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(body)
        .send()
}

fn sync_body(fixture: &str, token: &str) -> String {
    let template = fixture_text(fixture);
    if template.contains("SYNC_TOKEN") {
        template.replace("SYNC_TOKEN", token)
    } else {
        template
    }
}

/// Initial sync with DAVx5's body.
fn initial(server: &Server) -> Multistatus {
    davxml::multistatus(
        &report(
            server,
            &fixture_text("requests/davx5-sync-collection-initial.xml"),
        )
        .expect(207)
        .text(),
    )
}

fn href(name: &str) -> String {
    format!("{CAL_A}{name}")
}

#[test]
fn initial_sync_lists_every_object_with_its_etag() {
    let server = Server::start();
    let etags: Vec<(String, String)> = ["a.ics", "b.ics", "c.ics"]
        .iter()
        .map(|n| (href(n), put(&server, n, n)))
        .collect();
    for (client, initial_fixture, _) in CLIENTS {
        if initial_fixture.is_empty() {
            continue;
        }
        let ms = davxml::multistatus(
            &report(&server, &fixture_text(initial_fixture))
                .expect(207)
                .text(),
        );
        assert_eq!(ms.responses.len(), 3, "{client}: {:?}", ms.hrefs());
        for (href, etag) in &etags {
            let entry = ms.one(href);
            assert_eq!(entry.text(DAV, "getetag").as_ref(), Some(etag), "{client}");
        }
        let token = ms.sync_token.expect("sync-token");
        assert!(!token.is_empty(), "{client}: empty sync-token");
    }
}

#[test]
fn incremental_sync_reports_new_changed_and_deleted_objects() {
    let server = Server::start();
    put(&server, "stays.ics", "Inchangé");
    put(&server, "changes.ics", "Avant");
    put(&server, "goes.ics", "Supprimé");
    let token = initial(&server).sync_token.expect("sync-token");
    let new_etag = put(&server, "new.ics", "Nouveau");
    let changed_etag = put(&server, "changes.ics", "Après");
    server
        .as_user("asso-a", "DELETE", &href("goes.ics"))
        .send()
        .expect(204);
    for (client, _, fixture) in CLIENTS {
        let response = report(&server, &sync_body(fixture, &token)).expect(207);
        let ms = davxml::multistatus(&response.text());
        let mut hrefs = ms.hrefs();
        hrefs.sort();
        assert_eq!(
            hrefs,
            [href("changes.ics"), href("goes.ics"), href("new.ics")],
            "{client}: {}",
            response.text()
        );
        assert_eq!(
            ms.one(&href("new.ics")).text(DAV, "getetag"),
            Some(new_etag.clone()),
            "{client}"
        );
        assert_eq!(
            ms.one(&href("changes.ics")).text(DAV, "getetag"),
            Some(changed_etag.clone()),
            "{client}"
        );
        let gone = ms.one(&href("goes.ics"));
        assert_eq!(gone.status, Some(404), "{client}: {gone:?}");
        assert!(gone.propstats.is_empty(), "{client}: {gone:?}");
        let new_token = ms.sync_token.clone().expect("sync-token");
        assert_ne!(new_token, token, "{client}");
        // Nothing changed since: an empty answer.
        let again = davxml::multistatus(
            &report(&server, &sync_body(fixture, &new_token))
                .expect(207)
                .text(),
        );
        assert!(again.responses.is_empty(), "{client}: {:?}", again.hrefs());
    }
}

#[test]
fn initial_sync_after_a_delete_omits_the_deleted_object() {
    let server = Server::start();
    put(&server, "stays.ics", "Reste");
    put(&server, "goes.ics", "Part");
    server
        .as_user("asso-a", "DELETE", &href("goes.ics"))
        .send()
        .expect(204);
    let ms = initial(&server);
    assert_eq!(ms.hrefs(), [href("stays.ics")]);
    assert!(ms.one(&href("stays.ics")).status.is_none());
}

#[test]
fn an_invalid_sync_token_is_403_valid_sync_token() {
    let server = Server::start();
    put(&server, "a.ics", "A");
    let current = initial(&server).sync_token.expect("sync-token");
    // A token of another calendar of the same user.
    server
        .as_user("asso-a", "MKCALENDAR", "/dav/calendars/asso-a/autre/")
        .send()
        .expect(201);
    let other = davxml::multistatus(
        &server
            .as_user("asso-a", "REPORT", "/dav/calendars/asso-a/autre/")
            .xml(&fixture_text("requests/davx5-sync-collection-initial.xml"))
            .send()
            .expect(207)
            .text(),
    )
    .sync_token
    .expect("sync-token");
    let (prefix, seq) = current.rsplit_once('-').expect("token with a sequence");
    let future = format!("{prefix}-{}", seq.parse::<i64>().unwrap() + 1000);
    for token in [
        "garbage".to_owned(),
        "urn:concord:sync:".to_owned(),
        "http://example.org/sync/1".to_owned(),
        other,
        future,
    ] {
        let response = report(
            &server,
            &sync_body("requests/davx5-sync-collection.xml", &token),
        );
        assert_eq!(response.status, 403, "token {token:?}: {}", response.text());
        let (conditions, _) = davxml::error(&response.text());
        assert!(
            conditions.iter().any(|c| c.is(DAV, "valid-sync-token")),
            "token {token:?}: {}",
            response.text()
        );
    }
}

#[test]
fn limit_truncates_with_507_and_paging_returns_everything() {
    let server = Server::start();
    let mut expected: Vec<String> = (1..=5)
        .map(|i| {
            let name = format!("e{i}.ics");
            put(&server, &name, &name);
            href(&name)
        })
        .collect();
    expected.sort();
    let with_limit = |token: &str| {
        sync_body("requests/davx5-sync-collection.xml", token).replace(
            "</sync-level>",
            "</sync-level><limit><nresults>2</nresults></limit>",
        )
    };
    // The first page: an empty token.
    let first = fixture_text("requests/davx5-sync-collection-initial.xml").replace(
        "</sync-level>",
        "</sync-level><limit><nresults>2</nresults></limit>",
    );
    let mut body = first;
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "paging does not end; seen {seen:?}");
        let response = report(&server, &body).expect(207);
        let ms = davxml::multistatus(&response.text());
        let truncated = ms
            .responses
            .iter()
            .find(|r| r.status == Some(507))
            .map(|r| r.href.clone());
        let members: Vec<&davxml::Resp> = ms
            .responses
            .iter()
            .filter(|r| r.status != Some(507))
            .collect();
        if pages == 1 {
            assert_eq!(members.len(), 2, "first page: {}", response.text());
            assert_eq!(
                truncated.as_deref(),
                Some(CAL_A),
                "first page without a 507 for the collection: {}",
                response.text()
            );
        }
        assert!(members.len() <= 2, "{}", response.text());
        for member in members {
            assert!(member.text(DAV, "getetag").is_some(), "{}", response.text());
            seen.push(member.href.clone());
        }
        let token = ms.sync_token.expect("sync-token");
        if truncated.is_none() {
            break;
        }
        body = with_limit(&token);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, expected);
    assert!(pages >= 3, "5 objects by 2 need 3 pages, got {pages}");
}

fn multiget_body(fixture: &str, hrefs: &[String]) -> String {
    let template = fixture_text(fixture);
    assert!(template.contains("HREF_1") && template.contains("HREF_2"));
    // Repeat the element holding HREF_2 for the third href.
    let start = template[..template.find("HREF_2").unwrap()]
        .rfind('<')
        .unwrap();
    let close = template[start..].find("HREF_2").unwrap() + start + "HREF_2".len();
    let close_end = template[close..].find('>').unwrap() + close + 1;
    let element = &template[start..close_end];
    let with_third = template.replacen(
        element,
        &format!("{element}{}", element.replace("HREF_2", "HREF_3")),
        1,
    );
    with_third
        .replace("HREF_1", &hrefs[0])
        .replace("HREF_2", &hrefs[1])
        .replace("HREF_3", &hrefs[2])
}

#[test]
fn multiget_returns_the_stored_bytes_and_404_for_a_missing_href() {
    let server = Server::start();
    let google = fixture("ics/google-event.ics");
    let attendees = fixture("ics/attendees-event.ics");
    let one = href("google.ics");
    let two = href("attendees.ics");
    let missing = href("absent.ics");
    let mut etags = Vec::new();
    for (path, body) in [(&one, &google), (&two, &attendees)] {
        let response = server
            .as_user("asso-a", "PUT", path)
            .ics(body)
            .send()
            .expect(201);
        etags.push(response.header("etag").unwrap().to_owned());
    }
    let hrefs = [one.clone(), missing.clone(), two.clone()];
    for fixture_name in [
        "requests/davx5-calendar-multiget.xml",
        "requests/ios-calendar-multiget.xml",
    ] {
        let body = multiget_body(fixture_name, &hrefs);
        let response = report(&server, &body).expect(207);
        let ms = davxml::multistatus(&response.text());
        assert_eq!(ms.responses.len(), 3, "{fixture_name}: {}", response.text());
        let absent = ms.one(&missing);
        assert_eq!(absent.status, Some(404), "{fixture_name}: {absent:?}");
        assert!(absent.prop(CALDAV, "calendar-data").is_none());
        for ((path, stored), etag) in [(&one, &google), (&two, &attendees)].iter().zip(&etags) {
            let entry = ms.one(path);
            assert_eq!(entry.text(DAV, "getetag").as_ref(), Some(etag));
            let data = entry
                .text(CALDAV, "calendar-data")
                .unwrap_or_else(|| panic!("{fixture_name}: no calendar-data for {path}"));
            assert!(
                data.as_bytes() == stored.as_slice(),
                "{fixture_name}: calendar-data of {path} differs from the stored bytes:\n{data}"
            );
        }
    }
}

/// GET and multiget answer from memory between writes: every write must
/// show at once, on both, to the client that made it.
#[test]
fn answers_kept_in_memory_follow_every_write() {
    let server = Server::start();
    let one = href("one.ics");
    let two = href("two.ics");
    let hrefs = [one.clone(), two.clone(), href("absent.ics")];
    let seen = |server: &Server| {
        let body = multiget_body("requests/davx5-calendar-multiget.xml", &hrefs);
        let ms = davxml::multistatus(&report(server, &body).expect(207).text());
        let entry = ms.one(&one);
        let get = server.as_user("asso-a", "GET", &one).send();
        (
            entry.status,
            entry.text(CALDAV, "calendar-data").unwrap_or_default(),
            get.status,
            get.text(),
        )
    };
    put(&server, "one.ics", "Première version");
    put(&server, "two.ics", "Autre");
    for _ in 0..2 {
        let (status, data, get_status, got) = seen(&server);
        assert_eq!((status, get_status), (None, 200));
        assert!(data.contains("Première version") && got.contains("Première version"));
    }
    put(&server, "one.ics", "Seconde version");
    let (_, data, _, got) = seen(&server);
    assert!(data.contains("Seconde version"), "{data}");
    assert!(got.contains("Seconde version"), "{got}");
    server.as_user("asso-a", "DELETE", &one).send().expect(204);
    let (status, _, get_status, _) = seen(&server);
    assert_eq!((status, get_status), (Some(404), 404));
}
