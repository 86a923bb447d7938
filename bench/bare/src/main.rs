//! `bare ADDR FILE`: answers `/small` with a 14-byte hello-world and every
//! other path with FILE's bytes, as cheaply as hyper allows (the body is
//! reference-counted, never copied). The ceiling concord's feeds are
//! compared with, on the same machine and with the same load tool.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:5250".into());
    let body = Bytes::from(std::fs::read(args.next().expect("usage: bare ADDR FILE"))?);
    let listener = TcpListener::bind(&address).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let (content, kind) = if request.uri().path() == "/small" {
                    (Bytes::from_static(b"Hello, world!\n"), "text/plain")
                } else {
                    (body.clone(), "text/calendar; charset=utf-8")
                };
                async move {
                    let mut response = Response::new(Full::new(content));
                    response
                        .headers_mut()
                        .insert("content-type", kind.parse().unwrap());
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
