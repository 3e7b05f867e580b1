//! One ListClusterSyncTaskStatus round trip over loopback keep-alive
//! HTTP/1.1 against a minimal hyper server that answers canned JSON: the
//! generated client with signing, against a bare reqwest GET of the same URL
//! without signing (the baseline, measured in the same run).
//!
//! Target: the client reaches at least 0.9 of the bare call's throughput.
//! A third baseline, the bare GET with the signed client's headers (captured
//! from one call, sent as they are), shows what the request's shape costs by itself:
//! the server parses and the client writes those headers whoever signs.
//! The same client with its rate limiter and retry quota off shows what they
//! cost when nothing is throttled (target: nothing measurable).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mrs_iam_sync::{Client, Credentials, RateLimit, RetryPolicy, RetryQuota};
use mrs_iam_sync_tests::canned;

const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CLUSTER: &str = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";

fn round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = runtime.block_on(canned::start());
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
    let limiter_off = Client::builder()
        .endpoint(&base)
        .credentials(Credentials::permanent("AKEXAMPLE", "SKEXAMPLE").with_project_id(PROJECT))
        .retry(RetryPolicy::disabled())
        .rate_limit(RateLimit::off())
        .retry_quota(RetryQuota::unlimited())
        .build()
        .expect("client");

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    let shape = runtime.block_on(canned::request_headers_of(
        Client::builder()
            .credentials(Credentials::permanent("AKEXAMPLE", "SKEXAMPLE").with_project_id(PROJECT))
            .retry(RetryPolicy::disabled()),
        CLUSTER,
        &addr,
    ));
    for (name, headers) in [
        ("bare_reqwest_get", None),
        ("bare_reqwest_signed_shape", Some(&shape)),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let mut request = bare.get(&url);
                if let Some(headers) = headers {
                    request = request.headers(headers.clone());
                }
                let response = request.send().await.expect("bare get");
                let body = response.bytes().await.expect("body");
                assert_eq!(body.len(), 26);
            });
        });
    }
    group.bench_function("client_signed", |b| {
        b.to_async(&runtime).iter(|| async {
            let running = client.is_synchronizing(CLUSTER).await.expect("client call");
            assert!(!running);
        });
    });
    group.bench_function("client_signed_limiter_off", |b| {
        b.to_async(&runtime).iter(|| async {
            let running = limiter_off
                .is_synchronizing(CLUSTER)
                .await
                .expect("client call");
            assert!(!running);
        });
    });
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
