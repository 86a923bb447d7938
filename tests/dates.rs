//! Dates that people and programs type into addresses and commands: every
//! endpoint that takes one answers a readable 400 for a malformed or
//! out-of-range date (years 1900 to 2200), never a dropped connection,
//! and the server's idea of "today" is its one clock.

mod common;
use common::*;

/// Malformed, signed, far and impossible dates, percent-encoded where a
/// browser would (`+` is a space in a query string).
const BAD_DATES: &[&str] = &[
    "%2B262142-12-01",
    "-262143-01-01",
    "9999-12-31",
    "1899-12-31",
    "2201-01-01",
    "0000-01-01",
    "2027-02-30",
    "2027-3-6",
    "06%2F03%2F2027",
    "demain",
    "%FF",
];

#[track_caller]
fn refused(response: Response, what: &str) {
    assert_eq!(response.status, 400, "{what}: {}", response.text());
    assert!(!response.text().is_empty(), "{what}: an empty 400");
}

#[test]
fn the_public_agenda_refuses_extreme_dates_in_french() {
    let server = Server::start();
    for date in BAD_DATES {
        for query in [
            format!("du={date}"),
            format!("au={date}"),
            format!("du={date}&au={date}"),
        ] {
            let response = server.request("GET", &format!("/?{query}")).send();
            let text = response.text();
            refused(response, &query);
            assert!(
                text.contains("AAAA-MM-JJ")
                    || text.contains("1900 à 2200")
                    || text.contains("UTF-8"),
                "{query}: {text}"
            );
        }
    }
    // The very issue that was reported: the page answers, in French.
    let response = server
        .request("GET", "/?du=%2B262142-12-01&au=%2B262142-12-31")
        .send()
        .expect(400);
    assert!(
        response.text().contains("AAAA-MM-JJ"),
        "{}",
        response.text()
    );
    let response = server
        .request("GET", "/?du=2201-01-01&au=2201-01-02")
        .send()
        .expect(400);
    assert!(
        response
            .text()
            .contains("hors des années acceptées (1900 à 2200)"),
        "{}",
        response.text()
    );
    // The bounds themselves are accepted.
    server
        .request("GET", "/?du=1900-01-01&au=1900-01-31")
        .send()
        .expect(200);
    server
        .request("GET", "/?du=2200-12-01&au=2200-12-31")
        .send()
        .expect(200);
}

#[test]
fn feeds_refuse_extreme_dates() {
    let server = Server::start();
    for date in BAD_DATES {
        for feed in ["/feeds/intercommunal.ics", "/feeds/asso-a.ics"] {
            for param in ["from", "to"] {
                let what = format!("{feed}?{param}={date}");
                refused(server.request("GET", &what).send(), &what);
            }
        }
    }
    server
        .request(
            "GET",
            "/feeds/intercommunal.ics?from=2200-01-01&to=2200-12-31",
        )
        .send()
        .expect(200);
}

#[test]
fn the_api_refuses_extreme_dates() {
    let server = Server::start();
    for date in BAD_DATES {
        for param in ["from", "to"] {
            let what = format!("/api/conflicts?{param}={date}");
            refused(server.as_user("staff", "GET", &what).send(), &what);
        }
    }
    for instant in [
        "%2B262142-12-01T20:30",
        "9999-12-31T23:59",
        "1899-12-31T20:00",
        "2201-01-01T00:00:00Z",
        "0001-01-01T00:00:00%2B00:00",
        "2027-02-30T20:00",
        "demain",
    ] {
        for query in [
            format!("start={instant}"),
            format!("start=2027-03-06T20:30&end={instant}"),
        ] {
            let what = format!("/api/availability?{query}");
            refused(server.as_user("asso-a", "GET", &what).send(), &what);
        }
    }
    // The last day of the accepted years still has a next day to end at.
    server
        .as_user(
            "staff",
            "GET",
            "/api/conflicts?from=2200-12-31&to=2200-12-31",
        )
        .send()
        .expect(200);
    server
        .as_user(
            "asso-a",
            "GET",
            "/api/availability?start=2200-12-31T20:00&end=2200-12-31T23:00",
        )
        .send()
        .expect(200);
}

#[test]
fn the_conflicts_command_refuses_extreme_dates() {
    let server = Server::start();
    for date in [
        "+262142-12-01",
        "9999-12-31",
        "1899-12-31",
        "2027-02-30",
        "demain",
    ] {
        for (from, to) in [(date, "2027-01-31"), ("2027-01-01", date)] {
            let out = cli_output(
                &server.config_path(),
                &["conflicts", "--from", from, "--to", to],
                "",
            );
            assert!(!out.status.success(), "{from} {to}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("AAAA-MM-JJ") || stderr.contains("1900 à 2200"),
                "{from} {to}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
    let out = cli_output(
        &server.config_path(),
        &["conflicts", "--from", "2200-12-01", "--to", "2200-12-31"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn today_is_the_servers_clock_not_the_wall_clock() {
    // The harness starts the clock at NOW (2026-11-28): the agenda's
    // default period starts that day, whatever day the tests run.
    let server = Server::start();
    server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/main/soon.ics")
        .ics(&event(
            "soon",
            "Marché de Noël",
            "20261202T090000Z",
            "20261202T120000Z",
        ))
        .send()
        .expect(201);
    server
        .as_user("asso-a", "PUT", "/dav/calendars/asso-a/main/past.ics")
        .ics(&event(
            "past",
            "Vide-grenier d'automne",
            "20261121T090000Z",
            "20261121T120000Z",
        ))
        .send()
        .expect(201);
    let page = server.request("GET", "/").send().expect(200).text();
    assert!(page.contains("Marché de Noël"), "{page}");
    assert!(!page.contains("Vide-grenier"), "{page}");
    assert!(
        page.contains("2026-11-28"),
        "the period starts today: {page}"
    );
}
