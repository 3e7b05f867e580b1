//! One ListClusterSyncTaskStatus round trip over loopback keep-alive
//! HTTP/1.1 against a minimal hyper server that answers canned JSON: the
//! generated client with signing, against a bare reqwest GET of the same URL
//! without signing (the baseline, measured in the same run).
//!
//! Target: the client reaches at least 0.9 of the bare call's throughput.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mrs_iam_sync::{Client, Credentials, RetryPolicy};
use tokio::net::TcpListener;

const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CLUSTER: &str = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";

/// A server that answers every request with `{"is_synchronizing":false}`.
async fn canned_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_request| async {
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                        br#"{"is_synchronizing":false}"#,
                    )));
                    response
                        .headers_mut()
                        .insert("content-type", "application/json".parse().expect("header"));
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

fn round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = runtime.block_on(canned_server());
    let base = format!("http://{addr}");
    let url = format!("{base}/v2/{PROJECT}/clusters/{CLUSTER}/iam-sync");

    mrs_iam_sync::install_crypto_provider();
    let bare = reqwest::Client::new();
    let client = Client::builder()
        .endpoint(&base)
        .credentials(Credentials::permanent("AKEXAMPLE", "SKEXAMPLE").with_project_id(PROJECT))
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client");

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bare_reqwest_get", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = bare.get(&url).send().await.expect("bare get");
            let body = response.bytes().await.expect("body");
            assert_eq!(body.len(), 26);
        });
    });
    group.bench_function("client_signed", |b| {
        b.to_async(&runtime).iter(|| async {
            let running = client.is_synchronizing(CLUSTER).await.expect("client call");
            assert!(!running);
        });
    });
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
