//! The administration CLI against a running server's database: refusals
//! with a clear message and no change, listing, password change seen over
//! HTTP, rename seen in the principal, and online backup.

mod common;
use common::davxml::{self, DAV};
use common::*;

fn concord(server: &Server, args: &[&str], stdin: &str) -> std::process::Output {
    cli_output(&server.config_path(), args, stdin)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn list(server: &Server) -> String {
    let out = concord(server, &["organiser", "list"], "");
    assert!(out.status.success(), "list failed: {}", stderr(&out));
    stdout(&out)
}

fn propfind_as(server: &Server, login: &str, password: &str) -> u16 {
    server
        .request("PROPFIND", &format!("/dav/calendars/{login}/main/"))
        .auth(login, password)
        .header("Depth", "0")
        .send()
        .status
}

#[test]
fn adding_a_taken_login_fails_clearly_and_changes_nothing() {
    let server = Server::start();
    let before = list(&server);
    let out = concord(
        &server,
        &[
            "organiser",
            "add",
            "asso-a",
            "--name",
            "Usurpateur",
            "--password-stdin",
        ],
        "another-password-123",
    );
    assert!(!out.status.success(), "duplicate accepted: {out:?}");
    let message = stderr(&out);
    assert!(
        message.contains("asso-a") && message.contains("taken"),
        "unclear message: {message:?}"
    );
    assert_eq!(list(&server), before);
    assert!(!list(&server).contains("Usurpateur"));
    assert_eq!(propfind_as(&server, "asso-a", "another-password-123"), 401);
    assert_eq!(propfind_as(&server, "asso-a", PASSWORD), 207);
}

#[test]
fn invalid_logins_are_refused() {
    let server = Server::start();
    let before = list(&server);
    for login in [
        "Asso-C",
        "asso c",
        "été",
        "a",
        "asso/c",
        "_asso",
        "asso;c",
        // Names the URL layout uses.
        "intercommunal",
        "conflits",
        "principals",
        "calendars",
        "feeds",
    ] {
        let out = concord(
            &server,
            &[
                "organiser",
                "add",
                login,
                "--name",
                "Invalide",
                "--password-stdin",
            ],
            PASSWORD,
        );
        assert!(!out.status.success(), "{login:?} accepted");
        assert!(
            stderr(&out).contains("login"),
            "{login:?}: unclear message {:?}",
            stderr(&out)
        );
    }
    assert_eq!(list(&server), before);
}

#[test]
fn an_unknown_kind_is_refused() {
    let server = Server::start();
    let out = concord(
        &server,
        &[
            "organiser",
            "add",
            "asso-c",
            "--name",
            "Club",
            "--kind",
            "club-de-foot",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(!out.status.success(), "unknown kind accepted");
    assert!(stderr(&out).contains("kind"), "{:?}", stderr(&out));
    assert!(!list(&server).contains("asso-c"));
    assert_eq!(propfind_as(&server, "asso-c", PASSWORD), 401);
}

#[test]
fn list_shows_the_accounts() {
    let server = Server::start();
    let text = list(&server);
    for (login, name, commune) in ORGANISERS {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(*login))
            .unwrap_or_else(|| panic!("{login} not listed: {text}"));
        assert!(line.contains(name), "{line}");
        assert!(line.contains(commune), "{line}");
    }
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().next() == Some("staff")
                && l.contains("Service communication")),
        "{text}"
    );
}

#[test]
fn set_password_from_stdin_replaces_the_old_password() {
    // The old password was just verified, so it is in the login cache: the
    // change must reach the running server anyway.
    let server = Server::start();
    assert_eq!(propfind_as(&server, "asso-a", PASSWORD), 207);
    let new = "nouveau-mot-de-passe-2027";
    let out = concord(
        &server,
        &["organiser", "set-password", "asso-a", "--password-stdin"],
        new,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains(new),
        "the password was echoed: {}",
        stdout(&out)
    );
    assert_eq!(propfind_as(&server, "asso-a", new), 207);
    // Other processes' writes are noticed within a fifth of a second.
    eventually("the old, cached password still works", || {
        let status = propfind_as(&server, "asso-a", PASSWORD);
        (status != 401).then(|| format!("HTTP {status}"))
    });
    // Others keep theirs.
    assert_eq!(propfind_as(&server, "asso-b", PASSWORD), 207);
    // Unknown login: an error.
    let out = concord(
        &server,
        &["organiser", "set-password", "nobody", "--password-stdin"],
        new,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nobody"), "{:?}", stderr(&out));
}

#[test]
fn rename_changes_the_principal_displayname() {
    let server = Server::start();
    let out = concord(
        &server,
        &[
            "organiser",
            "rename",
            "asso-a",
            "--name",
            "Fêtes d'Arue & co",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let principal = "/dav/principals/asso-a/";
    let ms = davxml::multistatus(
        &server
            .as_user("asso-a", "PROPFIND", principal)
            .header("Depth", "0")
            .xml(r#"<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>"#)
            .send()
            .expect(207)
            .text(),
    );
    assert_eq!(
        ms.one(principal).text(DAV, "displayname").as_deref(),
        Some("Fêtes d'Arue & co")
    );
    assert!(list(&server).contains("Fêtes d'Arue & co"));
}

#[test]
fn backup_writes_a_sqlite_copy_of_the_database() {
    let server = Server::start();
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}loto.ics"))
        .ics(&event(
            "loto@a",
            "Loto",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(201);
    let target = server.dir.path().join("backup.sqlite");
    let out = concord(&server, &["backup", target.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&target).expect("backup file");
    assert!(bytes.starts_with(b"SQLite format 3\0"), "not a SQLite file");
    let conn = rusqlite::Connection::open(&target).unwrap();
    let mut stmt = conn
        .prepare("SELECT login FROM principals ORDER BY login")
        .unwrap();
    let logins: Vec<String> = stmt
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for login in ["asso-a", "asso-b", "staff"] {
        assert!(logins.iter().any(|l| l == login), "{logins:?}");
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}
