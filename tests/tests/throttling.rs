//! The client's shared pacing against the loopback server: the retry quota
//! bounds the retries a failing service sees, and the rate limiter learns a
//! throttling gateway's rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mrs_iam_sync::{Client, Credentials, RateLimit, RetryPolicy, RetryQuota};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Fault, FaultKind, Server};

async fn server_with(config: Config) -> Server {
    Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts")
}

fn client(server: &Server, quota: RetryQuota) -> Client {
    Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .retry_quota(quota)
        .build()
        .expect("client builds")
}

/// `calls` calls of `is_synchronizing`, `concurrency` at a time, through
/// clones of one client. Returns how many succeeded.
async fn fan_out(client: &Client, calls: usize, concurrency: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let succeeded = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, succeeded) = (client.clone(), next.clone(), succeeded.clone());
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                if client.is_synchronizing("cid-1").await.is_ok() {
                    succeeded.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    succeeded.load(Ordering::Relaxed)
}

fn always_503() -> Fault {
    Fault::new(FaultKind::Status503).times(usize::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_sees_the_first_attempts_and_a_bounded_number_of_retries() {
    let server = server_with(Config::default()).await;
    server.inject(always_503());
    let client = client(&server, RetryQuota::default());
    assert_eq!(fan_out(&client, 1000, 32).await, 0);
    // The documented bound: the first attempts plus capacity / retry cost
    // (500 / 5) retries, however many calls there are.
    assert_eq!(server.request_count(), 1000 + 100);
    let report = client.throttling();
    assert!(report.retries_refused >= 900, "{report:?}");
    assert_eq!(report.throttled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_quota_every_call_retries_to_its_limit() {
    let server = server_with(Config::default()).await;
    server.inject(always_503());
    let client = client(&server, RetryQuota::unlimited());
    assert_eq!(fan_out(&client, 300, 32).await, 0);
    assert_eq!(server.request_count(), 300 * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successes_refill_the_quota() {
    let server = server_with(Config::default()).await;
    let client = client(&server, RetryQuota::default());
    // Spend the quota, then let 50 calls succeed at once: 50 tokens, enough
    // for 10 more retries.
    server.inject(always_503());
    fan_out(&client, 200, 8).await;
    server.clear_faults();
    assert_eq!(fan_out(&client, 50, 8).await, 50);
    server.clear_requests();
    server.inject(always_503());
    fan_out(&client, 100, 8).await;
    assert_eq!(server.request_count(), 100 + 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_the_limiter_and_a_throttled_client_paces_itself() {
    let server = server_with(Config {
        rate_limit: Some(40.0),
        ..Config::default()
    })
    .await;
    let client = client(&server, RetryQuota::default());
    let clone = client.clone();
    // Six seconds at the gateway's rate: long enough for the pace to measure
    // the gateway once the bucket's refill during the first `Retry-After` is
    // spent (a two-second run may end before, paced at up to twice the
    // rate of the first burst). 39-42/s in 10 runs in a row at load ~2.
    assert_eq!(fan_out(&clone, 240, 16).await, 240);
    let report = client.throttling();
    assert!(report.throttled > 0, "{report:?}");
    let rate = report.rate.expect("pacing after a throttle");
    assert!(rate > 30.0 && rate < 50.0, "{rate}");
    let refusals = server
        .requests()
        .iter()
        .filter(|request| request.status == Some(429))
        .count() as u64;
    assert_eq!(report.throttled, refusals);
    // At most 0.2 refusals per answer; without the limiter, at least 30 of
    // 80 calls are refused (below).
    assert!(refusals <= 48, "{refusals}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_gateway_is_paced_just_under_its_rate() {
    // 50 requests/s, a bucket of five: a tenth of a second's worth.
    let server = server_with(Config {
        rate_limit: Some(50.0),
        rate_burst: Some(5.0),
        ..Config::default()
    })
    .await;
    let client = client(&server, RetryQuota::default());
    assert_eq!(fan_out(&client, 300, 32).await, 300);
    let report = client.throttling();
    let refusals = server
        .requests()
        .iter()
        .filter(|request| request.status == Some(429))
        .count() as u64;
    assert_eq!(report.throttled, refusals);
    // The first burst (at most the concurrency), finding the rate, and
    // little after.
    assert!(refusals <= 75, "{refusals} refusals");
    let rate = report.rate.expect("pacing after a throttle");
    assert!(rate > 25.0 && rate < 60.0, "{rate}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_limiter_off_a_throttled_client_does_not_pace() {
    let server = server_with(Config {
        rate_limit: Some(40.0),
        ..Config::default()
    })
    .await;
    let client = Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .rate_limit(RateLimit::off())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    fan_out(&client, 80, 16).await;
    let report = client.throttling();
    assert!(report.throttled >= 30, "{report:?}");
    assert_eq!(report.rate, None);
}

#[test]
fn a_bad_max_rate_is_refused_naming_the_setting() {
    for rate in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let err = Client::builder()
            .endpoint("http://127.0.0.1:9")
            .anonymous()
            .max_rate(rate)
            .build()
            .expect_err("refused");
        assert!(err.to_string().contains("max_rate"), "{err}");
    }
}
