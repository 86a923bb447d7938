//! The organiser's home (`/espace/`): its events, upcoming then past, from
//! all its calendars; a series once, with its rule in words and its next
//! date; each with its calendar, whether the public sees it, and the
//! conflicts concord sees (the report behind the conflicts calendars).

use super::events::calendar_name;
use crate::compose::read::read;
use crate::conflicts::calendar::organisers_report;
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::owned::{self, OwnedEvent, Span};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use std::collections::HashMap;

/// Past events shown unless all are asked for.
const PAST_SHOWN: usize = 20;

/// Upcoming events shown unless all are asked for: the page stays under
/// 60 KB with the busiest organisers (200 events, many in conflict).
const UPCOMING_SHOWN: usize = 100;

/// Conflicts named per event; the others are counted (a weekly series at
/// a busy hall may have dozens: they are all in the conflicts calendar).
const CONFLICTS_SHOWN: usize = 3;

pub struct Item {
    pub id: i64,
    pub title: String,
    pub when: String,
    /// The repetition in words, for a series.
    pub repeat: Option<String>,
    pub location: Option<String>,
    pub calendar: String,
    pub public: bool,
    pub cancelled: bool,
    pub conflicts: Vec<String>,
    /// Conflicts not named.
    pub more_conflicts: usize,
}

#[derive(Template)]
#[template(path = "espace/home.html")]
struct HomePage {
    chrome: Chrome,
    notice: Option<&'static str>,
    upcoming: Vec<Item>,
    past: Vec<Item>,
    /// Past events not shown (all of them are at `?passes=tous`).
    past_hidden: usize,
    /// Upcoming events not shown (all of them are at `?a_venir=tous`).
    upcoming_hidden: usize,
    conflicts_unknown: bool,
    /// The calendar is named only when there are several.
    several_calendars: bool,
}

pub async fn page(visit: &Visit<'_>, user: &Principal) -> Response {
    let app = visit.app;
    let params = crate::params::pairs(&visit.request.query).unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let all_past = param("passes") == Some("tous");
    let all_upcoming = param("a_venir") == Some("tous");
    let notice = match param("fait") {
        Some("enregistre") => Some("L'événement est enregistré."),
        Some("inchange") => Some("Rien n'a changé : l'événement est resté tel quel."),
        Some("supprime") => Some("L'événement est supprimé."),
        _ => None,
    };
    let owner = user.id;
    let now = crate::clock::timestamp();
    let listed = app
        .store
        .read(move |conn| {
            let calendars: HashMap<i64, String> = owned::event_calendars(conn, owner)?
                .iter()
                .map(|c| (c.id, calendar_name(c)))
                .collect();
            Ok((owned::events(conn, owner, now)?, calendars))
        })
        .await;
    let (events, calendars) = match listed {
        Ok(listed) => listed,
        Err(error) => {
            tracing::error!("cannot list an organiser's events: {error}");
            return page::unavailable(visit, "La liste de vos événements");
        }
    };
    // Conflicts as the organiser's conflicts calendar shows them.
    let report = organisers_report(app).await;
    let conflicts_unknown = report.is_err();
    let mut conflicts: HashMap<i64, Vec<String>> = HashMap::new();
    if let Ok(report) = &report {
        let tz = app.timezone;
        for c in &report.conflicts {
            let sides = [Some(&c.a), c.b.as_ref()];
            for (mine, other) in [(sides[0], sides[1]), (sides[1], sides[0])] {
                let Some(mine) = mine.filter(|s| s.organiser.login == user.login) else {
                    continue;
                };
                let named = conflicts.entry(mine.object_id).or_default();
                if named.len() > CONFLICTS_SHOWN {
                    // Counted only: the text is not worth making.
                    named.push(String::new());
                    continue;
                }
                let with = other
                    .filter(|o| o.organiser.login != user.login)
                    .map(|o| format!(" — {} ({})", o.summary, o.organiser.name))
                    .unwrap_or_default();
                named.push(format!(
                    "{} : {}{with}",
                    crate::french::instant(tz, mine.start_utc, mine.all_day),
                    c.description
                ));
            }
        }
    }
    // Listed upcoming first (by next date), then past (latest first):
    // only the events shown are made into items.
    let upcoming_count = events.iter().filter(|e| e.next.is_some()).count();
    let past_count = events.len() - upcoming_count;
    let upcoming_shown = match all_upcoming {
        true => upcoming_count,
        false => upcoming_count.min(UPCOMING_SHOWN),
    };
    let past_shown = match all_past {
        true => past_count,
        false => past_count.min(PAST_SHOWN),
    };
    let mut upcoming = Vec::with_capacity(upcoming_shown);
    let mut past = Vec::with_capacity(past_shown);
    for (n, event) in events.into_iter().enumerate() {
        if n < upcoming_shown {
            upcoming.push(item(visit, event, &calendars, &mut conflicts));
        } else if n >= upcoming_count && n - upcoming_count < past_shown {
            past.push(item(visit, event, &calendars, &mut conflicts));
        }
    }
    let upcoming_hidden = upcoming_count - upcoming_shown;
    let past_hidden = past_count - past_shown;
    let several_calendars = calendars.len() > 1;
    page::render(&HomePage {
        several_calendars,
        chrome: Chrome::new(visit, "Mon espace"),
        notice,
        upcoming,
        past,
        past_hidden,
        upcoming_hidden,
        conflicts_unknown,
    })
}

fn item(
    visit: &Visit,
    event: OwnedEvent,
    calendars: &HashMap<i64, String>,
    conflicts: &mut HashMap<i64, Vec<String>>,
) -> Item {
    let tz = visit.app.timezone;
    let span = |s: Span| crate::french::span(tz, s.start, s.end, s.all_day);
    let when = match (event.next, event.last) {
        (Some(next), _) if event.recurring => format!("Prochaine date : {}", span(next)),
        (Some(next), _) => span(next),
        (None, Some(last)) if event.recurring => format!("Dernière date : {}", span(last)),
        (None, Some(last)) => span(last),
        (None, None) => "Sans date".to_owned(),
    };
    let repeat = event.body.as_deref().and_then(|body| {
        let stored = read(body, tz).ok()?;
        Some(match (&stored.draft.repeat, &stored.rule_text) {
            (Some(repeat), _) => repeat.describe(&stored.draft.when),
            (None, Some(rule)) => format!("répétition réglée dans une application ({rule})"),
            (None, None) => "plusieurs dates".to_owned(),
        })
    });
    let mut item = Item {
        id: event.id,
        title: event
            .summary
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "(sans titre)".to_owned()),
        when,
        repeat,
        location: event.location.filter(|l| !l.trim().is_empty()),
        calendar: calendars
            .get(&event.collection_id)
            .cloned()
            .unwrap_or_default(),
        public: event.public,
        cancelled: event.cancelled,
        more_conflicts: 0,
        conflicts: Vec::new(),
    };
    let mut named = conflicts.remove(&event.id).unwrap_or_default();
    if named.len() > CONFLICTS_SHOWN {
        item.more_conflicts = named.len() - CONFLICTS_SHOWN;
        named.truncate(CONFLICTS_SHOWN);
    }
    item.conflicts = named;
    item
}
