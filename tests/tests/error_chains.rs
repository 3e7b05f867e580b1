//! Every kind of failure, made for real (a closed port, a server that stalls
//! or answers garbage, an IAM that throttles, a profile file that cannot be
//! read, credentials that expire), and its error's `source()` chain walked:
//! each level says something of its own and no text is told twice, so that
//! anyhow's `{:#}`, eyre and tracing print every cause once. Also: what each
//! error answers (`is_retryable`, `status`, `code`, `request_id`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use mrs_iam_sync::credentials::{
    BoxFuture, CredentialSource, Credentials, CredentialsError, HttpClient, ProvideCredentials,
    Provided,
};
use mrs_iam_sync::{Client, Clock, Environment, Error, RetryPolicy, Timeouts, TransportKind};
use mrs_iam_sync_server::identity::{IdentityConfig, IdentityServer, Service};
use mrs_iam_sync_server::{
    Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, Fault, FaultKind, KeyRing, Server,
};

/// The messages of `err` and of each of its causes, outermost first, after
/// checking that none repeats another's text and that `report()` prints
/// each once.
fn chain_of(err: &Error) -> Vec<String> {
    let mut texts = vec![err.to_string()];
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        texts.push(inner.to_string());
        cause = inner.source();
    }
    for (i, outer) in texts.iter().enumerate() {
        assert!(!outer.trim().is_empty(), "an empty message in {texts:#?}");
        for inner in &texts[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "{outer:?} repeats its cause {inner:?}; the chain: {texts:#?}"
            );
        }
    }
    assert_eq!(err.report().to_string(), texts.join(": "), "{err:?}");
    texts
}

/// A port nothing listens on (bound, then released).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn signed_client(endpoint: String, retry: RetryPolicy, timeouts: Timeouts) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(retry)
        .timeouts(timeouts)
        .build()
        .expect("client builds")
}

async fn server() -> Server {
    Server::start(Config::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_connection() {
    let client = signed_client(
        closed_port_url(),
        RetryPolicy::disabled(),
        Timeouts::default(),
    );
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
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
    assert!(err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain[0], "could not connect");
    assert!(
        chain.last().unwrap().contains("refused"),
        "the OS's reason ends the chain: {chain:#?}"
    );
}

#[tokio::test]
async fn an_attempt_timeout_and_the_call_deadline() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::Delay(Duration::from_secs(30))).times(2));
    let attempt = signed_client(
        server.base_url(),
        RetryPolicy::disabled(),
        Timeouts::default().with_attempt(Duration::from_millis(200)),
    );
    let err = attempt.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let chain = chain_of(&err);
    assert_eq!(chain[0], "timed out");
    assert!(
        chain.len() >= 2,
        "the HTTP stack's error follows: {chain:#?}"
    );

    let deadline = signed_client(
        server.base_url(),
        RetryPolicy::disabled(),
        Timeouts::default().with_total(Duration::from_millis(200)),
    );
    let err = deadline
        .is_synchronizing(DEMO_CLUSTER_ID)
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
    assert_eq!(
        chain_of(&err),
        ["timed out", "the call's deadline of 0.2 s passed"]
    );
}

#[tokio::test]
async fn an_undecodable_answer_and_an_error_answer() {
    let server = server().await;
    server.inject(Fault::new(FaultKind::MalformedJson));
    let client = signed_client(
        server.base_url(),
        RetryPolicy::disabled(),
        Timeouts::default(),
    );
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.status().map(|status| status.as_u16()), Some(200));
    assert!(!err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 2, "serde's error is the cause: {chain:#?}");

    server.inject(Fault::new(FaultKind::Status503));
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::Service(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(chain_of(&err).len(), 1, "the service's answer is all of it");
}

#[tokio::test]
async fn a_request_that_cannot_be_signed_is_not_sent_or_retried() {
    let server = server().await;
    let client = Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::token("bad\rtoken").with_project_id(DEMO_PROJECT_ID))
        .build()
        .expect("client builds");
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::Signing(_)), "{err:?}");
    assert!(!err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert!(chain[0].contains("`x-auth-token`"), "{chain:#?}");
    assert_eq!(server.request_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn iam_throttling_the_project_lookup_keeps_its_status_code_and_trace_id() {
    let key_ring = KeyRing::default();
    let identity = IdentityServer::start(
        IdentityConfig {
            key_ring,
            ..IdentityConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    identity.fail_next(Service::Projects, 429, 1);
    let client = Client::builder()
        .region("cn-north-4")
        .endpoint(closed_port_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK))
        .environment(Environment::from_vars([
            ("HOME", "/nonexistent".to_owned()),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", identity.base_url()),
        ]))
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client builds");
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    let Error::ProjectLookup {
        region,
        status,
        code,
        trace_id,
        ..
    } = &err
    else {
        panic!("expected a project lookup error, got {err:?}");
    };
    assert_eq!(region, "cn-north-4");
    assert_eq!(status.as_u16(), 429);
    assert_eq!(code.as_deref(), Some("LOOPBACK.FAULT"));
    assert!(trace_id.is_some(), "IAM's trace id is kept");
    assert_eq!(err.request_id(), trace_id.as_deref());
    assert_eq!(err.message(), Some("injected failure"));
    assert!(err.is_throttled() && err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert!(chain[0].contains("HTTP 429 LOOPBACK.FAULT: injected failure"));
}

#[test]
fn an_unreadable_profile_file_when_the_client_is_built() {
    // A directory where the file should be cannot be read, even as root.
    let dir = tempfile::tempdir().unwrap();
    let err = Client::builder()
        .region("cn-north-4")
        .environment(Environment::from_vars([
            ("HOME", "/nonexistent".to_owned()),
            (
                "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
                dir.path().to_string_lossy().into_owned(),
            ),
        ]))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Credentials(CredentialsError::ProfileUnreadable { .. })
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 2, "the I/O error is the cause: {chain:#?}");
}

#[test]
fn an_endpoint_override_that_is_no_endpoint() {
    let err = Client::builder()
        .region("cn-north-4")
        .anonymous()
        .environment(Environment::from_vars([(
            "HUAWEICLOUD_SDK_REGION_MRS_CN_NORTH_4",
            "ftp://mrs.example.com",
        )]))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(
        chain_of(&err),
        [
            "HUAWEICLOUD_SDK_REGION_MRS_CN_NORTH_4 does not hold a usable endpoint",
            "unsupported endpoint scheme \"ftp\": use https:// (or http://), or give the host alone",
        ]
    );
}

/// A clock the test moves forward.
#[derive(Debug, Default)]
struct Shifted(std::sync::Mutex<Duration>);

impl Clock for Shifted {
    fn now(&self) -> SystemTime {
        SystemTime::now() + *self.0.lock().unwrap()
    }
}

/// Hands out credentials valid for an hour, then fails.
#[derive(Debug)]
struct OnceThenSealed {
    clock: Arc<Shifted>,
    handed_out: AtomicBool,
}

impl ProvideCredentials for OnceThenSealed {
    fn provide<'a>(
        &'a self,
        _http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            if self.handed_out.swap(true, Ordering::SeqCst) {
                let sealed = std::io::Error::other("the vault is sealed");
                return Err(CredentialsError::provider(sealed));
            }
            Ok(Provided::permanent(
                Credentials::temporary("TMPAK", "TMPSK", "TOKEN"),
                CredentialSource::Explicit,
            )
            .with_expires_at(self.clock.now() + Duration::from_secs(3600)))
        })
    }
}

#[tokio::test]
async fn credentials_that_expire_and_cannot_be_refreshed() {
    let clock = Arc::new(Shifted::default());
    let provider = OnceThenSealed {
        clock: clock.clone(),
        handed_out: AtomicBool::new(false),
    };
    let client = Client::builder()
        .endpoint(closed_port_url())
        .project_id(DEMO_PROJECT_ID)
        .credentials_provider(Arc::new(provider))
        .clock(clock.clone())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    // The first call gets the credentials (then finds nobody listening).
    let first = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(first, Error::Transport { .. }), "{first:?}");
    *clock.0.lock().unwrap() = Duration::from_secs(2 * 3600);
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(
        matches!(err, Error::Credentials(CredentialsError::Expired { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        chain_of(&err),
        [
            "the credentials from explicitly configured credentials expired and could not be refreshed",
            "the credentials provider failed",
            "the vault is sealed",
        ]
    );
}

#[tokio::test]
async fn no_source_of_the_chain_has_credentials() {
    let client = Client::builder()
        .endpoint(closed_port_url())
        .project_id(DEMO_PROJECT_ID)
        .environment(Environment::from_vars([
            ("HOME", "/nonexistent".to_owned()),
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed_port_url()),
        ]))
        .build()
        .unwrap();
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(
        matches!(err, Error::Credentials(CredentialsError::NotFound { .. })),
        "{err:?}"
    );
    let chain = chain_of(&err);
    // Several sources failed, so none is *the* cause: the list tells each
    // one's reason with its causes.
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert!(
        chain[0].contains("is unreachable: cannot connect: "),
        "{chain:#?}"
    );
}

#[tokio::test]
async fn every_endpoint_refused() {
    let (first, second) = (closed_port_url(), closed_port_url());
    let client = Client::builder()
        .endpoints([first.clone(), second.clone()])
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::EndpointsUnreachable(_)), "{err:?}");
    assert!(err.is_retryable());
    // One error, one line: each endpoint and its own cause.
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert!(
        chain[0].starts_with("none of the 2 endpoints could be reached: "),
        "{chain:#?}"
    );
    assert!(
        chain[0].contains(&format!("{first} (")) && chain[0].contains(&format!("; {second} ("))
    );
}

#[tokio::test]
async fn a_proxy_that_refuses_the_credentials() {
    let server = server().await;
    let proxy = mrs_iam_sync_tests::proxy::TestProxy::authenticating("user", "right").await;
    let client = Client::builder()
        .endpoint(server.base_url())
        .environment(Environment::from_vars([("HOME", "/nonexistent")]))
        .proxy(proxy.url_with("user", "wrong-password"))
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .build()
        .unwrap();
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::ProxyRefused { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let chain = chain_of(&err);
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert!(!chain[0].contains("wrong-password"));
}

#[tokio::test]
async fn a_ca_bundle_that_does_not_exist() {
    let err = Client::builder()
        .endpoint("https://mrs.example.com")
        .ca_bundle("/nonexistent/ca.pem")
        .anonymous()
        .build()
        .unwrap_err();
    // Transparent: the setting's own text, then the I/O error.
    assert_eq!(
        chain_of(&err),
        [
            "the CA bundle /nonexistent/ca.pem does not exist",
            "No such file or directory (os error 2)"
        ]
    );
}
