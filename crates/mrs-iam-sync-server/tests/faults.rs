//! Fault injection over loopback HTTP: every kind, counts, cluster scoping,
//! and the order (after authentication, before validation).

mod common;

use std::time::{Duration, Instant};

use common::*;
use mrs_iam_sync_server::{Config, Fault, FaultKind, RetryAfter};
use serde_json::json;

fn task_status() -> String {
    format!("{}/iam-sync", base(CLUSTER))
}

fn users() -> String {
    format!("{}/iam-sync-user", base(CLUSTER))
}

#[tokio::test]
async fn status_500_and_503() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::Status500));
    server.inject(Fault::new(FaultKind::Status503));
    let r = c.get(&task_status()).await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json(),
        json!({"error_code": "MRS.0011", "message": "Internal service error.", "request_id": r.request_id()})
    );
    let r = c.get(&task_status()).await;
    let msg = r.assert_error(503, "MRS.0503");
    assert!(msg.contains("temporarily unavailable"));
    assert_eq!(
        c.get(&task_status()).await.json(),
        json!({"is_synchronizing": false})
    );
    assert!(server.pending_faults().is_empty());
}

#[tokio::test]
async fn throttling_with_retry_after() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::TooManyRequests {
        retry_after: RetryAfter::Seconds(3),
    }));
    server.inject(Fault::new(FaultKind::TooManyRequests {
        retry_after: RetryAfter::HttpDate("Wed, 21 Oct 2015 07:28:00 GMT".into()),
    }));
    let r = c.get(&task_status()).await;
    let msg = r.assert_error(429, "APIGW.0308");
    assert!(
        msg.starts_with("The throttling threshold has been reached"),
        "{msg}"
    );
    assert_eq!(r.header("retry-after"), Some("3"));
    let r = c.get(&task_status()).await;
    r.assert_error(429, "APIGW.0308");
    assert_eq!(
        r.header("retry-after"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(c.get(&task_status()).await.status, 200);
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::Delay(Duration::from_millis(1000))));
    let started = Instant::now();
    let path = users();
    let (r, in_flight) = tokio::join!(c.post(&path, r#"{"user_names":["user1"]}"#), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.requests()
    });
    assert!(started.elapsed() >= Duration::from_millis(1000));
    // The operation ran after the delay.
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json(), json!({"state": "synchronizing"}));
    // While delayed, the request was already recorded, without a status.
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].status, None);
    assert_eq!(server.requests()[0].status, Some(202));
}

#[tokio::test]
async fn malformed_empty_missing_and_html() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::MalformedJson).times(2));
    let r = c.get(&task_status()).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    // POST/DELETE get their own success status, 202.
    let r = c.post(&users(), r#"{"user_names":["user1"]}"#).await;
    assert_eq!(r.status, 202);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );

    server.inject(Fault::new(FaultKind::EmptyBody));
    let r = c
        .get(&format!("{}/iam-sync/is-synchronous", base(CLUSTER)))
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));

    server.inject(Fault::new(FaultKind::MissingField).times(3));
    let r = c.get(&task_status()).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    let r = c
        .get(&format!("{}/iam-sync/is-synchronous", base(CLUSTER)))
        .await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    let r = c.delete(&users(), r#"{"user_names":["user1"]}"#).await;
    assert_eq!((r.status, r.json()), (202, json!({})));

    server.inject(Fault::new(FaultKind::HtmlErrorPage));
    let r = c.get(&users()).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.text.contains("<html>") && r.text.contains("502 Bad Gateway"));
    assert_eq!(r.request_id().len(), 32);

    // None of the faulty answers touched the state: the POST above did not start a sync.
    assert_eq!(
        c.get(&task_status()).await.json(),
        json!({"is_synchronizing": false})
    );
    assert_eq!(
        c.get(&users()).await.json(),
        json!({"user_names": [], "group_names": []})
    );
}

#[tokio::test]
async fn dropped_connection() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::DropConnection));
    let err = c
        .try_send("GET", &task_status(), None, &Auth::demo(), &[])
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    // One request reached the server (the client did not silently resend it),
    // and it has no status: nothing was answered.
    let log = server.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].status, None);
    // Raw view: the connection closes with zero bytes of response.
    server.inject(Fault::new(FaultKind::DropConnection));
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: h\r\nX-Auth-Token: {}\r\n\r\n",
        task_status(),
        mrs_iam_sync_server::DEMO_TOKEN
    );
    let out = raw_exchange(&server, req.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(out, "");
    // And the server goes on.
    assert_eq!(c.get(&task_status()).await.status, 200);
}

#[tokio::test]
async fn dropped_connection_after_processing() {
    let server = start().await;
    let c = Client::new(&server);
    server.inject(Fault::new(FaultKind::DropConnectionAfterProcessing));
    let err = c
        .try_send(
            "POST",
            &users(),
            Some(r#"{"user_names":["user1"]}"#),
            &Auth::demo(),
            &[],
        )
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(server.request_count(), 1);
    assert_eq!(server.requests()[0].status, None);
    // The answer was lost, but the sync did start.
    assert_eq!(
        c.get(&task_status()).await.json(),
        json!({"is_synchronizing": true})
    );
    server.finish_syncs_now();
    assert_eq!(
        c.get(&users()).await.json(),
        json!({"user_names": ["user1"], "group_names": ["group1"]})
    );
}

#[tokio::test]
async fn counts_scoping_and_order() {
    let server = start().await;
    let c = Client::new(&server);
    let other = format!("{}/iam-sync", base("demo-cluster"));

    server.inject(
        Fault::new(FaultKind::Status503)
            .times(2)
            .for_cluster("demo-cluster"),
    );
    server.inject(Fault::new(FaultKind::Status500));
    assert_eq!(server.pending_faults().len(), 2);

    // Unauthenticated requests and unknown paths do not consume faults.
    assert_eq!(c.send("GET", &other, None, &Auth::None).await.status, 401);
    assert_eq!(
        c.send("GET", &other, None, &Auth::Token("bad".into()))
            .await
            .status,
        401
    );
    assert_eq!(
        c.send("GET", "/nope", None, &Auth::demo()).await.status,
        404
    );
    assert_eq!(server.pending_faults()[0].count, 2);

    // cid-1 is not demo-cluster: the any-cluster 500 applies to it.
    assert_eq!(c.get(&task_status()).await.status, 500);
    assert_eq!(c.get(&task_status()).await.status, 200);
    // demo-cluster: twice 503, then normal.
    assert_eq!(c.get(&other).await.status, 503);
    assert_eq!(
        c.send("GET", &other, None, &Auth::token()).await.status,
        503
    );
    assert_eq!(c.get(&other).await.status, 200);
    assert!(server.pending_faults().is_empty());

    // Faults come before parameter validation: an unknown cluster gets it too.
    server.inject(Fault::new(FaultKind::Status503));
    assert_eq!(
        c.get(&format!("{}/iam-sync", base("no-such"))).await.status,
        503
    );
    assert_eq!(
        c.get(&format!("{}/iam-sync", base("no-such"))).await.status,
        400
    );

    // A zero count is a no-op; clear_faults forgets the rest.
    server.inject(Fault::new(FaultKind::Status500).times(0));
    assert!(server.pending_faults().is_empty());
    server.inject(Fault::new(FaultKind::Status500).times(5));
    server.clear_faults();
    assert_eq!(c.get(&task_status()).await.status, 200);
    assert_eq!(server.request_count(), 11);
}

#[tokio::test]
async fn the_rate_limit_refuses_each_caller_over_its_rate() {
    // One request a second after a burst of five: the bucket gains a token
    // only a second after the burst, however slow the machine running the
    // test (at 5/s, a request slowed to 40 ms refilled one before the 6th).
    let server = start_with(Config {
        rate_limit: Some(1.0),
        rate_burst: Some(5.0),
        latency: Duration::from_millis(20),
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(c.get(&task_status()).await.status, 200);
    }
    assert!(started.elapsed() >= Duration::from_millis(100), "latency");
    let r = c.get(&task_status()).await;
    let msg = r.assert_error(429, "APIGW.0308");
    assert!(
        msg.starts_with("The throttling threshold has been reached: policy user over ratelimit"),
        "{msg}"
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    // The token callers have a bucket of their own.
    let token = c.send("GET", &task_status(), None, &Auth::token()).await;
    assert_eq!(token.status, 200);
    // Unauthenticated requests are refused before they count.
    let anonymous = c.send("GET", &task_status(), None, &Auth::None).await;
    assert_eq!(anonymous.status, 401);
    // A refused request consumes no fault.
    server.inject(Fault::new(FaultKind::Status500));
    assert_eq!(c.get(&task_status()).await.status, 429);
    assert_eq!(server.pending_faults().len(), 1);
    let refill = Duration::from_secs(1).saturating_sub(started.elapsed());
    tokio::time::sleep(refill + Duration::from_millis(50)).await;
    assert_eq!(c.get(&task_status()).await.status, 500);
}

#[tokio::test]
async fn a_small_burst_refuses_what_goes_beyond_it() {
    let server = start_with(Config {
        rate_limit: Some(5.0),
        rate_burst: Some(2.0),
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    assert_eq!(c.get(&task_status()).await.status, 200);
    assert_eq!(c.get(&task_status()).await.status, 200);
    c.get(&task_status()).await.assert_error(429, "APIGW.0308");
}

#[tokio::test]
async fn a_burst_must_hold_a_request_and_come_with_a_rate() {
    for (rate_limit, rate_burst, named) in [
        (Some(100.0), Some(0.5), "rate_burst"),
        (Some(100.0), Some(f64::INFINITY), "rate_burst"),
        (None, Some(10.0), "rate_burst needs a rate_limit"),
    ] {
        let refused = mrs_iam_sync_server::Server::start(
            Config {
                rate_limit,
                rate_burst,
                ..Config::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect_err("refused");
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
        assert!(refused.to_string().contains(named), "{refused}");
    }
}

#[tokio::test]
async fn a_rate_limit_must_be_positive() {
    for rate in [0.0, -1.0, f64::NAN] {
        let refused = mrs_iam_sync_server::Server::start(
            Config {
                rate_limit: Some(rate),
                ..Config::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect_err("refused");
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
        assert!(refused.to_string().contains("rate_limit"), "{refused}");
    }
}
