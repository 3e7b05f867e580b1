//! A dependant of `mrs-iam-sync`, written the way the README and the crate
//! docs teach: every config type through `T::default().with_x(..)`, every
//! report and error read by field or matched with `..`, a credential provider
//! of its own, the generated request types built with `..Default::default()`
//! and the response types read by field.
//!
//! It is an example of the tests crate, so that `cargo test --workspace` (CI)
//! compiles it against the crates as they are; `tests/tests/dependant.rs`
//! checks it again against a copy of the workspace in which the changes a
//! minor release may make have been made (a field added to each config and
//! report struct and error variant, a variant to each non-exhaustive enum, an
//! optional property to each response schema with the client regenerated).
//! It must compile both times without a change.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mrs_iam_sync::credentials::{
    BoxFuture, CredentialSource, Credentials, CredentialsError, HttpClient, ProvideCredentials,
    Provided,
};
use mrs_iam_sync::types::{CancelSyncIamUserRequest, UpdateSyncIamUserRequest};
use mrs_iam_sync::{
    Client, ConfigError, Error, RateLimit, RetryPolicy, RetryQuota, ServiceError, ThrottleReport,
    Timeouts, TransportKind, WaitOptions, WaitProgress,
};

/// Credentials from the application's own store.
#[derive(Debug)]
struct Vault;

impl ProvideCredentials for Vault {
    fn provide<'a>(
        &'a self,
        _http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async {
            let credentials = Credentials::temporary("AK", "SK", "TOKEN");
            Ok(Provided::permanent(credentials, CredentialSource::Explicit)
                .with_expires_at(SystemTime::now() + Duration::from_secs(900)))
        })
    }
}

fn client(endpoint: &str) -> Result<Client, Error> {
    let retry = RetryPolicy::default()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(10));
    let timeouts = Timeouts::default()
        .with_connect(Duration::from_secs(2))
        .with_attempt(Duration::from_secs(10))
        .with_total(Duration::from_secs(30));
    let rate_limit = RateLimit::default().with_adaptive(true).with_max_rate(50.0);
    let quota = RetryQuota::default()
        .with_capacity(100)
        .with_retry_cost(5)
        .with_timeout_retry_cost(10);
    let read_back = (
        retry.max_attempts,
        timeouts.total,
        rate_limit.max_rate,
        quota.capacity,
    );
    assert_eq!(
        read_back,
        (5, Duration::from_secs(30), Some(50.0), 100),
        "the fields stay readable"
    );
    Client::builder()
        .endpoint(endpoint)
        .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .credentials_provider(Arc::new(Vault))
        .retry(retry)
        .timeouts(timeouts)
        .rate_limit(rate_limit)
        .retry_quota(quota)
        .build()
}

/// One line for an operator, whatever went wrong.
fn explain(err: &Error) -> String {
    let what = match err {
        Error::InvalidInput { field, rule, .. } => format!("fix {field}: {rule}"),
        Error::Config(ConfigError::Invalid(message)) => format!("configuration: {message}"),
        Error::Config(other) => format!("configuration: {other}"),
        Error::Credentials(CredentialsError::NotFound { tried, .. }) => {
            format!("no credentials ({} sources tried)", tried.len())
        }
        Error::Credentials(other) => format!("credentials: {other}"),
        Error::Signing(other) => format!("signing: {other}"),
        Error::Transport {
            kind: TransportKind::Timeout,
            ..
        } => "timed out".to_owned(),
        Error::Transport { kind, .. } => format!("transport ({kind:?})"),
        Error::Service(ServiceError {
            status,
            code,
            message,
            request_id,
            ..
        }) => format!("{status} {code}: {message} ({request_id:?})"),
        Error::ProjectLookup {
            region,
            status,
            trace_id,
            ..
        } => format!("IAM answered {status} for {region} ({trace_id:?})"),
        Error::Decode { status, .. } => format!("undecodable answer ({status:?})"),
        Error::UnexpectedStatus { status, .. } => format!("unexpected {status}"),
        Error::ResponseTooLarge { limit, .. } => format!("over {limit} bytes"),
        Error::WaitTimedOut { waited, polls, .. } => {
            format!("gave up after {waited:?}, {polls} polls")
        }
        other => other.to_string(),
    };
    format!(
        "{what} [retryable: {}, throttled: {}, status: {:?}, code: {:?}, request id: {:?}] {}",
        err.is_retryable(),
        err.is_throttled(),
        err.status(),
        err.code(),
        err.request_id(),
        err.report(),
    )
}

fn progress(done: &WaitProgress) -> String {
    format!(
        "{} polls in {:?}, running: {}",
        done.polls, done.elapsed, done.running
    )
}

fn throttling(report: &ThrottleReport) -> String {
    format!(
        "{} throttled, rate {:?}, {} retries refused, {} tokens left",
        report.throttled, report.rate, report.retries_refused, report.retry_tokens
    )
}

async fn run(endpoint: &str) -> Result<(), Error> {
    let client = client(endpoint)?;
    let cluster = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";
    let start = UpdateSyncIamUserRequest {
        user_names: vec!["alice".into()],
        ..Default::default()
    };
    let accepted = client.start_sync(cluster, &start).await?;
    println!("sync {}", accepted.state);
    let options = WaitOptions::default()
        .with_min_interval(Duration::from_millis(100))
        .with_max_interval(Duration::from_secs(1))
        .with_timeout(Duration::from_secs(60));
    let done = client
        .wait_until_idle_with(cluster, &options, |seen| println!("{}", progress(seen)))
        .await?;
    println!("{}", progress(&done));
    let synced = client.synced_principals(cluster).await?;
    println!(
        "users {:?}, groups {:?}",
        synced.user_names, synced.group_names
    );
    let cancel = CancelSyncIamUserRequest {
        user_names: synced.user_names.clone(),
        ..Default::default()
    };
    client.cancel_sync(cluster, &cancel).await?;
    let answer = client
        .list_cluster_sync_status()
        .project_id(client.resolve_project_id().await?)
        .cluster_id(cluster)
        .send()
        .await?;
    println!("synchronized: {}", answer.into_inner().is_synchronous);
    println!("{}", throttling(&client.throttling()));
    Ok(())
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    if let Err(err) = run(&endpoint).await {
        eprintln!("error: {}", explain(&err));
        std::process::exit(1);
    }
}
