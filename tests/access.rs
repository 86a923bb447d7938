//! Who may do what: organisers only in their own home, staff read
//! everything and write nothing (RFC 3744 need-privileges and
//! current-user-privilege-set), disabled accounts and wrong passwords 401.

mod common;
use common::davxml::{self, CALDAV, DAV};
use common::*;

const EVENT_A: &str = "/dav/calendars/asso-a/main/loto.ics";
const SUMMARY: &str = "Loto secret du comité";

fn server_with_event() -> (Server, Vec<u8>) {
    let server = Server::start();
    let body = event("loto@a", SUMMARY, "20270110T180000Z", "20270110T220000Z");
    server
        .as_user("asso-a", "PUT", EVENT_A)
        .ics(&body)
        .send()
        .expect(201);
    (server, body)
}

/// Asserts a 403 with DAV:need-privileges naming `href`.
#[track_caller]
fn assert_need_privileges(response: &Response, href: &str) {
    assert_eq!(response.status, 403, "{}", response.text());
    let (conditions, description) = davxml::error(&response.text());
    let need = conditions
        .iter()
        .find(|c| c.is(DAV, "need-privileges"))
        .unwrap_or_else(|| panic!("no DAV:need-privileges: {}", response.text()));
    let resource = need.child(DAV, "resource").expect("DAV:resource");
    assert_eq!(
        resource.child(DAV, "href").map(|h| h.text.trim()),
        Some(href),
        "{}",
        response.text()
    );
    let privilege = resource.child(DAV, "privilege").expect("DAV:privilege");
    assert_eq!(privilege.children.len(), 1, "{}", response.text());
    // The readable description says what was refused.
    let refused = if privilege.children[0].is(DAV, "read") {
        "You may not read this resource."
    } else {
        "You may not change this resource."
    };
    assert_eq!(description.trim(), refused, "{}", response.text());
}

fn displayname(server: &Server, login: &str, path: &str) -> String {
    let body = r#"<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>"#;
    let ms = davxml::multistatus(
        &server
            .as_user(login, "PROPFIND", path)
            .header("Depth", "0")
            .xml(body)
            .send()
            .expect(207)
            .text(),
    );
    ms.one(path).text(DAV, "displayname").expect("displayname")
}

#[test]
fn another_organiser_cannot_propfind_the_calendar() {
    let (server, _) = server_with_event();
    for depth in ["0", "1"] {
        let response = server
            .as_user("asso-b", "PROPFIND", CAL_A)
            .header("Depth", depth)
            .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
            .send()
            .expect(403);
        assert_need_privileges(&response, CAL_A);
        let text = response.text();
        assert!(!text.contains("loto.ics"), "member leaked: {text}");
        assert!(!text.contains("getetag>"), "etag leaked: {text}");
    }
}

#[test]
fn another_organiser_cannot_get_an_event() {
    let (server, _) = server_with_event();
    for method in ["GET", "HEAD"] {
        let response = server.as_user("asso-b", method, EVENT_A).send().expect(403);
        assert!(!response.text().contains(SUMMARY), "{}", response.text());
    }
    let response = server.as_user("asso-b", "GET", CAL_A).send().expect(403);
    assert!(!response.text().contains(SUMMARY), "{}", response.text());
}

#[test]
fn another_organiser_cannot_put_and_nothing_changes() {
    let (server, body) = server_with_event();
    let forged = event("loto@a", "Annulé !", "20270110T180000Z", "20270110T220000Z");
    let response = server.as_user("asso-b", "PUT", EVENT_A).ics(&forged).send();
    assert_need_privileges(&response, EVENT_A);
    let new = "/dav/calendars/asso-a/main/intrus.ics";
    let response = server
        .as_user("asso-b", "PUT", new)
        .ics(&event(
            "intrus@b",
            "Intrus",
            "20270111T180000Z",
            "20270111T220000Z",
        ))
        .send();
    assert_need_privileges(&response, new);
    assert_eq!(
        server
            .as_user("asso-a", "GET", EVENT_A)
            .send()
            .expect(200)
            .body,
        body
    );
    server.as_user("asso-a", "GET", new).send().expect(404);
}

#[test]
fn another_organiser_cannot_delete_and_nothing_changes() {
    let (server, body) = server_with_event();
    let response = server.as_user("asso-b", "DELETE", EVENT_A).send();
    assert_need_privileges(&response, EVENT_A);
    let response = server.as_user("asso-b", "DELETE", CAL_A).send();
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(
        server
            .as_user("asso-a", "GET", EVENT_A)
            .send()
            .expect(200)
            .body,
        body
    );
}

#[test]
fn another_organiser_cannot_proppatch_and_nothing_changes() {
    let (server, _) = server_with_event();
    let before = displayname(&server, "asso-a", CAL_A);
    let response = server
        .as_user("asso-b", "PROPPATCH", CAL_A)
        .xml(&fixture_text("requests/proppatch-displayname.xml"))
        .send();
    assert_need_privileges(&response, CAL_A);
    assert_eq!(displayname(&server, "asso-a", CAL_A), before);
    assert!(!before.contains("animations"));
}

#[test]
fn staff_reads_an_organisers_calendar() {
    let (server, body) = server_with_event();
    let ms = davxml::multistatus(
        &server
            .as_user("staff", "PROPFIND", CAL_A)
            .header("Depth", "1")
            .xml(&fixture_text("requests/thunderbird-propfind-etags.xml"))
            .send()
            .expect(207)
            .text(),
    );
    assert!(ms.one(CAL_A).prop(DAV, "resourcetype").is_some());
    let member = ms.one(EVENT_A);
    assert!(member.text(DAV, "getetag").is_some(), "{member:?}");
    let response = server.as_user("staff", "GET", EVENT_A).send().expect(200);
    assert_eq!(response.body, body);
}

#[test]
fn staff_cannot_write_an_organisers_calendar() {
    let (server, body) = server_with_event();
    let forged = event("loto@a", "Modifié", "20270110T180000Z", "20270110T220000Z");
    let response = server.as_user("staff", "PUT", EVENT_A).ics(&forged).send();
    assert_need_privileges(&response, EVENT_A);
    let new = "/dav/calendars/asso-a/main/staff.ics";
    let response = server
        .as_user("staff", "PUT", new)
        .ics(&event(
            "staff@x",
            "Ajout",
            "20270111T180000Z",
            "20270111T220000Z",
        ))
        .send();
    assert_need_privileges(&response, new);
    let response = server.as_user("staff", "DELETE", EVENT_A).send();
    assert_need_privileges(&response, EVENT_A);
    let response = server
        .as_user("staff", "MKCALENDAR", "/dav/calendars/asso-a/staff-cal/")
        .send();
    assert_eq!(response.status, 403, "{}", response.text());

    let before = displayname(&server, "asso-a", CAL_A);
    let response = server
        .as_user("staff", "PROPPATCH", CAL_A)
        .xml(&fixture_text("requests/proppatch-displayname.xml"))
        .send();
    // Either the whole request is refused, or each property is (RFC 4918 9.2).
    match response.status {
        403 => {}
        207 => {
            let ms = davxml::multistatus(&response.text());
            assert_eq!(
                ms.one(CAL_A).prop_status(DAV, "displayname"),
                Some(403),
                "{}",
                response.text()
            );
        }
        other => panic!("staff PROPPATCH gave {other}: {}", response.text()),
    }
    assert_eq!(displayname(&server, "asso-a", CAL_A), before);
    assert_eq!(
        server
            .as_user("asso-a", "GET", EVENT_A)
            .send()
            .expect(200)
            .body,
        body
    );
    server.as_user("asso-a", "GET", new).send().expect(404);
    server
        .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/staff-cal/")
        .header("Depth", "0")
        .send()
        .expect(404);
}

fn privileges(server: &Server, login: &str, path: &str) -> Vec<String> {
    let body = r#"<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/></d:prop></d:propfind>"#;
    let ms = davxml::multistatus(
        &server
            .as_user(login, "PROPFIND", path)
            .header("Depth", "0")
            .xml(body)
            .send()
            .expect(207)
            .text(),
    );
    let set = ms
        .one(path)
        .prop(DAV, "current-user-privilege-set")
        .unwrap_or_else(|| panic!("no current-user-privilege-set for {login}"))
        .clone();
    set.children_named(DAV, "privilege")
        .flat_map(|p| {
            p.children
                .iter()
                .map(|c| format!("{{{}}}{}", c.ns, c.local))
        })
        .collect()
}

#[test]
fn current_user_privilege_set_gives_write_to_the_owner_and_read_to_staff() {
    let (server, _) = server_with_event();
    let read = format!("{{{DAV}}}read");
    let writes = [
        format!("{{{DAV}}}write"),
        format!("{{{DAV}}}write-content"),
        format!("{{{DAV}}}write-properties"),
        format!("{{{DAV}}}bind"),
        format!("{{{DAV}}}unbind"),
    ];
    for path in [CAL_A, EVENT_A] {
        let owner = privileges(&server, "asso-a", path);
        assert!(owner.contains(&read), "{path}: {owner:?}");
        assert!(
            owner.contains(&writes[0]) || writes[1..].iter().all(|w| owner.contains(w)),
            "owner cannot write {path}: {owner:?}"
        );
        let staff = privileges(&server, "staff", path);
        assert!(staff.contains(&read), "{path}: {staff:?}");
        for write in &writes {
            assert!(!staff.contains(write), "staff has {write} on {path}");
        }
        assert!(
            !staff.contains(&format!("{{{DAV}}}all")),
            "staff has DAV:all on {path}"
        );
        assert!(
            staff
                .iter()
                .all(|p| p.contains("read") || p == &format!("{{{CALDAV}}}read-free-busy")),
            "staff privileges beyond reading on {path}: {staff:?}"
        );
    }
}

#[test]
fn a_disabled_organiser_gets_401() {
    let server = Server::start();
    // Verified once, so its login is cached when the account is disabled.
    let propfind = || {
        server
            .as_user("asso-a", "PROPFIND", CAL_A)
            .header("Depth", "0")
            .send()
            .status
    };
    assert_eq!(propfind(), 207);
    let out = cli_output(
        &server.config_path(),
        &["organiser", "disable", "asso-a"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    eventually("the disabled organiser's cached login", || {
        let status = propfind();
        (status != 401).then(|| format!("still HTTP {status}"))
    });
    for (method, path) in [("PROPFIND", CAL_A), ("GET", CAL_A), ("PROPFIND", "/dav/")] {
        let response = server
            .as_user("asso-a", method, path)
            .header("Depth", "0")
            .send()
            .expect(401);
        assert!(response.header("www-authenticate").is_some());
    }
    let response = server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/main/x.ics")
        .ics(&event("x@a", "X", "20270110T180000Z", "20270110T220000Z"))
        .send()
        .expect(401);
    assert!(response.header("www-authenticate").is_some());
    // The others are not affected.
    server
        .as_user("asso-b", "PROPFIND", CAL_B)
        .header("Depth", "0")
        .send()
        .expect(207);
}

#[test]
fn repeated_wrong_passwords_keep_getting_401() {
    let server = Server::start();
    for attempt in 0..4 {
        let response = server
            .request("PROPFIND", CAL_A)
            .auth("asso-a", &format!("wrong-password-{attempt}"))
            .header("Depth", "0")
            .send();
        assert_eq!(response.status, 401, "attempt {attempt}");
        assert!(response.header("www-authenticate").is_some());
    }
    // Unknown logins are answered the same way.
    server
        .request("PROPFIND", CAL_A)
        .auth("nobody", "whatever-password")
        .header("Depth", "0")
        .send()
        .expect(401);
    // The right password still works below the slow-down threshold.
    server
        .as_user("asso-a", "PROPFIND", CAL_A)
        .header("Depth", "0")
        .send()
        .expect(207);
}
