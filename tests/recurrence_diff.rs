//! Recurrence expansion checked against an independent implementation:
//! tests/recurrence_cases.py draws a few hundred random recurring VEVENTs
//! (Europe/Paris with its VTIMEZONE, UTC, all-day; DAILY to YEARLY and a few
//! HOURLY rules with INTERVAL, BYDAY with and without ordinals, BYMONTHDAY,
//! BYMONTH, BYSETPOS, WKST, COUNT or UNTIL, EXDATE, RDATE; starts near the
//! DST changes) and computes their instances in a window with
//! python-dateutil's rrule. Each event is PUT into a calendar; a
//! calendar-query with CALDAV:expand must return exactly those instances,
//! and time-range queries must find the event in a range that only one later
//! instance overlaps and miss it in a range between instances.
//!
//! The interpreter is `$CONCORD_PYTHON` (CI), else the virtualenv that
//! `common::python()` prepares; without python-dateutil the test fails.
//! Every mismatch is reported, with the event, not only the first.

mod common;
use common::davxml::{self, CALDAV};
use common::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The generator's seed and number of cases; `CONCORD_RECURRENCE_SEED` and
/// `CONCORD_RECURRENCE_CASES` override them to explore further.
// Seed 12 holds WEEKLY+BYSETPOS rules whose first week starts before
// DTSTART, which the rrule crate once got wrong (now fixed in ical::rules).
const SEED: &str = "12";
const CASES: usize = 300;

fn seed() -> String {
    std::env::var("CONCORD_RECURRENCE_SEED").unwrap_or_else(|_| SEED.to_owned())
}

fn cases_wanted() -> usize {
    std::env::var("CONCORD_RECURRENCE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES)
}

#[derive(serde::Deserialize)]
struct Case {
    uid: String,
    ics: String,
    rule: String,
    all_day: bool,
    synchronised: bool,
    window_start: String,
    window_end: String,
    expected_utc_starts: Vec<String>,
    probe_hit: Option<Probe>,
    probe_miss: Option<Probe>,
}

#[derive(serde::Deserialize)]
struct Probe {
    start: String,
    end: String,
    #[serde(default)]
    instance: Option<String>,
}

impl Case {
    fn href(&self) -> String {
        format!("{CAL_A}{}.ics", self.uid)
    }

    /// The VEVENT as sent, without the VTIMEZONE, for reports.
    fn event_text(&self) -> String {
        let start = self.ics.find("BEGIN:VEVENT").unwrap_or(0);
        let end = self
            .ics
            .find("END:VEVENT")
            .map_or(self.ics.len(), |e| e + "END:VEVENT".len());
        self.ics[start..end].replace("\r\n", "\n    ")
    }
}

fn generate() -> Vec<Case> {
    let python = python();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recurrence_cases.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(["--seed", &seed(), "--count", &cases_wanted().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (CONCORD_PYTHON): {e}"));
    assert!(
        out.status.success(),
        "{} failed ({}): {}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("recurrence_cases.py prints a JSON list")
}

fn uid_query(case: &Case) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data><C:expand start="{}" end="{}"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:prop-filter name="UID"><C:text-match collation="i;octet" match-type="equals">{}</C:text-match></C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
        case.window_start, case.window_end, case.uid
    )
}

fn range_query(start: &str, end: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#
    )
}

/// DTSTART values of the VEVENTs of an expanded calendar-data text (content
/// lines unfolded), in order, with their parameters.
fn instance_starts(text: &str) -> Vec<(String, String)> {
    let unfolded = text
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    let mut stack: Vec<String> = Vec::new();
    let mut starts = Vec::new();
    for line in unfolded.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(name) = line.strip_prefix("BEGIN:") {
            stack.push(name.to_ascii_uppercase());
        } else if line.starts_with("END:") {
            stack.pop();
        } else if stack.last().map(String::as_str) == Some("VEVENT") {
            let Some((head, value)) = line.split_once(':') else {
                continue;
            };
            let (name, params) = head.split_once(';').unwrap_or((head, ""));
            if name.eq_ignore_ascii_case("DTSTART") {
                starts.push((params.to_owned(), value.to_owned()));
            }
        }
    }
    starts
}

/// What is wrong with one case's expansion, if anything.
fn check_expansion(server: &Server, case: &Case) -> Option<String> {
    let response = server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(&uid_query(case))
        .send();
    if response.status != 207 {
        return Some(format!(
            "calendar-query answered {}: {}",
            response.status,
            response.text()
        ));
    }
    let multistatus = davxml::multistatus(&response.text());
    let hrefs = multistatus.hrefs();
    if hrefs != [case.href()] {
        return Some(format!("calendar-query on the UID returned {hrefs:?}"));
    }
    let Some(data) = multistatus.one(&case.href()).text(CALDAV, "calendar-data") else {
        return Some("no calendar-data in the answer".into());
    };
    let mut problems = Vec::new();
    let mut got = Vec::new();
    for (params, value) in instance_starts(&data) {
        let well_formed = if case.all_day {
            params.eq_ignore_ascii_case("VALUE=DATE") && value.len() == 8
        } else {
            params.is_empty() && value.len() == 16 && value.ends_with('Z')
        };
        if !well_formed {
            problems.push(format!(
                "instance start DTSTART;{params}:{value} is not in UTC (or a DATE for all-day)"
            ));
        }
        got.push(value);
    }
    let returned: BTreeSet<&String> = got.iter().collect();
    if returned.len() != got.len() {
        problems.push(format!("some instances are returned twice: {got:?}"));
    }
    let expected: BTreeSet<&String> = case.expected_utc_starts.iter().collect();
    let missing: Vec<&&String> = expected.difference(&returned).collect();
    let extra: Vec<&&String> = returned.difference(&expected).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} of {} instances missing: {missing:?}",
            missing.len(),
            expected.len()
        ));
    }
    if !extra.is_empty() {
        problems.push(format!("{} unexpected instances: {extra:?}", extra.len()));
    }
    (!problems.is_empty()).then(|| problems.join("\n  "))
}

/// Hrefs a time-range calendar-query on asso-a's calendar returns.
fn in_range(server: &Server, start: &str, end: &str) -> Result<Vec<String>, String> {
    let response = server
        .as_user("asso-a", "REPORT", CAL_A)
        .header("Depth", "1")
        .xml(&range_query(start, end))
        .send();
    if response.status != 207 {
        return Err(format!(
            "time-range query answered {}: {}",
            response.status,
            response.text()
        ));
    }
    Ok(davxml::multistatus(&response.text()).hrefs())
}

fn check_probes(server: &Server, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let href = case.href();
    if let Some(probe) = &case.probe_hit {
        match in_range(server, &probe.start, &probe.end) {
            Ok(hrefs) if !hrefs.contains(&href) => problems.push(format!(
                "time-range {}..{} overlaps only instance {} but the event is not returned",
                probe.start,
                probe.end,
                probe.instance.as_deref().unwrap_or("?")
            )),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    if let Some(probe) = &case.probe_miss {
        match in_range(server, &probe.start, &probe.end) {
            Ok(hrefs) if hrefs.contains(&href) => problems.push(format!(
                "time-range {}..{} lies between instances but the event is returned",
                probe.start, probe.end
            )),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    problems
}

#[test]
fn expansion_matches_dateutil_on_random_rules() {
    let cases = generate();
    assert_eq!(cases.len(), cases_wanted());
    let instances: usize = cases.iter().map(|c| c.expected_utc_starts.len()).sum();
    assert!(
        instances > 5 * cases.len(),
        "the generator expects only {instances} instances: the comparison would say little"
    );

    let server = Server::start();
    let mut report = String::new();
    let mut failed = 0;
    let (mut probes_hit, mut probes_miss) = (0, 0);
    for case in &cases {
        let put = server
            .as_user("asso-a", "PUT", &case.href())
            .ics(case.ics.as_bytes())
            .send();
        let problems = if put.status != 201 {
            vec![format!("PUT answered {}: {}", put.status, put.text())]
        } else {
            probes_hit += usize::from(case.probe_hit.is_some());
            probes_miss += usize::from(case.probe_miss.is_some());
            check_expansion(&server, case)
                .into_iter()
                .chain(check_probes(&server, case))
                .collect()
        };
        if problems.is_empty() {
            continue;
        }
        failed += 1;
        let _ = write!(
            report,
            "\n{} RRULE:{}{}\n  window {}..{}\n  {}\n  dateutil: {:?}\n    {}\n",
            case.uid,
            case.rule,
            if case.synchronised {
                ""
            } else {
                " (DTSTART does not match the rule)"
            },
            case.window_start,
            case.window_end,
            problems.join("\n  "),
            case.expected_utc_starts,
            case.event_text()
        );
    }
    assert!(
        failed == 0,
        "{failed} of {} recurring events (seed {}) differ from python-dateutil \
         ({instances} instances expected, {probes_hit} hit and {probes_miss} miss \
         time-range probes):\n{report}",
        cases.len(),
        seed()
    );
    eprintln!(
        "{} recurring events, {instances} instances, {probes_hit} + {probes_miss} time-range probes: all agree with python-dateutil",
        cases.len()
    );
}
