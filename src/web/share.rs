//! `/partager`: for a commune's or an association's webmaster, a form
//! that chooses a selection (commune, category, organiser, search) and
//! shows what to paste: the widget's `<iframe>` code, with a preview, and
//! the addresses of the same selection as ICS (webcal), RSS and JSON.

use super::agenda::{feed_addresses, Select};
use super::page::{self, Chrome};
use super::visit::Visit;
use super::widget::{self, WidgetRequest};
use crate::app::App;
use crate::http::Response;
use crate::selection;
use crate::store::accounts::{self, PublicOrganiser};
use askama::Template;
use hyper::StatusCode;

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    chrome: Chrome,
    selects: Vec<Select>,
    text: String,
    limit: usize,
    max_limit: usize,
    colour: String,
    size: String,
    widget: String,
    snippet: String,
    webcal: String,
    ics: String,
    rss: String,
    json: String,
}

pub async fn page(visit: &Visit<'_>) -> Response {
    let app = visit.app;
    let request = match widget::read(app, &visit.request.query) {
        Ok(request) => request,
        Err(message) => return page::error(visit, StatusCode::BAD_REQUEST, &message),
    };
    let Ok(organisers) = app.store.read(accounts::publishing_organisers).await else {
        return page::unavailable(visit, "Cette page");
    };
    if let Err(message) = request.filters.check_organisers(&organisers) {
        return page::error(visit, StatusCode::BAD_REQUEST, &message);
    }
    page::render(&share_page(visit, app, &request, &organisers))
}

fn share_page(
    visit: &Visit,
    app: &App,
    request: &WidgetRequest,
    organisers: &[PublicOrganiser],
) -> SharePage {
    let base = app.config.base_url.trim_end_matches('/');
    let filters = selection::query_string(&request.filters.pairs());
    let with = |path: &str| match filters.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{filters}"),
    };
    let widget = format!("{base}{}", request.path());
    let height = 120 + 110 * request.limit.min(10);
    let snippet = format!(
        "<iframe src=\"{widget}\" title=\"{}\" width=\"100%\" height=\"{height}\" style=\"border:0\" loading=\"lazy\"></iframe>",
        "Agenda\u{a0}: prochains événements"
    );
    let (webcal, ics) = feed_addresses(app, &with("/feeds/intercommunal.ics"));
    let selects = super::agenda::selects_for(app, &request.filters, organisers);
    SharePage {
        chrome: Chrome::new(visit, "Partager l'agenda sur un site"),
        selects,
        text: request.filters.text.clone().unwrap_or_default(),
        limit: request.limit,
        max_limit: widget::MAX_LIMIT,
        colour: request.colour.clone().unwrap_or_default(),
        size: request.size.map(|s| s.to_string()).unwrap_or_default(),
        widget,
        snippet,
        webcal,
        ics,
        rss: format!("{base}{}", with("/feeds/intercommunal.rss")),
        json: format!("{base}{}", with("/api/public/events")),
    }
}
