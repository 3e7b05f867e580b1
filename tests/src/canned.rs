//! A minimal hyper server that answers every request with the same JSON:
//! the peer of the round-trip benchmark and its profile.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The canned answer: ListClusterSyncTaskStatus, idle.
pub const BODY: &[u8] = br#"{"is_synchronizing":false}"#;

/// Starts the server on an ephemeral loopback port; it runs until the
/// runtime stops.
pub async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_request| async {
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(BODY)));
                    response.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The headers the signed client sends to the server at `addr`, with fixed
/// values (a signature of some earlier second): a bare reqwest call that
/// sends them has the client's request shape without the client's work.
pub fn signed_request_headers(addr: &SocketAddr) -> reqwest::header::HeaderMap {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    let fixed = [
        ("accept", "application/json".to_owned()),
        ("content-type", "application/json".to_owned()),
        ("user-agent", format!("mrs-iam-sync-rust/{}", env!("CARGO_PKG_VERSION"))),
        ("x-project-id", "0a1b2c3d4e5f60718293a4b5c6d7e8f9".to_owned()),
        ("x-sdk-date", "20261130T080000Z".to_owned()),
        ("host", addr.to_string()),
        (
            "authorization",
            "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=accept;content-type;host;user-agent;x-project-id;x-sdk-date, Signature=0000000000000000000000000000000000000000000000000000000000000000".to_owned(),
        ),
    ];
    let mut headers = HeaderMap::with_capacity(fixed.len());
    for (name, value) in fixed {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("a valid header value"),
        );
    }
    headers
}
