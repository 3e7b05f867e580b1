//! Every credential source end to end: the client finds credentials with no keys anywhere,
//! looks the project id up at IAM, and the loopback MRS server accepts the temporary keys
//! (with their security token). Also: discovery's error cases, IAM retries, the chain's
//! error, refresh while calls run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mrs_iam_sync::{Client, ClientInfo, Clock, Environment, Error, RetryPolicy};
use mrs_iam_sync_server::identity::{
    DEMO_ID_TOKEN, DEMO_IDP_ID, DEMO_OIDC_AGENCY_URN, DEMO_OIDC_PROVIDER_URN, DEMO_POD_TOKEN,
    IdentityConfig, IdentityServer, Project, Service,
};
use mrs_iam_sync_server::{
    Config, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, Fault, FaultKind, KeyRing, RetryAfter, Server,
};

/// A port nothing listens on (bound, then released).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

struct Setup {
    mrs: Server,
    identity: IdentityServer,
    _dir: tempfile::TempDir,
    token_file: String,
}

async fn setup(configure: impl FnOnce(&mut IdentityConfig)) -> Setup {
    let key_ring = KeyRing::default();
    let mrs = Server::start(
        Config {
            key_ring: key_ring.clone(),
            max_clock_skew: Duration::from_secs(24 * 3600),
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let mut config = IdentityConfig {
        key_ring,
        ..IdentityConfig::default()
    };
    configure(&mut config);
    let identity = IdentityServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{DEMO_ID_TOKEN}\n")).unwrap();
    Setup {
        mrs,
        identity,
        token_file: path.to_string_lossy().into_owned(),
        _dir: dir,
    }
}

impl Setup {
    /// Variables that make every endpoint loopback (metadata unreachable unless
    /// `metadata`), plus `extra`.
    fn env(&self, metadata: bool, extra: &[(&str, String)]) -> Environment {
        let mut vars = vec![
            ("HOME", "/nonexistent".to_owned()),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", self.identity.base_url()),
            ("HUAWEICLOUD_SDK_STS_ENDPOINT", self.identity.base_url()),
            (
                "HUAWEICLOUD_SDK_METADATA_ENDPOINT",
                if metadata {
                    self.identity.base_url()
                } else {
                    closed_port_url()
                },
            ),
        ];
        vars.extend(extra.iter().cloned());
        Environment::from_vars(vars)
    }

    fn client(&self, env: Environment) -> Client {
        Client::builder()
            .region("cn-north-4")
            .endpoint(self.mrs.base_url())
            .environment(env)
            .build()
            .unwrap()
    }

    /// The MRS requests were signed with keys the identity stand-ins handed out, with
    /// their security token and the discovered project.
    fn assert_mrs_saw_temporary_keys(&self) {
        let requests = self.mrs.requests();
        assert!(!requests.is_empty());
        for request in requests {
            assert_eq!(request.status, Some(200), "{request:?}");
            let authorization = request.header("authorization").unwrap();
            assert!(authorization.contains("Access=TMPAK"), "{authorization}");
            assert!(request.header("x-security-token").is_some());
            assert_eq!(request.header("x-project-id"), Some(DEMO_PROJECT_ID));
            assert!(request.path.starts_with(&format!("/v2/{DEMO_PROJECT_ID}/")));
        }
    }
}

#[tokio::test]
async fn metadata_alone_with_the_project_id_from_iam() {
    let s = setup(|_| {}).await;
    let client = s.client(s.env(true, &[]));
    assert!(client.project_id().is_none());
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert_eq!(
        client.project_id().map(|p| p.to_string()).as_deref(),
        Some(DEMO_PROJECT_ID)
    );
    s.assert_mrs_saw_temporary_keys();
    let lines: Vec<String> = s
        .identity
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        lines,
        [
            "PUT /meta-data/latest/api/token",
            "GET /openstack/latest/securitykey",
            "GET /v3/projects"
        ]
    );
    let projects = &s.identity.requests()[2];
    assert_eq!(projects.query.as_deref(), Some("name=cn-north-4"));
    assert!(
        projects
            .header("authorization")
            .unwrap()
            .starts_with("SDK-HMAC-SHA256 Access=TMPAK")
    );
    assert!(
        projects.header("x-project-id").is_none(),
        "no project id yet"
    );
}

#[tokio::test]
async fn pod_identity_alone_when_metadata_is_unreachable() {
    let s = setup(|_| {}).await;
    let env = s.env(
        false,
        &[
            (
                "HC_CONTAINER_CREDENTIALS_FULL_URI",
                s.identity.pod_identity_uri(),
            ),
            ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", {
                std::fs::write(&s.token_file, DEMO_POD_TOKEN).unwrap();
                s.token_file.clone()
            }),
        ],
    );
    let started = std::time::Instant::now();
    let client = s.client(env);
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.identity.issued(Service::PodIdentity), 1);
    s.assert_mrs_saw_temporary_keys();
}

#[tokio::test]
async fn oidc_alone() {
    let s = setup(|_| {}).await;
    let env = s.env(
        false,
        &[
            (
                "HUAWEICLOUD_OIDC_PROVIDER_URN",
                DEMO_OIDC_PROVIDER_URN.into(),
            ),
            ("HUAWEICLOUD_OIDC_AGENCY_URN", DEMO_OIDC_AGENCY_URN.into()),
            ("HUAWEICLOUD_OIDC_TOKEN_FILE", s.token_file.clone()),
        ],
    );
    let client = s.client(env);
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert_eq!(s.identity.issued(Service::AssumeWithOidc), 1);
    assert_eq!(
        s.identity.issued(Service::Metadata),
        0,
        "metadata is not asked"
    );
    s.assert_mrs_saw_temporary_keys();
}

#[tokio::test]
async fn idp_federation_from_the_environment() {
    let s = setup(|_| {}).await;
    let env = s.env(
        false,
        &[
            ("HUAWEICLOUD_SDK_IDP_ID", DEMO_IDP_ID.into()),
            ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", s.token_file.clone()),
        ],
    );
    let client = s.client(env);
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert_eq!(s.identity.issued(Service::IdToken), 1);
    assert_eq!(s.identity.issued(Service::SecurityTokens), 1);
    s.assert_mrs_saw_temporary_keys();
}

#[tokio::test]
async fn idp_federation_from_the_profile_file() {
    let s = setup(|_| {}).await;
    let profile = s._dir.path().join("credentials");
    std::fs::write(
        &profile,
        format!(
            "[basic]\nidp_id = {DEMO_IDP_ID}\nid_token_file = {}\niam_endpoint = {}\nproject_id = {DEMO_PROJECT_ID}\n",
            s.token_file,
            s.identity.base_url()
        ),
    )
    .unwrap();
    let env = Environment::from_vars([
        (
            "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
            profile.to_string_lossy().into_owned(),
        ),
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed_port_url()),
    ]);
    let client = s.client(env);
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert_eq!(s.identity.issued(Service::SecurityTokens), 1);
    assert_eq!(
        s.identity.issued(Service::Projects),
        0,
        "the profile names the project"
    );
    s.assert_mrs_saw_temporary_keys();
}

#[tokio::test]
async fn an_instance_without_agency_and_nothing_else_lists_every_source() {
    let s = setup(|c| c.agency = false).await;
    let client = s.client(s.env(true, &[]));
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("no credentials found; tried, in order: 1. OIDC STS"),
        "{text}"
    );
    assert!(
        text.contains("bind an agency to the ECS/BMS instance"),
        "{text}"
    );
    assert!(
        text.contains("5. CCE pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI"),
        "{text}"
    );
    assert_eq!(s.mrs.request_count(), 0, "nothing sent to MRS");
}

#[tokio::test]
async fn discovery_errors_name_the_region_and_trace_id() {
    let s = setup(|c| {
        c.projects = vec![
            Project {
                name: "ap-southeast-3".into(),
                id: "0123456789abcdef0123456789abcdef".into(),
            },
            Project {
                name: "ap-southeast-3".into(),
                id: "fedcba9876543210fedcba9876543210".into(),
            },
        ]
    })
    .await;
    let none = s.client(s.env(true, &[]));
    let err = none.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    let Error::ProjectLookup {
        region,
        status,
        trace_id,
        ..
    } = &err
    else {
        panic!("expected a project lookup error, got {err:?}");
    };
    assert_eq!(region, "cn-north-4");
    assert_eq!(status.as_u16(), 200, "IAM answered, with no such project");
    assert!(
        trace_id
            .as_deref()
            .is_some_and(|id| id.starts_with("loopback-trace-"))
    );
    assert_eq!(err.request_id(), trace_id.as_deref());
    assert!(!err.is_retryable());
    let text = err.report().to_string();
    assert!(
        text.contains("IAM has no project named cn-north-4"),
        "{text}"
    );
    assert!(text.contains("X-IAM-Trace-Id=loopback-trace-"), "{text}");

    let several = Client::builder()
        .region("ap-southeast-3")
        .endpoint(s.mrs.base_url())
        .environment(s.env(true, &[]))
        .build()
        .unwrap();
    let text = several
        .is_synchronizing(DEMO_CLUSTER_ID)
        .await
        .unwrap_err()
        .report()
        .to_string();
    assert!(
        text.contains("[0123456789abcdef0123456789abcdef, fedcba9876543210fedcba9876543210]"),
        "{text}"
    );
    assert!(text.contains("choose one"), "{text}");
    assert_eq!(s.mrs.request_count(), 0);
}

#[tokio::test]
async fn iam_errors_are_retried_as_the_retry_rules_say() {
    let s = setup(|_| {}).await;
    // 500 twice, then an answer: GET is retried.
    s.identity.fail_next(Service::Projects, 500, 2);
    let client = Client::builder()
        .region("cn-north-4")
        .endpoint(s.mrs.base_url())
        .environment(s.env(true, &[]))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    let projects = s
        .identity
        .requests()
        .iter()
        .filter(|r| r.path == "/v3/projects")
        .count();
    assert_eq!(projects, 3);

    // 401 is not retried, and says what IAM said.
    let s = setup(|c| c.projects[0].name = "cn-north-1".into()).await;
    s.identity.fail_next(Service::Projects, 401, 1);
    let client = Client::builder()
        .region("cn-north-1")
        .endpoint(s.mrs.base_url())
        .environment(s.env(true, &[]))
        .build()
        .unwrap();
    let text = client
        .is_synchronizing(DEMO_CLUSTER_ID)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("cannot look up the project id of region cn-north-1 at IAM"),
        "{text}"
    );
    assert!(text.contains("HTTP 401"), "{text}");
    let projects = s
        .identity
        .requests()
        .iter()
        .filter(|r| r.path == "/v3/projects")
        .count();
    assert_eq!(projects, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_calls_share_one_fetch_and_one_lookup() {
    let s = setup(|c| c.delay = Duration::from_millis(50)).await;
    let client = s.client(s.env(true, &[]));
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.is_synchronizing(DEMO_CLUSTER_ID).await })
    });
    for call in calls.collect::<Vec<_>>() {
        assert!(!call.await.unwrap().unwrap());
    }
    assert_eq!(s.identity.issued(Service::Metadata), 1);
    assert_eq!(s.identity.issued(Service::Projects), 1);
    assert_eq!(client.inner().credentials().unwrap().fetch_count(), 1);
}

/// A clock the test moves forward.
#[derive(Debug)]
struct Shifted(std::sync::Mutex<Duration>);

impl Clock for Shifted {
    fn now(&self) -> SystemTime {
        SystemTime::now() + *self.0.lock().unwrap()
    }
}

/// The access key an MRS request was signed with.
fn access_key(request: &mrs_iam_sync_server::RecordedRequest) -> String {
    let authorization = request.header("authorization").unwrap();
    let access = authorization.split("Access=").nth(1).unwrap();
    access.split(',').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attempt_signs_with_the_credentials_current_at_that_moment() {
    let s = setup(|_| {}).await;
    let clock = Arc::new(Shifted(std::sync::Mutex::new(Duration::ZERO)));
    let client = Client::builder()
        .region("cn-north-4")
        .endpoint(s.mrs.base_url())
        .environment(s.env(true, &[]))
        .clock(clock.clone())
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    let first_keys = access_key(&s.mrs.requests()[0]);
    // 25 minutes later, 35 remain: due. The first attempt is throttled (Retry-After 2 s)
    // and goes out with the old keys while the refresh runs in the background; the retry
    // has the new ones. The refresh is made to take 600 ms: a background refresh may
    // well finish before the first attempt is signed (it is then signed with the new
    // keys, as the rule says), and that made this test flaky when it took microseconds.
    *clock.0.lock().unwrap() = Duration::from_secs(25 * 60);
    s.identity
        .configure(|config| config.delay = Duration::from_millis(600));
    s.mrs.inject(Fault::new(FaultKind::TooManyRequests {
        retry_after: RetryAfter::Seconds(2),
    }));
    s.mrs.clear_requests();
    assert!(!client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    let attempts: Vec<String> = s.mrs.requests().iter().map(access_key).collect();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0], first_keys,
        "the first attempt: the keys still valid"
    );
    assert_ne!(attempts[1], first_keys, "the retry: the refreshed keys");
    assert_eq!(s.identity.issued(Service::Metadata), 2);
}
