//! Enterprise networks end to end, against real parts started here: a
//! forward proxy on hyper (plain requests forwarded, CONNECT tunnelled,
//! Basic credentials demanded), HTTPS fronts with certificates from a CA made
//! at test time (one demanding a client certificate), a listener that drops
//! connections, and the loopback MRS and identity servers behind them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mrs_iam_sync::types::UpdateSyncIamUserRequest;
use mrs_iam_sync::{
    Client, ClientBuilder, ConfigError, Credentials, Environment, Error, Pem, RetryPolicy,
    TransportKind,
};
use mrs_iam_sync_server::identity::{
    DEMO_ID_TOKEN, DEMO_OIDC_AGENCY_URN, DEMO_OIDC_PROVIDER_URN, DEMO_POD_TOKEN, IdentityConfig,
    IdentityServer,
};
use mrs_iam_sync_server::{
    Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, Fault, FaultKind, Server,
};
use mrs_iam_sync_tests::conformance::ClientOnlyServer;
use mrs_iam_sync_tests::dropping::{DropWhen, DroppingListener};
use mrs_iam_sync_tests::proxy::TestProxy;
use mrs_iam_sync_tests::tls::{TestCa, TlsFront};

const CLUSTER: &str = DEMO_CLUSTER_ID;
const PROXY_USER: &str = "svc-mrs";
/// Every character a proxy password needs percent-encoding for.
const PROXY_PASSWORD: &str = "p@ss:w%rd/ ü#?";

async fn mrs() -> ClientOnlyServer {
    ClientOnlyServer::start(Config::default()).await
}

/// The demo keys, no proxy from the real environment, quick retries.
/// The identity services (metadata, pod identity, STS, IAM), handing out
/// credentials that `mrs` accepts.
async fn identity_for(mrs: &Server) -> IdentityServer {
    IdentityServer::start(
        IdentityConfig {
            key_ring: mrs.config().key_ring.clone(),
            ..IdentityConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn builder() -> ClientBuilder {
    Client::builder()
        .environment(Environment::from_vars([("HOME", "/nonexistent")]))
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
}

/// Waits (a little) for a server's count to reach `want`: a server task
/// counts a failed handshake after the client has seen it fail. Then
/// checks it stays there.
async fn settled(count: impl Fn() -> usize, want: usize) {
    for _ in 0..100 {
        if count() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(count(), want);
}

/// A port nothing listens on (bound, then released).
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn sync_all() -> UpdateSyncIamUserRequest {
    UpdateSyncIamUserRequest {
        is_all_sync: true,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// Proxy

#[tokio::test]
async fn calls_go_through_an_authenticating_proxy_plain_and_tunnelled() {
    let mrs = mrs().await;
    let ca = TestCa::new("net test CA");
    let front = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;
    let proxy = TestProxy::authenticating(PROXY_USER, PROXY_PASSWORD).await;
    let proxy_url = proxy.url_with(PROXY_USER, PROXY_PASSWORD);

    // Plain HTTP: forwarded.
    let client = builder()
        .endpoint(mrs.base_url())
        .proxy(&proxy_url)
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    // HTTPS: tunnelled with CONNECT, TLS end to end under the private CA.
    let client = builder()
        .endpoint(front.base_url())
        .proxy(&proxy_url)
        .ca_bundle(ca.bundle_file())
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    assert_eq!(front.handshakes(), 1);

    let seen = proxy.seen();
    let want = format!("{PROXY_USER}:{PROXY_PASSWORD}");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0]
            .request
            .starts_with(&format!("GET {}/v2/", mrs.base_url())),
        "{seen:?}"
    );
    assert_eq!(
        seen[1].request,
        format!("CONNECT localhost:{}", mrs_port(&front.base_url()))
    );
    for s in &seen {
        // The percent-encoded password arrived decoded.
        assert_eq!(s.credentials.as_deref(), Some(want.as_str()));
        assert!(s.allowed);
    }
    assert_eq!(mrs.request_count(), 2);
    // The password shows nowhere.
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("w%rd") && !shown.contains("w%25rd"),
        "{shown}"
    );
}

fn mrs_port(url: &str) -> &str {
    url.rsplit(':').next().unwrap()
}

#[tokio::test]
async fn a_proxy_that_refuses_the_credentials_is_one_clear_error() {
    let mrs = mrs().await;
    let ca = TestCa::new("net test CA");
    let front = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;
    let proxy = TestProxy::authenticating(PROXY_USER, PROXY_PASSWORD).await;
    let wrong = proxy.url_with(PROXY_USER, "wrong-Secret-9");

    for (endpoint, tunnelled) in [(mrs.base_url(), false), (front.base_url(), true)] {
        let client = builder()
            .endpoint(&endpoint)
            .proxy(&wrong)
            .ca_bundle(ca.bundle_file())
            .build()
            .unwrap();
        let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
        let Error::ProxyRefused {
            proxy: Some(named), ..
        } = &err
        else {
            panic!("tunnelled {tunnelled}: {err:?}");
        };
        assert_eq!(
            named,
            &format!("http://{PROXY_USER}:***@{}", &proxy.url()[7..])
        );
        let line = err.to_string();
        assert!(
            line.starts_with(&format!("the proxy {named} refused the credentials (407")),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
        for text in [line.clone(), format!("{err:?}"), format!("{client:?}")] {
            assert!(!text.contains("wrong-Secret-9"), "{text}");
        }
        assert!(!err.is_retryable());
    }
    // Refused at once: no retry, nothing reached MRS.
    assert_eq!(proxy.seen().len(), 2, "{:?}", proxy.seen());
    assert!(proxy.seen().iter().all(|s| !s.allowed));
    assert_eq!(mrs.request_count(), 0);
    assert_eq!(front.handshakes(), 0);
}

#[tokio::test]
async fn the_environment_proxy_is_honoured_and_an_explicit_setting_wins() {
    let mrs = mrs().await;
    let from_env = TestProxy::open().await;
    let explicit = TestProxy::open().await;
    let env = |extra: &[(&str, String)]| {
        let mut vars = vec![("HOME", "/nonexistent".to_owned())];
        vars.extend(extra.iter().cloned());
        Environment::from_vars(vars)
    };
    // Lower case works too; HTTP_PROXY serves http:// endpoints.
    let client = builder()
        .environment(env(&[("http_proxy", from_env.url())]))
        .endpoint(mrs.base_url())
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    assert_eq!(from_env.seen().len(), 1);
    // ALL_PROXY serves a scheme without its own variable.
    let client = builder()
        .environment(env(&[("ALL_PROXY", from_env.url())]))
        .endpoint(mrs.base_url())
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    assert_eq!(from_env.seen().len(), 2);
    // The builder's proxy wins over the variables...
    let client = builder()
        .environment(env(&[("HTTP_PROXY", from_env.url())]))
        .endpoint(mrs.base_url())
        .proxy(explicit.url())
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    assert_eq!((from_env.seen().len(), explicit.seen().len()), (2, 1));
    // ...and so does no_proxy().
    let client = builder()
        .environment(env(&[("HTTP_PROXY", from_env.url())]))
        .endpoint(mrs.base_url())
        .no_proxy()
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    // NO_PROXY names hosts reached directly, for either.
    let client = builder()
        .environment(env(&[
            ("HTTP_PROXY", from_env.url()),
            ("NO_PROXY", "example.com, 127.0.0.1".into()),
        ]))
        .endpoint(mrs.base_url())
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    assert_eq!((from_env.seen().len(), explicit.seen().len()), (2, 1));
    assert_eq!(mrs.request_count(), 5);

    // A variable that is not a usable proxy URL is an error naming it.
    let err = builder()
        .environment(env(&[("HTTPS_PROXY", "socks5://10.0.0.1:1080".into())]))
        .endpoint(mrs.base_url())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ConfigError::Network(_))),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("HTTPS_PROXY has the scheme \"socks5\""),
        "{err}"
    );
}

#[tokio::test]
async fn no_metadata_or_pod_identity_request_reaches_the_proxy_of_http_proxy() {
    let mrs = mrs().await;
    let identity = identity_for(&mrs).await;
    let proxy = TestProxy::open().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("pod-token");
    std::fs::write(&token_file, DEMO_POD_TOKEN).unwrap();
    for metadata in [true, false] {
        let mut vars = vec![
            ("HOME", "/nonexistent".to_owned()),
            ("HTTP_PROXY", proxy.url()),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", identity.base_url()),
        ];
        if metadata {
            vars.push(("HUAWEICLOUD_SDK_METADATA_ENDPOINT", identity.base_url()));
        } else {
            vars.push(("HUAWEICLOUD_SDK_METADATA_ENDPOINT", refused_url()));
            vars.push((
                "HC_CONTAINER_CREDENTIALS_FULL_URI",
                identity.pod_identity_uri(),
            ));
            vars.push((
                "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                token_file.display().to_string(),
            ));
        }
        // The default chain: no keys anywhere.
        let client = Client::builder()
            .environment(Environment::from_vars(vars))
            .region("cn-north-4")
            .endpoint(mrs.base_url())
            .build()
            .unwrap();
        assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    }
    let through_proxy: Vec<String> = proxy.seen().into_iter().map(|s| s.request).collect();
    for line in &through_proxy {
        assert!(
            !line.contains("/meta-data/")
                && !line.contains("/openstack/")
                && !line.contains(&identity.pod_identity_uri()[identity.base_url().len()..]),
            "a credential request of the host went through the proxy: {through_proxy:?}"
        );
    }
    // The proxy was in force: IAM (project discovery) and MRS went through it.
    assert!(
        through_proxy.iter().any(|l| l.contains("/v3/projects")),
        "{through_proxy:?}"
    );
    assert!(
        through_proxy.iter().any(|l| l.contains("/iam-sync")),
        "{through_proxy:?}"
    );
    // And the identity server did answer the host's requests, directly.
    let paths: Vec<String> = identity.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p == "/openstack/latest/securitykey"),
        "{paths:?}"
    );
    let pod_path = identity.pod_identity_uri()[identity.base_url().len()..].to_owned();
    assert!(paths.contains(&pod_path), "{paths:?}");
}

#[tokio::test]
async fn credential_fetches_take_the_same_settings_over_https() {
    // STS (OIDC) and IAM (the project lookup) behind HTTPS under a private CA,
    // reached through the proxy the builder names: one set of settings.
    let mrs = mrs().await;
    let identity = identity_for(&mrs).await;
    let ca = TestCa::new("identity CA");
    let identity_addr = identity.base_url()["http://".len()..].parse().unwrap();
    let front = TlsFront::start(ca.server_config(false), identity_addr).await;
    let proxy = TestProxy::authenticating(PROXY_USER, PROXY_PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("id-token");
    std::fs::write(&token, DEMO_ID_TOKEN).unwrap();
    let env = Environment::from_vars([
        ("HOME", "/nonexistent".to_owned()),
        (
            "HUAWEICLOUD_OIDC_PROVIDER_URN",
            DEMO_OIDC_PROVIDER_URN.to_owned(),
        ),
        (
            "HUAWEICLOUD_OIDC_AGENCY_URN",
            DEMO_OIDC_AGENCY_URN.to_owned(),
        ),
        ("HUAWEICLOUD_OIDC_TOKEN_FILE", token.display().to_string()),
        ("HUAWEICLOUD_SDK_STS_ENDPOINT", front.base_url()),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", front.base_url()),
    ]);
    let client = |ca_bundle: bool| {
        let builder = Client::builder()
            .environment(env.clone())
            .region("cn-north-4")
            .endpoint(mrs.base_url())
            .proxy(proxy.url_with(PROXY_USER, PROXY_PASSWORD))
            .retry(RetryPolicy::disabled());
        let builder = if ca_bundle {
            builder.ca_bundle(ca.bundle_file())
        } else {
            builder
        };
        builder.build().unwrap()
    };
    assert!(!client(true).is_synchronizing(CLUSTER).await.unwrap());
    let tunnels: Vec<String> = proxy.seen().into_iter().map(|s| s.request).collect();
    let authority = &front.base_url()["https://".len()..];
    // Every TLS connection to STS/IAM came through a tunnel (IAM may reuse
    // STS's: one pool).
    let connects = tunnels
        .iter()
        .filter(|l| **l == format!("CONNECT {authority}"))
        .count();
    assert!(connects >= 1, "{tunnels:?}");
    assert_eq!(front.handshakes(), connects, "{tunnels:?}");
    let paths: Vec<String> = identity.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.contains("assume-with-oidc")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/v3/projects"), "{paths:?}");

    // Without the CA, STS's certificate does not verify: a credentials error
    // that says why.
    let err = client(false).is_synchronizing(CLUSTER).await.unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    assert!(
        err.report().to_string().contains("UnknownIssuer"),
        "{}",
        err.report()
    );
}

#[tokio::test]
async fn no_proxy_password_in_any_log_line() {
    let mrs = mrs().await;
    let ca = TestCa::new("log CA");
    let front = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;
    let proxy = TestProxy::authenticating(PROXY_USER, PROXY_PASSWORD).await;
    let (lines, _guard) = capture_logs(tracing::Level::TRACE);
    for (endpoint, password) in [
        (mrs.base_url(), PROXY_PASSWORD),
        (front.base_url(), "Wr0ng-pw"),
    ] {
        let client = builder()
            .endpoint(&endpoint)
            .proxy(proxy.url_with(PROXY_USER, password))
            .ca_bundle(ca.bundle_file())
            .build()
            .unwrap();
        let _ = client.is_synchronizing(CLUSTER).await;
        tracing::debug!(?client, "the client");
    }
    let logged = lines.lock().unwrap().concat();
    assert!(logged.contains("attempt"), "the request log ran: {logged}");
    for secret in ["ss:w%rd", "w%25rd", "Wr0ng-pw"] {
        assert!(!logged.contains(secret), "{secret} logged: {logged}");
    }
}

// ---------------------------------------------------------------------------------------
// Trust and identity

#[tokio::test]
async fn a_private_ca_works_with_its_bundle_and_without_it_the_error_says_why() {
    let mrs = mrs().await;
    let ca = TestCa::new("Corp Inspection CA");
    let front = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;

    let client = builder()
        .endpoint(front.base_url())
        .ca_bundle(ca.bundle_file())
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    // PEM bytes do as well as a file.
    let client = builder()
        .endpoint(front.base_url())
        .ca_bundle(Pem::bytes(ca.cert_pem()))
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    assert_eq!(mrs.request_count(), 2);

    let client = builder().endpoint(front.base_url()).build().unwrap();
    let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
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
    let line = err.report().to_string();
    assert!(
        line.contains(&front.base_url()),
        "names the endpoint: {line}"
    );
    assert!(
        line.contains("certificate") && line.contains("UnknownIssuer"),
        "{line}"
    );
    assert_eq!(mrs.request_count(), 2, "nothing reached the service");

    // Accepting any certificate works, and says so once per client.
    let (warnings, _guard) = capture_warnings();
    let client = builder()
        .endpoint(front.base_url())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    let warned = warnings.lock().unwrap().clone();
    assert_eq!(
        warned
            .iter()
            .filter(|w| w.contains("TLS certificates are not verified"))
            .count(),
        1,
        "{warned:?}"
    );
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate() {
    let mrs = mrs().await;
    let ca = TestCa::new("mTLS CA");
    let front = TlsFront::start(ca.server_config(true), mrs.local_addr()).await;
    let identity = ca.client_files("mrs-client");

    let client = builder()
        .endpoint(front.base_url())
        .ca_bundle(ca.bundle_file())
        .client_certificate(&*identity.cert, &*identity.key)
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    assert_eq!(front.handshakes(), 1);

    // Without one, the server refuses the handshake: nothing reaches MRS.
    let client = builder()
        .endpoint(front.base_url())
        .ca_bundle(ca.bundle_file())
        .build()
        .unwrap();
    let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // A certificate from another CA is refused too.
    let another = TestCa::new("another CA");
    let stranger = another.client_files("stranger");
    let client = builder()
        .endpoint(front.base_url())
        .ca_bundle(ca.bundle_file())
        .client_certificate(&*stranger.cert, &*stranger.key)
        .build()
        .unwrap();
    assert!(client.is_synchronizing(CLUSTER).await.is_err());
    assert_eq!(mrs.request_count(), 1);
}

#[tokio::test]
async fn unusable_tls_files_fail_the_build_naming_the_file() {
    let mrs = mrs().await;
    let ca = TestCa::new("files CA");
    let identity = ca.client_files("client");
    let other = ca.client_files("other");
    let not_pem = ca.write("notes.txt", "just some text\n");
    let missing = ca.dir().join("missing.pem");
    let cases: Vec<(ClientBuilder, String)> = vec![
        (
            builder().ca_bundle(&*missing),
            format!("the CA bundle {} does not exist", missing.display()),
        ),
        (
            builder().ca_bundle(&*not_pem),
            format!("the CA bundle {} holds no certificate", not_pem.display()),
        ),
        (
            builder().ca_bundle(Pem::bytes(
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            )),
            "the CA bundle (given as bytes) holds a certificate that cannot be used".into(),
        ),
        (
            builder().client_certificate(&*not_pem, &*identity.key),
            format!(
                "the client certificate {} holds no certificate",
                not_pem.display()
            ),
        ),
        (
            builder().client_certificate(&*identity.cert, &*identity.cert),
            format!(
                "the client key {} holds no private key",
                identity.cert.display()
            ),
        ),
        (
            builder().client_certificate(&*identity.cert, &*other.key),
            format!(
                "the client key {} cannot be used with the client certificate {}",
                other.key.display(),
                identity.cert.display()
            ),
        ),
        (
            builder().client_certificate(&*identity.cert, &*missing),
            format!("the client key {} does not exist", missing.display()),
        ),
    ];
    for (builder, want) in cases {
        let err = builder.endpoint(mrs.base_url()).build().unwrap_err();
        assert!(
            matches!(err, Error::Config(ConfigError::Network(_))),
            "{err:?}"
        );
        assert!(err.to_string().contains(&want), "{err} does not say {want}");
        // A key is a secret: its text is never shown.
        assert!(!err.to_string().contains("PRIVATE KEY"), "{err}");
    }
    assert_eq!(mrs.request_count(), 0);
}

// ---------------------------------------------------------------------------------------
// Several endpoints

#[tokio::test]
async fn failover_past_a_refused_endpoint_and_the_client_keeps_the_one_that_worked() {
    let mrs = mrs().await;
    let client = builder()
        .endpoints([refused_url(), mrs.base_url()])
        .build()
        .unwrap();
    assert!(!client.is_synchronizing(CLUSTER).await.unwrap());
    // Any operation fails over, POST included: nothing had reached a service.
    client.start_sync(CLUSTER, &sync_all()).await.unwrap();
    assert_eq!(mrs.request_count(), 2);

    // A failed TLS handshake moves on too; the next call goes straight to the
    // endpoint that worked.
    let ca = TestCa::new("untrusted CA");
    let untrusted = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;
    let client = builder()
        .endpoints([untrusted.base_url(), mrs.base_url()])
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    settled(|| untrusted.failed_handshakes(), 1).await;
    assert_eq!(mrs.request_count(), 5);
}

#[tokio::test]
async fn when_every_endpoint_fails_one_error_lists_each_and_why() {
    let ca = TestCa::new("untrusted CA");
    let mrs = mrs().await;
    let untrusted = TlsFront::start(ca.server_config(false), mrs.local_addr()).await;
    let refused = refused_url();
    let client = builder()
        .endpoints([refused.clone(), untrusted.base_url()])
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
    let Error::EndpointsUnreachable(unreachable) = &err else {
        panic!("{err:?}");
    };
    let failures = unreachable.failures();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].endpoint, refused);
    assert_eq!(failures[1].endpoint, untrusted.base_url());
    let line = err.to_string();
    assert!(
        line.starts_with("none of the 2 endpoints could be reached: "),
        "{line}"
    );
    assert!(
        line.contains(&format!("{refused} (")) && line.contains("refused"),
        "{line}"
    );
    assert!(line.contains("UnknownIssuer"), "{line}");
    assert!(err.is_retryable());
    assert_eq!(mrs.request_count(), 0);

    // With retries, every round tries each endpoint again.
    let client = builder()
        .endpoints([refused.clone(), untrusted.base_url()])
        .build()
        .unwrap();
    assert!(matches!(
        client.is_synchronizing(CLUSTER).await.unwrap_err(),
        Error::EndpointsUnreachable(_)
    ));
    settled(|| untrusted.failed_handshakes(), 1 + 3).await;
}

#[tokio::test]
async fn an_http_answer_of_any_status_never_fails_over() {
    let first = mrs().await;
    let second = mrs().await;
    first.inject(Fault::new(FaultKind::Status503).times(3));
    let client = builder()
        .endpoints([first.base_url(), second.base_url()])
        .build()
        .unwrap();
    let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    // Retried per the rules, on the endpoint that answered.
    assert_eq!((first.request_count(), second.request_count()), (3, 0));
}

#[tokio::test]
async fn a_post_whose_connection_dropped_after_sending_is_not_sent_elsewhere() {
    let mrs = mrs().await;
    let dropping = DroppingListener::start(DropWhen::RequestRead).await;
    let client = builder()
        .endpoints([dropping.base_url(), mrs.base_url()])
        .build()
        .unwrap();
    let err = client.start_sync(CLUSTER, &sync_all()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // It may have started a sync there: sent once, and nowhere else.
    assert_eq!(dropping.requests(), 1);
    assert_eq!(mrs.request_count(), 0);

    // A GET is sent again, as the retry rules allow, to the endpoint that
    // took the connection.
    let err = client.is_synchronizing(CLUSTER).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(dropping.requests(), 1 + 3);
    assert_eq!(mrs.request_count(), 0);
}

// ---------------------------------------------------------------------------------------
// User agent

#[tokio::test]
async fn the_user_agent_suffix_is_appended() {
    let mrs = mrs().await;
    let client = builder()
        .endpoint(mrs.base_url())
        .user_agent_suffix("my-app/1.2")
        .build()
        .unwrap();
    client.is_synchronizing(CLUSTER).await.unwrap();
    let user_agent = mrs.requests()[0].header("user-agent").unwrap().to_owned();
    let (ours, theirs) = user_agent.split_once(' ').unwrap();
    assert!(ours.starts_with("mrs-iam-sync-rust/"), "{user_agent}");
    assert_eq!(theirs, "my-app/1.2");
    let err = builder()
        .endpoint(mrs.base_url())
        .user_agent_suffix("bad\napp")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("user_agent_suffix"), "{err}");
}

// ---------------------------------------------------------------------------------------

/// Collects the messages of `tracing` warnings while the guard lives.
fn capture_warnings() -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    capture_logs(tracing::Level::WARN)
}

/// Collects every `tracing` line up to `level` while the guard lives.
fn capture_logs(
    level: tracing::Level,
) -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<String>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(buf).into_owned());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(lines.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(move || sink.clone())
        .finish();
    (lines, tracing::subscriber::set_default(subscriber))
}
