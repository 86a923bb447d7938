//! Tests of the iCalendar model layer, through its public entry points.

use super::*;
use chrono_tz::Europe::Paris;

/// 2025-01-01T00:00:00Z: a fixed "now" so horizons do not depend on the clock.
const NOW: i64 = 1_735_689_600;

fn ts(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("test timestamp")
        .timestamp()
}

/// Wraps component lines in a VCALENDAR with CRLF line endings.
fn cal(lines: &str) -> Vec<u8> {
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        body.push_str(line);
        body.push_str("\r\n");
    }
    body.push_str("END:VCALENDAR\r\n");
    body.into_bytes()
}

fn event(props: &str) -> Vec<u8> {
    cal(&format!(
        "BEGIN:VEVENT\nUID:e1@test\nDTSTAMP:20250101T000000Z\n{props}\nEND:VEVENT"
    ))
}

fn parse(body: &[u8]) -> Result<CalendarObject, IcalError> {
    parse_object_at(body, Paris, &Limits::default(), NOW)
}

fn ok(body: &[u8]) -> CalendarObject {
    match parse(body) {
        Ok(object) => object,
        Err(err) => panic!("unexpected error: {err:?}"),
    }
}

fn starts(object: &CalendarObject) -> Vec<i64> {
    object.instances.iter().map(|i| i.start).collect()
}

#[test]
fn paris_weekly_series_follows_dst() {
    let object = ok(&event(
        "SUMMARY:Chorale
         DTSTART;TZID=Europe/Paris:20250106T100000
         DTEND;TZID=Europe/Paris:20250106T113000
         RRULE:FREQ=WEEKLY;COUNT=20",
    ));
    assert!(object.recurring);
    assert_eq!(object.instances.len(), 20);
    assert_eq!(object.expanded_until, None);
    let first = &object.instances[0];
    assert_eq!(first.start, ts("2025-01-06T09:00:00Z"));
    assert_eq!(first.end, ts("2025-01-06T10:30:00Z"));
    assert_eq!(first.recurrence_id, Some(first.start));
    // 2025-03-24 is the last Monday of winter time, 2025-03-31 the first of summer time.
    assert!(starts(&object).contains(&ts("2025-03-24T09:00:00Z")));
    assert!(starts(&object).contains(&ts("2025-03-31T08:00:00Z")));
    let summer = object
        .instances
        .iter()
        .find(|i| i.start == ts("2025-03-31T08:00:00Z"))
        .expect("summer instance");
    assert_eq!(summer.end - summer.start, 5400);
    assert!(!summer.floating && !summer.all_day && !summer.overridden);
}

#[test]
fn count_and_until() {
    let counted = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250106T100000\nRRULE:FREQ=DAILY;COUNT=3",
    ));
    assert_eq!(
        starts(&counted),
        vec![
            ts("2025-01-06T09:00:00Z"),
            ts("2025-01-07T09:00:00Z"),
            ts("2025-01-08T09:00:00Z")
        ]
    );
    // UNTIL in UTC equal to the last start is inclusive.
    let until_utc = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250106T100000\nRRULE:FREQ=WEEKLY;UNTIL=20250120T090000Z",
    ));
    assert_eq!(until_utc.instances.len(), 3);
    assert_eq!(until_utc.expanded_until, None);
    // A DATE UNTIL with a DATE-TIME DTSTART covers the whole day.
    let until_date = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250106T100000\nRRULE:FREQ=WEEKLY;UNTIL=20250120",
    ));
    assert_eq!(until_date.instances.len(), 3);
    // A DATE-TIME UNTIL with a DATE DTSTART.
    let all_day = ok(&event(
        "DTSTART;VALUE=DATE:20250106\nRRULE:FREQ=DAILY;UNTIL=20250107T230000Z",
    ));
    assert_eq!(all_day.instances.len(), 3);
    // UNTIL before DTSTART: only DTSTART remains.
    let backwards = ok(&event(
        "DTSTART:20250106T100000Z\nRRULE:FREQ=DAILY;UNTIL=20240101T000000Z",
    ));
    assert_eq!(starts(&backwards), vec![ts("2025-01-06T10:00:00Z")]);
}

#[test]
fn exdate_removes_instances() {
    let object = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250106T100000
         RRULE:FREQ=WEEKLY;COUNT=4
         EXDATE;TZID=Europe/Paris:20250113T100000
         EXDATE:20250127T090000Z",
    ));
    assert_eq!(
        starts(&object),
        vec![ts("2025-01-06T09:00:00Z"), ts("2025-01-20T09:00:00Z")]
    );
    let all_day = ok(&event(
        "DTSTART;VALUE=DATE:20250106\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20250107",
    ));
    assert_eq!(all_day.instances.len(), 2);
}

#[test]
fn rdate_adds_instances() {
    let object = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250106T100000
         DURATION:PT1H
         RDATE;TZID=Europe/Paris:20250110T140000
         RDATE;VALUE=PERIOD:20250111T100000Z/20250111T130000Z,20250112T100000Z/PT30M
         RDATE;VALUE=DATE:20250115",
    ));
    assert!(object.recurring);
    let got: Vec<(i64, i64)> = object.instances.iter().map(|i| (i.start, i.end)).collect();
    assert_eq!(
        got,
        vec![
            (ts("2025-01-06T09:00:00Z"), ts("2025-01-06T10:00:00Z")),
            (ts("2025-01-10T13:00:00Z"), ts("2025-01-10T14:00:00Z")),
            (ts("2025-01-11T10:00:00Z"), ts("2025-01-11T13:00:00Z")),
            (ts("2025-01-12T10:00:00Z"), ts("2025-01-12T10:30:00Z")),
            // A DATE RDATE in a DATE-TIME series takes DTSTART's time.
            (ts("2025-01-15T09:00:00Z"), ts("2025-01-15T10:00:00Z")),
        ]
    );
}

#[test]
fn override_moved_outside_the_span() {
    let body = cal("BEGIN:VEVENT
        UID:s@test
        DTSTART;TZID=Europe/Paris:20250106T100000
        DTEND;TZID=Europe/Paris:20250106T110000
        RRULE:FREQ=WEEKLY;COUNT=3
        END:VEVENT
        BEGIN:VEVENT
        UID:s@test
        RECURRENCE-ID;TZID=Europe/Paris:20250113T100000
        DTSTART;TZID=Europe/Paris:20250301T150000
        DTEND;TZID=Europe/Paris:20250301T170000
        SUMMARY:Moved
        END:VEVENT
        BEGIN:VEVENT
        UID:s@test
        RECURRENCE-ID:20250601T090000Z
        DTSTART:20250601T090000Z
        END:VEVENT");
    let object = ok(&body);
    let got: Vec<(i64, Option<i64>, bool)> = object
        .instances
        .iter()
        .map(|i| (i.start, i.recurrence_id, i.overridden))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ts("2025-01-06T09:00:00Z"),
                Some(ts("2025-01-06T09:00:00Z")),
                false
            ),
            (
                ts("2025-01-20T09:00:00Z"),
                Some(ts("2025-01-20T09:00:00Z")),
                false
            ),
            (
                ts("2025-03-01T14:00:00Z"),
                Some(ts("2025-01-13T09:00:00Z")),
                true
            ),
            // Matches no occurrence, still an instance.
            (
                ts("2025-06-01T09:00:00Z"),
                Some(ts("2025-06-01T09:00:00Z")),
                true
            ),
        ]
    );
    assert_eq!(object.instances[2].end, ts("2025-03-01T16:00:00Z"));
}

#[test]
fn cancelled_and_transparent_instances() {
    let body = cal("BEGIN:VEVENT
        UID:c@test
        DTSTART:20250106T090000Z
        RRULE:FREQ=DAILY;COUNT=3
        TRANSP:TRANSPARENT
        END:VEVENT
        BEGIN:VEVENT
        UID:c@test
        RECURRENCE-ID:20250107T090000Z
        DTSTART:20250107T090000Z
        STATUS:CANCELLED
        END:VEVENT");
    let object = ok(&body);
    let flags: Vec<(bool, bool)> = object
        .instances
        .iter()
        .map(|i| (i.cancelled, i.transparent))
        .collect();
    assert_eq!(flags, vec![(false, true), (true, false), (false, true)]);
    assert!(object.transparent);
}

#[test]
fn all_day_and_multi_day() {
    let one = ok(&event("DTSTART;VALUE=DATE:20250614"));
    let i = &one.instances[0];
    assert_eq!(
        (i.start, i.end),
        (ts("2025-06-13T22:00:00Z"), ts("2025-06-14T22:00:00Z"))
    );
    assert!(i.all_day && i.floating);
    assert_eq!(i.recurrence_id, None);
    assert!(!one.recurring);

    let three = ok(&event(
        "DTSTART;VALUE=DATE:20250614\nDTEND;VALUE=DATE:20250617",
    ));
    assert_eq!(three.instances[0].end, ts("2025-06-16T22:00:00Z"));

    // A DATE range across the DST change keeps whole local days.
    let weekend = ok(&event(
        "DTSTART;VALUE=DATE:20250329\nDTEND;VALUE=DATE:20250331\nRRULE:FREQ=YEARLY;COUNT=2",
    ));
    let i = &weekend.instances[0];
    assert_eq!(
        (i.start, i.end),
        (ts("2025-03-28T23:00:00Z"), ts("2025-03-30T22:00:00Z"))
    );

    let timed = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250614T180000\nDTEND;TZID=Europe/Paris:20250616T120000",
    ));
    assert_eq!(timed.instances[0].end, ts("2025-06-16T10:00:00Z"));
}

#[test]
fn duration_and_default_ends() {
    let d = ok(&event("DTSTART:20250106T090000Z\nDURATION:PT1H30M"));
    assert_eq!(d.instances[0].end, ts("2025-01-06T10:30:00Z"));
    // P1D is nominal: from 10:00 to 10:00 the next day across the DST change (23h).
    let nominal = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250329T100000\nDURATION:P1D",
    ));
    let i = &nominal.instances[0];
    assert_eq!(i.end - i.start, 23 * 3600);
    // No DTEND or DURATION: zero length for a DATE-TIME.
    let zero = ok(&event("DTSTART:20250106T090000Z"));
    assert_eq!(zero.instances[0].start, zero.instances[0].end);
}

#[test]
fn floating_times_use_the_collection_zone() {
    let object = ok(&event("DTSTART:20250701T100000\nDTEND:20250701T110000"));
    let i = &object.instances[0];
    assert_eq!(i.start, ts("2025-07-01T08:00:00Z"));
    assert!(i.floating && !i.all_day);
    let ny = parse_object_at(
        &event("DTSTART:20250701T100000"),
        chrono_tz::America::New_York,
        &Limits::default(),
        NOW,
    )
    .expect("floating in New York");
    assert_eq!(ny.instances[0].start, ts("2025-07-01T14:00:00Z"));
}

#[test]
fn dtstart_in_dst_gap_and_not_matching_rule() {
    // 02:30 does not exist on 2025-03-30 in Paris: read with the offset before the gap.
    let gap = ok(&event(
        "DTSTART;TZID=Europe/Paris:20250330T023000\nRRULE:FREQ=DAILY;COUNT=2",
    ));
    assert_eq!(
        starts(&gap),
        vec![ts("2025-03-30T01:30:00Z"), ts("2025-03-31T00:30:00Z")]
    );
    // 2025-01-08 is a Wednesday: it is still the first instance and counts.
    let odd = ok(&event(
        "DTSTART:20250108T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3",
    ));
    assert_eq!(
        starts(&odd),
        vec![
            ts("2025-01-08T09:00:00Z"),
            ts("2025-01-13T09:00:00Z"),
            ts("2025-01-20T09:00:00Z")
        ]
    );
}

#[test]
fn this_and_future_shifts_later_instances() {
    let body = cal("BEGIN:VEVENT
        UID:f@test
        DTSTART:20250106T090000Z
        DURATION:PT1H
        RRULE:FREQ=WEEKLY;COUNT=4
        END:VEVENT
        BEGIN:VEVENT
        UID:f@test
        RECURRENCE-ID;RANGE=THISANDFUTURE:20250113T090000Z
        DTSTART:20250113T100000Z
        DURATION:PT2H
        END:VEVENT");
    let object = ok(&body);
    let got: Vec<(i64, i64, bool)> = object
        .instances
        .iter()
        .map(|i| (i.start, i.end, i.overridden))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ts("2025-01-06T09:00:00Z"),
                ts("2025-01-06T10:00:00Z"),
                false
            ),
            (ts("2025-01-13T10:00:00Z"), ts("2025-01-13T12:00:00Z"), true),
            (ts("2025-01-20T10:00:00Z"), ts("2025-01-20T12:00:00Z"), true),
            (ts("2025-01-27T10:00:00Z"), ts("2025-01-27T12:00:00Z"), true),
        ]
    );
}

#[test]
fn windows_and_odd_tzids() {
    let object = ok(&event(
        "DTSTART;TZID=Romance Standard Time:20250701T100000\n\
         DTEND;TZID=\"(UTC+01:00) Brussels, Copenhagen, Madrid, Paris\":20250701T110000",
    ));
    assert_eq!(object.instances[0].start, ts("2025-07-01T08:00:00Z"));
    assert_eq!(object.instances[0].end, ts("2025-07-01T09:00:00Z"));

    let cases = [
        ("Europe/Paris", "Europe/Paris"),
        ("Romance Standard Time", "Europe/Paris"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("GMT Standard Time", "Europe/London"),
        ("UTC", "UTC"),
        ("Eastern Standard Time", "America/New_York"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        (
            "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris",
            "Europe/Paris",
        ),
        ("/mozilla.org/20050126_1/Europe/Paris", "Europe/Paris"),
        (
            "/softwarestudio.org/Olson_20011030_5/America/Chicago",
            "America/Chicago",
        ),
        ("europe/paris", "Europe/Paris"),
        ("(UTC+03:00) Nowhere Special", "Etc/GMT-3"),
    ];
    for (tzid, iana) in cases {
        assert_eq!(resolve_tzid(tzid).map(|tz| tz.name()), Some(iana), "{tzid}");
    }
    assert_eq!(resolve_tzid("Not/A_Zone"), None);
    assert_eq!(resolve_tzid(""), None);
}

const CUSTOM_ZONE: &str = "BEGIN:VTIMEZONE
    TZID:Heure de Mairie
    BEGIN:STANDARD
    DTSTART:19701025T030000
    TZOFFSETFROM:+0200
    TZOFFSETTO:+0100
    RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
    END:STANDARD
    BEGIN:DAYLIGHT
    DTSTART:19700329T020000
    TZOFFSETFROM:+0100
    TZOFFSETTO:+0200
    RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
    END:DAYLIGHT
    END:VTIMEZONE";

#[test]
fn custom_vtimezone_is_computed() {
    let body = cal(&format!(
        "{CUSTOM_ZONE}
         BEGIN:VEVENT
         UID:tz@test
         DTSTART;TZID=Heure de Mairie:20250106T100000
         RRULE:FREQ=MONTHLY;COUNT=7
         END:VEVENT"
    ));
    let object = ok(&body);
    assert_eq!(object.instances[0].start, ts("2025-01-06T09:00:00Z"));
    assert_eq!(object.instances[3].start, ts("2025-04-06T08:00:00Z"));
    assert_eq!(object.instances[6].start, ts("2025-07-06T08:00:00Z"));

    let fixed = cal("BEGIN:VTIMEZONE
        TZID:Inde
        BEGIN:STANDARD
        DTSTART:19700101T000000
        TZOFFSETFROM:+0530
        TZOFFSETTO:+0530
        END:STANDARD
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:in@test
        DTSTART;TZID=Inde:20250701T100000
        END:VEVENT");
    assert_eq!(ok(&fixed).instances[0].start, ts("2025-07-01T04:30:00Z"));

    // X-LIC-LOCATION names the real zone behind a private label.
    let aliased = cal("BEGIN:VTIMEZONE
        TZID:Zone perso
        X-LIC-LOCATION:Europe/Paris
        BEGIN:STANDARD
        DTSTART:19700101T000000
        TZOFFSETFROM:+0100
        TZOFFSETTO:+0100
        END:STANDARD
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:al@test
        DTSTART;TZID=Zone perso:20250701T100000
        END:VEVENT");
    assert_eq!(ok(&aliased).instances[0].start, ts("2025-07-01T08:00:00Z"));
}

#[test]
fn unknown_tzid_is_refused_with_its_name() {
    match parse(&event("DTSTART;TZID=Mars/Olympus:20250701T100000")) {
        Err(IcalError::InvalidData(msg)) => {
            assert!(msg.contains("Mars/Olympus"), "{msg}");
            assert!(msg.starts_with("line 7:"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}

fn invalid_data(body: &[u8]) -> String {
    match parse(body) {
        Err(IcalError::InvalidData(msg)) => msg,
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

fn invalid_object(body: &[u8]) -> String {
    match parse(body) {
        Err(IcalError::InvalidObject(msg)) => msg,
        other => panic!("expected InvalidObject, got {other:?}"),
    }
}

#[test]
fn method_is_refused() {
    let body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n\
        UID:m@test\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert!(invalid_object(body).contains("METHOD"));
}

#[test]
fn several_uids_are_refused() {
    let body = cal("BEGIN:VEVENT
        UID:a@test
        DTSTART:20250101T100000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:b@test
        DTSTART:20250102T100000Z
        END:VEVENT");
    assert!(invalid_object(&body).contains("several UIDs"));
    let two_masters = cal("BEGIN:VEVENT
        UID:a@test
        DTSTART:20250101T100000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:a@test
        DTSTART:20250102T100000Z
        END:VEVENT");
    invalid_object(&two_masters);
}

#[test]
fn mixed_components_are_refused() {
    let body = cal("BEGIN:VEVENT
        UID:a@test
        DTSTART:20250101T100000Z
        END:VEVENT
        BEGIN:VTODO
        UID:a@test
        END:VTODO");
    assert!(invalid_object(&body).contains("mixed component types"));
}

#[test]
fn unsupported_components() {
    let freebusy = cal("BEGIN:VFREEBUSY\nUID:f@test\nEND:VFREEBUSY");
    assert!(matches!(
        parse(&freebusy),
        Err(IcalError::UnsupportedComponent(_))
    ));
    let only_tz = cal(CUSTOM_ZONE);
    assert!(matches!(
        parse(&only_tz),
        Err(IcalError::UnsupportedComponent(_))
    ));
    let nothing = cal("");
    invalid_object(&nothing);
}

#[test]
fn missing_uid_and_bad_times() {
    let body = cal("BEGIN:VEVENT\nDTSTART:20250101T100000Z\nEND:VEVENT");
    let msg = invalid_data(&body);
    assert!(msg.contains("missing UID in VEVENT"), "{msg}");

    let msg = invalid_data(&event("DTSTART:20250101T100000Z\nDTEND:20250101T090000Z"));
    assert!(
        msg.starts_with("line 8:") && msg.contains("DTEND is before DTSTART"),
        "{msg}"
    );

    let msg = invalid_data(&event("DTSTART:20251301T100000Z"));
    assert!(msg.starts_with("line 7: DTSTART has an invalid"), "{msg}");
    let msg = invalid_data(&event("DTSTART:tomorrow"));
    assert!(msg.contains("tomorrow"), "{msg}");
    invalid_data(&event("SUMMARY:no start"));
    invalid_data(&event(
        "DTSTART:20250101T100000Z\nDTEND:20250101T110000Z\nDURATION:PT1H",
    ));
    invalid_data(&event(
        "DTSTART;VALUE=DATE:20250101\nDTEND:20250102T110000Z",
    ));
    invalid_data(&event("DTSTART:20250101T100000Z\nRRULE:FREQ=SOMETIMES"));
    let msg = invalid_data(&event("DTSTART:20250101T100000Z\nRRULE:FREQ=DAILY;COUNT=0"));
    assert!(msg.contains("COUNT"), "{msg}");
    invalid_data(&event(
        "DTSTART:20250101T100000Z\nRRULE:FREQ=DAILY;BYHOUR=300",
    ));
    let no_version = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n\
        DTSTART:20250101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert!(invalid_data(no_version).contains("VERSION"));
}

#[test]
fn structure_errors() {
    assert!(invalid_data(b"").contains("empty"));
    invalid_data(b"hello world");
    invalid_data(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n");
    invalid_data(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    let one = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20250101T100000Z\nEND:VEVENT");
    let two = [one.clone(), one].concat();
    invalid_object(&two);
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        parse_object_at(&event("DTSTART:20250101T100000Z"), Paris, &limits, NOW),
        Err(IcalError::TooLarge(_))
    ));
    let long = event(&format!(
        "DTSTART:20250101T100000Z\nDESCRIPTION:{}",
        "x".repeat(70_000)
    ));
    assert!(matches!(parse(&long), Err(IcalError::TooLarge(_))));
}

#[test]
fn deep_nesting_is_refused() {
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    for _ in 0..20 {
        body.push_str("BEGIN:X-NEST\r\n");
    }
    for _ in 0..20 {
        body.push_str("END:X-NEST\r\n");
    }
    body.push_str("END:VCALENDAR\r\n");
    assert!(invalid_data(body.as_bytes()).contains("nested"));

    // A huge depth is refused by the scan, long before any parser runs.
    let deep = "BEGIN:X\r\n".repeat(100_000);
    let body = format!("BEGIN:VCALENDAR\r\n{deep}");
    assert!(invalid_data(body.as_bytes()).contains("nested"));
}

#[test]
fn secondly_rule_is_refused() {
    let msg = match parse(&event("DTSTART:20250101T100000Z\nRRULE:FREQ=SECONDLY")) {
        Err(IcalError::TooManyInstances(msg)) => msg,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("5000"), "{msg}");
    // Sparse sub-daily rules cannot make the expansion walk for long either.
    let sparse =
        event("DTSTART:20250101T100000Z\nRRULE:FREQ=SECONDLY;BYHOUR=10;BYMINUTE=0;BYSECOND=0");
    assert!(matches!(
        parse(&sparse),
        Err(IcalError::TooManyInstances(_))
    ));
    // And a bounded one is fine.
    let short = ok(&event(
        "DTSTART:20250101T100000Z\nRRULE:FREQ=SECONDLY;COUNT=10",
    ));
    assert_eq!(short.instances.len(), 10);
    // Rules that would materialise huge periods are refused up front.
    let wide = event(
        "DTSTART:20250101T100000Z\nRRULE:FREQ=YEARLY;BYYEARDAY=1,2,3;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;\
         BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59",
    );
    assert!(matches!(parse(&wide), Err(IcalError::TooManyInstances(_))));
}

#[test]
fn infinite_series_is_cut_and_extended() {
    let body = event("DTSTART;TZID=Europe/Paris:20240101T100000\nRRULE:FREQ=WEEKLY");
    let object = ok(&body);
    let horizon = ts("2030-01-01T00:00:00Z");
    assert_eq!(object.expanded_until, Some(horizon));
    assert!(object.instances.iter().all(|i| i.start < horizon));
    assert_eq!(object.instances.len(), 314); // 2024-01-01 .. 2029-12-31, Mondays
    let later = expand_between(
        &body,
        Paris,
        ts("2040-01-01T00:00:00Z"),
        ts("2040-02-01T00:00:00Z"),
        &Limits::default(),
    )
    .expect("later expansion");
    // Mondays of January 2040: 2, 9, 16, 23, 30.
    assert_eq!(later.len(), 5);
    assert_eq!(later[0].start, ts("2040-01-02T09:00:00Z"));

    // An instance straddling `from` is returned.
    let long = event("DTSTART:20250101T100000Z\nDURATION:P3D\nRRULE:FREQ=WEEKLY");
    let got = expand_between(
        &long,
        Paris,
        ts("2030-01-03T00:00:00Z"),
        ts("2030-01-04T00:00:00Z"),
        &Limits::default(),
    )
    .expect("straddling");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].start, ts("2030-01-02T10:00:00Z"));
}

#[test]
fn bom_and_windows_1252() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    let valid = event("SUMMARY:FXte de la musique\nDTSTART:20250621T180000Z");
    // 0xEA is "ê" in Windows-1252 and invalid on its own in UTF-8.
    body.extend(valid.iter().map(|&b| if b == b'X' { 0xEA } else { b }));
    let object = ok(&body);
    assert_eq!(object.summary.as_deref(), Some("F\u{ea}te de la musique"));
}

#[test]
fn fold_inside_a_utf8_character() {
    let mut body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u@test\r\n".to_vec();
    body.extend_from_slice(
        b"SUMMARY:Caf\xC3\r\n \xA9 du coin\r\nLOCATION:Salle \n\tdes f\xC3\xAAtes\r\n",
    );
    body.extend_from_slice(b"DTSTART:20250101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let object = ok(&body);
    assert_eq!(object.summary.as_deref(), Some("Caf\u{e9} du coin"));
    assert_eq!(object.location.as_deref(), Some("Salle des f\u{ea}tes"));
}

#[test]
fn index_fields() {
    let object = ok(&event(
        "DTSTART:20250101T100000Z
         SUMMARY:Loto
         LOCATION:Salle polyvalente
         CATEGORIES:Loisirs,Famille
         CATEGORIES:Famille
         CLASS:X-SECRET
         STATUS:TENTATIVE",
    ));
    assert_eq!(object.component, ComponentKind::Event);
    assert_eq!(object.uid, "e1@test");
    assert_eq!(object.summary.as_deref(), Some("Loto"));
    assert_eq!(object.categories, vec!["Loisirs", "Famille"]);
    assert_eq!(object.class, Class::Private);
    assert_eq!(object.status.as_deref(), Some("TENTATIVE"));
    assert!(!object.transparent);
    assert_eq!(ok(&event("DTSTART:20250101T100000Z")).class, Class::Public);
}

#[test]
fn todos_and_journals() {
    let due_only = cal("BEGIN:VTODO\nUID:t@test\nDUE:20250110T120000Z\nEND:VTODO");
    let object = ok(&due_only);
    assert_eq!(object.component, ComponentKind::Todo);
    assert_eq!(starts(&object), vec![ts("2025-01-10T12:00:00Z")]);

    let ranged = cal("BEGIN:VTODO\nUID:t@test\nDTSTART:20250110T080000Z\n\
        DUE:20250110T120000Z\nEND:VTODO");
    let i = &ok(&ranged).instances[0];
    assert_eq!(
        (i.start, i.end),
        (ts("2025-01-10T08:00:00Z"), ts("2025-01-10T12:00:00Z"))
    );

    let undated = cal("BEGIN:VTODO\nUID:t@test\nSUMMARY:Someday\nEND:VTODO");
    assert!(ok(&undated).instances.is_empty());

    let journal = cal("BEGIN:VJOURNAL\nUID:j@test\nDTSTART;VALUE=DATE:20250110\nEND:VJOURNAL");
    let object = ok(&journal);
    assert_eq!(object.component, ComponentKind::Journal);
    assert!(object.instances[0].all_day);
}

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn garbage_never_panics() {
    let mut noise = Noise(0x1234_5678_9abc_def1);
    let limits = Limits::default();
    // Pure noise, then noise behind a valid start.
    for round in 0..500 {
        let len = noise.below(400);
        let mut body: Vec<u8> = (0..len).map(|_| noise.next() as u8).collect();
        if round % 2 == 0 {
            let mut prefixed = b"BEGIN:VCALENDAR\r\n".to_vec();
            prefixed.append(&mut body);
            body = prefixed;
        }
        let _ = parse_object_at(&body, Paris, &limits, NOW);
    }
    // Mutations of valid objects: flipped bytes, cut, duplicated and swapped lines.
    let seeds = [
        cal(&format!(
            "{CUSTOM_ZONE}
             BEGIN:VEVENT
             UID:g@test
             DTSTART;TZID=Heure de Mairie:20250106T100000
             DTEND;TZID=Heure de Mairie:20250106T110000
             RRULE:FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=1;UNTIL=20300101T000000Z
             EXDATE;TZID=Heure de Mairie:20250203T100000
             RDATE;VALUE=PERIOD:20250111T100000Z/PT1H
             END:VEVENT
             BEGIN:VEVENT
             UID:g@test
             RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Heure de Mairie:20250303T100000
             DTSTART;TZID=Heure de Mairie:20250303T110000
             DURATION:PT2H
             STATUS:CANCELLED
             END:VEVENT"
        )),
        event("DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO;WKST=SU"),
    ];
    let fragments: [&[u8]; 12] = [
        b":",
        b";",
        b"\r\n ",
        b"\r\n",
        b"BEGIN:VEVENT\r\n",
        b"END:VEVENT\r\n",
        b"\xC3",
        b"TZID=",
        b"FREQ=SECONDLY;",
        b"99999999",
        b"-",
        b"VALUE=DATE",
    ];
    for round in 0..3000 {
        let mut body = seeds[round % seeds.len()].clone();
        for _ in 0..1 + noise.below(4) {
            let pos = noise.below(body.len());
            match noise.below(4) {
                0 => body[pos] = noise.next() as u8,
                1 => body.truncate(pos),
                2 => {
                    let fragment = fragments[noise.below(fragments.len())];
                    body.splice(pos..pos, fragment.iter().copied());
                }
                _ => {
                    let end = (pos + noise.below(40)).min(body.len());
                    let chunk = body[pos..end].to_vec();
                    let at = noise.below(body.len());
                    body.splice(at..at, chunk);
                }
            }
            if body.is_empty() {
                break;
            }
        }
        let _ = parse_object_at(&body, Paris, &limits, NOW);
        let _ = expand_between(&body, Paris, NOW, NOW + 86_400 * 400, &limits);
    }
}

#[test]
fn odd_rules_never_panic() {
    let rules = [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYDAY=5FR",
        "FREQ=MONTHLY;BYDAY=-5MO",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=SU",
        "FREQ=YEARLY;BYYEARDAY=-366",
        "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY;INTERVAL=65535",
        "FREQ=DAILY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=HOURLY;BYHOUR=25",
        "FREQ=MINUTELY;BYSECOND=60",
        "FREQ=YEARLY;COUNT=4294967295",
        "FREQ=DAILY;UNTIL=99991231T235959Z",
        "FREQ=DAILY;UNTIL=00000101",
        "FREQ=YEARLY;RSCALE=HEBREW",
        "FREQ=MONTHLY;BYMONTH=5L",
        "FREQ=WEEKLY;BYDAY=0MO",
        "FREQ=WEEKLY;WKST=XX",
    ];
    for rule in rules {
        for dtstart in [
            "DTSTART:20250101T100000Z",
            "DTSTART;VALUE=DATE:99991231",
            "DTSTART;TZID=Europe/Paris:00010101T000000",
        ] {
            let _ = parse(&event(&format!("{dtstart}\nRRULE:{rule}")));
        }
    }
}

#[test]
fn client_style_fixtures() {
    let outlook = ok(include_bytes!(
        "../../fixtures/ics/model-outlook-windows-tzid.ics"
    ));
    assert_eq!(outlook.summary.as_deref(), Some("Bureau de l'association"));
    assert_eq!(outlook.instances.len(), 10);
    assert_eq!(outlook.instances[0].start, ts("2025-01-07T17:30:00Z"));
    assert_eq!(outlook.instances[3].start, ts("2025-04-01T16:30:00Z"));

    let thunderbird = ok(include_bytes!(
        "../../fixtures/ics/model-thunderbird-custom-zone.ics"
    ));
    assert_eq!(thunderbird.categories, vec!["Sport"]);
    assert_eq!(thunderbird.instances.len(), 24);
    let moved = thunderbird
        .instances
        .iter()
        .find(|i| i.overridden)
        .expect("override");
    assert_eq!(moved.start, ts("2025-02-06T18:00:00Z"));
    assert_eq!(moved.recurrence_id, Some(ts("2025-02-05T17:30:00Z")));
    assert!(!starts(&thunderbird).contains(&ts("2025-04-16T16:30:00Z")));
    assert_eq!(
        thunderbird.instances.last().map(|i| i.start),
        Some(ts("2025-06-25T16:30:00Z"))
    );

    let google = ok(include_bytes!(
        "../../fixtures/ics/model-google-all-day.ics"
    ));
    assert_eq!(
        starts(&google),
        vec![
            ts("2025-02-28T23:00:00Z"),
            ts("2025-03-07T23:00:00Z"),
            ts("2025-03-21T23:00:00Z"),
            ts("2025-03-28T23:00:00Z")
        ]
    );
    assert!(google.transparent && google.instances.iter().all(|i| i.all_day));
    assert_eq!(google.status.as_deref(), Some("CONFIRMED"));

    let apple = ok(include_bytes!(
        "../../fixtures/ics/model-apple-floating-alarm.ics"
    ));
    let i = &apple.instances[0];
    assert_eq!(
        (i.start, i.end, i.floating),
        (ts("2025-02-01T09:00:00Z"), ts("2025-02-01T11:00:00Z"), true)
    );
    assert_eq!(apple.location.as_deref(), Some("Biblioth\u{e8}que"));
}

#[test]
fn extreme_ranges_and_limits() {
    let limits = Limits::default();
    let bodies = [
        event("DTSTART:20250101T100000Z\nRRULE:FREQ=WEEKLY"),
        event("DTSTART:20250101T100000Z\nRRULE:FREQ=DAILY;COUNT=20"),
        event("DTSTART;VALUE=DATE:99991231\nRRULE:FREQ=YEARLY"),
        event("DTSTART;VALUE=DATE:00010101\nDURATION:P4294967295W"),
        event("DTSTART:20250101T100000Z\nRRULE:FREQ=DAILY;BYDAY=MO;BYSETPOS=-9223372036854775808"),
    ];
    let ranges = [
        (i64::MIN, i64::MAX),
        (i64::MIN / 2, i64::MAX / 2),
        (0, i64::MAX),
        (i64::MIN, 0),
        (NOW, NOW + 1),
    ];
    for body in &bodies {
        for (from, until) in ranges {
            let _ = expand_between(body, Paris, from, until, &limits);
        }
        for years in [i32::MIN, -1, 0, 1, i32::MAX] {
            let limits = Limits {
                horizon_years: years,
                ..Limits::default()
            };
            let _ = parse_object_at(body, Paris, &limits, NOW);
        }
    }
    let finite = expand_between(&bodies[1], Paris, i64::MIN, i64::MAX, &limits);
    assert_eq!(finite.map(|v| v.len()).ok(), Some(20));
    assert!(matches!(
        expand_between(&bodies[0], Paris, i64::MIN / 2, i64::MAX / 2, &limits),
        Err(IcalError::TooManyInstances(_))
    ));
}

#[test]
fn lenient_line_forms() {
    let bodies = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT \r\nUID:a\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "begin:vcalendar\r\nversion:2.0\r\nbegin:vevent\r\nuid:a\r\ndtstart:20250101T100000Z\r\nend:vevent\r\nend:vcalendar\r\n",
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART:20250101T100000Z\nEND:VEVENT\nEND:VCALENDAR",
        "BEGIN:VCALENDAR\rVERSION:2.0\rBEGIN:VEVENT\rUID:a\rDTSTART:20250101T100000Z\rEND:VEVENT\rEND:VCALENDAR\r",
        "\r\n\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID: a \r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n\r\n",
    ];
    for body in bodies {
        let object = ok(body.as_bytes());
        assert_eq!(object.uid, "a");
        assert_eq!(starts(&object), vec![ts("2025-01-01T10:00:00Z")]);
    }
}

/// Runs the shared fixture corpus (fixtures/ics): every good file is accepted,
/// every file under bad/ is refused with the expected precondition.
#[test]
fn fixture_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ics");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut seen = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ics") {
            let body = std::fs::read(&path).expect("fixture");
            if let Err(err) = parse(&body) {
                panic!("{}: {err:?}", path.display());
            }
            seen += 1;
        }
    }
    assert!(seen > 0);
    let Ok(entries) = std::fs::read_dir(dir.join("bad")) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let body = std::fs::read(&path).expect("fixture");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let result = parse(&body);
        let expected = match name {
            "with-method.ics" | "two-uids.ics" | "mixed-components.ics" => {
                matches!(result, Err(IcalError::InvalidObject(_)))
            }
            "freq-secondly.ics" => matches!(result, Err(IcalError::TooManyInstances(_))),
            _ => matches!(result, Err(IcalError::InvalidData(_))),
        };
        assert!(expected, "{name}: {result:?}");
    }
}

#[test]
fn a_second_class_is_refused() {
    let body = event(
        "DTSTART:20270101T100000Z
         CLASS:PUBLIC
         CLASS:PRIVATE",
    );
    match parse(&body) {
        Err(IcalError::InvalidObject(msg)) => assert!(msg.contains("more than one CLASS"), "{msg}"),
        other => panic!("expected InvalidObject, got {other:?}"),
    }
}

#[test]
fn the_strictest_class_of_any_component_is_the_objects() {
    let body = cal("BEGIN:VEVENT\nUID:e1@test\nDTSTART:20270101T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nCLASS:PUBLIC\nEND:VEVENT\nBEGIN:VEVENT\nUID:e1@test\nRECURRENCE-ID:20270102T100000Z\nDTSTART:20270102T110000Z\nCLASS:CONFIDENTIAL\nEND:VEVENT");
    assert_eq!(ok(&body).class, Class::Confidential);
    let private = cal("BEGIN:VEVENT\nUID:e1@test\nDTSTART:20270101T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:e1@test\nRECURRENCE-ID:20270102T100000Z\nDTSTART:20270102T110000Z\nCLASS:PRIVATE\nEND:VEVENT");
    assert_eq!(ok(&private).class, Class::Private);
}
