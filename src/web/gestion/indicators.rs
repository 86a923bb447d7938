//! Indicators (`/gestion/indicateurs?trimestre=2027-T1`): new organisers
//! per month and quarter; public events per commune, category, organiser
//! and month; how early a quarter's events were known (share in concord
//! at its print deadline, `[agenda] deadline_weeks`, and four and eight
//! weeks before); conflicts found, acknowledged and avoided; feed use per
//! day. Each as bars drawn by the server (SVG) with its numbers in a table
//! beside, and as CSV (`/gestion/indicateurs/{name}.csv`).
//!
//! An event counts once per group (a weekly series is one event of its
//! commune, and one of each month it meets in); events are what the public
//! sees (`views::public_occurrences`: moderation and privacy apply).

use super::{csv_file, Nav};
use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::conflicts::{self, Audience};
use crate::http::Response;
use crate::places::Places;
use crate::quarter::Quarter;
use crate::store::{indicators, views, StoreError};
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use chrono::{Datelike, NaiveDate, TimeZone};
use hyper::StatusCode;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One indicator: rows of a label and numbers, the first drawn as bars.
pub struct Indicator {
    pub name: &'static str,
    pub title: String,
    /// Column titles: the label's, then each number's.
    pub columns: Vec<&'static str>,
    pub rows: Vec<(String, Vec<i64>)>,
    /// A percentage in the first number column (drawn out of 100).
    pub percent: bool,
}

/// A bar of a chart, with its geometry in the SVG's units.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: usize,
    pub width: usize,
    pub text_y: usize,
}

pub struct Chart {
    pub indicator: Indicator,
    pub bars: Vec<Bar>,
    pub height: usize,
}

const BAR: usize = 26;
const BAR_SPACE: usize = 330;

fn chart(indicator: Indicator) -> Chart {
    let max = if indicator.percent {
        100
    } else {
        indicator
            .rows
            .iter()
            .filter_map(|(_, v)| v.first().copied())
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let bars = indicator
        .rows
        .iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let value = values.first().copied().unwrap_or(0).max(0);
            Bar {
                label: shorten(label, 32),
                value: if indicator.percent {
                    format!("{value}\u{a0}%")
                } else {
                    value.to_string()
                },
                y: i * BAR + 4,
                width: (value as usize * BAR_SPACE / max as usize).max(usize::from(value > 0)),
                text_y: i * BAR + 19,
            }
        })
        .collect();
    Chart {
        height: indicator.rows.len().max(1) * BAR + 8,
        indicator,
        bars,
    }
}

fn shorten(text: &str, at: usize) -> String {
    if text.chars().count() <= at {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(at - 1).collect::<String>())
    }
}

/// "novembre 2026".
fn month_label(day: NaiveDate) -> String {
    format!("{} {}", crate::french::month(day), day.year())
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Every indicator of `quarter` (feed use: the 30 days to `today`).
pub async fn compute(app: &App, quarter: Quarter) -> Result<Vec<Indicator>, StoreError> {
    let tz = app.timezone;
    let today = crate::clock::today(tz);
    let local = |t: i64| tz.timestamp_opt(t, 0).single().map(|t| t.date_naive());
    let midnight = |d: NaiveDate| crate::time::local_midnight(tz, d);
    // The twelve months ending with the quarter's last.
    let start = quarter.first_day();
    let first_month = match start.month() {
        m if m > 9 => NaiveDate::from_ymd_opt(start.year(), m - 9, 1),
        m => NaiveDate::from_ymd_opt(start.year() - 1, m + 3, 1),
    }
    .unwrap_or(start);
    let (year_from, year_to) = (midnight(first_month), midnight(quarter.next().first_day()));
    let (q_from, q_to) = (
        midnight(quarter.first_day()),
        midnight(quarter.next().first_day()),
    );
    crate::feeds::usage::flush(app).await?;
    let territory = app.territory().await?;
    let territory2 = territory.clone();
    let feed_from = today - chrono::Duration::days(29);
    let (occurrences, organisers, report, feeds) = app
        .store
        .read(move |conn| {
            let report =
                conflicts::compute(conn, &territory2, tz, (q_from, q_to), Audience::Staff)?;
            let current: HashSet<String> = report.conflicts.iter().map(|c| c.key.clone()).collect();
            let acknowledged = report.conflicts.iter().filter(|c| c.acknowledged).count();
            let (shown, avoided) = indicators::shown_and_avoided(conn, q_from, q_to, &current)?;
            Ok((
                views::public_occurrences(conn, year_from, year_to)?,
                indicators::organisers_created(conn)?,
                (report.conflicts.len(), acknowledged, shown, avoided),
                crate::feeds::usage::per_day(conn, feed_from, today)?,
            ))
        })
        .await?;
    let ids: Vec<i64> = occurrences
        .iter()
        .filter(|o| o.start < q_to && o.end >= q_from && !o.cancelled)
        .map(|o| o.object_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let created = app
        .store
        .read(move |conn| indicators::objects_created(conn, &ids))
        .await?;

    let mut out = Vec::new();

    // New organisers per month (the twelve months) and per quarter (four).
    let mut per_month: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut month = first_month;
    while month < quarter.next().first_day() {
        per_month.insert(month, 0);
        month = month_start(month + chrono::Duration::days(32));
    }
    let mut per_quarter: BTreeMap<Quarter, i64> = BTreeMap::new();
    let mut q = quarter.previous().previous().previous();
    for _ in 0..4 {
        per_quarter.insert(q, 0);
        q = q.next();
    }
    for at in &organisers {
        if let Some(day) = local(*at) {
            if let Some(count) = per_month.get_mut(&month_start(day)) {
                *count += 1;
            }
            if let Some(count) = per_quarter.get_mut(&Quarter::of(day)) {
                *count += 1;
            }
        }
    }
    out.push(Indicator {
        name: "nouveaux-organisateurs-par-mois",
        title: "Nouveaux organisateurs par mois".into(),
        columns: vec!["Mois", "Nouveaux organisateurs"],
        rows: per_month
            .iter()
            .map(|(m, n)| (month_label(*m), vec![*n]))
            .collect(),
        percent: false,
    });
    out.push(Indicator {
        name: "nouveaux-organisateurs-par-trimestre",
        title: "Nouveaux organisateurs par trimestre".into(),
        columns: vec!["Trimestre", "Nouveaux organisateurs"],
        rows: per_quarter
            .iter()
            .map(|(q, n)| (q.label(), vec![*n]))
            .collect(),
        percent: false,
    });

    // Public events of the quarter by commune, category and organiser;
    // by month over the twelve months.
    let places = Places::new(&territory);
    let mut resolver = places.resolver();
    let matcher = CategoryMatcher::new(&territory);
    let mut by_commune: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut by_category: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut by_organiser: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut by_month: BTreeMap<NaiveDate, HashSet<i64>> =
        per_month.keys().map(|m| (*m, HashSet::new())).collect();
    for o in occurrences.iter().filter(|o| !o.cancelled) {
        if let Some(day) = local(o.start.max(year_from)) {
            if let Some(set) = by_month.get_mut(&month_start(day)) {
                set.insert(o.object_id);
            }
        }
        if o.start >= q_to || o.end < q_from {
            continue;
        }
        let commune = resolver.commune(o.location.as_deref(), &o.organiser.commune);
        let commune = territory
            .commune(commune)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| match commune {
                "" => "(commune inconnue)".to_owned(),
                other => other.to_owned(),
            });
        by_commune.entry(commune).or_default().insert(o.object_id);
        let slugs = matcher.slugs(
            &o.categories,
            &o.organiser.categories,
            o.summary.as_deref().unwrap_or(""),
        );
        if slugs.is_empty() {
            by_category
                .entry("(sans catégorie)".into())
                .or_default()
                .insert(o.object_id);
        }
        for slug in slugs {
            let name = territory
                .category(&slug)
                .map(|c| c.name.clone())
                .unwrap_or(slug);
            by_category.entry(name).or_default().insert(o.object_id);
        }
        for card in o.organisers() {
            by_organiser
                .entry(card.name.clone())
                .or_default()
                .insert(o.object_id);
        }
    }
    let ranked = |groups: HashMap<String, HashSet<i64>>| {
        let mut rows: Vec<(String, Vec<i64>)> = groups
            .into_iter()
            .map(|(label, set)| (label, vec![set.len() as i64]))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    };
    let q_label = quarter.label();
    out.push(Indicator {
        name: "evenements-par-commune",
        title: format!("Événements publics par commune ({q_label})"),
        columns: vec!["Commune", "Événements"],
        rows: ranked(by_commune),
        percent: false,
    });
    out.push(Indicator {
        name: "evenements-par-categorie",
        title: format!("Événements publics par catégorie ({q_label})"),
        columns: vec!["Catégorie", "Événements"],
        rows: ranked(by_category),
        percent: false,
    });
    out.push(Indicator {
        name: "evenements-par-organisateur",
        title: format!("Événements publics par organisateur ({q_label})"),
        columns: vec!["Organisateur", "Événements"],
        rows: ranked(by_organiser),
        percent: false,
    });
    out.push(Indicator {
        name: "evenements-par-mois",
        title: "Événements publics par mois".into(),
        columns: vec!["Mois", "Événements"],
        rows: by_month
            .into_iter()
            .map(|(m, set)| (month_label(m), vec![set.len() as i64]))
            .collect(),
        percent: false,
    });

    // How early the quarter's events were known.
    let deadline = quarter.deadline(app.config.agenda.deadline_weeks);
    let total = created.len() as i64;
    let known_at = |day: NaiveDate| {
        let limit = midnight(day + chrono::Duration::days(1));
        created.values().filter(|at| **at < limit).count() as i64
    };
    let share = |n: i64| {
        if total == 0 {
            0
        } else {
            (n * 100 + total / 2) / total
        }
    };
    let mut early = Vec::new();
    for (weeks, label) in [
        (8, "8 semaines avant la remise"),
        (4, "4 semaines avant la remise"),
        (0, "à la remise"),
    ] {
        let day = deadline - chrono::Duration::weeks(weeks);
        let known = known_at(day);
        early.push((
            format!("{label} ({})", crate::french::date(day)),
            vec![share(known), known, total],
        ));
    }
    out.push(Indicator {
        name: "anticipation",
        title: format!(
            "Événements du {q_label} déjà dans l'agenda avant la remise à l'imprimeur ({})",
            crate::french::date(deadline)
        ),
        columns: vec![
            "Date",
            "Part (%)",
            "Événements connus",
            "Événements du trimestre",
        ],
        rows: early,
        percent: true,
    });

    let (found, acknowledged, shown, avoided) = report;
    out.push(Indicator {
        name: "conflits",
        title: format!("Conflits ({q_label})"),
        columns: vec!["Conflits", "Nombre"],
        rows: vec![
            ("trouvés (actuels)".into(), vec![found as i64]),
            ("marqués vus".into(), vec![acknowledged as i64]),
            (
                "montrés aux organisateurs ou à la gestion".into(),
                vec![shown as i64],
            ),
            (
                "évités (un événement a changé après)".into(),
                vec![avoided as i64],
            ),
        ],
        percent: false,
    });

    let feeds: HashMap<NaiveDate, (i64, i64)> =
        feeds.into_iter().map(|(d, r, s)| (d, (r, s))).collect();
    out.push(Indicator {
        name: "flux",
        title: "Abonnements aux agendas (flux), par jour, 30 derniers jours".into(),
        columns: vec!["Jour", "Abonnés distincts", "Demandes"],
        rows: feed_from
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| {
                let (requests, subscribers) = feeds.get(&d).copied().unwrap_or((0, 0));
                (
                    d.format("%d/%m/%Y").to_string(),
                    vec![subscribers, requests],
                )
            })
            .collect(),
        percent: false,
    });
    Ok(out)
}

#[derive(Template)]
#[template(path = "gestion/indicateurs.html")]
struct IndicatorsPage {
    chrome: Chrome,
    nav: Nav,
    slug: String,
    previous: String,
    next: String,
    charts: Vec<Chart>,
}

pub async fn handle(visit: &Visit<'_>, tail: &str) -> Response {
    let app = visit.app;
    let chosen = crate::params::pairs(&visit.request.query)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "trimestre")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let quarter = match chosen {
        None => Quarter::of(crate::clock::today(app.timezone)),
        Some(text) => match Quarter::parse(&text) {
            Some(q) => q,
            None => {
                return page::error(
                    visit,
                    StatusCode::BAD_REQUEST,
                    "Ce trimestre n'existe pas\u{202f}: écrivez-le comme 2027-T1.",
                )
            }
        },
    };
    let csv = match tail {
        "" => None,
        other => match other.strip_suffix(".csv") {
            Some(name) => Some(name.to_owned()),
            None => return page::not_found(visit),
        },
    };
    let Ok(all) = compute(app, quarter).await else {
        return page::unavailable(visit, "Les indicateurs");
    };
    if let Some(name) = csv {
        let Some(indicator) = all.into_iter().find(|i| i.name == name) else {
            return page::not_found(visit);
        };
        let mut rows = vec![indicator
            .columns
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()];
        for (label, values) in &indicator.rows {
            let mut row = vec![label.clone()];
            row.extend(values.iter().map(|v| v.to_string()));
            rows.push(row);
        }
        return csv_file(&format!("{name}-{}.csv", quarter.slug()), &rows);
    }
    page::render(&IndicatorsPage {
        chrome: Chrome::new(visit, format!("Indicateurs du {}", quarter.label())),
        nav: Nav::new(visit, "/gestion/indicateurs"),
        slug: quarter.slug(),
        previous: quarter.previous().slug(),
        next: quarter.next().slug(),
        charts: all.into_iter().map(chart).collect(),
    })
}
