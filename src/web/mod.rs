//! Public pages in French for residents: the territory's agenda (also the
//! printable quarterly agenda, thanks to print styles) and the directory
//! of organisers. Plain HTML, large text, no script.
// Handlers return the error page itself (`Err(Response)`), built once per
// failed request.
#![allow(clippy::result_large_err)]

mod html;

use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::http::{self, Response};
use crate::places::Places;
use crate::store::accounts::{self, Role};
use crate::store::views::{self, Occurrence};
use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use html::escape;
use hyper::StatusCode;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

const HTML: &str = "text/html; charset=utf-8";

pub async fn handle(app: &Arc<App>, path: &str, query: &str) -> Response {
    let result = match path {
        "/" => agenda(app, query).await,
        "/associations" => directory(app).await,
        _ => Err(page_error(
            StatusCode::NOT_FOUND,
            "Cette page n'existe pas.",
        )),
    };
    result.unwrap_or_else(|response| response)
}

fn page_error(status: StatusCode, message: &str) -> Response {
    let body = html::page(
        "Erreur",
        &format!(
            "<p class=\"erreur\">{}</p><p><a href=\"/\">Retour à l'agenda</a></p>",
            escape(message)
        ),
    );
    http::response(status, HTML, body)
}

struct Filters {
    commune: Option<String>,
    category: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
}

fn filters(app: &App, query: &str) -> Result<Filters, Response> {
    let today = crate::clock::today(app.timezone);
    let mut filters = Filters {
        commune: None,
        category: None,
        from: today,
        to: crate::params::add_days(today, 56),
    };
    let bad = |m: String| page_error(StatusCode::BAD_REQUEST, &m);
    let pairs = crate::params::pairs(query).map_err(|e| bad(e.to_string()))?;
    for (key, value) in pairs {
        match key.as_str() {
            "commune" if value.is_empty() => {}
            "commune" if app.config.commune(&value).is_some() => filters.commune = Some(value),
            "commune" => return Err(bad(format!("La commune « {value} » n'est pas connue."))),
            "categorie" if value.is_empty() => {}
            "categorie" if app.config.category(&value).is_some() => filters.category = Some(value),
            "categorie" => return Err(bad(format!("La catégorie « {value} » n'est pas connue."))),
            "du" => filters.from = crate::params::date(&value).map_err(|e| bad(e.to_string()))?,
            "au" => filters.to = crate::params::date(&value).map_err(|e| bad(e.to_string()))?,
            _ => {}
        }
    }
    if filters.to < filters.from || (filters.to - filters.from).num_days() > 400 {
        return Err(page_error(
            StatusCode::BAD_REQUEST,
            "La période doit aller d'une date à une date plus tardive, sur un an au plus.",
        ));
    }
    Ok(filters)
}

async fn agenda(app: &Arc<App>, query: &str) -> Result<Response, Response> {
    let filters = filters(app, query)?;
    let midnight = |d: NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(filters.from),
        midnight(crate::params::next_day(filters.to)),
    );
    let occurrences = app
        .store
        .read(move |conn| views::public_occurrences(conn, from, to))
        .await
        .map_err(|_| {
            page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "L'agenda est momentanément indisponible.",
            )
        })?;
    let matcher = CategoryMatcher::new(&app.config);
    let places = Places::new(&app.config);
    let mut resolver = places.resolver();
    // Each event with the commune where it happens.
    let mut days: BTreeMap<NaiveDate, Vec<(&Occurrence, String)>> = BTreeMap::new();
    for occurrence in &occurrences {
        let commune = resolver.commune(
            occurrence.location.as_deref(),
            &occurrence.organiser.commune,
        );
        if filters.commune.as_ref().is_some_and(|c| commune != c) {
            continue;
        }
        let commune = commune.to_owned();
        if let Some(category) = &filters.category {
            if !matcher
                .slugs(
                    &occurrence.categories,
                    &occurrence.organiser.categories,
                    occurrence.summary.as_deref().unwrap_or(""),
                )
                .contains(category)
            {
                continue;
            }
        }
        let Some(start) = app.timezone.timestamp_opt(occurrence.start, 0).single() else {
            continue;
        };
        let day = start.date_naive().max(filters.from);
        days.entry(day).or_default().push((occurrence, commune));
    }
    let mut body = String::new();
    body.push_str(&form(app, &filters));
    body.push_str(&subscribe(app, &filters));
    if days.is_empty() {
        body.push_str(
            "<p class=\"vide\">Aucun événement public n'est annoncé pour cette période.</p>",
        );
    }
    for (day, events) in &days {
        let _ = write!(
            body,
            "<section class=\"jour\"><h2>{}</h2><ul>",
            french_date(*day)
        );
        for (event, commune) in events {
            body.push_str(&event_item(app, event, commune));
        }
        body.push_str("</ul></section>");
    }
    let title = app.config.feeds.territory_name.clone();
    Ok(http::response(
        StatusCode::OK,
        HTML,
        html::page(&title, &body),
    ))
}

fn event_item(app: &App, event: &Occurrence, commune: &str) -> String {
    let time = |t: i64| app.timezone.timestamp_opt(t, 0).single();
    let when = match (event.all_day, time(event.start), time(event.end)) {
        (true, _, _) => "Toute la journée".to_owned(),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!(
                "{} – {}",
                hour(s.hour(), s.minute()),
                hour(e.hour(), e.minute())
            )
        }
        (false, Some(s), _) => format!("À partir de {}", hour(s.hour(), s.minute())),
        _ => String::new(),
    };
    let mut out = String::from("<li class=\"evenement\">");
    let _ = write!(out, "<p class=\"heure\">{}</p>", escape(&when));
    let title = event.summary.as_deref().unwrap_or("Événement");
    let _ = write!(
        out,
        "<h3>{}{}</h3>",
        if event.cancelled {
            "<span class=\"annule\">Annulé :</span> "
        } else {
            ""
        },
        escape(title)
    );
    if let Some(location) = event.location.as_deref().filter(|l| !l.trim().is_empty()) {
        let _ = write!(
            out,
            "<p><span class=\"etiquette\">Lieu :</span> {}</p>",
            escape(location)
        );
    }
    if !commune.is_empty() {
        let name = app
            .config
            .commune(commune)
            .map(|c| c.name.as_str())
            .unwrap_or(commune);
        let _ = write!(
            out,
            "<p class=\"commune\"><span class=\"etiquette\">Commune :</span> {}</p>",
            escape(name)
        );
    }
    let names: Vec<&str> = event.organisers().iter().map(|o| o.name.as_str()).collect();
    let _ = write!(
        out,
        "<p><span class=\"etiquette\">Organisé par :</span> {}</p></li>",
        escape(&french_list(&names))
    );
    out
}

/// "A", "A et B", "A, B et C".
fn french_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

fn hour(h: u32, m: u32) -> String {
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

pub fn french_date(day: NaiveDate) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    format!(
        "{} {} {} {}",
        DAYS[day.weekday().num_days_from_monday() as usize],
        if day.day() == 1 {
            "1er".to_owned()
        } else {
            day.day().to_string()
        },
        MONTHS[day.month0() as usize],
        day.year()
    )
}

fn form(app: &App, filters: &Filters) -> String {
    let mut out = String::from("<form class=\"filtres\" method=\"get\" action=\"/\"><fieldset><legend>Choisir les événements</legend>");
    let select = |out: &mut String,
                  name: &str,
                  label: &str,
                  options: Vec<(&str, &str)>,
                  chosen: &Option<String>| {
        let _ = write!(out, "<p><label for=\"{name}\">{label}</label> <select id=\"{name}\" name=\"{name}\"><option value=\"\">Toutes</option>");
        for (value, text) in options {
            let selected = if chosen.as_deref() == Some(value) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<option value=\"{}\"{selected}>{}</option>",
                escape(value),
                escape(text)
            );
        }
        out.push_str("</select></p>");
    };
    if !app.config.communes.is_empty() {
        let options = app
            .config
            .communes
            .iter()
            .map(|c| (c.slug.as_str(), c.name.as_str()))
            .collect();
        select(&mut out, "commune", "Commune", options, &filters.commune);
    }
    if !app.config.categories.is_empty() {
        let options = app
            .config
            .categories
            .iter()
            .map(|c| (c.slug.as_str(), c.name.as_str()))
            .collect();
        select(
            &mut out,
            "categorie",
            "Catégorie",
            options,
            &filters.category,
        );
    }
    let _ = write!(
        out,
        "<p><label for=\"du\">Du</label> <input type=\"date\" id=\"du\" name=\"du\" value=\"{}\"> <label for=\"au\">au</label> <input type=\"date\" id=\"au\" name=\"au\" value=\"{}\"></p><p><button type=\"submit\">Afficher</button></p></fieldset></form>",
        filters.from, filters.to
    );
    out
}

/// How to subscribe to the feed matching the page's filters.
fn subscribe(app: &App, filters: &Filters) -> String {
    let mut query = Vec::new();
    if let Some(c) = &filters.commune {
        query.push(format!("commune={c}"));
    }
    if let Some(c) = &filters.category {
        query.push(format!("category={c}"));
    }
    let path = if query.is_empty() {
        "/feeds/intercommunal.ics".to_owned()
    } else {
        format!("/feeds/intercommunal.ics?{}", query.join("&"))
    };
    let base = app.config.base_url.trim_end_matches('/');
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(base);
    format!(
        "<aside class=\"abonnement\"><h2>Recevoir ces événements dans votre agenda</h2><p><a class=\"bouton\" href=\"webcal://{}{}\">S'abonner à cet agenda</a></p><p>Si le bouton ne fonctionne pas, copiez cette adresse dans votre application d'agenda (« ajouter un calendrier par adresse » ou « s'abonner ») : <code>{}{}</code></p></aside>",
        escape(host), escape(&path), escape(base), escape(&path)
    )
}

async fn directory(app: &Arc<App>) -> Result<Response, Response> {
    let everyone = app.store.read(accounts::list).await.map_err(|_| {
        page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "L'annuaire est momentanément indisponible.",
        )
    })?;
    let mut body = String::from("<p>Les associations, communes et services qui publient leurs événements dans l'agenda.</p><ul class=\"annuaire\">");
    for organiser in everyone
        .iter()
        .filter(|p| p.role == Role::Organiser && p.publishes && !p.disabled)
    {
        let commune = organiser
            .commune
            .as_deref()
            .map(|c| {
                app.config
                    .commune(c)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| c.to_owned())
            })
            .unwrap_or_default();
        let _ = write!(
            body,
            "<li><h2>{}</h2><p>{}{}</p><p><a href=\"/feeds/{}.ics\">S'abonner à ses événements</a></p></li>",
            escape(&organiser.display_name),
            escape(kind_label(&organiser.kind)),
            if commune.is_empty() { String::new() } else { format!(", {}", escape(&commune)) },
            escape(&organiser.login)
        );
    }
    body.push_str("</ul><p><a href=\"/\">Retour à l'agenda</a></p>");
    Ok(http::response(
        StatusCode::OK,
        HTML,
        html::page("Les organisateurs", &body),
    ))
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "commune" => "Commune",
        "service" => "Service intercommunal",
        _ => "Association",
    }
}
