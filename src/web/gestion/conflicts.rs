//! Conflicts (`/gestion/conflits`): the conflicts of a period with filters
//! (commune, organiser, rule, severity, seen or not), both sides with their
//! organisers' contacts, acknowledging and taking it back, an e-mail to
//! both organisers, the CSV export (`/gestion/conflits.csv`) and the date
//! checker (`/gestion/disponibilite`, the `/api/availability` check as a
//! form).

use super::{bad_form, csv_file, Nav};
use crate::config::{Config, Severity};
use crate::conflicts::{self, availability, Audience, Conflict, EventSide, Report};
use crate::french;
use crate::http::Response;
use crate::store::accounts::{self, Principal};
use crate::store::{acks, audit};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use chrono::{NaiveDate, TimeZone};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use std::sync::Arc;

/// Conflicts shown per page.
const PER_PAGE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    All,
    Yes,
    No,
}

#[derive(Debug, Clone)]
struct Filters {
    from: NaiveDate,
    to: NaiveDate,
    commune: Option<String>,
    organiser: Option<String>,
    rule: Option<String>,
    severity: Option<Severity>,
    seen: Seen,
    page: usize,
}

impl Filters {
    /// The query string of these filters (links: pages, CSV).
    fn query(&self, page: Option<usize>) -> String {
        let mut parts = vec![format!("du={}", self.from), format!("au={}", self.to)];
        let mut add = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                parts.push(format!(
                    "{name}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                ));
            }
        };
        add("commune", &self.commune);
        add("organisateur", &self.organiser);
        add("regle", &self.rule);
        add("gravite", &self.severity.map(|s| s.as_str().to_owned()));
        add(
            "vus",
            &match self.seen {
                Seen::All => None,
                Seen::Yes => Some("oui".into()),
                Seen::No => Some("non".into()),
            },
        );
        if let Some(page) = page.filter(|p| *p > 1) {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

fn filters(visit: &Visit, territory: &Config) -> Result<Filters, String> {
    let today = crate::clock::today(visit.app.timezone);
    let mut f = Filters {
        from: today,
        to: crate::params::add_days(today, super::home::AHEAD_DAYS - 1),
        commune: None,
        organiser: None,
        rule: None,
        severity: None,
        seen: Seen::All,
        page: 1,
    };
    let pairs = crate::params::pairs(&visit.request.query).map_err(|e| e.to_string())?;
    for (key, value) in pairs {
        if value.is_empty() {
            continue;
        }
        let name = crate::params::canonical_name(&key).unwrap_or(key.as_str());
        match name {
            "du" => f.from = crate::params::date(&value).map_err(|e| e.to_string())?,
            "au" => f.to = crate::params::date(&value).map_err(|e| e.to_string())?,
            "commune" if territory.commune(&value).is_some() => f.commune = Some(value),
            "commune" => {
                return Err(crate::params::unknown_value(
                    "une commune",
                    &value,
                    territory.communes.iter().map(|c| c.slug.as_str()),
                ))
            }
            // Checked against the organisers when the page is made.
            "organisateur" => f.organiser = Some(value),
            "regle" if territory.rules().iter().any(|r| r.name == value) => f.rule = Some(value),
            "regle" => {
                return Err(crate::params::unknown_value(
                    "une règle",
                    &value,
                    territory
                        .rules()
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .into_iter(),
                ))
            }
            "gravite" => {
                f.severity = Some(match value.as_str() {
                    "hard" => Severity::Hard,
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => {
                        return Err(crate::params::unknown_value(
                            "une gravité",
                            &value,
                            ["hard", "warning", "info"].into_iter(),
                        ))
                    }
                })
            }
            "vus" => {
                f.seen = match value.as_str() {
                    "oui" => Seen::Yes,
                    "non" => Seen::No,
                    _ => Seen::All,
                }
            }
            "page" => f.page = value.parse().unwrap_or(1).max(1),
            _ => {}
        }
    }
    if f.to < f.from || (f.to - f.from).num_days() > 400 {
        return Err(
            "La période doit aller d'une date à une date plus tardive, sur un an au plus.".into(),
        );
    }
    Ok(f)
}

/// The report of a period, filtered, as staff see it.
async fn filtered(
    visit: &Visit<'_>,
) -> Result<(Filters, Report, Arc<Config>, Vec<(String, String)>), Response> {
    let app = visit.app;
    let territory = app
        .territory()
        .await
        .map_err(|_| page::unavailable(visit, "La page des conflits"))?;
    let f = filters(visit, &territory)
        .map_err(|message| page::error(visit, StatusCode::BAD_REQUEST, &message))?;
    let tz = app.timezone;
    let (start, end) = (
        crate::time::local_midnight(tz, f.from),
        crate::time::local_midnight(tz, crate::params::next_day(f.to)),
    );
    // The period's report is kept per store generation: the pages and
    // filters of one period read it again without detecting again.
    let generation = app.store.generation();
    let cached = crate::locks::lock(&app.desk_conflicts)
        .as_ref()
        .filter(|(seen, period, _)| *seen == generation && *period == (start, end))
        .map(|(_, _, report)| report.clone());
    let territory2 = territory.clone();
    let (report, organisers) = app
        .store
        .read(move |conn| {
            let report = match cached {
                Some(report) => report,
                None => Arc::new(conflicts::compute(
                    conn,
                    &territory2,
                    tz,
                    (start, end),
                    Audience::Staff,
                )?),
            };
            let organisers: Vec<(String, String)> = accounts::list(conn)?
                .into_iter()
                .filter(|p| p.role == accounts::Role::Organiser)
                .map(|p| (p.login, p.display_name))
                .collect();
            Ok((report, organisers))
        })
        .await
        .map_err(|_| page::unavailable(visit, "La page des conflits"))?;
    *crate::locks::lock(&app.desk_conflicts) = Some((generation, (start, end), report.clone()));
    let mut report = Report::clone(&report);
    if let Some(login) = &f.organiser {
        if !organisers.iter().any(|(l, _)| l == login) {
            let message = crate::params::unknown_value(
                "un organisateur",
                login,
                organisers.iter().map(|(l, _)| l.as_str()),
            );
            return Err(page::error(visit, StatusCode::BAD_REQUEST, &message));
        }
    }
    conflicts::retain(
        &mut report,
        &territory,
        f.organiser.as_deref(),
        f.commune.as_deref(),
    );
    report.conflicts.retain(|c| {
        f.rule.as_deref().is_none_or(|r| &*c.rule == r)
            && f.severity.is_none_or(|s| c.severity == s)
            && match f.seen {
                Seen::All => true,
                Seen::Yes => c.acknowledged,
                Seen::No => !c.acknowledged,
            }
    });
    Ok((f, report, territory, organisers))
}

pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Hard => "bloquant",
        Severity::Warning => "à surveiller",
        Severity::Info => "pour information",
    }
}

struct Side {
    summary: String,
    when: String,
    location: String,
    commune: String,
    organiser: String,
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
}

struct Item {
    key: String,
    description: String,
    rule: String,
    severity: &'static str,
    acknowledged: bool,
    sides: Vec<Side>,
    /// A `mailto:` to both organisers, when one has an address.
    mailto: Option<String>,
}

struct Choice {
    value: String,
    text: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "gestion/conflits.html")]
struct ConflictsPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    from: NaiveDate,
    to: NaiveDate,
    communes: Vec<Choice>,
    organisers: Vec<Choice>,
    rules: Vec<Choice>,
    severities: Vec<Choice>,
    seen: Vec<Choice>,
    total: usize,
    open: usize,
    items: Vec<Item>,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
    csv: String,
    back: String,
}

fn side(tz: chrono_tz::Tz, territory: &Config, side: &EventSide) -> Side {
    let card = &side.organiser;
    Side {
        summary: side.summary.to_string(),
        when: french::span(tz, side.start_utc, side.end_utc, side.all_day),
        location: side.location.as_deref().unwrap_or("").to_owned(),
        commune: territory
            .commune(&side.commune)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| side.commune.to_string()),
        organiser: card.name.clone(),
        email: card.email.clone().filter(|e| !e.trim().is_empty()),
        phone: card.phone.clone().filter(|p| !p.trim().is_empty()),
        website: card.website.clone().filter(|w| !w.trim().is_empty()),
    }
}

/// A prefilled e-mail to both organisers of a conflict.
fn mailto(tz: chrono_tz::Tz, conflict: &Conflict, signature: &str) -> Option<String> {
    let sides: Vec<&EventSide> = std::iter::once(&*conflict.a)
        .chain(conflict.b.as_deref())
        .collect();
    let mut to: Vec<&str> = Vec::new();
    for s in &sides {
        if let Some(email) = s
            .organiser
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        {
            if !to.contains(&email) {
                to.push(email);
            }
        }
    }
    if to.is_empty() {
        return None;
    }
    let titles: Vec<&str> = sides.iter().map(|s| &*s.summary).collect();
    let subject = format!("Conflit de dates\u{202f}: {}", titles.join(" / "));
    let mut body = String::from(
        "Bonjour,\n\nL'intercommunalité a relevé un conflit entre ces événements\u{202f}:\n",
    );
    for s in &sides {
        body.push_str(&format!(
            "- {}, {}{} ({})\n",
            s.summary,
            french::span(tz, s.start_utc, s.end_utc, s.all_day),
            s.location
                .as_deref()
                .map(|l| format!(", {l}"))
                .unwrap_or_default(),
            s.organiser.name
        ));
    }
    body.push_str(&format!(
        "\n{}.\n\nPouvez-vous vous concerter pour l'éviter\u{202f}? Vous pouvez nous répondre à cette adresse.\n\nCordialement,\n{signature}\n",
        conflict.description
    ));
    let encode = |t: &str| {
        percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    Some(format!(
        "mailto:{}?subject={}&body={}",
        to.iter().map(|e| encode(e)).collect::<Vec<_>>().join(","),
        encode(&subject),
        encode(&body)
    ))
}

fn choices<'a>(
    items: impl Iterator<Item = (&'a str, &'a str)>,
    chosen: Option<&str>,
) -> Vec<Choice> {
    items
        .map(|(value, text)| Choice {
            selected: chosen == Some(value),
            value: value.to_owned(),
            text: text.to_owned(),
        })
        .collect()
}

#[derive(Deserialize)]
struct Acknowledge {
    action: String,
    cle: String,
    #[serde(default)]
    retour: String,
}

pub async fn handle(visit: &Visit<'_>, user: &Principal) -> Response {
    if visit.request.method == Method::POST {
        return acknowledge(visit, user).await;
    }
    let (f, report, territory, organisers) = match filtered(visit).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tz = visit.app.timezone;
    let total = report.conflicts.len();
    let open = report.conflicts.iter().filter(|c| !c.acknowledged).count();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = f.page.min(pages);
    let shown: Vec<&Conflict> = report
        .conflicts
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|c| &**c)
        .collect();
    record_shown(visit, &shown).await;
    let items = shown
        .iter()
        .map(|c| Item {
            key: c.key.clone(),
            description: c.description.to_string(),
            rule: c.rule.to_string(),
            severity: severity_label(c.severity),
            acknowledged: c.acknowledged,
            sides: std::iter::once(&*c.a)
                .chain(c.b.as_deref())
                .map(|s| side(tz, &territory, s))
                .collect(),
            mailto: mailto(tz, c, &user.display_name),
        })
        .collect();
    let rules = territory.rules();
    let back = format!("/gestion/conflits?{}", f.query(Some(page)));
    page::render(&ConflictsPage {
        chrome: Chrome::new(visit, "Conflits"),
        nav: Nav::new(visit, "/gestion/conflits"),
        csrf: visit.csrf_token(),
        from: f.from,
        to: f.to,
        communes: choices(
            territory
                .communes
                .iter()
                .map(|c| (c.slug.as_str(), c.name.as_str())),
            f.commune.as_deref(),
        ),
        organisers: choices(
            organisers.iter().map(|(l, n)| (l.as_str(), n.as_str())),
            f.organiser.as_deref(),
        ),
        rules: choices(
            rules.iter().map(|r| (r.name.as_str(), r.name.as_str())),
            f.rule.as_deref(),
        ),
        severities: choices(
            [
                ("hard", "bloquant"),
                ("warning", "à surveiller"),
                ("info", "pour information"),
            ]
            .into_iter(),
            f.severity.map(|s| s.as_str()),
        ),
        seen: choices(
            [("non", "à voir"), ("oui", "vus")].into_iter(),
            match f.seen {
                Seen::All => None,
                Seen::Yes => Some("oui"),
                Seen::No => Some("non"),
            },
        ),
        total,
        open,
        items,
        page,
        pages,
        previous: (page > 1).then(|| format!("/gestion/conflits?{}", f.query(Some(page - 1)))),
        next: (page < pages).then(|| format!("/gestion/conflits?{}", f.query(Some(page + 1)))),
        csv: format!("/gestion/conflits.csv?{}", f.query(None)),
        back,
    })
}

/// Remembers the conflicts this page showed (for the indicators); writes
/// only those shown for the first time.
async fn record_shown(visit: &Visit<'_>, shown: &[&Conflict]) {
    let all: Vec<acks::Shown> = shown
        .iter()
        .map(|c| acks::Shown {
            key: c.key.clone(),
            start: c.start,
            a: (c.a.object_id, c.a.seq),
            b: c.b.as_ref().map(|b| (b.object_id, b.seq)),
        })
        .collect();
    let keys: Vec<String> = all.iter().map(|s| s.key.clone()).collect();
    let known = visit
        .app
        .store
        .read(move |conn| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            acks::known_shown(conn, &keys)
        })
        .await
        .unwrap_or_default();
    let new: Vec<acks::Shown> = all
        .into_iter()
        .filter(|s| !known.contains(&s.key))
        .collect();
    if !new.is_empty() {
        let _ = visit
            .app
            .store
            .write(move |tx| acks::record_shown(tx, &new))
            .await;
    }
}

async fn acknowledge(visit: &Visit<'_>, user: &Principal) -> Response {
    let form: Acknowledge = match crate::web::form::parse(visit) {
        Ok(form) => form,
        Err(message) => return bad_form(visit, &message),
    };
    let Ok(territory) = visit.app.territory().await else {
        return page::unavailable(visit, "La page des conflits");
    };
    let (tz, key, actor) = (visit.app.timezone, form.cle.clone(), user.login.clone());
    let (done, notice) = match form.action.as_str() {
        "vu" => (
            visit
                .app
                .store
                .write(move |tx| {
                    let Some(conflict) = conflicts::find(tx, &territory, tz, &key)? else {
                        return Ok(false);
                    };
                    let (a, b) = (
                        conflict.a.object_id,
                        conflict.b.as_ref().map(|b| b.object_id),
                    );
                    if !acks::acknowledge_current(tx, &key, (a, b), &actor)? {
                        return Ok(false);
                    }
                    audit::record(tx, &actor, "acknowledge", &key, &conflict.description, "")?;
                    Ok(true)
                })
                .await,
            "vu",
        ),
        "a-voir" => (
            visit
                .app
                .store
                .write(move |tx| {
                    if !acks::remove(tx, &key)? {
                        return Ok(false);
                    }
                    let what = conflicts::find(tx, &territory, tz, &key)?
                        .map(|c| c.description.to_string())
                        .unwrap_or_default();
                    audit::record(tx, &actor, "unacknowledge", &key, &what, "")?;
                    Ok(true)
                })
                .await,
            "a-voir",
        ),
        _ => return bad_form(visit, "Cette action n'existe pas."),
    };
    match done {
        Ok(true) => {
            let back = crate::web::visit::local_path(&form.retour)
                .filter(|p| p.starts_with("/gestion/"))
                .unwrap_or("/gestion/conflits");
            let separator = if back.contains('?') { '&' } else { '?' };
            page::see_other(&format!("{back}{separator}fait={notice}"))
        }
        Ok(false) => page::error(
            visit,
            StatusCode::NOT_FOUND,
            "Ce conflit n'existe plus\u{202f}: l'un des événements a changé ou a été supprimé.",
        ),
        Err(_) => page::unavailable(visit, "La page des conflits"),
    }
}

/// The conflicts of the page's filters as CSV (every page).
pub async fn csv(visit: &Visit<'_>) -> Response {
    let (f, report, territory, _) = match filtered(visit).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tz = visit.app.timezone;
    let mut rows = vec![[
        "Clé",
        "Règle",
        "Gravité",
        "Vu",
        "Description",
        "Événement 1",
        "Quand 1",
        "Lieu 1",
        "Commune 1",
        "Organisateur 1",
        "Courriel 1",
        "Téléphone 1",
        "Événement 2",
        "Quand 2",
        "Lieu 2",
        "Commune 2",
        "Organisateur 2",
        "Courriel 2",
        "Téléphone 2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    for c in &report.conflicts {
        let mut row = vec![
            c.key.clone(),
            c.rule.to_string(),
            severity_label(c.severity).to_owned(),
            if c.acknowledged { "oui" } else { "non" }.to_owned(),
            c.description.to_string(),
        ];
        for s in std::iter::once(Some(&*c.a)).chain([c.b.as_deref()]) {
            match s.map(|s| side(tz, &territory, s)) {
                Some(s) => row.extend([
                    s.summary,
                    s.when,
                    s.location,
                    s.commune,
                    s.organiser,
                    s.email.unwrap_or_default(),
                    s.phone.unwrap_or_default(),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 7)),
            }
        }
        rows.push(row);
    }
    csv_file(&format!("conflits-{}-{}.csv", f.from, f.to), &rows)
}

// ---- The date checker ----

struct Suggestion {
    when: String,
    /// The checker's address for that date.
    href: String,
}

#[derive(Template)]
#[template(path = "gestion/disponibilite.html")]
struct AvailabilityPage {
    chrome: Chrome,
    nav: Nav,
    start: String,
    end: String,
    venues: Vec<Choice>,
    communes: Vec<Choice>,
    categories: Vec<Choice>,
    organisers: Vec<Choice>,
    error: Option<String>,
    checked: bool,
    free: bool,
    planned: String,
    items: Vec<Item>,
    suggestions: Vec<Suggestion>,
}

pub async fn availability(visit: &Visit<'_>) -> Response {
    let app = visit.app;
    let Ok(territory) = app.territory().await else {
        return page::unavailable(visit, "La vérification des dates");
    };
    let params = match crate::params::canonical_map(&visit.request.query) {
        Ok(params) => params,
        Err(e) => return page::error(visit, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let Ok(organisers) = app.store.read(accounts::list).await else {
        return page::unavailable(visit, "La vérification des dates");
    };
    let organisers: Vec<Principal> = organisers
        .into_iter()
        .filter(|p| p.role == accounts::Role::Organiser)
        .collect();
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let tz = app.timezone;
    let mut page_data = AvailabilityPage {
        chrome: Chrome::new(visit, "Vérifier une date"),
        nav: Nav::new(visit, "/gestion/conflits"),
        start: get("start"),
        end: get("end"),
        venues: choices(
            territory
                .venues
                .iter()
                .map(|v| (v.slug.as_str(), v.name.as_str())),
            params.get("venue").map(String::as_str),
        ),
        communes: choices(
            territory
                .communes
                .iter()
                .map(|c| (c.slug.as_str(), c.name.as_str())),
            params.get("commune").map(String::as_str),
        ),
        categories: choices(
            territory
                .categories
                .iter()
                .map(|c| (c.slug.as_str(), c.name.as_str())),
            params.get("categorie").map(String::as_str),
        ),
        organisers: choices(
            organisers
                .iter()
                .map(|p| (p.login.as_str(), p.display_name.as_str())),
            params.get("organisateur").map(String::as_str),
        ),
        error: None,
        checked: false,
        free: false,
        planned: String::new(),
        items: Vec::new(),
        suggestions: Vec::new(),
    };
    // Venue names in the list carry their commune, as they are ambiguous.
    for (choice, venue) in page_data.venues.iter_mut().zip(&territory.venues) {
        if let Some(commune) = territory.commune(&venue.commune) {
            choice.text = format!("{}, {}", venue.name, commune.name);
        }
    }
    if get("start").is_empty() {
        return page::render(&page_data);
    }
    let organiser = match params.get("organisateur").filter(|l| !l.is_empty()) {
        Some(login) => match organisers.iter().find(|p| &p.login == login) {
            Some(p) => (p.login.clone(), p.display_name.clone(), p.commune.clone()),
            None => {
                page_data.error = Some(crate::params::unknown_value(
                    "un organisateur",
                    login,
                    organisers.iter().map(|p| p.login.as_str()),
                ));
                return page::render_status(StatusCode::BAD_REQUEST, &page_data);
            }
        },
        None => (String::new(), "Événement envisagé".to_owned(), None),
    };
    let planned = match availability::plan(
        &territory,
        tz,
        &params,
        (&organiser.0, &organiser.1, organiser.2.as_deref()),
    ) {
        Ok(planned) => planned,
        Err(message) => {
            page_data.error = Some(message);
            return page::render_status(StatusCode::BAD_REQUEST, &page_data);
        }
    };
    page_data.planned = french::span(tz, planned.start, planned.end, false);
    let duration = planned.end - planned.start;
    let territory2 = territory.clone();
    let checked = app
        .store
        .read(move |conn| availability::check(conn, &territory2, tz, &planned))
        .await;
    let Ok(answer) = checked else {
        return page::unavailable(visit, "La vérification des dates");
    };
    page_data.checked = true;
    page_data.free = answer.free;
    page_data.items = answer
        .conflicts
        .iter()
        .map(|c| Item {
            key: c.key.clone(),
            description: c.description.to_string(),
            rule: c.rule.to_string(),
            severity: severity_label(c.severity),
            acknowledged: c.acknowledged,
            // The planned event itself (object 0) is not repeated.
            sides: std::iter::once(&*c.a)
                .chain(c.b.as_deref())
                .filter(|s| s.object_id != 0)
                .map(|s| side(tz, &territory, s))
                .collect(),
            mailto: None,
        })
        .collect();
    page_data.suggestions = answer
        .suggestions
        .iter()
        .filter_map(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|start| {
            let local = |t: i64| {
                tz.timestamp_opt(t, 0)
                    .single()
                    .map(|l| l.format("%Y-%m-%dT%H:%M").to_string())
                    .unwrap_or_default()
            };
            let mut query: Vec<(String, String)> = params
                .iter()
                .filter(|(k, v)| *k != "start" && *k != "end" && !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            query.push(("start".into(), local(start.timestamp())));
            query.push(("end".into(), local(start.timestamp() + duration)));
            query.sort();
            Suggestion {
                when: french::instant(tz, start.timestamp(), false),
                href: format!(
                    "/gestion/disponibilite?{}",
                    query
                        .iter()
                        .map(|(k, v)| format!(
                            "{k}={}",
                            percent_encoding::utf8_percent_encode(
                                v,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        ))
                        .collect::<Vec<_>>()
                        .join("&")
                ),
            }
        })
        .collect();
    page::render(&page_data)
}
