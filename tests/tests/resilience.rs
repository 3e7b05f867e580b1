//! The client against the loopback server's fault injection: retries,
//! Retry-After, timeouts and deadlines, clear errors for bad answers, ids
//! refused before sending, and the waiter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use mrs_iam_sync::types::{CancelSyncIamUserRequest, UpdateSyncIamUserRequest};
use mrs_iam_sync::{
    Client, Clock, Credentials, Error, RetryPolicy, Timeouts, TransportKind, WaitOptions,
};
use mrs_iam_sync_rules as rules;
use mrs_iam_sync_server::{
    Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, Fault, FaultKind, RetryAfter,
    Server,
};
use mrs_iam_sync_tests::conformance::ClientOnlyServer;

const CLUSTER: &str = DEMO_CLUSTER_ID;

/// Every request the client sends here must conform to the spec.
async fn server_with(config: Config) -> ClientOnlyServer {
    ClientOnlyServer::start(config).await
}

async fn server() -> ClientOnlyServer {
    server_with(Config::default()).await
}

/// Quick retries, so that the tests take milliseconds.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
}

fn client_for(server: &Server, retry: RetryPolicy, timeouts: Timeouts) -> Client {
    Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(retry)
        .timeouts(timeouts)
        .build()
        .expect("client builds")
}

fn client(server: &Server) -> Client {
    client_for(server, quick_retries(3), Timeouts::default())
}

#[tokio::test]
async fn a_get_succeeds_after_two_server_errors() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Status500).times(2));
    let running = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect("third attempt succeeds");
    assert!(!running);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn update_sync_is_not_retried_after_a_server_error() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Status500).times(2));
    let err = client(&server)
        .start_sync(
            CLUSTER,
            &UpdateSyncIamUserRequest {
                is_all_sync: true,
                ..Default::default()
            },
        )
        .await
        .expect_err("the 500 is final for a POST");
    assert_eq!(server.request_count(), 1);
    let Error::Service(service) = &err else {
        panic!("expected a service error, got {err:?}")
    };
    assert_eq!(service.status.as_u16(), 500);
    assert_eq!(service.code, "MRS.0011");
    assert_eq!(service.message, "Internal service error.");
    assert!(
        service
            .request_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(
        err.to_string()
            .starts_with("HTTP 500: MRS.0011: Internal service error. (request id "),
        "{err}"
    );
}

#[tokio::test]
async fn update_sync_is_not_resent_when_its_answer_is_lost() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::DropConnectionAfterProcessing));
    let err = client(&server)
        .start_sync(
            CLUSTER,
            &UpdateSyncIamUserRequest {
                is_all_sync: true,
                ..Default::default()
            },
        )
        .await
        .expect_err("the answer was lost");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        server.request_count(),
        1,
        "a POST that may have run is not resent"
    );
    // It did run: the sync is going.
    assert!(client(&server).is_synchronizing(CLUSTER).await.unwrap());
}

#[tokio::test]
async fn update_sync_is_retried_when_it_never_reached_the_server() {
    // A port with nothing listening: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = Client::builder()
        .endpoint(format!("http://{addr}"))
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(quick_retries(3))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .start_sync(CLUSTER, &UpdateSyncIamUserRequest::default())
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "could not connect");
    let report = err.report().to_string();
    assert!(report.starts_with("could not connect: "), "{report}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::TooManyRequests {
        retry_after: RetryAfter::Seconds(1),
    }));
    let started = Instant::now();
    client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect("the retry succeeds");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_reported_as_such() {
    let server = server().await;
    server.inject(
        Fault::new(FaultKind::TooManyRequests {
            retry_after: RetryAfter::Seconds(0),
        })
        .times(5),
    );
    let err = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("still throttled");
    assert!(err.is_throttled(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.code(), Some("APIGW.0308"));
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_attempt_timeout() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Delay(Duration::from_secs(30))).times(10));
    let timeouts = Timeouts::default().with_attempt(Duration::from_millis(300));
    let started = Instant::now();
    let err = client_for(&server, RetryPolicy::disabled(), timeouts)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("times out");
    let elapsed = started.elapsed();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn the_overall_deadline_bounds_the_whole_call() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Delay(Duration::from_secs(30))).times(100));
    let timeouts = Timeouts::default()
        .with_attempt(Duration::from_millis(400))
        .with_total(Duration::from_millis(1000));
    let started = Instant::now();
    let err = client_for(&server, quick_retries(100), timeouts)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("the deadline passes");
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        elapsed >= Duration::from_millis(1000) && elapsed < Duration::from_millis(2500),
        "{elapsed:?}"
    );
    let attempts = server.request_count();
    assert!((2..=4).contains(&attempts), "{attempts} attempts");
    assert_eq!(err.to_string(), "timed out");
    assert_eq!(
        err.report().to_string(),
        "timed out: the call's deadline of 1.0 s passed"
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::MalformedJson));
    let err = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("undecodable");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.status().map(|status| status.as_u16()), Some(200));
    assert!(
        err.to_string()
            .starts_with("undecodable response (HTTP 200)"),
        "{err}"
    );
    assert_eq!(server.request_count(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn an_html_error_page_is_a_service_error_with_an_excerpt() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::HtmlErrorPage).times(3));
    let err = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("502 three times");
    let Error::Service(service) = &err else {
        panic!("expected a service error, got {err:?}")
    };
    assert_eq!(service.status.as_u16(), 502);
    assert_eq!(service.code, "502");
    assert!(
        service.message.contains("<html") || service.message.contains("<!DOCTYPE"),
        "{}",
        service.message
    );
    assert!(service.message.chars().count() <= 201);
    assert_eq!(server.request_count(), 3, "502 is retried");
}

#[tokio::test]
async fn an_empty_body_is_a_decode_error() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::EmptyBody));
    let err = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("empty");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_missing_required_field_is_a_decode_error_not_false() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::MissingField));
    let err = client(&server)
        .is_synchronizing(CLUSTER)
        .await
        .expect_err("missing field");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    // serde's reason is the cause, not part of the message.
    assert!(!err.to_string().contains("is_synchronizing"), "{err}");
    assert!(
        err.report().to_string().contains("is_synchronizing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::DropConnection));
    assert!(
        !client(&server)
            .is_synchronizing(CLUSTER)
            .await
            .expect("retried")
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn invalid_ids_are_refused_before_sending() {
    let server = server().await;
    let client = client(&server);
    let long = "c".repeat(65);
    for bad in ["", long.as_str(), "a/b", "..", "a b", "集群", "x%2F"] {
        let err = client.is_synchronizing(bad).await.expect_err(bad);
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "cluster_id",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
        // The generated builder refuses it too, and the field is named.
        let err: Error = client
            .list_cluster_sync_task_status()
            .project_id(DEMO_PROJECT_ID)
            .cluster_id(bad)
            .send()
            .await
            .expect_err(bad)
            .into();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "cluster_id",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    let err: Error = client
        .show_sync_iam_user()
        .project_id("bad project")
        .cluster_id(CLUSTER)
        .send()
        .await
        .expect_err("bad project id")
        .into();
    assert!(err.to_string().starts_with("invalid project_id: "), "{err}");
    assert_eq!(server.request_count(), 0, "nothing reached the server");
}

#[tokio::test]
async fn the_builders_refuse_bodies_that_break_the_spec_before_sending() {
    let server = server().await;
    let client = client(&server);
    let most = rules::CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES
        .max_items
        .expect("the spec bounds the cancel list");
    let too_many: Vec<String> = (0..=most).map(|i| format!("user{i}")).collect();
    let err: Error = client
        .cancel_sync_iam_user()
        .project_id(DEMO_PROJECT_ID)
        .cluster_id(CLUSTER)
        .body(CancelSyncIamUserRequest {
            user_names: too_many,
            ..Default::default()
        })
        .send()
        .await
        .expect_err("one name too many")
        .into();
    let Error::InvalidInput { field, rule, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*field, "user_names");
    assert!(
        rule.contains(&format!("has {} items; at most {most}", most + 1)),
        "{rule}"
    );
    let err: Error = client
        .update_sync_iam_user()
        .project_id(DEMO_PROJECT_ID)
        .cluster_id(CLUSTER)
        .body(UpdateSyncIamUserRequest {
            group_names: vec!["group1".into(), String::new()],
            ..Default::default()
        })
        .send()
        .await
        .expect_err("an empty group name")
        .into();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "group_names",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 0, "nothing reached the server");
    // A body within the rules is sent as before.
    client
        .cancel_sync_iam_user()
        .project_id(DEMO_PROJECT_ID)
        .cluster_id(CLUSTER)
        .body(CancelSyncIamUserRequest {
            user_names: vec!["user1".into()],
            ..Default::default()
        })
        .send()
        .await
        .expect("a valid body is sent");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn the_waiter_returns_once_the_sync_ends() {
    let server = server_with(Config {
        sync_duration: Duration::from_millis(600),
        ..Config::default()
    })
    .await;
    let client = client(&server);
    client
        .start_sync(
            CLUSTER,
            &UpdateSyncIamUserRequest {
                user_names: vec!["user1".into()],
                ..Default::default()
            },
        )
        .await
        .expect("sync starts");
    assert!(client.is_synchronizing(CLUSTER).await.unwrap());
    let options = WaitOptions::default()
        .with_min_interval(Duration::from_millis(50))
        .with_max_interval(Duration::from_millis(200))
        .with_timeout(Duration::from_secs(10));
    let mut seen = Vec::new();
    let done = client
        .wait_until_idle_with(CLUSTER, &options, |progress| seen.push(*progress))
        .await
        .expect("the sync ends");
    assert!(!done.running);
    assert!(done.polls >= 2, "{done:?}");
    assert_eq!(seen.len() as u32, done.polls);
    assert!(done.elapsed >= Duration::from_millis(300), "{done:?}");
    let synced = client.synced_principals(CLUSTER).await.unwrap();
    assert_eq!(synced.user_names, ["user1"]);
    assert_eq!(synced.group_names, ["group1"]);
}

#[tokio::test]
async fn the_waiter_times_out_when_the_sync_never_ends() {
    let server = server_with(Config {
        sync_duration: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let client = client(&server);
    client
        .start_sync(
            CLUSTER,
            &UpdateSyncIamUserRequest {
                is_all_sync: true,
                ..Default::default()
            },
        )
        .await
        .expect("sync starts");
    let options = WaitOptions::default()
        .with_min_interval(Duration::from_millis(50))
        .with_max_interval(Duration::from_millis(100))
        .with_timeout(Duration::from_millis(500));
    let err = client
        .wait_until_idle(CLUSTER, &options)
        .await
        .expect_err("never idle");
    let Error::WaitTimedOut { waited, polls, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(polls >= 3, "{polls}");
}

/// A clock that moves a second forward each time it is read.
#[derive(Debug)]
struct TickingClock(AtomicU64);

impl Clock for TickingClock {
    fn now(&self) -> SystemTime {
        let tick = self.0.fetch_add(1, Ordering::SeqCst);
        SystemTime::now() + Duration::from_secs(tick)
    }
}

#[tokio::test]
async fn every_attempt_is_signed_afresh() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Status503).times(2));
    let client = Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(quick_retries(3))
        .clock(TickingClock(AtomicU64::new(0)))
        .build()
        .unwrap();
    assert!(
        !client
            .is_synchronizing(CLUSTER)
            .await
            .expect("the server verified every signature")
    );
    let dates: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.header("x-sdk-date").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(dates.len(), 3);
    assert!(dates[0] != dates[1] && dates[1] != dates[2], "{dates:?}");
}
