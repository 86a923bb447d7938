//! RSS 2.0 feeds of the public agenda (`/feeds/intercommunal.rss` with the
//! feeds' filters, `/feeds/{organiser}.rss`), for websites and news apps:
//! the next occurrences (100 by default, `limit` up to 500), each linking
//! to its event page, whose address is also its stable `guid`.

use super::json::{self, ListRequest};
use crate::app::App;
use crate::event_view::{self, Viewer};
use crate::http::{self, Response};
use crate::places::Places;
use hyper::{HeaderMap, StatusCode};
use std::sync::Arc;

const RSS: &str = "application/rss+xml; charset=utf-8";

pub async fn handle(app: &Arc<App>, name: &str, query: &str, headers: &HeaderMap) -> Response {
    let today = crate::clock::today(app.timezone);
    let mut request = match json::parse(app, query, today, (100, 500), false) {
        Ok(request) => request,
        Err(message) => return http::text(StatusCode::BAD_REQUEST, &message),
    };
    let territory = &app.config.feeds.territory_name;
    let (title, description) = if name == crate::paths::AGGREGATE {
        (
            territory.clone(),
            format!("Les prochains événements publics\u{202f}: {territory}."),
        )
    } else {
        let login = name.to_owned();
        let found = app
            .store
            .read(move |conn| {
                Ok(crate::store::accounts::publishing_organisers(conn)?
                    .into_iter()
                    .find(|o| o.login == login))
            })
            .await;
        match found {
            Ok(Some(organiser)) => {
                let description = super::organiser_description(&organiser, territory);
                request.filters.organisers = vec![organiser.login];
                (organiser.display_name, description)
            }
            Ok(None) => {
                return http::text(
                    StatusCode::NOT_FOUND,
                    "Cet organisateur n'existe pas ou ne publie pas son agenda.",
                )
            }
            Err(_) => {
                return http::text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Réessayez dans un instant.",
                )
            }
        }
    };
    let key = format!("rss|{name:?}|{}", request.key());
    let filename = format!("{name}.rss");
    super::cached(app, key, RSS, headers, || {
        render(app, request, title, description, filename)
    })
    .await
}

/// The feed of `request`, its channel named `title` and described by
/// `description`.
async fn render(
    app: &Arc<App>,
    request: ListRequest,
    title: String,
    description: String,
    filename: String,
) -> Result<super::cache::Content, Response> {
    let (occurrences, bodies) = match json::read(app, &request, (0, request.limit)).await {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => return Err(http::text(StatusCode::BAD_REQUEST, &message)),
        Err(_) => {
            return Err(http::text(
                StatusCode::SERVICE_UNAVAILABLE,
                "Réessayez dans un instant.",
            ))
        }
    };
    let Ok(territory) = app.territory().await else {
        return Err(http::text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Réessayez dans un instant.",
        ));
    };
    let places = Places::new(&territory);
    let mut viewer = Viewer::new(app, &places);
    let base = app.config.base_url.trim_end_matches('/');
    let items = occurrences
        .iter()
        .take(request.limit)
        .map(|occurrence| {
            let view = viewer.view(occurrence);
            let body = bodies.iter().find(|(id, _, _)| *id == view.object_id);
            let written = body
                .map(|(_, body, _)| event_view::describe_body(body))
                .unwrap_or_default();
            let mut lines = vec![format!(
                "{}{}.",
                crate::french::capitalised(&view.when),
                if view.tentative {
                    " (date à confirmer)"
                } else {
                    ""
                }
            )];
            if view.cancelled {
                lines.insert(0, "Annulé.".to_owned());
            }
            if let Some(place) = view.place() {
                lines.push(format!("Lieu\u{202f}: {place}."));
            }
            lines.push(format!("Organisé par\u{202f}: {}.", view.organiser_names()));
            if !written.description.is_empty() {
                lines.push(String::new());
                lines.push(written.description.clone());
            }
            let url = view.url(app);
            rss::Item {
                title: Some(match view.cancelled {
                    true => format!("Annulé\u{202f}: {}", view.title),
                    false => view.title.clone(),
                }),
                link: Some(url.clone()),
                description: Some(lines.join("\n")),
                categories: view
                    .categories
                    .iter()
                    .map(|c| rss::Category {
                        name: c.name.clone(),
                        domain: None,
                    })
                    .collect(),
                guid: Some(rss::Guid {
                    value: url,
                    permalink: true,
                }),
                pub_date: body.map(|(_, _, modified)| http::http_date(*modified)),
                ..Default::default()
            }
        })
        .collect();
    let filters = crate::selection::query_string(&request.filters.pairs());
    let channel = rss::Channel {
        title,
        link: match filters.is_empty() {
            true => format!("{base}/"),
            false => format!("{base}/?{filters}"),
        },
        description,
        language: Some("fr".into()),
        generator: Some("concord".into()),
        ttl: Some(app.config.feeds.refresh_minutes.max(1).to_string()),
        items,
        ..Default::default()
    };
    let mut body = Vec::with_capacity(4096);
    channel.write_to(&mut body).map_err(|e| {
        tracing::error!("cannot write an RSS feed: {e}");
        http::text(StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne.")
    })?;
    Ok(super::content(bytes::Bytes::from(body), filename))
}
