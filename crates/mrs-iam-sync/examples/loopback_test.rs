//! Testing an application's code against the loopback MRS server
//! (`mrs-iam-sync-server`, a dev-dependency): real HTTP, real signatures
//! checked as the API gateway checks them, the spec's rules, and injected
//! faults (a 503, a throttled answer, a stalled connection) that production
//! only shows on a bad day.
//!
//! `onboard` below is the application's code; the tests at the bottom are
//! how its own test suite would check it. `cargo test -p mrs-iam-sync
//! --example loopback_test` runs them (CI does); `cargo run -p mrs-iam-sync
//! --example loopback_test` runs `onboard` once.

use std::time::Duration;

use mrs_iam_sync::types::UpdateSyncIamUserRequest;
use mrs_iam_sync::{Client, Credentials, Error, RetryPolicy, WaitOptions};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, Server};

/// The application's code: synchronizes `users` to the cluster unless a sync
/// runs already, waits for it, and returns who is synchronized now.
async fn onboard(
    client: &Client,
    cluster: &str,
    users: &[&str],
    wait: &WaitOptions,
) -> Result<Vec<String>, Error> {
    if !client.is_synchronizing(cluster).await? {
        let request = UpdateSyncIamUserRequest {
            user_names: users.iter().map(|user| user.to_string()).collect(),
            ..Default::default()
        };
        client.start_sync(cluster, &request).await?;
    }
    client.wait_until_idle(cluster, wait).await?;
    Ok(client.synced_principals(cluster).await?.user_names)
}

/// A client of the loopback server, as the application builds one in
/// production but with the demo keys and a quick retry policy.
fn client_for(server: &Server) -> Client {
    Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .build()
        .expect("the client builds")
}

/// Polls quickly: the loopback sync takes as long as its config says.
fn quick_wait() -> WaitOptions {
    WaitOptions::default()
        .with_min_interval(Duration::from_millis(20))
        .with_max_interval(Duration::from_millis(100))
        .with_timeout(Duration::from_secs(10))
}

/// A loopback server whose syncs take 200 ms.
async fn loopback() -> Server {
    let config = Config {
        sync_duration: Duration::from_millis(200),
        ..Config::default()
    };
    Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the loopback server starts")
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = loopback().await;
    let synced = onboard(
        &client_for(&server),
        DEMO_CLUSTER_ID,
        &["user1"],
        &quick_wait(),
    )
    .await?;
    println!("synchronized users: {synced:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use mrs_iam_sync_server::{Fault, FaultKind, RetryAfter};

    use super::*;

    #[tokio::test]
    async fn onboards_the_users() {
        let server = loopback().await;
        let synced = onboard(
            &client_for(&server),
            DEMO_CLUSTER_ID,
            &["user1", "user2"],
            &quick_wait(),
        )
        .await
        .unwrap();
        assert_eq!(synced, ["user1", "user2"]);
        // What went over the wire, as the gateway saw it.
        let posts: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|request| request.method == "POST")
            .collect();
        assert_eq!(posts.len(), 1, "one sync started");
        assert!(posts[0].body_text().contains("user2"));
    }

    #[tokio::test]
    async fn rides_out_an_unavailable_service_and_throttling() {
        let server = loopback().await;
        server.inject(Fault::new(FaultKind::Status503));
        server.inject(Fault::new(FaultKind::TooManyRequests {
            retry_after: RetryAfter::Seconds(0),
        }));
        let synced = onboard(
            &client_for(&server),
            DEMO_CLUSTER_ID,
            &["user3"],
            &quick_wait(),
        )
        .await
        .unwrap();
        assert_eq!(synced, ["user3"]);
        // The client retried both answers (the 429 after its Retry-After).
        let statuses: Vec<_> = server.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses[..3], [Some(503), Some(429), Some(200)]);
    }

    #[tokio::test]
    async fn reports_an_unknown_user_with_the_service_code() {
        let server = loopback().await;
        let err = onboard(
            &client_for(&server),
            DEMO_CLUSTER_ID,
            &["nobody"],
            &quick_wait(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status().map(|status| status.as_u16()), Some(400));
        assert_eq!(err.code(), Some("12000002"));
        assert!(err.request_id().is_some(), "a request id to quote");
        assert!(!err.is_retryable());
    }

    #[tokio::test]
    async fn gives_up_waiting_at_its_timeout() {
        let config = Config {
            sync_duration: Duration::from_secs(60),
            ..Config::default()
        };
        let server = Server::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let impatient = quick_wait().with_timeout(Duration::from_millis(300));
        let err = onboard(
            &client_for(&server),
            DEMO_CLUSTER_ID,
            &["user1"],
            &impatient,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::WaitTimedOut { .. }), "{err:?}");
    }
}
