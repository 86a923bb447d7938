//! The request log: one line per request at `info`.

use crate::http::Response;
use hyper::body::Incoming;
use hyper::Method;
use std::time::Instant;

/// The login a request was authenticated as, carried by its response to
/// the request log.
#[derive(Clone)]
pub(super) struct Login(pub(super) String);

/// One line per request at `info` (target `concord::request`): method,
/// path (without the query string), status, duration and login. Never a
/// header or a body: credentials stay out of the log.
pub(super) struct RequestLog {
    started: Instant,
    method: Method,
    path: String,
}

impl RequestLog {
    /// None when the line is filtered out (`RUST_LOG`): nothing is copied.
    pub(super) fn begin(request: &hyper::Request<Incoming>) -> Option<RequestLog> {
        tracing::enabled!(target: "concord::request", tracing::Level::INFO).then(|| RequestLog {
            started: Instant::now(),
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
        })
    }

    pub(super) fn end(self, response: &Response) {
        let login = response.extensions().get::<Login>();
        tracing::info!(
            target: "concord::request",
            method = %self.method,
            path = %self.path,
            status = response.status().as_u16(),
            ms = (self.started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
            login = %login.map_or("-", |l| l.0.as_str()),
            "request"
        );
    }
}
