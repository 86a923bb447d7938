//! `concord backup` while the server keeps writing, and `concord restore`.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Runs a command of the CLI, killed if it has not ended within `limit`
/// (then None).
fn concord_within(server: &Server, args: &[&str], limit: Duration) -> Option<std::process::Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .env("CONCORD_CLOCK", NOW)
        .arg("--config")
        .arg(server.config_path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

fn succeeded(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn put(server: &Server, name: &str, body: &[u8]) -> bool {
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}{name}.ics"))
        .ics(body)
        .send()
        .status
        == 201
}

/// An event carrying about `size` bytes of comments (lines of 50 kB,
/// folded at 75 octets).
fn big_event(uid: &str, size: usize) -> Vec<u8> {
    let text: String = "Programme de la fete. "
        .chars()
        .cycle()
        .take(50_000)
        .collect();
    let mut folded = String::new();
    for _ in 0..size.div_ceil(50_000) {
        let mut line = format!("COMMENT:{text}");
        while line.len() > 74 {
            folded.push_str(&line[..74]);
            folded.push_str("\r\n ");
            line = line[74..].to_owned();
        }
        folded.push_str(&line);
        folded.push_str("\r\n");
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270110T180000Z\r\nDTEND:20270110T220000Z\r\nSUMMARY:Fête {uid}\r\n{folded}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

fn query_strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// What a torn copy would break: the integrity check, and the agreement of
/// objects, instances, change log and sync counters, which every write
/// changes together.
fn assert_consistent(path: &Path) -> rusqlite::Connection {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    assert_eq!(query_strings(&conn, "PRAGMA integrity_check"), ["ok"]);
    let broken = query_strings(
        &conn,
        "SELECT 'object ' || o.name || ' has no change row for its ETag' FROM objects o
           WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.seq = o.seq AND c.name = o.name AND c.deleted = 0)
         UNION ALL
         SELECT 'event ' || o.name || ' has no instance' FROM objects o
           WHERE o.component = 'VEVENT' AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.object_id = o.id)
         UNION ALL
         SELECT 'collection ' || c.path || ' is behind its change log' FROM collections c
           WHERE c.sync_seq < (SELECT max(seq) FROM changes x WHERE x.collection_id = c.id)
         UNION ALL
         SELECT 'name ' || x.name || ' is live in the change log but has no object' FROM changes x
           WHERE x.deleted = 0 AND x.seq = (SELECT max(seq) FROM changes y WHERE y.collection_id = x.collection_id AND y.name = x.name)
             AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.collection_id = x.collection_id AND o.name = x.name)",
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    conn
}

/// Writers keep the server busy (each PUT is its own commit) while the
/// backup runs: it must end, with a complete, consistent copy holding every
/// write acknowledged before it started and none that was never sent.
#[test]
fn backup_ends_while_the_server_keeps_writing() {
    let server = Server::start();
    // Thousands of pages (10 MB), so that a copy made in steps would be
    // overtaken by the commits.
    for n in 0..40 {
        let name = format!("big-{n}");
        server
            .as_user("asso-a", "PUT", &format!("{CAL_A}{name}.ics"))
            .ics(&big_event(&name, 250_000))
            .send()
            .expect(201);
    }
    let acknowledged = Mutex::new(BTreeSet::new());
    let sent = Mutex::new(BTreeSet::new());
    let stop = AtomicBool::new(false);
    let target = server.dir.path().join("backup.db");
    let (before, outcome, after) = std::thread::scope(|scope| {
        for writer in 0..4 {
            let (server, acknowledged, sent, stop) = (&server, &acknowledged, &sent, &stop);
            scope.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("w{writer}-{n}");
                    sent.lock().unwrap().insert(name.clone());
                    let body = event(&name, "Répétition", "20270110T180000Z", "20270110T200000Z");
                    if put(server, &name, &body) {
                        acknowledged.lock().unwrap().insert(name);
                    }
                    n += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_millis(500));
        let before = acknowledged.lock().unwrap().clone();
        let outcome = concord_within(
            &server,
            &["backup", target.to_str().unwrap()],
            Duration::from_secs(60),
        );
        let after = acknowledged.lock().unwrap().len();
        eprintln!(
            "acknowledged: {} before the backup, {after} after it",
            before.len()
        );
        stop.store(true, Ordering::Relaxed);
        (before, outcome, after)
    });
    let out = outcome.expect("the backup did not end within 60 s of sustained writes");
    assert!(succeeded(&out).contains("integrity checked"));
    assert!(
        after > before.len(),
        "the writers stopped during the backup"
    );
    let copy = assert_consistent(&target);
    let names: BTreeSet<String> = query_strings(&copy, "SELECT name FROM objects")
        .into_iter()
        .filter_map(|n| n.strip_suffix(".ics").map(str::to_owned))
        .filter(|n| n.starts_with('w'))
        .collect();
    let missing: Vec<_> = before.difference(&names).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, not in it: {missing:?}"
    );
    let sent = sent.lock().unwrap();
    assert!(names.is_subset(&sent), "objects nobody sent");
    let big: i64 = copy
        .query_row(
            "SELECT count(*) FROM objects WHERE name LIKE 'big-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(big, 40);
}

/// Backup, then changes, then restore: refused while the server runs,
/// refused from a damaged or foreign file, and once the server is stopped
/// the calendar is the backup's again, byte for byte, with its sync tokens.
#[test]
fn restore_brings_back_the_backup() {
    let mut server = Server::start();
    let loto = event("loto@a", "Loto", "20270110T180000Z", "20270110T220000Z");
    let bal = event("bal@a", "Bal", "20270111T200000Z", "20270112T010000Z");
    assert!(put(&server, "loto", &loto));
    assert!(put(&server, "bal", &bal));
    let sync = |server: &Server, token: &str| {
        server
            .as_user("asso-a", "REPORT", CAL_A)
            .xml(&format!(
                r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
            ))
            .send()
    };
    let token = davxml::multistatus(&sync(&server, "").expect(207).text())
        .sync_token
        .unwrap();
    let target = server.dir.path().join("backup.db");
    succeeded(
        &concord_within(
            &server,
            &["backup", target.to_str().unwrap()],
            Duration::from_secs(30),
        )
        .unwrap(),
    );

    // Afterwards: one changed, one deleted, one new.
    let loto_changed = event(
        "loto@a",
        "Loto annulé",
        "20270110T180000Z",
        "20270110T220000Z",
    );
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}loto.ics"))
        .ics(&loto_changed)
        .send()
        .expect(204);
    server
        .as_user("asso-a", "DELETE", &format!("{CAL_A}bal.ics"))
        .send()
        .expect(204);
    assert!(put(
        &server,
        "vide-grenier",
        &event(
            "vg@a",
            "Vide-grenier",
            "20270301T080000Z",
            "20270301T180000Z"
        )
    ));

    let args = ["restore", target.to_str().unwrap()];
    let refused = concord_within(&server, &args, Duration::from_secs(30)).unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{refused:?}"
    );

    let damaged = server.dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&target).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 4096].fill(0x5a);
    std::fs::write(&damaged, &bytes).unwrap();
    let foreign = server.dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();

    server.terminate();
    assert!(server
        .wait_exit(Duration::from_secs(10))
        .is_some_and(|s| s.success()));
    for (file, reason) in [
        (&damaged, "integrity"),
        (&foreign, "not a concord database"),
    ] {
        let out = concord_within(
            &server,
            &["restore", file.to_str().unwrap()],
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{stderr}");
    }
    // The refusals left the database alone.
    server.start_again();
    server
        .as_user("asso-a", "GET", &format!("{CAL_A}vide-grenier.ics"))
        .send()
        .expect(200);
    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());

    let out = succeeded(&concord_within(&server, &args, Duration::from_secs(30)).unwrap());
    assert!(out.contains("before-restore"), "{out}");
    server.start_again();
    let get = |name: &str| {
        server
            .as_user("asso-a", "GET", &format!("{CAL_A}{name}.ics"))
            .send()
    };
    assert_eq!(get("loto").expect(200).body, loto);
    assert_eq!(get("bal").expect(200).body, bal);
    get("vide-grenier").expect(404);
    // The token taken before the backup still works: nothing changed since.
    let since = davxml::multistatus(&sync(&server, &token).expect(207).text());
    assert!(since.responses.is_empty(), "{:?}", since.hrefs());
    // The database replaced is kept, with what was written after the backup.
    let kept =
        rusqlite::Connection::open(server.db_path().with_file_name("concord.db.before-restore"))
            .unwrap();
    let names = query_strings(&kept, "SELECT name FROM objects ORDER BY name");
    assert_eq!(names, ["loto.ics", "vide-grenier.ics"]);
}
