//! The HTTP server: accepts connections within their limits, authenticates
//! from the headers, routes by path and reads bodies within their limits
//! before any handler sees them.
//!
//! Nothing a client holds is unbounded: connections (in all and per source
//! address, `limits`), the time to send a request's head and to stay idle
//! (`watch`), the time and memory a body may take (`http::read_body`). A
//! request that needs credentials and has none valid is answered from its
//! headers, its body discarded unread (or the connection closed), so that
//! anonymous clients cannot make the server hold their bodies.

pub mod limits;
mod proxy;
mod request_log;
mod watch;

use crate::app::App;
use crate::auth::AuthOutcome;
use crate::dav::{self, error::DavError};
use crate::http::{self, discard_body, read_body, BodyError, BodyLimits, Response};
use crate::store::accounts::Principal;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, StatusCode};
use hyper_util::rt::TokioIo;
use request_log::{Login, RequestLog};
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

/// The longest body discarded to keep a refused request's connection open
/// (clients commonly send their first PROPFIND or PUT without credentials
/// and expect to send the next one on the same connection); past it, the
/// connection is closed after the answer.
const DISCARD_BOUND: usize = 64 * 1024;

/// What every connection's requests share.
struct Shared {
    app: Arc<App>,
    bodies: BodyLimits,
    trusted_proxies: Vec<IpAddr>,
}

/// Serves until `shutdown` resolves, then stops accepting connections and
/// lets the requests in progress finish (idle connections are closed).
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let settings = app.config.server.clone();
    let max_connections = limits::raise_descriptor_limit(settings.max_connections);
    let connections =
        limits::Connections::new(max_connections, settings.max_connections_per_address);
    let timeouts = watch::Timeouts {
        header: Duration::from_secs(settings.header_timeout_seconds),
        idle: Duration::from_secs(settings.idle_timeout_seconds),
    };
    let shared = Arc::new(Shared {
        trusted_proxies: settings
            .trusted_proxies
            .iter()
            .map(|ip| canonical(*ip))
            .collect(),
        app,
        bodies: BodyLimits::new(
            Duration::from_secs(settings.body_timeout_seconds),
            settings.min_body_bytes_per_second,
            settings.body_memory_mib.saturating_mul(1 << 20),
        ),
    });
    // No hyper timer: its header timeout also runs while a kept-alive
    // connection is idle; `watch` keeps both apart.
    let mut builder = http1::Builder::new();
    builder.keep_alive(true);
    // Feed use is counted in memory and written every few minutes.
    let flushing = shared.app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(300));
        loop {
            every.tick().await;
            if let Err(error) = crate::feeds::usage::flush(&flushing).await {
                tracing::warn!("cannot write feed use: {error}");
            }
        }
    });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut warnings = Warnings::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(error, &mut warnings).await;
                        continue;
                    }
                };
                let peer = canonical(peer.ip());
                let proxy = shared.trusted_proxies.contains(&peer);
                let admitted = match proxy {
                    true => connections.admit_proxy(limits::source_key(peer)),
                    false => connections.admit(limits::source_key(peer)),
                };
                let slot = match admitted {
                    Ok(slot) => slot,
                    Err(full) => {
                        warnings.warn(&format!("connection from {peer} refused: {full:?} limit reached"));
                        refuse_connection(stream);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let activity = Arc::new(watch::Activity::default());
                let io = TokioIo::new(watch::Watched::new(stream, activity.clone(), timeouts));
                let shared = shared.clone();
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    // Counted from here, where hyper has the head, to the
                    // answer: the socket's time limits do not apply meanwhile.
                    let busy = activity.begin();
                    let shared = shared.clone();
                    async move {
                        let log = RequestLog::begin(&request);
                        let client = match proxy {
                            true => {
                                proxy::forwarded_client(request.headers(), &shared.trusted_proxies)
                                    .unwrap_or(peer)
                            }
                            false => peer,
                        };
                        let response = route(&shared, client, request).await;
                        drop(busy);
                        if let Some(log) = log {
                            log.end(&response);
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let connection = graceful.watch(builder.serve_connection(io, service));
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(slot);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    // Closed at once: new connections are refused (a proxy tries another
    // server, a client retries) rather than left waiting in the backlog.
    drop(listener);
    tracing::info!("stopping: finishing the requests in progress (at most {SHUTDOWN_GRACE:?})");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("stopped with requests still in progress after {SHUTDOWN_GRACE:?}");
    }
}

/// How long requests in progress may take to finish once the server is
/// asked to stop (systemd waits 90 s before it kills).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// An IPv4 client of a dual-stack listener is itself, not an IPv6 address.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Errors about one connection (reset before it was accepted) need no
/// pause; others (out of descriptors or memory) do: retrying at once would
/// spin a core while nothing can change.
async fn accept_failed(error: std::io::Error, warnings: &mut Warnings) {
    use std::io::ErrorKind::*;
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) {
        return;
    }
    warnings.warn(&format!("cannot accept connections: {error}"));
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A connection past a limit is told so in one write that cannot block,
/// and closed.
fn refuse_connection(stream: TcpStream) {
    const ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 10\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 22\r\nconnection: close\r\n\r\nToo many connections.\n";
    let _ = stream.try_write(ANSWER);
}

/// Logs at most one warning every ten seconds, with how many were left
/// out: under attack, the log must not become the next thing to fill up.
#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    left_out: u64,
}

impl Warnings {
    fn warn(&mut self, message: &str) {
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(10))
        {
            self.left_out += 1;
            return;
        }
        if self.left_out > 0 {
            tracing::warn!("{message} (and {} similar since the last)", self.left_out);
        } else {
            tracing::warn!("{message}");
        }
        self.last = Some(Instant::now());
        self.left_out = 0;
    }
}

async fn route(shared: &Shared, peer: IpAddr, request: hyper::Request<Incoming>) -> Response {
    let app = &shared.app;
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let mut response = if path == "/healthz" && (method == Method::GET || method == Method::HEAD) {
        crate::health::handle(app).await
    } else if path == "/.well-known/caldav" || path == "/.well-known/caldav/" {
        let mut response = http::text(StatusCode::MOVED_PERMANENTLY, "See /dav/.");
        http::set_header(&mut response, "location", crate::paths::DAV_ROOT);
        response
    } else if path.starts_with("/api/public/") {
        // The public events as JSON: anonymous, like the feeds.
        let query = request.uri().query().unwrap_or("").to_owned();
        crate::feeds::json::handle(app, &method, &path, &query, request.headers()).await
    } else if path.starts_with("/api/") {
        let query = request.uri().query().unwrap_or("").to_owned();
        let (parts, body) = request.into_parts();
        match authenticate(shared, &parts.headers, body, peer, false).await {
            Err(response) => response,
            Ok((user, body)) => {
                match read_body(
                    &parts.headers,
                    body,
                    app.config.limits.max_xml_body,
                    &shared.bodies,
                )
                .await
                {
                    Ok((body, _lease)) => {
                        let login = Login(user.login.clone());
                        let mut response =
                            crate::api::handle(app, user, &method, &path, &query, body).await;
                        response.extensions_mut().insert(login);
                        response
                    }
                    Err(error) => body_refused(error, false),
                }
            }
        }
    } else if path.starts_with("/feeds/") {
        let query = request.uri().query().unwrap_or("").to_owned();
        let agent = http::header(request.headers(), "user-agent").unwrap_or("");
        app.feed_use.count(app.timezone, peer, agent);
        crate::feeds::handle(app, &method, &path, &query, request.headers()).await
    } else if (path == "/" && method != Method::GET && method != Method::HEAD)
        || path == "/dav"
        || path.starts_with("/dav/")
    {
        dav_request(shared, peer, request, &path).await
    } else if matches!(method, Method::GET | Method::HEAD | Method::POST) {
        // The pages: the agenda at "/", the organisers' space, the desk,
        // and the French "page not found" for a mistyped address.
        web_request(shared, peer, request).await
    } else {
        DavError::NotFound.into_response()
    };
    if method == Method::HEAD {
        // Same headers as GET, Content-Length included, and no body.
        use hyper::body::Body as _;
        if let Some(length) = response.body().size_hint().exact() {
            if !response.headers().contains_key("content-length") {
                http::set_header(&mut response, "content-length", &length.to_string());
            }
        }
        *response.body_mut() = http::Body::default();
    }
    http::set_header(&mut response, "server", "concord");
    response
}

/// A page: its body (a form or an upload) is read within the web limits.
async fn web_request(shared: &Shared, peer: IpAddr, request: hyper::Request<Incoming>) -> Response {
    let (parts, body) = request.into_parts();
    let content_type = http::header(&parts.headers, "content-type");
    let limit = crate::web::body_limit(&shared.app, content_type);
    let (body, _lease) = match read_body(&parts.headers, body, limit, &shared.bodies).await {
        Ok(read) => read,
        Err(error) => return crate::web::body_refused(error),
    };
    let request = crate::web::visit::WebRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
        peer,
    };
    crate::web::handle(&shared.app, request).await
}

async fn dav_request(
    shared: &Shared,
    peer: IpAddr,
    request: hyper::Request<Incoming>,
    path: &str,
) -> Response {
    let (parts, body) = request.into_parts();
    // Thunderbird and others start discovery at "/": answer it as the DAV root.
    let path = if path == "/" {
        crate::paths::DAV_ROOT
    } else {
        path
    };
    let options = parts.method == Method::OPTIONS;
    let (user, body) = match authenticate(shared, &parts.headers, body, peer, options).await {
        Ok(authenticated) => authenticated,
        Err(response) => return response,
    };
    let put = parts.method == Method::PUT;
    let limits = &shared.app.config.limits;
    let limit = match put {
        true => limits.max_resource_size,
        false => limits.max_xml_body,
    };
    // Held until the request is answered: its body is in memory until then.
    let (body, _lease) = match read_body(&parts.headers, body, limit, &shared.bodies).await {
        Ok(read) => read,
        Err(error) => return body_refused(error, put),
    };
    let request = dav::Request {
        method: parts.method,
        headers: parts.headers,
        body,
    };
    let login = Login(user.login.clone());
    let ctx = dav::Ctx {
        app: shared.app.clone(),
        user,
    };
    let mut response = dav::handle(ctx, path, request).await;
    response.extensions_mut().insert(login);
    response
}

/// Authenticates from the headers alone, before any body is read. A
/// refused request's body is discarded when it is small, so that clients
/// which send credentials only after a 401 keep their connection; else the
/// connection is closed after the answer, the body unread.
async fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    body: Incoming,
    peer: IpAddr,
    options: bool,
) -> Result<(Principal, Incoming), Response> {
    let header = headers.get(hyper::header::AUTHORIZATION);
    let mut response = match shared
        .app
        .auth
        .check(header.map(|v| v.as_bytes()), peer)
        .await
    {
        AuthOutcome::Authenticated(user) => return Ok((user, body)),
        // Clients probe capabilities before they authenticate; the answer
        // is the same everywhere so that it tells nothing about accounts.
        AuthOutcome::Anonymous if options => dav::anonymous_options(),
        AuthOutcome::Anonymous | AuthOutcome::Refused => DavError::Unauthorized.into_response(),
        AuthOutcome::Throttled => {
            let mut response = http::text(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed logins from this address; try again later.",
            );
            http::set_header(&mut response, "retry-after", "60");
            response
        }
        AuthOutcome::Unavailable => unavailable(),
    };
    if !discard_body(headers, body, DISCARD_BOUND, &shared.bodies).await {
        http::set_header(&mut response, "connection", "close");
    }
    Err(response)
}

fn body_refused(error: BodyError, put: bool) -> Response {
    match error {
        BodyError::TooLarge(limit) if put => DavError::caldav(
            StatusCode::PAYLOAD_TOO_LARGE,
            "max-resource-size",
            format!("The calendar object is larger than the limit of {limit} octets."),
        )
        .into_response(),
        BodyError::TooLarge(limit) => DavError::TooLarge(limit).into_response(),
        BodyError::Broken => {
            DavError::BadRequest("The request body could not be read.".into()).into_response()
        }
        BodyError::TimedOut => {
            let mut response = http::text(
                StatusCode::REQUEST_TIMEOUT,
                "The request body did not arrive in time.",
            );
            http::set_header(&mut response, "connection", "close");
            response
        }
        BodyError::Busy => {
            let mut response = http::text(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is receiving too much at the moment; try again shortly.",
            );
            http::set_header(&mut response, "retry-after", "5");
            http::set_header(&mut response, "connection", "close");
            response
        }
    }
}

/// The accounts could not be read (a database error): a 401 would make the
/// client ask its user for a password that is not wrong.
fn unavailable() -> Response {
    let mut response = http::text(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server cannot check passwords at the moment; try again shortly.",
    );
    http::set_header(&mut response, "retry-after", "5");
    response
}
