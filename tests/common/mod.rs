//! Test harness: starts the real `concord` binary on an ephemeral port with
//! a temporary database, and talks raw HTTP/1.1 to it (so that tests can
//! send exactly the bytes a client would, path tricks included).
#![allow(dead_code)]

pub mod feeds;
pub mod smtp;
pub mod web;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const PASSWORD: &str = "correct-horse-battery";

/// The instant every test server and command starts its clock at
/// (`CONCORD_CLOCK`, test-only): no test depends on the day it runs.
pub const NOW: &str = "2026-11-28T10:00:00Z";

/// The date of [`NOW`], in the territory's zone.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

pub struct Server {
    pub addr: String,
    pub dir: tempfile::TempDir,
    child: Child,
}

/// Accounts every test server starts with.
pub const ORGANISERS: &[(&str, &str, &str)] = &[
    ("asso-a", "Comité des fêtes d'Arue", "Arue"),
    ("asso-b", "Football club de Bourriot", "Bourriot-Bergonce"),
];

impl Server {
    pub fn start() -> Server {
        Self::start_with("")
    }

    /// Starts a server whose config.toml gets `extra` appended.
    pub fn start_with(extra: &str) -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[auth]\nargon2_memory_kib = 512\nargon2_iterations = 1\n{extra}",
                dir.path().join("data")
            ),
        )
        .unwrap();
        for (login, name, commune) in ORGANISERS {
            let out = cli_with_stdin(
                &config,
                &[
                    "organiser",
                    "add",
                    login,
                    "--name",
                    name,
                    "--commune",
                    commune,
                    "--password-stdin",
                ],
                PASSWORD,
            );
            assert!(out.status.success(), "cannot create {login}: {out:?}");
        }
        let out = cli_with_stdin(
            &config,
            &[
                "staff",
                "add",
                "staff",
                "--name",
                "Service communication",
                "--password-stdin",
            ],
            PASSWORD,
        );
        assert!(out.status.success());
        let (child, addr) = serve(&config);
        Server { addr, dir, child }
    }

    /// Stops the server and starts it again on the same database (which it
    /// migrates on the way, if a test made it older).
    pub fn restart(&mut self) {
        self.restart_at(NOW);
    }

    /// Restarts the server with its clock starting at `clock` (RFC 3339):
    /// time passes for it, not for the tests' commands.
    pub fn restart_at(&mut self, clock: &str) {
        self.kill();
        let (child, addr) = serve_at(&self.config_path(), clock);
        self.child = child;
        self.addr = addr;
    }

    /// Kills the server at once (SIGKILL: no chance to finish anything).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to stop (SIGTERM), without waiting.
    pub fn terminate(&mut self) {
        // SAFETY: kill(2) on the pid of a child this harness started and
        // has not yet waited for.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
    }

    /// Waits for the server to end, at most `within`: its exit status, or
    /// None if it still runs.
    pub fn wait_exit(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Starts the server again (after `kill` or `terminate`) on the same
    /// database; it listens on another port.
    pub fn start_again(&mut self) {
        let (child, addr) = serve(&self.config_path());
        self.child = child;
        self.addr = addr;
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("concord.db")
    }

    /// What the server (every start of it) wrote to its standard error:
    /// its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn request(&self, method: &str, path: &str) -> Request<'_> {
        Request {
            server: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            auth: None,
        }
    }

    /// A request authenticated as `login` with the test password.
    pub fn as_user(&self, login: &str, method: &str, path: &str) -> Request<'_> {
        self.request(method, path).auth(login, PASSWORD)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `concord serve` and waits for the address it listens on. Its
/// log goes to `server.log` beside the config.
fn serve(config: &Path) -> (Child, String) {
    serve_at(config, NOW)
}

fn serve_at(config: &Path, clock: &str) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("server.log"))
        .expect("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .env("CONCORD_CLOCK", clock)
        .args(["--config", config.to_str().unwrap(), "serve"])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start concord");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("server output").expect("utf-8 line");
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

pub fn cli_with_stdin(config: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    cli_output(config, args, stdin)
}

pub struct Request<'a> {
    server: &'a Server,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    auth: Option<String>,
}

impl Request<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn auth(mut self, login: &str, password: &str) -> Self {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        self.auth = Some(format!("Basic {token}"));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn xml(self, body: &str) -> Self {
        self.header("Content-Type", "application/xml; charset=utf-8")
            .body(body)
    }

    pub fn ics(self, body: &[u8]) -> Self {
        self.header("Content-Type", "text/calendar; charset=utf-8")
            .body(body.to_vec())
    }

    pub fn send(self) -> Response {
        let stream = TcpStream::connect(&self.server.addr).expect("connect");
        self.send_on(stream)
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8], method: &str) -> Response {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..split]).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        if method == "HEAD" {
            assert!(body.is_empty(), "HEAD answered with a body");
        }
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// Reads a fixture file under `fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

pub fn fixture_text(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

/// A small VEVENT as a client would PUT it.
pub fn event(uid: &str, summary: &str, start: &str, end: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//concord tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

/// Stores `body` at `path` as `login` (a CalDAV PUT) and checks that it
/// was stored: 201 Created, or 204 when it replaced an older version.
#[track_caller]
pub fn put_at(server: &Server, login: &str, path: &str, body: impl AsRef<[u8]>) {
    let response = server.as_user(login, "PUT", path).ics(body.as_ref()).send();
    assert!(
        matches!(response.status, 201 | 204),
        "PUT {path} as {login}: {} {}",
        response.status,
        response.text()
    );
}

/// The same for `{name}.ics` in `login`'s main calendar.
#[track_caller]
pub fn put_event(server: &Server, login: &str, name: &str, body: impl AsRef<[u8]>) {
    let path = format!("/dav/calendars/{login}/main/{name}.ics");
    put_at(server, login, &path, body);
}

pub const CAL_A: &str = "/dav/calendars/asso-a/main/";
pub const CAL_B: &str = "/dav/calendars/asso-b/main/";

/// A Python interpreter with `icalendar` and `python-dateutil`, the
/// independent checkers some tests compare concord with: `$CONCORD_PYTHON`
/// when set (CI), else a virtualenv made once under target/ so that plain
/// `cargo test` works on a fresh machine.
pub fn python() -> String {
    if let Ok(python) = std::env::var("CONCORD_PYTHON") {
        return python;
    }
    static READY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-python");
            let python = venv.join("bin/python");
            let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/requirements.txt");
            // The marker holds the requirements it was made for: a changed
            // pin remakes the environment.
            let pins = std::fs::read(&requirements).expect("tests/requirements.txt");
            let ready = venv.join(".ready");
            if std::fs::read(&ready).ok().as_deref() != Some(pins.as_slice()) {
                let ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .is_ok_and(|s| s.success())
                    && Command::new(&python)
                        .args([
                            "-m",
                            "pip",
                            "install",
                            "--quiet",
                            "--disable-pip-version-check",
                        ])
                        .arg("-r")
                        .arg(&requirements)
                        .status()
                        .is_ok_and(|s| s.success());
                assert!(
                    ok,
                    "cannot prepare {} (python3 -m venv, pip install -r tests/requirements.txt)",
                    venv.display()
                );
                std::fs::write(&ready, &pins).unwrap();
            }
            python.to_string_lossy().into_owned()
        })
        .clone()
}

/// Reading the XML the server answers, namespace-aware (prefixes are not
/// part of the protocol), keeping text exactly as sent apart from entity
/// references: no end-of-line normalisation, so that calendar-data can be
/// compared byte for byte with what was stored.
pub mod davxml {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    use quick_xml::NsReader;

    pub const DAV: &str = "DAV:";
    pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
    pub const CS: &str = "http://calendarserver.org/ns/";
    pub const APPLE: &str = "http://apple.com/ns/ical/";

    #[derive(Debug, Clone, Default)]
    pub struct Node {
        pub ns: String,
        pub local: String,
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Node>,
        pub text: String,
    }

    impl Node {
        pub fn is(&self, ns: &str, local: &str) -> bool {
            self.ns == ns && self.local == local
        }

        pub fn child(&self, ns: &str, local: &str) -> Option<&Node> {
            self.children.iter().find(|c| c.is(ns, local))
        }

        pub fn children_named<'a>(
            &'a self,
            ns: &'a str,
            local: &'a str,
        ) -> impl Iterator<Item = &'a Node> + 'a {
            self.children.iter().filter(move |c| c.is(ns, local))
        }

        /// First descendant (depth first) with this name.
        pub fn find(&self, ns: &str, local: &str) -> Option<&Node> {
            for child in &self.children {
                if child.is(ns, local) {
                    return Some(child);
                }
                if let Some(found) = child.find(ns, local) {
                    return Some(found);
                }
            }
            None
        }

        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }

        /// `{ns}local` of every child element.
        pub fn child_names(&self) -> Vec<String> {
            self.children
                .iter()
                .map(|c| format!("{{{}}}{}", c.ns, c.local))
                .collect()
        }
    }

    /// Parses a whole XML document; panics (with the text) when it is not
    /// well-formed.
    pub fn parse(text: &str) -> Node {
        try_parse(text).unwrap_or_else(|e| panic!("invalid XML ({e}): {text}"))
    }

    pub fn try_parse(text: &str) -> Result<Node, String> {
        let mut reader = NsReader::from_str(text);
        reader.config_mut().trim_text(false);
        let mut stack: Vec<Node> = Vec::new();
        let mut root = None;
        loop {
            let (ns, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
            let ns = match ns {
                ResolveResult::Bound(ns) => ns.0.to_owned(),
                ResolveResult::Unbound => String::new(),
                ResolveResult::Unknown(p) => return Err(format!("unbound prefix {p:?}")),
            };
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let mut attrs = Vec::new();
                    for attribute in start.attributes() {
                        let attribute = attribute.map_err(|e| e.to_string())?;
                        let value = attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?
                            .into_owned();
                        attrs.push((attribute.key.as_ref().to_owned(), value));
                    }
                    let node = Node {
                        ns,
                        local: start.local_name().as_ref().to_owned(),
                        attrs,
                        children: Vec::new(),
                        text: String::new(),
                    };
                    if matches!(event, Event::Start(_)) {
                        stack.push(node);
                    } else {
                        attach(&mut stack, &mut root, node);
                    }
                }
                Event::End(_) => {
                    let node = stack.pop().ok_or("unbalanced end tag")?;
                    attach(&mut stack, &mut root, node);
                }
                Event::Text(text) => push_text(&mut stack, &text),
                Event::CData(data) => push_text(&mut stack, &data),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match &*reference {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            other => return Err(format!("unknown entity &{other};")),
                        },
                    };
                    push_text(&mut stack, &resolved);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !stack.is_empty() {
            return Err("unclosed element".into());
        }
        root.ok_or_else(|| "no root element".into())
    }

    fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
        match stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => *root = Some(node),
        }
    }

    fn push_text(stack: &mut [Node], text: &str) {
        if let Some(node) = stack.last_mut() {
            node.text.push_str(text);
        }
    }

    /// `HTTP/1.1 404 Not Found` -> 404.
    pub fn status_code(line: &str) -> u16 {
        line.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"))
    }

    #[derive(Debug, Clone)]
    pub struct PropStat {
        pub status: u16,
        pub props: Vec<Node>,
    }

    /// One `DAV:response` of a multistatus.
    #[derive(Debug, Clone)]
    pub struct Resp {
        pub href: String,
        /// The response-level `DAV:status`, when there is one (404 in
        /// multiget and sync-collection, 507 for a truncated sync).
        pub status: Option<u16>,
        pub propstats: Vec<PropStat>,
    }

    impl Resp {
        /// The property, wherever it is, with the status of its propstat.
        pub fn prop_with_status(&self, ns: &str, local: &str) -> Option<(&Node, u16)> {
            self.propstats.iter().find_map(|ps| {
                ps.props
                    .iter()
                    .find(|p| p.is(ns, local))
                    .map(|p| (p, ps.status))
            })
        }

        pub fn prop_status(&self, ns: &str, local: &str) -> Option<u16> {
            self.prop_with_status(ns, local).map(|(_, s)| s)
        }

        /// The property when it was found (200 propstat).
        pub fn prop(&self, ns: &str, local: &str) -> Option<&Node> {
            self.prop_with_status(ns, local)
                .filter(|(_, s)| *s == 200)
                .map(|(p, _)| p)
        }

        /// Text of a found property.
        pub fn text(&self, ns: &str, local: &str) -> Option<String> {
            self.prop(ns, local).map(|p| p.text.clone())
        }
    }

    #[derive(Debug, Clone)]
    pub struct Multistatus {
        pub responses: Vec<Resp>,
        pub sync_token: Option<String>,
        pub root: Node,
    }

    impl Multistatus {
        pub fn get(&self, href: &str) -> Option<&Resp> {
            self.responses.iter().find(|r| r.href == href)
        }

        #[track_caller]
        pub fn one(&self, href: &str) -> &Resp {
            self.get(href)
                .unwrap_or_else(|| panic!("no response for {href} in {:?}", self.hrefs()))
        }

        pub fn hrefs(&self) -> Vec<String> {
            self.responses.iter().map(|r| r.href.clone()).collect()
        }
    }

    /// Parses a `207 Multi-Status` body.
    #[track_caller]
    pub fn multistatus(text: &str) -> Multistatus {
        let root = parse(text);
        assert!(root.is(DAV, "multistatus"), "not a multistatus: {text}");
        let responses = root
            .children_named(DAV, "response")
            .map(|r| Resp {
                href: r
                    .child(DAV, "href")
                    .unwrap_or_else(|| panic!("response without href: {text}"))
                    .text
                    .trim()
                    .to_owned(),
                status: r.child(DAV, "status").map(|s| status_code(&s.text)),
                propstats: r
                    .children_named(DAV, "propstat")
                    .map(|ps| PropStat {
                        status: status_code(
                            &ps.child(DAV, "status")
                                .unwrap_or_else(|| panic!("propstat without status: {text}"))
                                .text,
                        ),
                        props: ps
                            .child(DAV, "prop")
                            .map(|p| p.children.clone())
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        Multistatus {
            responses,
            sync_token: root
                .child(DAV, "sync-token")
                .map(|t| t.text.trim().to_owned()),
            root,
        }
    }

    /// Parses a `DAV:error` body: returns its condition elements (every
    /// child but the description) and the readable description.
    #[track_caller]
    pub fn error(text: &str) -> (Vec<Node>, String) {
        let root = parse(text);
        assert!(root.is(DAV, "error"), "not a DAV:error body: {text}");
        let description = root
            .child(DAV, "responsedescription")
            .map(|d| d.text.trim().to_owned())
            .unwrap_or_default();
        let conditions = root
            .children
            .into_iter()
            .filter(|c| !c.is(DAV, "responsedescription"))
            .collect();
        (conditions, description)
    }
}

/// Like `cli_with_stdin`, for commands that may exit before reading their
/// standard input (refused arguments): a closed pipe is not an error.
pub fn cli_output(config: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .env("CONCORD_CLOCK", NOW)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run concord");
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(format!("{stdin}\n").as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

/// Polls `check` until it returns None, for up to ten seconds: the server
/// notices other processes' writes (the command-line tools) within a
/// fraction of a second, not at once. `check` returns what it saw instead.
pub fn eventually(what: &str, mut check: impl FnMut() -> Option<String>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let Some(last) = check() else { return };
        if std::time::Instant::now() > deadline {
            panic!("{what}: still {last}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Waits until the server has seen every write of the command-line tools
/// (it looks for other processes' commits every 200 ms, then renders its
/// cached pages and feeds again): until then a request may be answered
/// from the cache and the next one not. Makes one more such write,
/// renaming organiser `login` to `name` (numbered), which `path` (a cached
/// page or feed showing that organiser's name) shows once the server saw
/// it, and with it every earlier one.
pub fn after_outside_writes(server: &Server, path: &str, login: &str, name: &str) {
    let fetch = || {
        let response = server.request("GET", path).send().expect(200);
        let hit = response.header("x-concord-cache") == Some("hit");
        (hit, response.text())
    };
    for round in 1..=20 {
        fetch();
        let name = format!("{name} ({round})");
        let out = cli_output(
            &server.config_path(),
            &["organiser", "rename", login, "--name", &name],
            "",
        );
        assert!(out.status.success(), "rename {login}: {out:?}");
        // Served from the cache: the server had not seen the rename yet,
        // so the render that shows it comes from the server seeing it.
        // Else an earlier write was seen meanwhile: start again.
        if fetch().0 {
            eventually(&format!("{path} showing {name}"), || {
                let (_, body) = fetch();
                (!body.contains(&name)).then(|| "without it".to_owned())
            });
            return;
        }
    }
    panic!("the cache of {path} never held still");
}

/// A connection to `server` from another loopback address (`127.0.0.2`...),
/// as another client on the internet would come.
pub fn connect_from(server: &Server, source: std::net::Ipv4Addr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from((source, 0)).into())
        .unwrap();
    let target: std::net::SocketAddr = server.addr.parse().unwrap();
    socket.connect(&target.into()).expect("connect");
    socket.into()
}

impl Request<'_> {
    /// Sends the request on a connection of the caller's.
    pub fn send_on(self, mut stream: TcpStream) -> Response {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.path,
            self.server.addr,
            self.body.len()
        );
        if let Some(auth) = &self.auth {
            head.push_str(&format!("Authorization: {auth}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) before reading a large body.
        let _ = stream.write_all(&self.body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        Response::parse(&raw, &self.method)
    }

    /// Sends the request from another loopback address.
    pub fn send_from(self, source: std::net::Ipv4Addr) -> Response {
        let stream = connect_from(self.server, source);
        self.send_on(stream)
    }
}
