//! The style sheets, compiled into the binary.

use crate::http::{self, Response};
use hyper::StatusCode;

const STYLE: &str = include_str!("../../static/concord.css");
/// The quarterly agenda's print versions.
const AGENDA: &str = include_str!("../../static/agenda.css");

pub fn serve(path: &str) -> Response {
    let style = match path {
        "/static/concord.css" => Some(STYLE),
        "/static/agenda.css" => Some(AGENDA),
        _ => None,
    };
    match style {
        Some(style) => {
            let mut response = http::response(StatusCode::OK, "text/css; charset=utf-8", style);
            // Kept a day: a new release's style reaches everyone by then.
            http::set_header(&mut response, "cache-control", "public, max-age=86400");
            response
        }
        None => http::text(StatusCode::NOT_FOUND, "Not found."),
    }
}
