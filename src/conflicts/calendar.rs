//! Each organiser's read-only "Conflits" calendar: one event per conflict
//! that involves it, so the conflict shows in its own phone or Thunderbird.
//! It is a real calendar collection that the server rewrites when the data
//! changed since it was last looked at, so sync tokens, ETags and queries
//! work as for any calendar.

use super::{Conflict, EventSide, Report};
use crate::app::App;
use crate::locks::lock;
use crate::query::export::escape_text;
use crate::query::tree::fold_into;
use crate::store::collections::{self, CalendarProps, NewCollection};
use crate::store::{accounts, objects, views, StoreError};
use chrono::TimeZone;
use std::collections::HashMap;
use std::sync::Arc;

/// Its path in every organiser's calendar home.
pub const PATH: &str = "conflits";

/// The generation each organiser's calendar was last brought up to, and the
/// report shared by all of them for one generation and day.
#[derive(Default)]
pub struct State {
    refreshed: std::sync::Mutex<HashMap<String, u64>>,
    report: std::sync::Mutex<Option<(u64, chrono::NaiveDate, Arc<Report>)>>,
}

pub fn create(conn: &rusqlite::Connection, owner_id: i64) -> crate::store::Result<i64> {
    let props = CalendarProps {
        display_name: Some(Some("Conflits".into())),
        description: Some(Some(
            "Les événements d'autres organisateurs qui entrent en conflit avec les vôtres (lecture seule)."
                .into(),
        )),
        color: Some(Some("#C62828FF".into())),
        ..CalendarProps::default()
    };
    collections::create(conn, owner_id, PATH, NewCollection::Managed, &props)
}

/// Brings `login`'s conflicts calendar up to date, if anything changed.
pub async fn refresh(app: &Arc<App>, login: &str) -> Result<(), StoreError> {
    let generation = app.store.generation();
    if lock(&app.conflict_calendars.refreshed).get(login) == Some(&generation) {
        return Ok(());
    }
    let report = shared_report(app, generation).await?;
    let events: Vec<(String, String)> = report
        .conflicts
        .iter()
        .filter_map(|c| event(app, c, login))
        .collect();
    let login_owned = login.to_owned();
    let tz = app.timezone;
    let limits = app.ical_limits();
    app.store
        .write(move |tx| {
            let Some(owner) = accounts::by_login(tx, &login_owned)? else {
                return Ok(());
            };
            if owner.role != accounts::Role::Organiser {
                return Ok(());
            }
            let id = match collections::get(tx, owner.id, PATH)? {
                Some(collection) if collection.managed => collection.id,
                Some(_) => return Ok(()), // a collection of the user's own took the name
                None => create(tx, owner.id)?,
            };
            let mut existing: HashMap<String, Vec<u8>> =
                views::list(tx, views::Scope::Collection(id), false)?
                    .into_iter()
                    .filter_map(|m| objects::with_body(tx, id, &m.name).ok().flatten())
                    .map(|(m, body)| (m.name, body))
                    .collect();
            for (name, body) in &events {
                if existing.remove(name).as_deref() == Some(body.as_bytes()) {
                    continue;
                }
                if let Ok(object) = crate::ical::parse_object(body.as_bytes(), tz, &limits) {
                    objects::put(tx, id, name, body.as_bytes(), &object)?;
                }
            }
            for name in existing.keys() {
                objects::delete(tx, id, name)?;
            }
            Ok(())
        })
        .await?;
    lock(&app.conflict_calendars.refreshed).insert(login.to_owned(), app.store.generation());
    Ok(())
}

/// Conflicts from a month back to a year ahead, computed once per data
/// generation and day for every organiser's calendar.
async fn shared_report(app: &Arc<App>, generation: u64) -> Result<Arc<Report>, StoreError> {
    let today = crate::clock::today(app.timezone);
    if let Some((g, day, report)) = lock(&app.conflict_calendars.report).as_ref() {
        if *g == generation && *day == today {
            return Ok(report.clone());
        }
    }
    let midnight = |d: chrono::NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(today - chrono::Duration::days(31)),
        midnight(today + chrono::Duration::days(366)),
    );
    let app2 = app.clone();
    let report = Arc::new(
        app.store
            .read(move |conn| {
                super::compute(
                    conn,
                    &app2.config,
                    app2.timezone,
                    (from, to),
                    super::Audience::Organisers,
                )
            })
            .await?,
    );
    *lock(&app.conflict_calendars.report) = Some((generation, today, report.clone()));
    Ok(report)
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
    let name = {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::digest(conflict.key.as_bytes());
        digest[..10]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
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
    let mut description = format!("{}.\n", conflict.description);
    description.push_str(&format!(
        "Votre événement : {} ({}).\n",
        mine.summary, mine.start
    ));
    if let Some(other) = other {
        description.push_str(&format!(
            "Autre événement : {} ({} – {}).\n",
            other.summary, other.start, other.end
        ));
        description.push_str(&contact(other));
    }
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
    let (start, end) = if mine.all_day {
        (
            format!("DTSTART;VALUE=DATE:{}", date(mine.start_utc)),
            format!(
                "DTEND;VALUE=DATE:{}",
                date(mine.end_utc.max(mine.start_utc + 86400))
            ),
        )
    } else {
        (
            format!("DTSTART:{}", utc(mine.start_utc)),
            format!("DTEND:{}", utc(mine.end_utc.max(mine.start_utc))),
        )
    };
    let mut text = String::new();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//concord//conflits//FR".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:conflit-{name}@concord"),
        format!("DTSTAMP:{}", utc(mine.start_utc)),
        start,
        end,
        format!("SUMMARY:{}", escape_text(&summary)),
        format!("DESCRIPTION:{}", escape_text(&description)),
        "CLASS:PRIVATE".to_owned(),
        "TRANSP:TRANSPARENT".to_owned(),
        "CATEGORIES:Conflit".to_owned(),
        format!("X-CONCORD-CONFLICT-KEY:{}", escape_text(&conflict.key)),
    ];
    for line in lines {
        fold_into(&mut text, &line);
    }
    if let Some(location) = &mine.location {
        fold_into(&mut text, &format!("LOCATION:{}", escape_text(location)));
    }
    fold_into(&mut text, "END:VEVENT");
    fold_into(&mut text, "END:VCALENDAR");
    Some((format!("{name}.ics"), text))
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
