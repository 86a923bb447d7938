//! The audit log (`/gestion/journal`): every staff action, most recent
//! first, by kind, a hundred at a time.

use super::moderation::{decision, Decision};
use super::Nav;
use crate::http::Response;
use crate::store::audit;
use crate::web::page::{self, Chrome};
use crate::web::visit::Visit;
use askama::Template;
use hyper::StatusCode;

const PER_PAGE: usize = 100;

struct Kind {
    value: &'static str,
    text: &'static str,
    selected: bool,
}

struct Line {
    decision: Decision,
    subject: String,
}

#[derive(Template)]
#[template(path = "gestion/journal.html")]
struct JournalPage {
    chrome: Chrome,
    nav: Nav,
    kinds: Vec<Kind>,
    lines: Vec<Line>,
    older: Option<String>,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let pairs = crate::params::pairs(&visit.request.query).unwrap_or_default();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let kind = match value("action") {
        Some(kind) => match audit::ACTIONS.iter().find(|(name, _)| *name == kind) {
            Some((name, _)) => Some(*name),
            None => {
                let message = crate::params::unknown_value(
                    "une action",
                    &kind,
                    audit::ACTIONS.iter().map(|(name, _)| *name),
                );
                return page::error(visit, StatusCode::BAD_REQUEST, &message);
            }
        },
        None => None,
    };
    let before = value("avant").and_then(|v| v.parse::<i64>().ok());
    let kinds: Vec<&str> = kind.into_iter().collect();
    let read = visit
        .app
        .store
        .read(move |conn| audit::list(conn, &kinds, before, PER_PAGE))
        .await;
    let Ok(actions) = read else {
        return page::unavailable(visit, "Le journal");
    };
    let tz = visit.app.timezone;
    let older = (actions.len() == PER_PAGE).then(|| {
        let last = actions.last().map(|a| a.id).unwrap_or(0);
        match kind {
            Some(kind) => format!("/gestion/journal?action={kind}&avant={last}"),
            None => format!("/gestion/journal?avant={last}"),
        }
    });
    page::render(&JournalPage {
        chrome: Chrome::new(visit, "Journal des actions"),
        nav: Nav::new(visit, "/gestion/journal"),
        kinds: audit::ACTIONS
            .iter()
            .map(|(value, text)| Kind {
                value,
                text,
                selected: kind == Some(*value),
            })
            .collect(),
        lines: actions
            .iter()
            .map(|a| Line {
                decision: decision(tz, a),
                subject: a.subject.clone(),
            })
            .collect(),
        older,
    })
}
