//! A minimal SMTP server for tests: accepts every message and keeps it
//! (plain SMTP on loopback; `[mail] security = "none"`), unless told to
//! refuse an address.

use super::eventually;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Sent {
    pub to: Vec<String>,
    pub data: String,
}

impl Sent {
    /// The text body, decoded from quoted-printable or base64.
    pub fn body(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap();
        let encoding = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-transfer-encoding:")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default();
        match encoding.as_str() {
            "base64" => {
                use base64::Engine;
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .unwrap(),
                )
                .unwrap()
            }
            "quoted-printable" => {
                let unfolded = body.replace("=\r\n", "");
                let bytes = unfolded.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'=' && i + 2 < bytes.len() {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8(out).unwrap()
            }
            _ => body.to_owned(),
        }
    }
}

/// A minimal SMTP server: accepts every message and keeps it.
pub struct Sink {
    port: u16,
    sent: Arc<Mutex<Vec<Sent>>>,
    /// Recipient address -> the answer its RCPT TO gets instead of 250.
    refused: Arc<Mutex<HashMap<String, String>>>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(HashMap::new()));
        let (store, refusals) = (sent.clone(), refused.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (store, refusals) = (store.clone(), refusals.clone());
                std::thread::spawn(move || {
                    let _ = Sink::session(stream, &store, &refusals);
                });
            }
        });
        Sink {
            port,
            sent,
            refused,
        }
    }

    /// From now on, answers `reply` (e.g. `451 4.3.0 try later`) to the
    /// messages for `address`.
    pub fn refuse(&self, address: &str, reply: &str) {
        self.refused
            .lock()
            .unwrap()
            .insert(address.to_owned(), reply.to_owned());
    }

    /// From now on, accepts every message again.
    pub fn accept_all(&self) {
        self.refused.lock().unwrap().clear();
    }

    fn session(
        stream: std::net::TcpStream,
        store: &Mutex<Vec<Sent>>,
        refused: &Mutex<HashMap<String, String>>,
    ) -> std::io::Result<()> {
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 sink ESMTP\r\n")?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            if command.starts_with("EHLO") {
                out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
            } else if command.starts_with("RCPT TO:") {
                let address = line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned();
                let refusal = refused.lock().unwrap().get(&address).cloned();
                match refusal {
                    Some(reply) => out.write_all(format!("{reply}\r\n").as_bytes())?,
                    None => {
                        to.push(address);
                        out.write_all(b"250 OK\r\n")?;
                    }
                }
            } else if command == "DATA" {
                out.write_all(b"354 go on\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    lines.read_line(&mut line)?;
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                store.lock().unwrap().push(Sent {
                    to: std::mem::take(&mut to),
                    data,
                });
                out.write_all(b"250 kept\r\n")?;
            } else if command == "QUIT" {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            } else {
                out.write_all(b"250 OK\r\n")?;
            }
        }
    }

    pub fn config(&self) -> String {
        format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Agenda intercommunal <agenda@cdc.example.fr>\"\nreply_to = \"communication@cdc.example.fr\"\nstaff_to = \"staff@cdc.example.fr\"\n",
            self.port
        )
    }

    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    /// Waits for the `n`-th message (1-based) and returns it.
    #[track_caller]
    pub fn wait_for(&self, n: usize) -> Sent {
        eventually("a message reaches the SMTP sink", || {
            let count = self.count();
            (count < n).then(|| format!("{count} messages"))
        });
        self.sent.lock().unwrap()[n - 1].clone()
    }
}
