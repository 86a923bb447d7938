//! Each organiser's read-only "Conflits" calendar: one event per conflict
//! that involves it, so the conflict shows in its own phone or Thunderbird.
//! Staff get one too, with every conflict of the territory (private events
//! shown as they are, as staff read every calendar).
//! It is a real calendar collection, so sync tokens, ETags and queries work
//! as for any calendar. The server brings it up to date when someone who
//! may read it asks for it and the data changed since: reading has no other
//! effect, and a calendar that is already up to date is never written.

use super::{Audience, Conflict, EventSide, Report};
use crate::app::App;
use crate::ical::CalendarObject;
use crate::locks::lock;
use crate::query::export::escape_text;
use crate::query::tree::fold_into;
use crate::store::accounts::{Principal, Role};
use crate::store::collections::{self, CalendarProps, NewCollection};
use crate::store::{objects, StoreError};
use chrono::TimeZone;
use std::collections::HashMap;
use std::sync::Arc;

/// Its path in every organiser's and staff member's calendar home.
pub const PATH: &str = crate::paths::CONFLICTS;

/// What the calendars were last brought up to: the store generation read
/// before the data was read, and the day (the calendars cover a window
/// around it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    day: chrono::NaiveDate,
}

impl Stamp {
    fn now(app: &App) -> Stamp {
        Stamp {
            generation: app.store.generation(),
            day: crate::clock::today(app.timezone),
        }
    }

    /// Whether data read at `self` includes every commit a request that
    /// started at `wanted` must see (its own writes, answered before it).
    fn covers(self, wanted: Stamp) -> bool {
        self.day == wanted.day && self.generation >= wanted.generation
    }
}

/// Per account (by id: only accounts that exist and that the requester may
/// read get an entry, so the map is bounded by the number of accounts),
/// what its calendar was last brought up to; and the reports shared by all
/// of them: one as organisers see conflicts, one as staff do.
#[derive(Default)]
pub struct State {
    refreshed: std::sync::Mutex<HashMap<i64, Stamp>>,
    report: std::sync::Mutex<Option<(Stamp, Arc<Report>)>>,
    staff_report: std::sync::Mutex<Option<(Stamp, Arc<Report>)>>,
    /// One refresh at a time: concurrent readers wait for the running one,
    /// then find their calendar (or at least the report) up to date rather
    /// than each computing every conflict.
    turn: tokio::sync::Mutex<()>,
}

impl State {
    fn report_of(&self, audience: Audience) -> &std::sync::Mutex<Option<(Stamp, Arc<Report>)>> {
        match audience {
            Audience::Organisers => &self.report,
            Audience::Staff => &self.staff_report,
        }
    }
}

/// Makes the calendar in the home of `owner_id`, whose role says what it
/// will hold.
pub fn create(conn: &rusqlite::Connection, owner_id: i64, role: Role) -> crate::store::Result<i64> {
    let description = if role.reads_everything() {
        "Tous les conflits entre événements des organisateurs du territoire (lecture seule)."
    } else {
        "Les événements d'autres organisateurs qui entrent en conflit avec les vôtres (lecture seule)."
    };
    let props = CalendarProps {
        display_name: Some(Some("Conflits".into())),
        description: Some(Some(description.into())),
        color: Some(Some("#C62828FF".into())),
        ..CalendarProps::default()
    };
    collections::create(conn, owner_id, PATH, NewCollection::Managed, &props)
}

/// Brings `owner`'s conflicts calendar up to date if the data changed since
/// it last was; true when it wrote (the caller's view of the calendar is
/// then stale). The caller has checked that the requester may read it.
pub async fn refresh(app: &Arc<App>, owner: &Principal) -> Result<bool, StoreError> {
    let audience = if owner.role.reads_everything() {
        Audience::Staff
    } else {
        Audience::Organisers
    };
    let state = &app.conflict_calendars;
    let wanted = Stamp::now(app);
    let fresh = || {
        lock(&state.refreshed)
            .get(&owner.id)
            .is_some_and(|stamp| stamp.covers(wanted))
    };
    if fresh() {
        return Ok(false);
    }
    let _turn = state.turn.lock().await;
    if fresh() {
        return Ok(false);
    }
    let (stamp, report) = shared_report(app, wanted, audience).await?;
    let mut events: Vec<(String, String)> = report
        .conflicts
        .iter()
        .filter_map(|c| match audience {
            Audience::Organisers => event(app, c, &owner.login),
            Audience::Staff => Some(staff_event(app, c)),
        })
        .collect();
    // An organiser also sees here which of its events staff hid (and why)
    // or wait for approval: the events themselves never change.
    if audience == Audience::Organisers {
        let owner_id = owner.id;
        let states = app
            .store
            .read(move |conn| crate::store::moderation::states_of_owner(conn, owner_id))
            .await?;
        events.extend(states.iter().map(|state| moderation_event(app, state)));
    }
    let (owner_id, role, tz, limits) = (owner.id, owner.role, app.timezone, app.ical_limits());
    // Compared on a reader: most refreshes find nothing to change, and
    // then write nothing (a write would also empty every cache).
    let changes = app
        .store
        .read(move |conn| Changes::between(conn, owner_id, events, tz, &limits))
        .await?;
    // What an organiser's calendar shows is remembered for the indicators
    // (a conflict shown, then gone after one of its events moved, was
    // avoided); written only with a change of the calendar.
    let shown: Vec<crate::store::acks::Shown> = match audience {
        Audience::Organisers => report
            .conflicts
            .iter()
            .filter(|c| {
                c.a.organiser.login == owner.login
                    || c.b
                        .as_ref()
                        .is_some_and(|b| b.organiser.login == owner.login)
            })
            .map(|c| crate::store::acks::Shown {
                key: c.key.clone(),
                start: c.start,
                a: (c.a.object_id, c.a.seq),
                b: c.b.as_ref().map(|b| (b.object_id, b.seq)),
            })
            .collect(),
        Audience::Staff => Vec::new(),
    };
    let wrote = match changes {
        Some(changes) => {
            app.store
                .write(move |tx| {
                    changes.apply(tx, owner_id, role)?;
                    crate::store::acks::record_shown(tx, &shown)
                })
                .await?;
            true
        }
        None => false,
    };
    lock(&state.refreshed).insert(owner.id, stamp);
    Ok(wrote)
}

/// What a refresh writes into one calendar.
struct Changes {
    put: Vec<(String, String, CalendarObject)>,
    delete: Vec<String>,
}

impl Changes {
    /// From what the calendar holds to `events`; `None` when there is
    /// nothing to write (or a collection of the owner's took the name).
    fn between(
        conn: &rusqlite::Connection,
        owner_id: i64,
        events: Vec<(String, String)>,
        tz: chrono_tz::Tz,
        limits: &crate::ical::Limits,
    ) -> crate::store::Result<Option<Changes>> {
        let (exists, mut stored) = match collections::get(conn, owner_id, PATH)? {
            Some(collection) if collection.managed => (true, objects::bodies(conn, collection.id)?),
            Some(_) => return Ok(None),
            None => (false, HashMap::new()),
        };
        let mut put = Vec::new();
        for (name, body) in events {
            if stored.remove(&name).as_deref() == Some(body.as_bytes()) {
                continue;
            }
            if let Ok(object) = crate::ical::parse_object(body.as_bytes(), tz, limits) {
                put.push((name, body, object));
            }
        }
        let delete: Vec<String> = stored.into_keys().collect();
        Ok((!exists || !put.is_empty() || !delete.is_empty()).then_some(Changes { put, delete }))
    }

    fn apply(
        self,
        tx: &rusqlite::Transaction,
        owner_id: i64,
        role: Role,
    ) -> crate::store::Result<()> {
        let id = match collections::get(tx, owner_id, PATH)? {
            Some(collection) if collection.managed => collection.id,
            Some(_) => return Ok(()),
            None => create(tx, owner_id, role)?,
        };
        for (name, body, object) in &self.put {
            objects::put(tx, id, name, body.as_bytes(), object)?;
        }
        for name in &self.delete {
            objects::delete(tx, id, name)?;
        }
        Ok(())
    }
}

/// The conflicts organisers see, from a month back to a year ahead, as of
/// now: the report their conflicts calendars are made from (shared, and
/// computed again only when the data or the day changed).
pub async fn organisers_report(app: &Arc<App>) -> Result<Arc<Report>, StoreError> {
    let wanted = Stamp::now(app);
    Ok(shared_report(app, wanted, Audience::Organisers).await?.1)
}

/// Conflicts from a month back to a year ahead, computed once for every
/// calendar of the audience from data at least as recent as `wanted`.
async fn shared_report(
    app: &Arc<App>,
    wanted: Stamp,
    audience: Audience,
) -> Result<(Stamp, Arc<Report>), StoreError> {
    let slot = app.conflict_calendars.report_of(audience);
    if let Some((stamp, report)) = lock(slot).as_ref() {
        if stamp.covers(wanted) {
            return Ok((*stamp, report.clone()));
        }
    }
    // Read before the data, so that the stamp never claims a commit the
    // report may have missed.
    let stamp = Stamp::now(app);
    let midnight = |d: chrono::NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(stamp.day - chrono::Duration::days(31)),
        midnight(stamp.day + chrono::Duration::days(366)),
    );
    let (territory, tz) = (app.territory().await?, app.timezone);
    let report = Arc::new(
        app.store
            .read(move |conn| super::compute(conn, &territory, tz, (from, to), audience))
            .await?,
    );
    *lock(slot) = Some((stamp, report.clone()));
    Ok((stamp, report))
}

/// The calendar object describing `conflict` to `login`: its own event's
/// time and place, the other event and how to reach its organiser.
fn event(app: &App, conflict: &Conflict, login: &str) -> Option<(String, String)> {
    let (mine, other) = if conflict.a.organiser.login == login {
        (&conflict.a, conflict.b.as_ref())
    } else if conflict
        .b
        .as_ref()
        .is_some_and(|b| b.organiser.login == login)
    {
        (conflict.b.as_ref()?, Some(&conflict.a))
    } else {
        return None;
    };
    let seen = if conflict.acknowledged {
        " (vu par l'intercommunalité)"
    } else {
        ""
    };
    let summary = match other {
        Some(other) => format!(
            "Conflit : {} — {}{seen}",
            other.summary, other.organiser.name
        ),
        None => format!("Conflit : {}{seen}", conflict.description),
    };
    let tz = app.timezone;
    let mut description = format!("{}.\n", conflict.description);
    description.push_str(&format!(
        "Votre événement : {}, {}.\n",
        mine.summary,
        crate::french::instant(tz, mine.start_utc, mine.all_day)
    ));
    if let Some(other) = other {
        description.push_str(&format!(
            "Autre événement : {}, {}.\n",
            other.summary,
            crate::french::span(tz, other.start_utc, other.end_utc, other.all_day)
        ));
        description.push_str(&contact(other));
    }
    let when = When {
        start: mine.start_utc,
        end: mine.end_utc,
        all_day: mine.all_day,
    };
    Some(object(
        app,
        &conflict.key,
        &summary,
        &description,
        when,
        mine.location.as_deref(),
    ))
}

/// The calendar object describing `conflict` to staff: both events, when
/// and where, and how to reach both organisers. It spans both events.
fn staff_event(app: &App, conflict: &Conflict) -> (String, String) {
    let tz = app.timezone;
    let (a, b): (&EventSide, _) = (&conflict.a, conflict.b.as_deref());
    let seen = if conflict.acknowledged { " (vu)" } else { "" };
    let summary = match b {
        Some(b) => format!(
            "Conflit : {} ({}) / {} ({}){seen}",
            a.summary, a.organiser.name, b.summary, b.organiser.name
        ),
        None => format!("Conflit : {}{seen}", conflict.description),
    };
    let mut description = format!("{}.\n", conflict.description);
    for side in std::iter::once(a).chain(b) {
        description.push_str(&format!(
            "{}, {}.\n",
            side.summary,
            crate::french::span(tz, side.start_utc, side.end_utc, side.all_day)
        ));
        description.push_str(&contact(side));
    }
    description.push_str(&format!(
        "Pour le marquer comme vu : concord acknowledge {}\n",
        conflict.key
    ));
    let sides = || std::iter::once(a).chain(b);
    let when = When {
        start: sides().map(|s| s.start_utc).min().unwrap_or(a.start_utc),
        end: sides().map(|s| s.end_utc).max().unwrap_or(a.end_utc),
        all_day: sides().all(|s| s.all_day),
    };
    let location = a
        .location
        .as_deref()
        .or(b.and_then(|b| b.location.as_deref()));
    object(app, &conflict.key, &summary, &description, when, location)
}

/// When a conflict event is shown: UTC instants, or the local days they
/// cover for all-day events.
struct When {
    start: i64,
    end: i64,
    all_day: bool,
}

/// The object's name (from the conflict's key, stable while the conflict
/// lasts) and its iCalendar text.
fn object(
    app: &App,
    key: &str,
    summary: &str,
    description: &str,
    when: When,
    location: Option<&str>,
) -> (String, String) {
    let name = {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::digest(key.as_bytes());
        digest[..10]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let utc = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default()
    };
    let date = |t: i64| {
        app.timezone
            .timestamp_opt(t, 0)
            .single()
            .map(|t| t.format("%Y%m%d").to_string())
            .unwrap_or_default()
    };
    let (start, end) = if when.all_day {
        (
            format!("DTSTART;VALUE=DATE:{}", date(when.start)),
            format!(
                "DTEND;VALUE=DATE:{}",
                date(when.end.max(when.start + 86400))
            ),
        )
    } else {
        (
            format!("DTSTART:{}", utc(when.start)),
            format!("DTEND:{}", utc(when.end.max(when.start))),
        )
    };
    let mut text = String::new();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//concord//conflits//FR".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:conflit-{name}@concord"),
        format!("DTSTAMP:{}", utc(when.start)),
        start,
        end,
        format!("SUMMARY:{}", escape_text(summary)),
        format!("DESCRIPTION:{}", escape_text(description)),
        "CLASS:PRIVATE".to_owned(),
        "TRANSP:TRANSPARENT".to_owned(),
        "CATEGORIES:Conflit".to_owned(),
        format!("X-CONCORD-CONFLICT-KEY:{}", escape_text(key)),
    ];
    for line in lines {
        fold_into(&mut text, &line);
    }
    if let Some(location) = location {
        fold_into(&mut text, &format!("LOCATION:{}", escape_text(location)));
    }
    fold_into(&mut text, "END:VEVENT");
    fold_into(&mut text, "END:VCALENDAR");
    (format!("{name}.ics"), text)
}

/// The calendar object telling an organiser that staff hid one of its
/// events (with the reason) or that it waits for approval, at the event's
/// first date.
fn moderation_event(app: &App, state: &crate::store::moderation::EventState) -> (String, String) {
    let (summary, description) = match &state.hidden {
        Some((reason, _, _)) => (
            format!("Masqué de l'agenda public\u{202f}: {}", state.summary),
            format!(
                "L'intercommunalité a masqué cet événement de l'agenda public, des flux et de l'agenda imprimé.\nRaison\u{202f}: {reason}\nVotre événement n'est pas modifié\u{202f}; il reste dans votre agenda.\n"
            ),
        ),
        None => (
            format!("En attente de validation\u{202f}: {}", state.summary),
            "L'intercommunalité validera cette version avant qu'elle paraisse dans l'agenda public\u{202f}; en attendant, le public voit la version validée précédente, ou rien pour un nouvel événement.\n".to_owned(),
        ),
    };
    let when = When {
        start: state.start,
        end: state.end,
        all_day: state.all_day,
    };
    object(
        app,
        &format!("moderation:{}", state.object_id),
        &summary,
        &description,
        when,
        None,
    )
}

fn contact(side: &EventSide) -> String {
    let card = &side.organiser;
    let mut out = format!("Organisateur : {}", card.name);
    for (label, value) in [
        ("courriel", &card.email),
        ("téléphone", &card.phone),
        ("site", &card.website),
    ] {
        if let Some(value) = value {
            out.push_str(&format!(", {label} {value}"));
        }
    }
    out.push_str(".\n");
    out
}
