//! A small feed server for the import tests: HTTP/1.1 on 127.0.0.1, one
//! thread per connection, answering feeds (with ETags and 304s),
//! statuses, redirects, slow and endless bodies, and recording what it
//! was asked.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the feed server answers on one path.
#[derive(Clone)]
pub enum Route {
    /// A feed with an ETag; 304 when the request names it.
    Feed {
        body: Vec<u8>,
        etag: String,
        content_type: &'static str,
        gzip: bool,
    },
    Status(u16),
    /// A redirect with this status (301, 302, 307, 308) to this location.
    Redirect(u16, String),
    /// Waits, then answers the feed.
    Slow(Duration, Vec<u8>),
    /// An endless-looking body: `n` bytes, no Content-Length, closed at the end.
    Stream(usize),
}

/// One request the feed server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
    /// The request did not start like HTTP (a TLS ClientHello).
    pub not_http: bool,
}

#[derive(Default)]
pub struct State {
    pub routes: HashMap<String, Route>,
    pub seen: Vec<Seen>,
    /// Bytes of `Stream` bodies the client took before closing.
    pub streamed: usize,
}

/// A small HTTP/1.1 server on 127.0.0.1, one thread per connection.
pub struct Feeds {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
}

impl Feeds {
    pub fn start() -> Feeds {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || answer(stream, &state));
            }
        });
        Feeds { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.state.lock().unwrap().routes.insert(path.into(), route);
    }

    pub fn feed(&self, path: &str, body: impl Into<Vec<u8>>, etag: &str) {
        self.route(
            path,
            Route::Feed {
                body: body.into(),
                etag: etag.into(),
                content_type: "text/calendar; charset=utf-8",
                gzip: false,
            },
        );
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn seen_paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

fn answer(mut stream: TcpStream, state: &Mutex<State>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() || !first.starts_with("GET ") {
        state.lock().unwrap().seen.push(Seen {
            path: String::new(),
            headers: HashMap::new(),
            not_http: true,
        });
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let route = {
        let mut state = state.lock().unwrap();
        state.seen.push(Seen {
            path: path.clone(),
            headers: headers.clone(),
            not_http: false,
        });
        state.routes.get(&path).cloned()
    };
    let head = |status: &str, extra: &str| {
        format!("HTTP/1.1 {status}\r\nConnection: close\r\n{extra}\r\n").into_bytes()
    };
    let with_body = |mut head: Vec<u8>, body: &[u8]| {
        head.extend_from_slice(body);
        head
    };
    let out = match route {
        None => head("404 Not Found", "Content-Length: 0\r\n"),
        Some(Route::Status(code)) => with_body(
            head(&format!("{code} Oops"), "Content-Length: 5\r\n"),
            b"oops\n",
        ),
        Some(Route::Redirect(code, to)) => head(
            &format!("{code} Moved"),
            &format!("Location: {to}\r\nContent-Length: 0\r\n"),
        ),
        Some(Route::Feed { etag, .. }) if headers.get("if-none-match") == Some(&etag) => {
            head("304 Not Modified", &format!("ETag: {etag}\r\n"))
        }
        Some(Route::Feed {
            body,
            etag,
            content_type,
            gzip,
        }) => {
            let (body, encoding) = if gzip {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(&body).unwrap();
                (encoder.finish().unwrap(), "Content-Encoding: gzip\r\n")
            } else {
                (body, "")
            };
            let extra = format!(
                "Content-Type: {content_type}\r\nETag: {etag}\r\nLast-Modified: Sat, 28 Nov 2026 09:00:00 GMT\r\n{encoding}Content-Length: {}\r\n",
                body.len()
            );
            with_body(head("200 OK", &extra), &body)
        }
        Some(Route::Slow(wait, body)) => {
            std::thread::sleep(wait);
            let extra = format!(
                "Content-Type: text/calendar\r\nContent-Length: {}\r\n",
                body.len()
            );
            with_body(head("200 OK", &extra), &body)
        }
        Some(Route::Stream(total)) => {
            let _ = stream.write_all(&head("200 OK", "Content-Type: text/calendar\r\n"));
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let n = chunk.len().min(total - sent);
                if stream.write_all(&chunk[..n]).is_err() {
                    break;
                }
                sent += n;
                state.lock().unwrap().streamed = sent;
            }
            return;
        }
    };
    let _ = stream.write_all(&out);
}
