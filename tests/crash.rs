//! Crash test: the server is killed (SIGKILL) at random moments while
//! clients create, update and delete events, then started again, a dozen
//! times. After each restart every acknowledged write is there byte for
//! byte, every acknowledged delete stays gone (a request cut by the kill
//! may have happened or not, nothing else), the database passes
//! `PRAGMA integrity_check`, and a sync token handed out before the crash
//! still works and reports what changed after it. The randomness is seeded:
//! a failure replays with the same schedule of operations and kills.

mod common;
use common::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

const SEED: u64 = 0x0063_6f6e_636f_7264; // "concord"
const KILLS: usize = 12;
const CLIENTS: usize = 4;
const NAMES_PER_CLIENT: usize = 10;

/// splitmix64: small, seeded, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the clients know of one event: its last acknowledged state (None:
/// absent), and the operation the kill cut, if any (Some(None): a DELETE).
/// Operations are numbered as they start, to tell which came after a sync
/// token: `applied` is the number of the one whose result is current.
#[derive(Default, Clone)]
struct Known {
    acknowledged: Option<Vec<u8>>,
    cut: Option<(u64, Option<Vec<u8>>)>,
    started: u64,
    applied: u64,
}

type Model = Mutex<HashMap<String, Known>>;

/// One request on a fresh connection; an error when the server went away
/// before answering in full.
fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("asso-a:{PASSWORD}"));
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Basic {token}\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let cut = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "answer cut");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(cut)?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(cut)?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(cut)?;
    let body = raw[split + 4..].to_vec();
    if body.len() != length {
        return Err(cut());
    }
    Ok((status, body))
}

/// A client: random creations, updates and deletions of its own events
/// until the server dies under it.
fn client(addr: &str, model: &Model, mut rng: Rng, id: usize, round: usize) {
    for n in 0.. {
        let name = format!("c{id}-{}", rng.below(NAMES_PER_CLIENT as u64));
        let (exists, number) = {
            let mut model = model.lock().unwrap();
            let known = model.get_mut(&name).unwrap();
            known.started += 1;
            (known.acknowledged.is_some(), known.started)
        };
        let path = format!("{CAL_A}{name}.ics");
        let (wanted, answer) = if exists && rng.below(3) == 0 {
            (None, send(addr, "DELETE", &path, "", b""))
        } else {
            let summary = format!("{name} round {round} write {n} {}", rng.next());
            let body = event(&name, &summary, "20270110T180000Z", "20270110T200000Z");
            let precondition = if exists { "" } else { "If-None-Match: *\r\n" };
            let answer = send(
                addr,
                "PUT",
                &path,
                &format!("Content-Type: text/calendar\r\n{precondition}"),
                &body,
            );
            (Some(body), answer)
        };
        let mut model = model.lock().unwrap();
        let known = model.get_mut(&name).unwrap();
        match answer {
            Ok((status, _)) => {
                let expected: &[u16] = match (&wanted, exists) {
                    (None, _) => &[204],
                    (Some(_), false) => &[201],
                    (Some(_), true) => &[204],
                };
                assert!(
                    expected.contains(&status),
                    "{name}: answered {status} (round {round})"
                );
                known.acknowledged = wanted;
                known.applied = number;
            }
            Err(_) => {
                known.cut = Some((number, wanted));
                return;
            }
        }
    }
}

fn sync(addr: &str, token: &str) -> (u16, String) {
    let body = format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let (status, text) = send(
        addr,
        "REPORT",
        CAL_A,
        "Content-Type: application/xml\r\n",
        body.as_bytes(),
    )
    .expect("sync-collection");
    (status, String::from_utf8(text).unwrap())
}

#[test]
fn acknowledged_writes_survive_kills() {
    let mut server = Server::start();
    let model: Model = Mutex::new(
        (0..CLIENTS)
            .flat_map(|c| {
                (0..NAMES_PER_CLIENT).map(move |k| (format!("c{c}-{k}"), Known::default()))
            })
            .collect(),
    );
    let mut rng = Rng(SEED);
    for round in 0..KILLS {
        let addr = server.addr.clone();
        // A token handed out while the clients write, and how many
        // operations had started on each event once it was received.
        let (token, seen) = std::thread::scope(|scope| {
            for id in 0..CLIENTS {
                let (addr, model) = (&addr, &model);
                let seed = rng.next();
                scope.spawn(move || client(addr, model, Rng(seed), id, round));
            }
            std::thread::sleep(Duration::from_millis(20 + rng.below(60)));
            let (status, text) = sync(&addr, "");
            assert_eq!(status, 207, "{text}");
            let token = davxml::multistatus(&text).sync_token.unwrap();
            let seen: HashMap<String, u64> = model
                .lock()
                .unwrap()
                .iter()
                .map(|(name, known)| (name.clone(), known.started))
                .collect();
            std::thread::sleep(Duration::from_millis(50 + rng.below(250)));
            server.kill();
            (token, seen)
        });
        server.start_again();

        let conn = rusqlite::Connection::open_with_flags(
            server.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "after kill {round}");
        drop(conn);

        let mut model = model.lock().unwrap();
        let mut cut = 0;
        for (name, known) in model.iter_mut() {
            let (status, body) = send(&server.addr, "GET", &format!("{CAL_A}{name}.ics"), "", b"")
                .expect("GET after restart");
            let found = match status {
                200 => Some(body),
                404 => None,
                other => panic!("{name}: GET answered {other}"),
            };
            let cut_applied = known.cut.as_ref().filter(|(_, cut)| *cut == found);
            let allowed = found == known.acknowledged || cut_applied.is_some();
            assert!(
                allowed,
                "after kill {round}, {name} is {:?}; acknowledged: {:?}, cut: {:?}",
                found.as_deref().map(String::from_utf8_lossy),
                known.acknowledged.as_deref().map(String::from_utf8_lossy),
                known
                    .cut
                    .as_ref()
                    .map(|(_, c)| c.as_deref().map(String::from_utf8_lossy)),
            );
            if found != known.acknowledged {
                known.applied = cut_applied.map_or(known.applied, |(number, _)| *number);
            }
            if known.cut.take().is_some() {
                cut += 1;
            }
            known.acknowledged = found;
        }
        assert!(
            cut > 0,
            "kill {round} cut no request: the clients were idle"
        );

        // Nothing else in the calendar, and the token from before the
        // crash still answers, naming every event changed after it.
        let (status, text) = sync(&server.addr, "");
        assert_eq!(status, 207);
        let mut listed = davxml::multistatus(&text).hrefs();
        listed.sort();
        let mut expected: Vec<String> = model
            .iter()
            .filter(|(_, k)| k.acknowledged.is_some())
            .map(|(name, _)| format!("{CAL_A}{name}.ics"))
            .collect();
        expected.sort();
        assert_eq!(listed, expected, "after kill {round}");
        let (status, text) = sync(&server.addr, &token);
        assert_eq!(status, 207, "the token from before kill {round}: {text}");
        let reported = davxml::multistatus(&text).hrefs();
        for (name, known) in model.iter() {
            if known.applied > seen[name] {
                let href = format!("{CAL_A}{name}.ics");
                assert!(
                    reported.contains(&href),
                    "after kill {round}: {name} changed after the token, not reported"
                );
            }
        }
    }
}
