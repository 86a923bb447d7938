//! The quarterly agenda in the desk (`/gestion/agenda/{YYYY-Tn}`): put
//! events forward for the cover and order them within their day, month by
//! month; export the quarter for the layout software and the print shop
//! (CSV for French spreadsheets, XLSX), each export remembered so that
//! `/changements` lists what changed since the last one.

use super::{bad_form, csv_file, download, Nav};
use crate::http::Response;
use crate::quarter::Quarter;
use crate::store::accounts::Principal;
use crate::store::{agenda, audit};
use crate::web::page::{self, Chrome};
use crate::web::quarter::{rows, selection, Entry};
use crate::web::visit::Visit;
use askama::Template;
use chrono::Datelike;
use hyper::{Method, StatusCode};

pub async fn handle(visit: &Visit<'_>, user: &Principal, tail: &str) -> Response {
    let post = visit.request.method == Method::POST;
    if tail.is_empty() {
        return match post {
            false => quarters(visit),
            true => bad_form(visit, "Cette adresse ne s'utilise pas ainsi."),
        };
    }
    let (slug, rest) = tail.split_once('/').unwrap_or((tail, ""));
    let Some(quarter) = Quarter::parse(slug) else {
        return page::error(
            visit,
            StatusCode::NOT_FOUND,
            "Ce trimestre n'existe pas\u{202f}: écrivez-le comme 2027-T1.",
        );
    };
    match (rest, post) {
        ("", false) => marks_page(visit, quarter).await,
        ("", true) => set_marks(visit, user, quarter).await,
        ("export", true) => export(visit, user, quarter).await,
        ("changements", false) => changes(visit, quarter).await,
        _ => page::not_found(visit),
    }
}

struct QuarterLink {
    slug: String,
    label: String,
    deadline: String,
}

#[derive(Template)]
#[template(path = "gestion/agenda.html")]
struct QuartersPage {
    chrome: Chrome,
    nav: Nav,
    quarters: Vec<QuarterLink>,
}

fn quarters(visit: &Visit) -> Response {
    let today = crate::clock::today(visit.app.timezone);
    let weeks = visit.app.config.agenda.deadline_weeks;
    let mut quarter = Quarter::of(today).previous();
    let mut links = Vec::new();
    for _ in 0..5 {
        links.push(QuarterLink {
            slug: quarter.slug(),
            label: quarter.label(),
            deadline: crate::french::date(quarter.deadline(weeks)),
        });
        quarter = quarter.next();
    }
    page::render(&QuartersPage {
        chrome: Chrome::new(visit, "Agenda trimestriel"),
        nav: Nav::new(visit, "/gestion/agenda"),
        quarters: links,
    })
}

struct Line {
    id: i64,
    day: String,
    time: String,
    title: String,
    commune: String,
    featured: bool,
    order: i64,
}

struct MonthLink {
    number: u32,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "gestion/agenda_trimestre.html")]
struct MarksPage {
    chrome: Chrome,
    nav: Nav,
    csrf: String,
    slug: String,
    deadline: String,
    total: usize,
    months: Vec<MonthLink>,
    month: u32,
    lines: Vec<Line>,
    ids: String,
    last_export: Option<String>,
}

/// The month of the quarter the page shows (`?mois=1` to 3).
fn month_of(visit: &Visit) -> u32 {
    crate::params::pairs(&visit.request.query)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "mois")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|m| (1..=3).contains(m))
        .unwrap_or(1)
}

async fn marks_page(visit: &Visit<'_>, quarter: Quarter) -> Response {
    let app = visit.app;
    let Ok(s) = selection(app, quarter).await else {
        return page::unavailable(visit, "L'agenda trimestriel");
    };
    let slug = quarter.slug();
    let key = slug.clone();
    let last = app
        .store
        .read(move |conn| agenda::last_export(conn, &key))
        .await
        .ok()
        .flatten();
    let month = month_of(visit);
    let wanted = quarter.first_day().month() + month - 1;
    // Every event once, at its first date of the month (regular series
    // with their first date).
    let mut lines: Vec<Line> = Vec::new();
    let mut push = |e: &Entry| {
        if e.day.month() == wanted && !lines.iter().any(|l| l.id == e.object_id) {
            lines.push(Line {
                id: e.object_id,
                day: e.day_label.clone(),
                time: e.time.clone(),
                title: e.title.clone(),
                commune: e.commune.clone(),
                featured: e.featured,
                order: e.order,
            });
        }
    };
    for m in &s.months {
        for d in &m.days {
            d.entries.iter().for_each(&mut push);
        }
    }
    s.regular.iter().for_each(|r| push(&r.entry));
    let ids = lines
        .iter()
        .map(|l| l.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let tz = app.timezone;
    page::render(&MarksPage {
        chrome: Chrome::new(visit, format!("Agenda du {}", quarter.label())),
        nav: Nav::new(visit, "/gestion/agenda"),
        csrf: visit.csrf_token(),
        deadline: crate::french::date(quarter.deadline(app.config.agenda.deadline_weeks)),
        total: s.total,
        months: (1..=3)
            .map(|number| MonthLink {
                number,
                label: crate::french::month(
                    chrono::NaiveDate::from_ymd_opt(
                        quarter.year,
                        quarter.first_day().month() + number - 1,
                        1,
                    )
                    .unwrap_or(quarter.first_day()),
                )
                .to_owned(),
                current: number == month,
            })
            .collect(),
        month,
        lines,
        ids,
        last_export: last.map(|e| {
            format!(
                "{} par {} ({})",
                crate::french::instant(tz, e.at, false),
                e.by,
                e.format.to_uppercase()
            )
        }),
        slug,
    })
}

async fn set_marks(visit: &Visit<'_>, user: &Principal, quarter: Quarter) -> Response {
    let fields: Vec<(String, String)> = match crate::web::form::parse(visit) {
        Ok(fields) => fields,
        Err(message) => return bad_form(visit, &message),
    };
    let value = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    if value("action").as_deref() != Some("marques") {
        return bad_form(visit, "Cette action n'existe pas.");
    }
    let ids: Vec<i64> = value("ids")
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    let mut marks = Vec::with_capacity(ids.len());
    for id in &ids {
        let order = match value(&format!("ordre-{id}")).as_deref() {
            None | Some("") => 0,
            Some(text) => match text.parse::<i64>() {
                Ok(order) if (-999..=999).contains(&order) => order,
                _ => return bad_form(visit, "L'ordre est un nombre entier de -999 à 999."),
            },
        };
        marks.push((*id, value(&format!("avant-{id}")).is_some(), order));
    }
    let (actor, slug) = (user.login.clone(), quarter.slug());
    let featured = marks.iter().filter(|m| m.1).count();
    let written = visit
        .app
        .store
        .write(move |tx| {
            agenda::set_marks(tx, &marks)?;
            audit::record(
                tx,
                &actor,
                "agenda-mark",
                &slug,
                &format!("{} événement(s), {featured} mis en avant", marks.len()),
                "",
            )
        })
        .await;
    match written {
        Ok(()) => page::see_other(&format!(
            "/gestion/agenda/{}?mois={}&fait=marques",
            quarter.slug(),
            month_of_form(&fields)
        )),
        Err(_) => page::unavailable(visit, "L'agenda trimestriel"),
    }
}

fn month_of_form(fields: &[(String, String)]) -> u32 {
    fields
        .iter()
        .find(|(k, _)| k == "mois")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|m| (1..=3).contains(m))
        .unwrap_or(1)
}

async fn export(visit: &Visit<'_>, user: &Principal, quarter: Quarter) -> Response {
    let fields: Vec<(String, String)> = match crate::web::form::parse(visit) {
        Ok(fields) => fields,
        Err(message) => return bad_form(visit, &message),
    };
    let format = fields
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if format != "csv" && format != "xlsx" {
        return bad_form(visit, "Choisissez le format CSV ou XLSX.");
    }
    let Ok(s) = selection(visit.app, quarter).await else {
        return page::unavailable(visit, "L'agenda trimestriel");
    };
    let (header, lines) = rows(&s);
    let filename = format!("agenda-{}.{format}", quarter.slug());
    let response = match format {
        "csv" => {
            let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            table.extend(lines.iter().map(|(_, fields)| fields.clone()));
            csv_file(&filename, &table)
        }
        _ => match crate::web::spreadsheet::xlsx(&quarter.label(), &header, &lines) {
            Ok(bytes) => download(
                &filename,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            ),
            Err(error) => {
                tracing::error!("cannot write a spreadsheet: {error}");
                return page::unavailable(visit, "L'export");
            }
        },
    };
    let recorded: Vec<(String, String)> = lines
        .into_iter()
        .map(|(key, fields)| (key, fields.join(" | ")))
        .collect();
    let (actor, slug, format) = (user.login.clone(), quarter.slug(), format.to_owned());
    let count = recorded.len();
    let written = visit
        .app
        .store
        .write(move |tx| {
            agenda::record_export(tx, &slug, &actor, &format, &recorded)?;
            audit::record(
                tx,
                &actor,
                "agenda-export",
                &slug,
                &format!("{count} ligne(s), {}", format.to_uppercase()),
                "",
            )
        })
        .await;
    match written {
        Ok(()) => response,
        Err(_) => page::unavailable(visit, "L'export"),
    }
}

struct Changed {
    kind: &'static str,
    line: String,
    before: String,
}

#[derive(Template)]
#[template(path = "gestion/agenda_changements.html")]
struct ChangesPage {
    chrome: Chrome,
    nav: Nav,
    slug: String,
    since: Option<String>,
    changed: Vec<Changed>,
}

async fn changes(visit: &Visit<'_>, quarter: Quarter) -> Response {
    let app = visit.app;
    let Ok(s) = selection(app, quarter).await else {
        return page::unavailable(visit, "L'agenda trimestriel");
    };
    let slug = quarter.slug();
    let key = slug.clone();
    let Ok(last) = app
        .store
        .read(move |conn| agenda::last_export(conn, &key))
        .await
    else {
        return page::unavailable(visit, "L'agenda trimestriel");
    };
    let (_, lines) = rows(&s);
    let mut changed = Vec::new();
    if let Some(last) = &last {
        for (key, fields) in &lines {
            let line = fields.join(" | ");
            match last.lines.get(key) {
                None => changed.push(Changed {
                    kind: "Nouveau",
                    line,
                    before: String::new(),
                }),
                Some(before) if *before != line => changed.push(Changed {
                    kind: "Modifié",
                    line,
                    before: before.clone(),
                }),
                Some(_) => {}
            }
        }
        let current: std::collections::HashSet<&String> = lines.iter().map(|(k, _)| k).collect();
        let mut gone: Vec<&String> = last.lines.keys().filter(|k| !current.contains(k)).collect();
        gone.sort();
        for key in gone {
            changed.push(Changed {
                kind: "Retiré",
                line: last.lines[key].clone(),
                before: String::new(),
            });
        }
    }
    let tz = app.timezone;
    page::render(&ChangesPage {
        chrome: Chrome::new(
            visit,
            format!("Changements depuis le dernier export ({})", quarter.label()),
        ),
        nav: Nav::new(visit, "/gestion/agenda"),
        since: last.map(|e| format!("{} par {}", crate::french::instant(tz, e.at, false), e.by)),
        slug,
        changed,
    })
}
