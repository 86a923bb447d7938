//! Public pages in French for residents: the territory's agenda (also the
//! printable quarterly agenda, thanks to print styles) and the directory
//! of organisers. Plain HTML, large text, no script.
// Handlers return the error page itself (`Err(Response)`), built once per
// failed request.
#![allow(clippy::result_large_err)]

mod html;

use crate::app::App;
use crate::categories::CategoryMatcher;
use crate::french;
use crate::http::{self, Response};
use crate::places::Places;
use crate::store::accounts;
use crate::store::views::{self, Occurrence};
use chrono::{NaiveDate, TimeZone};
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
    /// An organiser's login.
    organiser: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
}

/// Reads the page's filters under their French or English names (the
/// feeds' vocabulary, `params::canonical_name`); other parameters are
/// ignored. A value that names nothing gets a 400 listing the valid ones.
fn filters(app: &App, query: &str) -> Result<Filters, Response> {
    let today = crate::clock::today(app.timezone);
    let mut filters = Filters {
        commune: None,
        category: None,
        organiser: None,
        from: today,
        to: crate::params::add_days(today, 56),
    };
    let bad = |m: String| page_error(StatusCode::BAD_REQUEST, &m);
    let pairs = crate::params::pairs(query).map_err(|e| bad(e.to_string()))?;
    for (key, value) in pairs {
        let Some(name) = crate::params::canonical_name(&key) else {
            continue;
        };
        match name {
            _ if value.is_empty() => {}
            "commune" if app.config.commune(&value).is_some() => filters.commune = Some(value),
            "commune" => {
                return Err(bad(crate::params::unknown_value(
                    "une commune",
                    &value,
                    app.config.communes.iter().map(|c| c.slug.as_str()),
                )))
            }
            "categorie" if app.config.category(&value).is_some() => filters.category = Some(value),
            "categorie" => {
                return Err(bad(crate::params::unknown_value(
                    "une catégorie",
                    &value,
                    app.config.categories.iter().map(|c| c.slug.as_str()),
                )))
            }
            // Checked against the publishing organisers by `agenda`.
            "organisateur" => filters.organiser = Some(value),
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
    if let Some(login) = &filters.organiser {
        let organisers = app
            .store
            .read(accounts::publishing_organisers)
            .await
            .map_err(|_| unavailable("L'agenda"))?;
        if !organisers.iter().any(|o| &o.login == login) {
            return Err(page_error(
                StatusCode::BAD_REQUEST,
                &crate::params::unknown_value(
                    "un organisateur",
                    login,
                    organisers.iter().map(|o| o.login.as_str()),
                ),
            ));
        }
    }
    let midnight = |d: NaiveDate| crate::time::local_midnight(app.timezone, d);
    let (from, to) = (
        midnight(filters.from),
        midnight(crate::params::next_day(filters.to)),
    );
    let occurrences = app
        .store
        .read(move |conn| views::public_occurrences(conn, from, to))
        .await
        .map_err(|_| unavailable("L'agenda"))?;
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
        if filters
            .organiser
            .as_ref()
            .is_some_and(|login| !occurrence.organisers().iter().any(|o| &o.login == login))
        {
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
            french::date(*day)
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
    let mut out = String::from("<li class=\"evenement\">");
    let _ = write!(out, "<p class=\"heure\">{}", escape(&when(app, event)));
    if event.tentative {
        out.push_str(" <span class=\"a-confirmer\">(date à confirmer)</span>");
    }
    out.push_str("</p>");
    let title = event.summary.as_deref().unwrap_or("Événement");
    let _ = write!(
        out,
        "<h3>{}{}</h3>",
        if event.cancelled {
            "<span class=\"annule\">Annulé\u{202f}:</span> "
        } else {
            ""
        },
        escape(title)
    );
    if let Some(location) = event.location.as_deref().filter(|l| !l.trim().is_empty()) {
        let _ = write!(
            out,
            "<p><span class=\"etiquette\">Lieu\u{202f}:</span> {}</p>",
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
            "<p class=\"commune\"><span class=\"etiquette\">Commune\u{202f}:</span> {}</p>",
            escape(name)
        );
    }
    let names: Vec<&str> = event.organisers().iter().map(|o| o.name.as_str()).collect();
    let _ = write!(
        out,
        "<p><span class=\"etiquette\">Organisé par\u{202f}:</span> {}</p></li>",
        escape(&french::list(&names))
    );
    out
}

/// An occurrence's hours: "20 h – 23 h", "À partir de 20 h", "Toute la
/// journée".
fn when(app: &App, event: &Occurrence) -> String {
    let time = |t: i64| app.timezone.timestamp_opt(t, 0).single();
    match (event.all_day, time(event.start), time(event.end)) {
        (true, _, _) => "Toute la journée".to_owned(),
        (false, Some(s), Some(e)) if e > s && e.date_naive() == s.date_naive() => {
            format!("{} – {}", french::time_of(&s), french::time_of(&e))
        }
        (false, Some(s), _) => format!("À partir de {}", french::time_of(&s)),
        _ => String::new(),
    }
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
    if let Some(o) = &filters.organiser {
        query.push(format!("organiser={o}"));
    }
    let path = if query.is_empty() {
        "/feeds/intercommunal.ics".to_owned()
    } else {
        format!("/feeds/intercommunal.ics?{}", query.join("&"))
    };
    let (webcal, address) = feed_addresses(app, &path);
    format!(
        "<aside class=\"abonnement\"><h2>Recevoir ces événements dans votre agenda</h2><p><a class=\"bouton\" href=\"{}\">S'abonner à cet agenda</a></p><p>Si le bouton ne fonctionne pas, copiez cette adresse dans votre application d'agenda («\u{202f}ajouter un calendrier par adresse\u{202f}» ou «\u{202f}s'abonner\u{202f}»)\u{202f}: <code>{}</code></p></aside>",
        escape(&webcal), escape(&address)
    )
}

/// A feed's `webcal://` address (calendar apps subscribe when it is
/// followed) and its plain address, from the configured base URL.
fn feed_addresses(app: &App, path: &str) -> (String, String) {
    let base = app.config.base_url.trim_end_matches('/');
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(base);
    (format!("webcal://{host}{path}"), format!("{base}{path}"))
}

fn unavailable(what: &str) -> Response {
    page_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("{what} est momentanément indisponible."),
    )
}

/// How many upcoming events the directory shows per organiser.
const NEXT_EVENTS: usize = 3;

/// The directory: publishing organisers by name in French order (accents
/// and case ignored: "Écoles" sorts with E), each with its public contact,
/// commune, categories, next events (within a year) and feed.
async fn directory(app: &Arc<App>) -> Result<Response, Response> {
    let today = crate::clock::today(app.timezone);
    let (from, to) = (
        crate::time::local_midnight(app.timezone, today),
        crate::time::local_midnight(app.timezone, crate::params::add_days(today, 366)),
    );
    let (mut organisers, occurrences) = app
        .store
        .read(move |conn| {
            Ok((
                accounts::publishing_organisers(conn)?,
                views::public_occurrences(conn, from, to)?,
            ))
        })
        .await
        .map_err(|_| unavailable("L'annuaire"))?;
    organisers.sort_by_cached_key(|o| {
        (
            crate::text::normalize(&o.display_name),
            o.display_name.clone(),
            o.login.clone(),
        )
    });
    // Occurrences come in start order: the first ones of each organiser
    // are its next ones.
    let mut upcoming: std::collections::HashMap<&str, Vec<&Occurrence>> = Default::default();
    for occurrence in occurrences.iter().filter(|o| !o.cancelled) {
        let list = upcoming
            .entry(occurrence.organiser.login.as_str())
            .or_default();
        if list.len() < NEXT_EVENTS {
            list.push(occurrence);
        }
    }
    let mut body = String::from("<p>Les associations, communes et services qui publient leurs événements dans l'agenda.</p><ul class=\"annuaire\">");
    for organiser in &organisers {
        let next = upcoming
            .get(organiser.login.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        body.push_str(&directory_entry(app, organiser, next));
    }
    body.push_str("</ul><p><a href=\"/\">Retour à l'agenda</a></p>");
    Ok(http::response(
        StatusCode::OK,
        HTML,
        html::page("Les organisateurs", &body),
    ))
}

fn directory_entry(
    app: &App,
    organiser: &accounts::PublicOrganiser,
    next: &[&Occurrence],
) -> String {
    let commune = organiser
        .commune
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| {
            app.config
                .commune(c)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| c.to_owned())
        });
    let mut out = String::new();
    let _ = write!(
        out,
        "<li class=\"organisateur\" id=\"{}\"><h2>{}</h2><p>{}{}</p>",
        escape(&organiser.login),
        escape(&organiser.display_name),
        escape(kind_label(&organiser.kind)),
        commune
            .map(|c| format!(", {}", escape(&c)))
            .unwrap_or_default()
    );
    let categories: Vec<&str> = organiser
        .categories
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| app.config.category(c).map(|x| x.name.as_str()).unwrap_or(c))
        .collect();
    if !categories.is_empty() {
        let _ = write!(
            out,
            "<p><span class=\"etiquette\">Catégories\u{202f}:</span> {}</p>",
            escape(&categories.join(", "))
        );
    }
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let Some(email) = present(&organiser.email) {
        let _ = write!(
            out,
            "<p><span class=\"etiquette\">Courriel\u{202f}:</span> <a href=\"mailto:{}\">{}</a></p>",
            escape(&email),
            escape(&email)
        );
    }
    if let Some(phone) = present(&organiser.phone) {
        let dial: String = phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        let _ = write!(
            out,
            "<p><span class=\"etiquette\">Téléphone\u{202f}:</span> <a href=\"tel:{}\">{}</a></p>",
            escape(&dial),
            escape(&phone)
        );
    }
    if let Some(website) = present(&organiser.website) {
        // Only web addresses become links: a stored value is not trusted
        // to be one (a `javascript:` address stays text).
        let lower = website.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let _ = write!(
                out,
                "<p><span class=\"etiquette\">Site\u{202f}:</span> <a href=\"{}\">{}</a></p>",
                escape(&website),
                escape(&website)
            );
        } else {
            let _ = write!(
                out,
                "<p><span class=\"etiquette\">Site\u{202f}:</span> {}</p>",
                escape(&website)
            );
        }
    }
    if next.is_empty() {
        out.push_str("<p class=\"vide\">Aucun événement public annoncé.</p>");
    } else {
        out.push_str("<h3>Prochains événements</h3><ul class=\"prochains\">");
        for event in next {
            let day = app
                .timezone
                .timestamp_opt(event.start, 0)
                .single()
                .map(|s| french::date(s.date_naive()))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li>{}, {}\u{202f}: {}{}</li>",
                escape(&day),
                escape(&when(app, event).to_lowercase()),
                escape(event.summary.as_deref().unwrap_or("Événement")),
                if event.tentative {
                    " <span class=\"a-confirmer\">(date à confirmer)</span>"
                } else {
                    ""
                }
            );
        }
        out.push_str("</ul>");
    }
    let (webcal, address) = feed_addresses(app, &format!("/feeds/{}.ics", organiser.login));
    let _ = write!(
        out,
        "<p><a href=\"{}\">S'abonner à ses événements</a> (adresse\u{202f}: <code>{}</code>)</p></li>",
        escape(&webcal),
        escape(&address)
    );
    out
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "commune" => "Commune",
        "service" => "Service intercommunal",
        _ => "Association",
    }
}
