//! HTTP plumbing shared by every handler: response builders and bounded
//! request bodies.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, StatusCode};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

pub type Response = hyper::Response<Body>;

/// A response body: whole (most answers, sent with their length), or
/// written as it is produced, in pieces made each time the connection asks
/// for more, so that a large answer is never held whole in memory (sent
/// with chunked transfer encoding).
pub enum Body {
    Whole(Full<Bytes>),
    Produced(Box<dyn Iterator<Item = Bytes> + Send>),
}

impl Default for Body {
    fn default() -> Self {
        Body::Whole(Full::new(Bytes::new()))
    }
}

impl Body {
    pub fn whole(bytes: impl Into<Bytes>) -> Body {
        Body::Whole(Full::new(bytes.into()))
    }

    /// A body made of the pieces `produce` yields, each made when the
    /// connection is ready for it. Pieces should be tens of KiB: each is a
    /// write, and making one runs on the connection's task.
    pub fn produced(produce: impl Iterator<Item = Bytes> + Send + 'static) -> Body {
        Body::Produced(Box::new(produce.filter(|piece| !piece.is_empty())))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Body::Whole(full) => std::pin::Pin::new(full).poll_frame(cx),
            Body::Produced(pieces) => Poll::Ready(
                pieces
                    .next()
                    .map(|piece| Ok(hyper::body::Frame::data(piece))),
            ),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Whole(full) => full.is_end_stream(),
            Body::Produced(_) => false,
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Body::Whole(full) => full.size_hint(),
            Body::Produced(_) => hyper::body::SizeHint::default(),
        }
    }
}

pub const XML: &str = "application/xml; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const CALENDAR: &str = "text/calendar; charset=utf-8";
/// A stored object in the legacy charset intake accepts (see `dav::cache`).
pub const CALENDAR_WINDOWS_1252: &str = "text/calendar; charset=windows-1252";

pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    with_body(status, content_type, Body::whole(body))
}

/// A response whose body is `body`, whole or produced as it is sent.
pub fn with_body(status: StatusCode, content_type: &str, body: Body) -> Response {
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

pub fn empty(status: StatusCode) -> Response {
    let mut response = hyper::Response::new(Body::default());
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
    /// Not received within its time limit (408).
    TimedOut,
    /// The memory for bodies is taken (503).
    Busy,
}

/// Limits on reading request bodies, shared by every connection.
pub struct BodyLimits {
    /// Time any body may take, plus its length at `min_rate` bytes/s.
    pub timeout: Duration,
    pub min_rate: u64,
    budget: usize,
    in_use: AtomicUsize,
}

/// Memory taken by one body, given back when dropped (after its request
/// has been answered: the body is in memory until then).
pub struct BodyLease<'a> {
    limits: Option<&'a BodyLimits>,
    bytes: usize,
}

impl BodyLimits {
    pub fn new(timeout: Duration, min_rate: u64, budget: usize) -> BodyLimits {
        BodyLimits {
            timeout,
            min_rate: min_rate.max(1),
            budget,
            in_use: AtomicUsize::new(0),
        }
    }

    fn lease(&self, bytes: usize) -> Option<BodyLease<'_>> {
        let before = self.in_use.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.budget {
            self.in_use.fetch_sub(bytes, Ordering::Relaxed);
            return None;
        }
        Some(BodyLease {
            limits: Some(self),
            bytes,
        })
    }

    /// How long a body of (at most) `length` bytes may take to arrive.
    fn allowance(&self, length: u64) -> Duration {
        self.timeout + Duration::from_secs(length / self.min_rate)
    }
}

impl Drop for BodyLease<'_> {
    fn drop(&mut self) {
        if let Some(limits) = self.limits {
            limits.in_use.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Reads the whole body, refusing it as soon as it grows past `limit`
/// (before reading anything when Content-Length already says so). The
/// memory it may take (its declared length, else `limit`) is reserved from
/// the shared budget first, and the read has a time limit. A body already
/// received whole, the usual case, is read without arming a timer.
pub async fn read_body<'a>(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
    limits: &'a BodyLimits,
) -> Result<(Bytes, BodyLease<'a>), BodyError> {
    if body.is_end_stream() {
        let none = BodyLease {
            limits: None,
            bytes: 0,
        };
        return Ok((Bytes::new(), none));
    }
    let declared = declared_length(headers);
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let reserved = declared.map_or(limit, |length| length as usize);
    let lease = limits.lease(reserved).ok_or(BodyError::Busy)?;
    let collect = Limited::new(body, limit).collect();
    match within(limits.allowance(reserved as u64), collect).await {
        None => Err(BodyError::TimedOut),
        Some(Ok(collected)) => Ok((collected.to_bytes(), lease)),
        Some(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            Err(BodyError::TooLarge(limit))
        }
        Some(Err(_)) => Err(BodyError::Broken),
    }
}

/// Reads and discards a body that will not be used (a request refused on
/// its headers), so that the connection can serve the client's next
/// request. False when the body is longer than `bound` or does not arrive
/// in time: the connection must then be closed after the answer.
pub async fn discard_body(
    headers: &HeaderMap,
    mut body: Incoming,
    bound: usize,
    limits: &BodyLimits,
) -> bool {
    if body.is_end_stream() {
        return true;
    }
    if declared_length(headers).is_some_and(|length| length > bound as u64) {
        return false; // not worth waiting for
    }
    let drain = async {
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            seen += frame.data_ref().map_or(0, |data| data.len());
            if seen > bound {
                return false;
            }
        }
        true
    };
    within(limits.allowance(bound as u64), drain)
        .await
        .unwrap_or(false)
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    header(headers, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok())
}

/// Runs `future` for at most `allowance`; polls it once before arming the
/// timer, so that what is ready at once costs no timer operation.
async fn within<F: Future>(allowance: Duration, future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let first = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(output) => Some(output),
        Poll::Pending => tokio::time::timeout(allowance, future).await.ok(),
    }
}

pub fn http_date(unix_seconds: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds.max(0) as u64);
    httpdate::fmt_http_date(time)
}
