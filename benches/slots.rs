//! Benchmark (issue 14): the free slots of a service for 8 weeks, read
//! from a database shaped like a busy service's: 15-minute slots on
//! weekday mornings and afternoons for 2 people at once (888 slots in 8
//! weeks), 800 advisers' events around now (every tenth weekly for a
//! year), 600 bookings, and 20,000 events of other organisers in the
//! instance index.
//!
//! `cargo bench --bench slots` prints the median, 90th percentile and
//! slowest of 2,000 computations, each one `appointments::free_slots` on
//! a read transaction (opening hours, busy time from the index, bookings
//! per slot), as the public page runs it.

use concord::appointments::{self, PermanenceInput};
use concord::store::accounts::{self, NewPrincipal, Role};
use concord::store::appointments as store;
use concord::store::collections::{self, CalendarProps, NewCollection};
use concord::store::{objects, open_connection};
use std::time::Instant;

const NOW: i64 = 1_795_860_000; // 2026-11-28T10:00:00Z, a Saturday

fn event(uid: &str, start: i64, minutes: i64, extra: &str) -> Vec<u8> {
    let utc = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\n{extra}SUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        utc(start),
        utc(start + minutes * 60)
    )
    .into_bytes()
}

/// CPU time of this thread: on a shared machine, wall time also counts
/// the time other processes held the core.
fn thread_cpu() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(&dir.path().join("bench.db")).unwrap();
    let tz = chrono_tz::Europe::Paris;
    let limits = concord::ical::Limits::default();
    conn.execute_batch("BEGIN").unwrap();
    let principal = |login: &str, kind: &str| {
        let id = accounts::insert(
            &conn,
            &NewPrincipal {
                login,
                display_name: login,
                kind,
                role: Role::Organiser,
                commune: None,
                password_hash: "x",
            },
        )
        .unwrap();
        let calendar = collections::create(
            &conn,
            id,
            "main",
            NewCollection::AccountCalendar,
            &CalendarProps::default(),
        )
        .unwrap();
        (id, calendar)
    };
    let put = |calendar: i64, name: &str, body: &[u8]| {
        let object = concord::ical::parse_object(body, tz, &limits).unwrap();
        objects::put(&conn, calendar, name, body, &object).unwrap();
    };
    // Other organisers: 100 x 200 events over the year around now.
    for o in 0..100 {
        let (_, calendar) = principal(&format!("asso-{o}"), "association");
        for e in 0..200 {
            let start = NOW - 180 * 86_400 + (o * 7919 + e * 104_729) % (365 * 86_400);
            put(
                calendar,
                &format!("e{e}.ics"),
                &event(&format!("a{o}-{e}"), start, 120, ""),
            );
        }
    }
    let (service, calendar) = principal("fs", "service");
    let permanence = appointments::permanence_from(
        service,
        &PermanenceInput {
            place: "Maison France services",
            themes: "Démarches en ligne\nCV",
            hours: "lun 9:00-12:00 14:00-17:00; mar 9:00-12:00 14:00-17:00; mer 9:00-12:00 14:00-17:00; jeu 9:00-12:00 14:00-17:00; ven 9:00-12:00 14:00-17:00",
            closed: "2026-12-24..2026-12-26, 2027-01-01",
            slot_minutes: 15,
            capacity: 2,
            days_ahead: 56,
            minutes_before: 60,
            bring: "",
        },
    )
    .unwrap();
    let permanence_id = store::add_permanence(&conn, &permanence).unwrap();
    let permanence = store::permanence(&conn, permanence_id).unwrap().unwrap();
    // Advisers' events: 300 in the window (every tenth weekly for a year),
    // and 500 in the past.
    for e in 0..800i64 {
        let start = NOW - 500 * 3600 + e * 7 * 3600 + (e % 4) * 900;
        let extra = if e % 10 == 0 {
            "RRULE:FREQ=WEEKLY;COUNT=52\r\n"
        } else {
            ""
        };
        put(
            calendar,
            &format!("adv{e}.ics"),
            &event(&format!("adv{e}"), start, 45, extra),
        );
    }
    // Bookings: 600 in the window, on real slots.
    let candidates = appointments::slots::Rules::of(&permanence)
        .unwrap()
        .candidates(tz, NOW);
    for (n, (start, end)) in candidates.iter().step_by(3).take(600).enumerate() {
        let name = format!("rdv-{n}.ics");
        store::insert_booking(
            &conn,
            &store::NewBooking {
                permanence_id,
                service_id: service,
                start: *start,
                end: *end,
                theme: "CV",
                name: "Habitant",
                phone: Some("0556000000"),
                email: None,
                commune: None,
                note: None,
                token_digest: &concord::tokens::digest(&n.to_string()),
                booked_by: None,
                object_name: &name,
            },
        )
        .unwrap();
        let body = appointments::event::BookingEvent {
            uid: &name,
            start: *start,
            end: *end,
            now: NOW,
            theme: "CV",
            place: "Maison France services",
            name: "Habitant",
            phone: Some("0556000000"),
            email: None,
            commune: None,
            note: None,
            booked_by: None,
        }
        .to_ics();
        put(calendar, &name, &body);
    }
    conn.execute_batch("COMMIT; ANALYZE").unwrap();
    drop(conn);

    // Read as the server does: a read-only connection, one transaction each.
    let mut conn = rusqlite::Connection::open_with_flags(
        dir.path().join("bench.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    concord::store::schema::configure_reads(&conn).unwrap();
    let mut times = Vec::with_capacity(2000);
    let mut cpu = Vec::with_capacity(2000);
    let mut count = 0;
    for i in 0..2100 {
        let started = Instant::now();
        let started_cpu = thread_cpu();
        let tx = conn.transaction().unwrap();
        let slots = appointments::free_slots(&tx, &permanence, tz, NOW).unwrap();
        drop(tx);
        let took = started.elapsed();
        if i >= 100 {
            times.push(took);
            cpu.push(thread_cpu() - started_cpu);
        }
        count = slots.len();
    }
    times.sort();
    cpu.sort();
    let at = |v: &[std::time::Duration], q: f64| {
        v[((v.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3
    };
    println!(
        "free slots of a service, 8 weeks ({} candidate slots, {count} free), {} runs:",
        candidates.len(),
        times.len()
    );
    println!(
        "  wall time: median {:.3} ms, p90 {:.3} ms, max {:.3} ms",
        at(&times, 0.5),
        at(&times, 0.9),
        at(&times, 1.0)
    );
    println!(
        "  CPU time:  median {:.3} ms, p90 {:.3} ms, max {:.3} ms",
        at(&cpu, 0.5),
        at(&cpu, 0.9),
        at(&cpu, 1.0)
    );
}
