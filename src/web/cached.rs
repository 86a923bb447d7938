//! Public pages served from the feeds' cache (`feeds::cache`): a page that
//! looks the same to every anonymous visitor is rendered once per change
//! of the data (the store's generation) and per canonical request, then
//! served from memory with an ETag, 304s and gzip. Signed-in visitors see
//! their name in the frame: their pages are rendered each time.

use super::page;
use super::visit::Visit;
use crate::http::{self, Response};
use bytes::Bytes;
use std::future::Future;

/// Serves `render`'s page (HTML) for `key`, which must name everything the
/// page depends on but the data (filters, dates, "today").
pub async fn page<F, Fut>(visit: &Visit<'_>, key: String, render: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, Response>>,
{
    let content_type = page::HTML;
    if visit.user().is_some() {
        return match render().await {
            Ok(html) => {
                let mut response = http::response(hyper::StatusCode::OK, content_type, html);
                http::set_header(&mut response, "cache-control", "no-cache, private");
                response
            }
            Err(response) => response,
        };
    }
    let mut response = output(visit, format!("page:{key}"), content_type, render).await;
    // Revalidated at each visit (cheap: a 304), so that a change shows at once.
    http::set_header(&mut response, "cache-control", "no-cache");
    response
}

/// Serves any rendered output (a page, RSS, JSON) from the cache for
/// `key`, whoever asks.
pub async fn output<F, Fut>(
    visit: &Visit<'_>,
    key: String,
    content_type: &str,
    render: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, Response>>,
{
    let mut response = crate::feeds::cached(
        visit.app,
        key,
        content_type,
        &visit.request.headers,
        || async {
            render()
                .await
                .map(|text| crate::feeds::content(Bytes::from(text), String::new()))
        },
    )
    .await;
    // Made for files (feeds); these outputs are read in place.
    response.headers_mut().remove("content-disposition");
    response
}
