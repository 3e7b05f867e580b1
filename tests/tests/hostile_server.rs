//! Whatever a server sends, the client answers with a clear error of the
//! right kind: no panic, no hang, no unbounded read.

use std::time::Duration;

use mrs_iam_sync::{Client, Error, RetryPolicy, Timeouts, TransportKind};
use mrs_iam_sync_tests::hostile::{Behaviour, HostileServer};

const CLUSTER: &str = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";

fn client(server: &HostileServer, retry: RetryPolicy, attempt: Duration) -> Client {
    Client::builder()
        .endpoint(server.base_url())
        .anonymous()
        .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .retry(retry)
        .timeouts(
            Timeouts::default()
                .with_attempt(attempt)
                .with_total(attempt * 4),
        )
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client builds")
}

/// Runs the call with a hard bound: a hang fails the test instead of
/// blocking it.
async fn call(client: &Client) -> Result<bool, Error> {
    tokio::time::timeout(Duration::from_secs(20), client.is_synchronizing(CLUSTER))
        .await
        .expect("the client must not hang")
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_without_reading_it() {
    let server = HostileServer::start(Behaviour::DeclaredHugeBody {
        declared: 512 * 1024 * 1024,
    })
    .await;
    let err = call(&client(
        &server,
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 65536, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the response body is larger than the 65536-byte limit"
    );
    // The server could only push what fits in socket buffers before the client hung up.
    assert!(
        server.body_bytes_written() < 64 * 1024 * 1024,
        "{} bytes written",
        server.body_bytes_written()
    );
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let server = HostileServer::start(Behaviour::EndlessChunkedBody).await;
    let err = call(&client(
        &server,
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_dripping_server_hits_the_attempt_timeout() {
    let server = HostileServer::start(Behaviour::Drip {
        every: Duration::from_secs(1),
    })
    .await;
    let started = std::time::Instant::now();
    let err = call(&client(
        &server,
        RetryPolicy::disabled(),
        Duration::from_millis(1500),
    ))
    .await
    .unwrap_err();
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
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.body_bytes_written() < 26);
}

#[tokio::test]
async fn invalid_utf8_in_a_header_is_tolerated() {
    let server = HostileServer::start(Behaviour::InvalidUtf8Header).await;
    let err = call(&client(
        &server,
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    let Error::Service(service) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(service.status.as_u16(), 503);
    assert_eq!(service.code, "MRS.0503");
    assert_eq!(
        service.request_id, None,
        "a request id that is not text is dropped"
    );
}

#[tokio::test]
async fn a_wrong_content_type_with_a_non_json_body_is_a_decode_error() {
    let server = HostileServer::start(Behaviour::Answer {
        content_type: "text/html",
        body: "<html>maintenance</html>",
    })
    .await;
    let err = call(&client(
        &server,
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(
        err.to_string().contains("<html>maintenance</html>"),
        "{err}"
    );
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_decode_errors() {
    for body in [
        r#"{}"#,
        r#"{"is_synchronizing":"yes"}"#,
        r#"{"is_synchronizing":null}"#,
        "[]",
        "true",
    ] {
        let server = HostileServer::start(Behaviour::Answer {
            content_type: "application/json",
            body,
        })
        .await;
        let err = call(&client(
            &server,
            RetryPolicy::disabled(),
            Duration::from_secs(5),
        ))
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{body}: {err:?}");
    }
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_a_transport_error_after_retries() {
    let server = HostileServer::start(Behaviour::CloseMidBody {
        declared: 100,
        sent: 10,
    })
    .await;
    let retry = RetryPolicy::default()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(10));
    let err = call(&client(&server, retry, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    // As the official SDK (allow_redirects=False): the signature covers the
    // path and host, so following could only resend a request elsewhere.
    let server = HostileServer::start(Behaviour::Redirect {
        location: "/v2/elsewhere",
    })
    .await;
    let err = call(&client(
        &server,
        RetryPolicy::default(),
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 302),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn the_generated_constructors_cannot_bypass_the_builder() {
    // progenitor generates `Client::new(url, Runtime)`, which builds a
    // reqwest client that follows redirects. A `Runtime` comes only from a
    // built client (there is no public constructor), and requests go through
    // the runtime's HTTP client: the redirect is still returned, not followed.
    let server = HostileServer::start(Behaviour::Redirect {
        location: "/v2/elsewhere",
    })
    .await;
    let built = Client::builder()
        .endpoint("https://mrs.example.invalid")
        .credentials(
            mrs_iam_sync::Credentials::permanent("AKEXAMPLE", "SKEXAMPLE")
                .with_project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        )
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client builds");
    let runtime = mrs_iam_sync::ClientInfo::inner(&built).clone();
    let elsewhere = Client::new(&server.base_url(), runtime);
    let err = call(&elsewhere).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 302),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1, "the redirect was not followed");
}
