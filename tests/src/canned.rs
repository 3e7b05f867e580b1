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

use crate::capture::{CannedResponse, CaptureServer};

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

/// The headers a client from `builder` sends for `is_synchronizing(cluster)`,
/// as the capture server recorded them, with `Host` set to `addr`: a bare
/// reqwest call that sends them has the client's request shape (values of
/// an earlier second) without the client's work.
pub async fn request_headers_of(
    builder: mrs_iam_sync::ClientBuilder,
    cluster: &str,
    addr: &SocketAddr,
) -> reqwest::header::HeaderMap {
    use reqwest::header::{HOST, HeaderMap, HeaderName, HeaderValue};
    let answer = CannedResponse::json(200, String::from_utf8_lossy(BODY));
    let capture = CaptureServer::start(answer).await;
    let client = builder
        .endpoint(capture.base_url())
        .build()
        .expect("client");
    client
        .is_synchronizing(cluster)
        .await
        .expect("captured call");
    let [request] = capture.take().try_into().expect("one request");
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    for (name, value) in &request.headers {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    headers.insert(
        HOST,
        HeaderValue::from_str(&addr.to_string()).expect("host"),
    );
    headers
}
