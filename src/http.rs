//! HTTP plumbing shared by every handler: response builders and bounded
//! request bodies.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, StatusCode};

pub type Body = Full<Bytes>;
pub type Response = hyper::Response<Body>;

pub const XML: &str = "application/xml; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const CALENDAR: &str = "text/calendar; charset=utf-8";
/// A stored object in the legacy charset intake accepts (see `dav::cache`).
pub const CALENDAR_WINDOWS_1252: &str = "text/calendar; charset=windows-1252";

pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut response = hyper::Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

pub fn empty(status: StatusCode) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// A short human-readable message; every error answer carries one.
pub fn text(status: StatusCode, message: &str) -> Response {
    let mut body = message.to_owned();
    body.push('\n');
    response(status, TEXT, body)
}

pub fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[derive(Debug)]
pub enum BodyError {
    TooLarge(usize),
    Broken,
}

/// Reads the whole body, refusing it as soon as it grows past `limit`
/// (before reading anything when Content-Length already says so).
pub async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = header(headers, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(BodyError::TooLarge(limit))
        }
        Err(_) => Err(BodyError::Broken),
    }
}

pub fn http_date(unix_seconds: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds.max(0) as u64);
    httpdate::fmt_http_date(time)
}
