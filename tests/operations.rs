//! Running the server: health checks for monitors, the request log, a
//! graceful stop, and one server per database.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn healthz_answers_without_credentials() {
    let server = Server::start();
    let response = server.request("GET", "/healthz").send().expect(200);
    assert_eq!(response.text(), "ok\n");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    server.request("HEAD", "/healthz").send().expect(200);
}

/// A writer that cannot commit (here: another process holds the database's
/// write lock) makes the check fail with the reason, and pass again once
/// the lock is gone.
#[test]
fn healthz_tells_when_the_writer_is_stuck() {
    let server = Server::start();
    let mut other = rusqlite::Connection::open(server.db_path()).unwrap();
    let lock = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let response = server.request("GET", "/healthz").send().expect(503);
    assert!(
        response.text().contains("writer"),
        "the reason: {}",
        response.text()
    );
    lock.rollback().unwrap();
    server.request("GET", "/healthz").send().expect(200);
}

fn put_loto(server: &Server) {
    server
        .as_user("asso-a", "PUT", &format!("{CAL_A}loto.ics"))
        .ics(&event(
            "loto@a",
            "Super loto secret",
            "20270110T180000Z",
            "20270110T220000Z",
        ))
        .send()
        .expect(201);
}

/// One line per request with method, path, status, duration and login;
/// neither the password (plain or as sent in Basic) nor the body.
#[test]
fn each_request_is_logged_without_credentials_or_body() {
    let server = Server::start();
    put_loto(&server);
    server
        .request("PROPFIND", CAL_A)
        .auth("asso-a", "not-the-password")
        .header("Depth", "0")
        .send()
        .expect(401);
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("method=PUT"))
        .unwrap_or_else(|| panic!("no request line in:\n{log}"));
    for part in [
        "INFO",
        &format!("path={CAL_A}loto.ics"),
        "status=201",
        "login=asso-a",
        "ms=",
    ] {
        assert!(line.contains(part), "{part} missing from {line:?}");
    }
    let refused = log
        .lines()
        .find(|l| l.contains("method=PROPFIND"))
        .unwrap_or_else(|| panic!("no PROPFIND line in:\n{log}"));
    assert!(
        refused.contains("status=401") && refused.contains("login=-"),
        "{refused:?}"
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("asso-a:{PASSWORD}"));
    for secret in [PASSWORD, "not-the-password", &basic, "Super loto secret"] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}

#[test]
fn the_log_can_be_json_lines() {
    let server = Server::start_with("[log]\nformat = \"json\"\n");
    put_loto(&server);
    let log = server.log();
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["method"] == "PUT")
        .unwrap_or_else(|| panic!("no JSON request line in:\n{log}"));
    assert_eq!(line["status"], 201, "{line}");
    assert_eq!(line["login"], "asso-a", "{line}");
    assert_eq!(line["path"], format!("{CAL_A}loto.ics"), "{line}");
    assert!(line["ms"].is_number(), "{line}");
    assert_eq!(line["level"], "INFO", "{line}");
}

/// SIGTERM while a client is still sending a PUT: the server stops
/// accepting connections at once, finishes that request (answered and
/// committed), then exits cleanly.
#[test]
fn a_request_in_progress_completes_when_the_server_is_stopped() {
    let mut server = Server::start();
    let body = event(
        "slow@a",
        "Envoyé lentement",
        "20270110T180000Z",
        "20270110T220000Z",
    );
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("asso-a:{PASSWORD}"));
    write!(
        stream,
        "PUT {CAL_A}slow.ics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {token}\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "a new connection was accepted while stopping"
    );
    assert!(
        server.wait_exit(Duration::from_millis(1)).is_none(),
        "exited with a request in progress"
    );
    stream.write_all(rest).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server did not stop");
    assert!(status.success(), "{status:?}");
    server.start_again();
    let stored = server
        .as_user("asso-a", "GET", &format!("{CAL_A}slow.ics"))
        .send()
        .expect(200);
    assert_eq!(stored.body, body);
}

/// A second server on the same database refuses to start (and says why):
/// the first holds the database's lock.
#[test]
fn one_server_per_database() {
    let server = Server::start();
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_concord"))
        .env("CONCORD_CLOCK", NOW)
        .arg("--config")
        .arg(server.config_path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while second.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second server runs on the same database");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = second.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use"), "{stderr}");
    server.request("GET", "/healthz").send().expect(200);
}

/// Behind a trusted reverse proxy each client is its `X-Forwarded-For`
/// address: one client's wrong passwords slow down that client only, and
/// the proxy's many connections are not capped as one address's. From
/// anyone else the header is ignored: a client cannot choose its address.
#[test]
fn clients_behind_a_trusted_proxy_are_told_apart() {
    use std::net::Ipv4Addr;
    use std::time::Instant;
    let server = Server::start_with(
        "failures_before_delay = 2\n[server]\ntrusted_proxies = [\"127.0.0.1\"]\nmax_connections_per_address = 2\n",
    );
    let wrong = |client: &str, from: Option<Ipv4Addr>| {
        let started = Instant::now();
        let request = server
            .request("PROPFIND", CAL_A)
            .auth("asso-a", "wrong-password")
            .header("Depth", "0")
            .header("X-Forwarded-For", client);
        let status = match from {
            Some(address) => request.send_from(address).status,
            None => request.send().status,
        };
        (status, started.elapsed())
    };
    let slowed = |(status, elapsed): (u16, Duration)| {
        status == 429 || (status == 401 && elapsed >= Duration::from_millis(900))
    };
    for _ in 0..3 {
        wrong("203.0.113.7", None);
    }
    assert!(
        slowed(wrong("203.0.113.7", None)),
        "the guesser is not slowed down"
    );
    let other = wrong("198.51.100.9", None);
    assert!(
        other.0 == 401 && !slowed(other),
        "another client behind the proxy was slowed down: {other:?}"
    );
    // Not a proxy: its header changes nothing.
    let direct = Ipv4Addr::new(127, 0, 0, 2);
    for n in 0..3 {
        wrong(&format!("198.51.100.{}", 50 + n), Some(direct));
    }
    assert!(
        slowed(wrong("198.51.100.60", Some(direct))),
        "a direct client escaped its failures with X-Forwarded-For"
    );
    // Two connections per address at most, but not for the proxy.
    let _held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    server.request("GET", "/healthz").send().expect(200);
    let _held_direct: Vec<TcpStream> = (0..2).map(|_| connect_from(&server, direct)).collect();
    server
        .request("GET", "/healthz")
        .send_from(direct)
        .expect(503);
}
