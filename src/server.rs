//! The HTTP server: accepts connections, authenticates, routes by path and
//! reads bodies within their limits before any handler sees them.

use crate::app::App;
use crate::auth::AuthOutcome;
use crate::dav::{self, error::DavError};
use crate::http::{self, read_body, BodyError, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves until `shutdown` resolves, then lets open connections finish.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = service_fn(move |request| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(route(app, request).await) }
                });
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown()).await;
}

async fn route(app: Arc<App>, request: hyper::Request<Incoming>) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let mut response = if path == "/.well-known/caldav" || path == "/.well-known/caldav/" {
        let mut response = http::text(StatusCode::MOVED_PERMANENTLY, "See /dav/.");
        http::set_header(&mut response, "location", crate::paths::DAV_ROOT);
        response
    } else if path.starts_with("/api/") {
        let query = request.uri().query().unwrap_or("").to_owned();
        let (parts, body) = request.into_parts();
        match read_body(&parts.headers, body, app.config.limits.max_xml_body).await {
            Ok(body) => {
                crate::api::handle(&app, &method, &path, &query, &parts.headers, body).await
            }
            Err(BodyError::TooLarge(limit)) => DavError::TooLarge(limit).into_response(),
            Err(BodyError::Broken) => {
                DavError::BadRequest("The request body could not be read.".into()).into_response()
            }
        }
    } else if (path == "/" || path == "/associations")
        && (method == Method::GET || method == Method::HEAD)
    {
        let query = request.uri().query().unwrap_or("").to_owned();
        crate::web::handle(&app, &path, &query).await
    } else if path.starts_with("/feeds/") {
        let query = request.uri().query().unwrap_or("").to_owned();
        crate::feeds::handle(&app, &method, &path, &query, request.headers()).await
    } else if path == "/" || path == "/dav" || path.starts_with("/dav/") {
        dav_request(app, request, &path).await
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

async fn dav_request(app: Arc<App>, request: hyper::Request<Incoming>, path: &str) -> Response {
    let (parts, body) = request.into_parts();
    // Thunderbird and others start discovery at "/": answer it as the DAV root.
    let path = if path == "/" {
        crate::paths::DAV_ROOT
    } else {
        path
    };
    // The body is read before authenticating: a response that leaves it
    // unread makes hyper close the connection, which clients that send
    // credentials only after a 401 do not expect.
    let limit = if parts.method == Method::PUT {
        app.config.limits.max_resource_size
    } else {
        app.config.limits.max_xml_body
    };
    let body = match read_body(&parts.headers, body, limit).await {
        Ok(body) => body,
        Err(BodyError::TooLarge(limit)) if parts.method == Method::PUT => {
            return DavError::caldav(
                StatusCode::PAYLOAD_TOO_LARGE,
                "max-resource-size",
                format!("The calendar object is larger than the limit of {limit} octets."),
            )
            .into_response()
        }
        Err(BodyError::TooLarge(limit)) => return DavError::TooLarge(limit).into_response(),
        Err(BodyError::Broken) => {
            return DavError::BadRequest("The request body could not be read.".into())
                .into_response()
        }
    };
    let user = match app
        .auth
        .check(parts.headers.get("authorization").map(|v| v.as_bytes()))
        .await
    {
        AuthOutcome::Authenticated(user) => user,
        // Clients probe capabilities before they authenticate; the answer
        // is the same everywhere so that it tells nothing about accounts.
        AuthOutcome::Anonymous if parts.method == Method::OPTIONS => {
            return dav::anonymous_options()
        }
        AuthOutcome::Anonymous | AuthOutcome::Refused => {
            return DavError::Unauthorized.into_response()
        }
        AuthOutcome::Unavailable => return unavailable(),
    };
    let request = dav::Request {
        method: parts.method,
        headers: parts.headers,
        body,
    };
    dav::handle(dav::Ctx { app, user }, path, request).await
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
