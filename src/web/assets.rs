//! The style sheet, compiled into the binary.

use crate::http::{self, Response};
use hyper::StatusCode;

const STYLE: &str = include_str!("../../static/concord.css");

pub fn serve(path: &str) -> Response {
    match path {
        "/static/concord.css" => {
            let mut response = http::response(StatusCode::OK, "text/css; charset=utf-8", STYLE);
            // Kept a day: a new release's style reaches everyone by then.
            http::set_header(&mut response, "cache-control", "public, max-age=86400");
            response
        }
        _ => http::text(StatusCode::NOT_FOUND, "Not found."),
    }
}
