//! Benchmark of feed imports (issue 13): `cargo bench --bench import`.
//!
//! A 2,000-event feed (Europe/Paris, one event in ten weekly for six
//! months, one in fifty with a moved occurrence, Google-shaped) is served
//! by a small HTTP server on the loopback, without ETag so that every
//! fetch downloads it whole, and mirrored by `import::sync` into a fresh
//! database (the whole path: download, split, validation, indexing,
//! writes). Then fetched again three ways: the same bytes, the same events
//! stamped anew (Google and Outlook change every DTSTAMP on each
//! download), and one event changed. Prints the median of each.
//! Goals: first import < 2 s, unchanged re-download < 50 ms.

use concord::config::Config;
use concord::import::{self, Outcome};
use concord::store::accounts::{self, NewPrincipal, Role};
use concord::store::{subscriptions, Store};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EVENTS: usize = 2_000;
const RUNS: usize = 7;

fn feed(stamp: &str, changed: Option<usize>) -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Bench\r\nX-WR-TIMEZONE:Europe/Paris\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nX-LIC-LOCATION:Europe/Paris\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    );
    for i in 0..EVENTS {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let hour = 9 + i % 12;
        let start = format!("2027{month:02}{day:02}T{hour:02}0000");
        let end = format!("2027{month:02}{day:02}T{:02}3000", hour + 1);
        let summary = if changed == Some(i) {
            format!("Événement {i} (modifié)")
        } else {
            format!("Événement {i}")
        };
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:{start}\r\nDTEND;TZID=Europe/Paris:{end}\r\n"
        ));
        if i % 10 == 0 {
            out.push_str("RRULE:FREQ=WEEKLY;COUNT=26\r\n");
        }
        out.push_str(&format!(
            "DTSTAMP:{stamp}\r\nUID:bench{i:05}@google.com\r\nCREATED:20261015T081233Z\r\nDESCRIPTION:Description de l'événement {i}\\, avec un peu de texte pour avoir la taille d'un vrai.\r\nLAST-MODIFIED:20261020T190501Z\r\nLOCATION:Salle des fêtes\\, 12 route de Roquefort\\, 40240 Arue\\, France\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:{summary}\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n"
        ));
        if i % 50 == 0 {
            out.push_str(&format!(
                "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:2027{month:02}{:02}T{:02}0000\r\nDTEND;TZID=Europe/Paris:2027{month:02}{:02}T{:02}3000\r\nDTSTAMP:{stamp}\r\nUID:bench{i:05}@google.com\r\nRECURRENCE-ID;TZID=Europe/Paris:{start}\r\nSUMMARY:Événement {i} (déplacé)\r\nEND:VEVENT\r\n",
                day, hour + 1, day, hour + 2
            ));
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// Serves whatever `body` holds, 200 without validators, on 127.0.0.1.
fn serve(body: Arc<Mutex<Vec<u8>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let body = body.lock().unwrap().clone();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let body = Arc::new(Mutex::new(Vec::new()));
    let port = serve(body.clone());
    let mut config = Config::default();
    config.import.allow_private = true;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let first_feed = feed("20261128T095512Z", None);
    println!("feed: {EVENTS} events, {} bytes", first_feed.len());
    let splits: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            import::split::split(first_feed.as_bytes()).unwrap();
            started.elapsed()
        })
        .collect();
    println!(
        "split alone: median {:.1} ms, fastest {:.1} ms",
        median(splits.clone()).as_secs_f64() * 1e3,
        splits.iter().min().unwrap().as_secs_f64() * 1e3
    );
    let mut first = Vec::new();
    let mut same_bytes = Vec::new();
    let mut restamped = Vec::new();
    let mut one_changed = Vec::new();
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("bench.db")).unwrap();
        let url = format!("http://127.0.0.1:{port}/feed.ics");
        let id = runtime
            .block_on(store.write(move |tx| {
                let owner = accounts::insert(
                    tx,
                    &NewPrincipal {
                        login: "bench",
                        display_name: "Bench",
                        kind: "association",
                        role: Role::Organiser,
                        commune: None,
                        password_hash: "x",
                    },
                )?;
                subscriptions::create(
                    tx,
                    &subscriptions::NewSubscription {
                        owner_id: owner,
                        path: "import",
                        url: &url,
                        every_seconds: None,
                        published: true,
                        display_name: "import",
                        due_at: 0,
                    },
                )
            }))
            .unwrap();
        let timed = |text: String, expect: &dyn Fn(&Outcome) -> bool| {
            *body.lock().unwrap() = text.into_bytes();
            let started = Instant::now();
            let outcome = runtime.block_on(import::sync(&store, &config, id));
            let took = started.elapsed();
            assert!(expect(&outcome), "run {run}: {outcome}");
            took
        };
        first.push(timed(
            first_feed.clone(),
            &|o| matches!(o, Outcome::Mirrored(r) if r.added == EVENTS),
        ));
        same_bytes.push(timed(first_feed.clone(), &|o| {
            matches!(o, Outcome::Unchanged)
        }));
        restamped.push(timed(
            feed("20261128T115959Z", None),
            &|o| matches!(o, Outcome::Mirrored(r) if !r.changed()),
        ));
        one_changed.push(timed(
            feed("20261128T125959Z", Some(7)),
            &|o| matches!(o, Outcome::Mirrored(r) if r.updated == 1 && r.added == 0),
        ));
    }
    let show = |what: &str, times: Vec<Duration>| {
        println!(
            "{what:<48} median {:>6.1} ms, fastest {:>6.1} ms (of {RUNS}: {})",
            median(times.clone()).as_secs_f64() * 1e3,
            times.iter().min().unwrap().as_secs_f64() * 1e3,
            times
                .iter()
                .map(|t| format!("{:.1}", t.as_secs_f64() * 1e3))
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    show("first import", first);
    show("re-downloaded, same bytes", same_bytes);
    show("re-downloaded, every DTSTAMP new (no write)", restamped);
    show("re-downloaded, one event changed", one_changed);
}
