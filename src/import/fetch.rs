//! The HTTP client that downloads feeds: HTTP/1.1 over hyper's connection
//! API, TLS by rustls (ring, Mozilla's roots compiled in), one connection
//! per request (a feed is fetched every hour or so: nothing to pool).
//!
//! Everything a remote server controls is bounded: the whole fetch has a
//! deadline, at most [`MAX_REDIRECTS`] redirects are followed, each one
//! checked like the first hop (DNS, then [`guard`](super::guard) on every
//! address the connection may use), and the body is cut at `max_bytes`
//! after decompression while it streams in. Requests are conditional on
//! the last good download's ETag and Last-Modified.

use super::failure::{Failure, FailureKind};
use super::feed_url::{self, Target};
use super::guard::Policy;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{self, HeaderMap};
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Redirects followed at most, as browsers and calendar apps do.
pub const MAX_REDIRECTS: usize = 5;

/// How feeds are fetched (from `[import]`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: Policy,
    pub max_bytes: usize,
    pub timeout: Duration,
    pub user_agent: String,
}

impl Settings {
    pub fn from_config(config: &crate::config::Config) -> Settings {
        Settings {
            policy: Policy::from_config(&config.import),
            max_bytes: config.import.max_bytes,
            timeout: Duration::from_secs(config.import.timeout_seconds),
            user_agent: config.import_user_agent(),
        }
    }
}

/// The validators of the last good download, sent back to the server.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// 304: the feed did not change since the validators' download.
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// Why a fetch failed, worded for the organiser and staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Url(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("cannot resolve {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("cannot connect to {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("TLS with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("HTTP error with {target}: {detail}")]
    Http { target: String, detail: String },
    #[error("{target} answered {status}")]
    Status { target: String, status: StatusCode },
    #[error("{target} redirects without saying where")]
    NoLocation { target: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("the feed is larger than the limit of {limit} bytes ([import] max_bytes)")]
    TooLarge { limit: usize },
    #[error("the feed's gzip encoding is corrupt: {0}")]
    Gzip(String),
    #[error("no answer within {seconds} s ([import] timeout_seconds)")]
    Timeout { seconds: u64 },
}

impl FetchError {
    /// The failure this is, for the subscription's record.
    pub fn failure(&self) -> Failure {
        let kind = match self {
            FetchError::Url(_) => FailureKind::Url,
            FetchError::Refused(_) => FailureKind::Refused,
            FetchError::Dns { .. } => FailureKind::Dns,
            FetchError::Connect { .. } | FetchError::Http { .. } => FailureKind::Unreachable,
            FetchError::Tls { .. } => FailureKind::Tls,
            FetchError::Status { status, .. } => FailureKind::Status(*status),
            FetchError::NoLocation { .. } | FetchError::TooManyRedirects => FailureKind::Redirects,
            FetchError::TooLarge { .. } => FailureKind::TooLarge,
            FetchError::Gzip(_) => FailureKind::Gzip,
            FetchError::Timeout { .. } => FailureKind::Timeout,
        };
        Failure {
            kind,
            text: self.to_string(),
        }
    }
}

/// What a fetch got, and where the feed now lives when every redirect on
/// the way was permanent (301, 308): the subscription then follows it, as
/// RFC 9110 asks of clients that can update their links. One temporary
/// redirect (302, 303, 307) on the way leaves the address as it was.
#[derive(Debug)]
pub struct Download {
    pub fetched: Fetched,
    pub moved_to: Option<String>,
}

/// Downloads `url`, following redirects, within the settings' deadline.
pub async fn fetch(
    settings: &Settings,
    url: &str,
    validators: &Validators,
) -> Result<Download, FetchError> {
    let mut target = feed_url::parse(url).map_err(FetchError::Url)?;
    let all_hops = async {
        let mut all_permanent = true;
        for hops in 0..=MAX_REDIRECTS {
            match hop(settings, &target, validators).await? {
                Hop::Done(fetched) => {
                    let moved_to = (hops > 0 && all_permanent).then(|| target.to_string());
                    return Ok(Download { fetched, moved_to });
                }
                Hop::Redirect {
                    location,
                    permanent,
                } => {
                    all_permanent &= permanent;
                    target = feed_url::redirect(&target, &location).map_err(FetchError::Url)?;
                }
            }
        }
        Err(FetchError::TooManyRedirects)
    };
    tokio::time::timeout(settings.timeout, all_hops)
        .await
        .unwrap_or(Err(FetchError::Timeout {
            seconds: settings.timeout.as_secs(),
        }))
}

enum Hop {
    Done(Fetched),
    Redirect { location: String, permanent: bool },
}

/// One request on a connection of its own.
async fn hop(
    settings: &Settings,
    target: &Target,
    validators: &Validators,
) -> Result<Hop, FetchError> {
    let io = connect(settings, target).await?;
    let http_error = |e: hyper::Error| FetchError::Http {
        target: target.to_string(),
        detail: e.to_string(),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(http_error)?;
    // Aborted when this hop ends, whether the body was read to its end or
    // cut at the limit: the connection closes with it.
    let _driver = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let mut request = hyper::Request::get(target.path_and_query.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(header::USER_AGENT, settings.user_agent.as_str())
        .header(header::ACCEPT, "text/calendar, */*;q=0.5")
        .header(header::ACCEPT_ENCODING, "gzip");
    if let Some(etag) = &validators.etag {
        request = request.header(header::IF_NONE_MATCH, etag.as_str());
    }
    if let Some(date) = &validators.last_modified {
        request = request.header(header::IF_MODIFIED_SINCE, date.as_str());
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Url(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(http_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Hop::Done(Fetched::NotModified));
    }
    if status.is_redirection() && status != StatusCode::MULTIPLE_CHOICES {
        let location = text_header(&headers, header::LOCATION).ok_or(FetchError::NoLocation {
            target: target.to_string(),
        })?;
        let permanent = matches!(
            status,
            StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
        );
        return Ok(Hop::Redirect {
            location,
            permanent,
        });
    }
    if status != StatusCode::OK {
        return Err(FetchError::Status {
            target: target.to_string(),
            status,
        });
    }
    let bytes = read_body(response.into_body(), &headers, settings.max_bytes, target).await?;
    Ok(Hop::Done(Fetched::Body {
        bytes,
        validators: Validators {
            etag: text_header(&headers, header::ETAG),
            last_modified: text_header(&headers, header::LAST_MODIFIED),
        },
    }))
}

fn text_header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Reads the body into memory, decompressing gzip, cut at `limit` bytes of
/// either form.
async fn read_body(
    mut body: hyper::body::Incoming,
    headers: &HeaderMap,
    limit: usize,
    target: &Target,
) -> Result<Vec<u8>, FetchError> {
    let gzip = text_header(headers, header::CONTENT_ENCODING).is_some_and(|encoding| {
        encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip")
    });
    let announced =
        text_header(headers, header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(FetchError::TooLarge { limit });
    }
    let mut sink = Sink::new(gzip, limit);
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| FetchError::Http {
            target: target.to_string(),
            detail: e.to_string(),
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received += data.len();
        if received > limit {
            return Err(FetchError::TooLarge { limit });
        }
        sink.write(&data)?;
    }
    sink.finish()
}

/// Where the body goes: straight into memory, or through a gzip decoder.
enum Sink {
    Plain(Limited),
    Gzip(Box<flate2::write::GzDecoder<Limited>>),
}

impl Sink {
    fn new(gzip: bool, limit: usize) -> Sink {
        let out = Limited {
            bytes: Vec::new(),
            limit,
        };
        if gzip {
            Sink::Gzip(Box::new(flate2::write::GzDecoder::new(out)))
        } else {
            Sink::Plain(out)
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), FetchError> {
        let result = match self {
            Sink::Plain(out) => out.write_all(data),
            Sink::Gzip(decoder) => decoder.write_all(data),
        };
        result.map_err(|e| self.error(e))
    }

    fn finish(self) -> Result<Vec<u8>, FetchError> {
        match self {
            Sink::Plain(out) => Ok(out.bytes),
            Sink::Gzip(decoder) => {
                let limit = decoder.get_ref().limit;
                decoder.finish().map(|out| out.bytes).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::OutOfMemory {
                        FetchError::TooLarge { limit }
                    } else {
                        FetchError::Gzip(e.to_string())
                    }
                })
            }
        }
    }

    fn error(&self, error: std::io::Error) -> FetchError {
        let limit = match self {
            Sink::Plain(out) => out.limit,
            Sink::Gzip(decoder) => decoder.get_ref().limit,
        };
        if error.kind() == std::io::ErrorKind::OutOfMemory {
            FetchError::TooLarge { limit }
        } else {
            FetchError::Gzip(error.to_string())
        }
    }
}

/// A buffer refusing to grow past `limit` (an `OutOfMemory` error, which
/// nothing else here produces).
struct Limited {
    bytes: Vec<u8>,
    limit: usize,
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + data.len() > self.limit {
            return Err(std::io::ErrorKind::OutOfMemory.into());
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Checks, before anything is recorded, that `url` is one a feed may be
/// fetched from: an accepted scheme, a host that resolves, to addresses
/// the policy allows (the pages refuse a private address at once rather
/// than at the first fetch; every fetch checks again).
pub async fn check_address(settings: &Settings, url: &str) -> Result<(), FetchError> {
    let target = feed_url::parse(url).map_err(FetchError::Url)?;
    tokio::time::timeout(settings.timeout, addresses(settings, &target))
        .await
        .unwrap_or(Err(FetchError::Timeout {
            seconds: settings.timeout.as_secs(),
        }))
        .map(drop)
}

/// The same checks as [`check_address`] short of DNS: the scheme, the
/// syntax, and a host written as an IP address. For a subscription
/// recorded while the network may be away (`import add --no-fetch`).
pub fn check_written_address(settings: &Settings, url: &str) -> Result<(), FetchError> {
    let target = feed_url::parse(url).map_err(FetchError::Url)?;
    match target.ip() {
        Some(ip) => settings
            .policy
            .check(&target.host, ip)
            .map_err(FetchError::Refused),
        None => Ok(()),
    }
}

/// Resolves the host and checks every address it has.
async fn addresses(settings: &Settings, target: &Target) -> Result<Vec<SocketAddr>, FetchError> {
    let addresses: Vec<SocketAddr> = match target.ip() {
        Some(ip) => vec![SocketAddr::new(ip, target.port)],
        None => tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| FetchError::Dns {
                host: target.host.clone(),
                detail: e.to_string(),
            })?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(FetchError::Dns {
            host: target.host.clone(),
            detail: "no address".into(),
        });
    }
    for address in &addresses {
        settings
            .policy
            .check(&target.host, address.ip())
            .map_err(FetchError::Refused)?;
    }
    Ok(addresses)
}

/// Resolves the host, checks every address it has, and connects to the
/// first that answers (over TLS for https). The addresses checked are the
/// ones connected to: a second DNS answer cannot slip in between.
async fn connect(settings: &Settings, target: &Target) -> Result<Box<dyn Io>, FetchError> {
    let addresses = addresses(settings, target).await?;
    let mut last_error = None;
    let mut stream = None;
    for address in &addresses {
        match TcpStream::connect(address).await {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(error) => last_error = Some(error),
        }
    }
    let Some(stream) = stream else {
        return Err(FetchError::Connect {
            target: target.to_string(),
            detail: last_error.map(|e| e.to_string()).unwrap_or_default(),
        });
    };
    let _ = stream.set_nodelay(true);
    if !target.https {
        return Ok(Box::new(stream));
    }
    let tls_error = |detail: String| FetchError::Tls {
        host: target.host.clone(),
        detail,
    };
    let name = rustls::pki_types::ServerName::try_from(target.host.clone())
        .map_err(|e| tls_error(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(tls_config().map_err(tls_error)?);
    let tls = connector
        .connect(name, stream)
        .await
        .map_err(|e| tls_error(e.to_string()))?;
    Ok(Box::new(tls))
}

/// The TLS client settings, made once: ring's algorithms, TLS 1.2 and 1.3,
/// Mozilla's root certificates.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_settings_build_with_the_compiled_in_roots() {
        let config = tls_config().unwrap();
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn gzip_is_cut_at_the_limit_after_decompression() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b'a'; 100_000]).unwrap();
        let compressed = encoder.finish().unwrap();
        assert!(compressed.len() < 1_000);
        let mut sink = Sink::new(true, 10_000);
        let cut = sink
            .write(&compressed)
            .and_then(|()| sink.finish().map(|_| ()));
        assert!(
            matches!(cut, Err(FetchError::TooLarge { limit: 10_000 })),
            "{cut:?}"
        );
        let mut sink = Sink::new(true, 200_000);
        sink.write(&compressed).unwrap();
        assert_eq!(sink.finish().unwrap().len(), 100_000);
    }
}
