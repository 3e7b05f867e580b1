//! No secret key, security token or IAM token appears in any `Debug`,
//! `Display`, error message or log line, through succeeding and failing
//! calls with tracing on at the most verbose level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mrs_iam_sync::types::UpdateSyncIamUserRequest;
use mrs_iam_sync::{Client, Credentials, Environment, RetryPolicy};
use mrs_iam_sync_server::{
    AccessKey, Config, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, Fault, FaultKind, Server,
};

const SK: &str = "sk-Zq8XvT3mN5pL2wR7yK4hJ6gF";
const WRONG_SK: &str = "sk-wrong-Hd73Ks92Lm4Pq81Vz";
const SECURITY_TOKEN: &str = "sts-Ue5Rb9Nc3Tx7Wa1Qm6Yk";
const IAM_TOKEN: &str = "iam-token-Gv4Jd8Lp2Sx6Hz0Bn";

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_show() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let config = Config {
        access_keys: vec![
            AccessKey::new("AKSECRETTEST", SK),
            AccessKey::new("AKTEMP", SK),
        ],
        tokens: vec![IAM_TOKEN.to_owned()],
        sync_duration: Duration::from_millis(50),
        ..Config::default()
    };
    let server = Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut shown = vec![format!("{:?}", server.config())];

    let credentials = [
        Credentials::permanent("AKSECRETTEST", SK),
        Credentials::permanent("AKSECRETTEST", WRONG_SK),
        Credentials::temporary("AKTEMP", SK, SECURITY_TOKEN),
        Credentials::token(IAM_TOKEN),
        Credentials::token("not-the-token"),
    ];
    for credentials in credentials {
        let credentials = credentials.with_project_id(DEMO_PROJECT_ID);
        shown.push(format!("{credentials:?}"));
        let client = Client::builder()
            .endpoint(server.base_url())
            .credentials(credentials)
            .retry(RetryPolicy::default().with_max_attempts(2))
            .build()
            .unwrap();
        shown.push(format!("{client:?}"));
        server.inject(Fault::new(FaultKind::Status503));
        let calls = [
            client
                .is_synchronizing(DEMO_CLUSTER_ID)
                .await
                .map(|v| v.to_string()),
            client
                .is_synchronizing("bad/id")
                .await
                .map(|v| v.to_string()),
            client
                .is_synchronizing("no-such-cluster")
                .await
                .map(|v| v.to_string()),
            client
                .start_sync(
                    DEMO_CLUSTER_ID,
                    &UpdateSyncIamUserRequest {
                        user_names: vec!["ghost".into()],
                        ..Default::default()
                    },
                )
                .await
                .map(|v| v.state),
        ];
        for result in calls {
            match result {
                Ok(value) => shown.push(value),
                Err(err) => {
                    shown.push(format!("{err}"));
                    shown.push(format!("{err:?}"));
                    let mut source = std::error::Error::source(&err);
                    while let Some(inner) = source {
                        shown.push(format!("{inner} / {inner:?}"));
                        source = inner.source();
                    }
                }
            }
        }
    }
    // A credential chain that finds a partial set in the environment.
    let partial = Environment::from_vars([("HUAWEICLOUD_SDK_SK", SK), ("HOME", "/nonexistent")]);
    let err = Client::builder()
        .region("cn-north-4")
        .environment(partial)
        .build()
        .unwrap_err();
    shown.push(format!("{err} / {err:?}"));

    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    // The request log's every level was on: each attempt, its retry
    // decision, the credentials' source and signed header names, the limiter.
    for expected in [
        "attempt answered",
        "decision=retry in ",
        "signed_headers=\"accept;content-type;host;user-agent;x-project-id;x-sdk-date\"",
        "x-sdk-date;x-security-token",
        "credentials=\"IAM token (X-Auth-Token)\"",
        "rate limiter",
    ] {
        assert!(
            logs.contains(expected),
            "no {expected:?} in the logs:\n{logs}"
        );
    }
    assert_no_signature(&logs);
    assert!(
        shown.iter().any(|text| text.contains("APIGW.0301")),
        "no authentication failure seen"
    );
    for secret in [SK, WRONG_SK, SECURITY_TOKEN, IAM_TOKEN] {
        assert!(!logs.contains(secret), "a secret in the logs:\n{logs}");
        for text in &shown {
            assert!(!text.contains(secret), "a secret shown: {text}");
        }
    }
}

/// No signature value: the Authorization header never reaches a log, and no
/// 64-digit hex string (an HMAC-SHA256 or SM3 signature) does.
fn assert_no_signature(logs: &str) {
    assert!(
        !logs.contains("Signature="),
        "a signature in the logs:\n{logs}"
    );
    let longest_hex_run = logs
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_hex_run < 64,
        "a signature-like value in the logs:\n{logs}"
    );
}

/// The same for every credential source of the chain: ID tokens, the pod's token, the
/// metadata session token, IAM's unscoped token and every temporary key handed out stay
/// out of logs, `Debug`, `Display` and errors, whether the source succeeds or fails.
#[tokio::test]
async fn credential_sources_never_show_secrets() {
    use mrs_iam_sync::ClientInfo as _;
    use mrs_iam_sync_server::KeyRing;
    use mrs_iam_sync_server::identity::{
        DEMO_IDP_ID, DEMO_OIDC_AGENCY_URN, DEMO_OIDC_PROVIDER_URN, IdentityConfig, IdentityServer,
    };

    const ID_TOKEN: &str = "oidc-id-token-Qw3Er5Ty7Ui9";
    const POD_TOKEN: &str = "pod-token-Zx1Cv3Bn5Mm7";

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let key_ring = KeyRing::default();
    let mrs = Server::start(
        Config {
            key_ring: key_ring.clone(),
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let identity = IdentityServer::start(
        IdentityConfig {
            key_ring: key_ring.clone(),
            oidc: (
                DEMO_OIDC_PROVIDER_URN.into(),
                DEMO_OIDC_AGENCY_URN.into(),
                ID_TOKEN.into(),
            ),
            idp: (DEMO_IDP_ID.into(), ID_TOKEN.into()),
            pod_token: POD_TOKEN.into(),
            ..IdentityConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::write(&good, ID_TOKEN).unwrap();
    let pod = dir.path().join("pod");
    std::fs::write(&pod, POD_TOKEN).unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, format!("{ID_TOKEN}-but-wrong")).unwrap();
    let (good, pod, wrong) = (
        good.to_string_lossy().into_owned(),
        pod.to_string_lossy().into_owned(),
        wrong.to_string_lossy().into_owned(),
    );
    let base = identity.base_url();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let common = [
        ("HOME", "/nonexistent".to_owned()),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", base.clone()),
        ("HUAWEICLOUD_SDK_STS_ENDPOINT", base.clone()),
    ];
    let oidc = |token: &str| {
        vec![
            (
                "HUAWEICLOUD_OIDC_PROVIDER_URN",
                DEMO_OIDC_PROVIDER_URN.to_owned(),
            ),
            (
                "HUAWEICLOUD_OIDC_AGENCY_URN",
                DEMO_OIDC_AGENCY_URN.to_owned(),
            ),
            ("HUAWEICLOUD_OIDC_ID_TOKEN", token.to_owned()),
        ]
    };
    let setups: Vec<Vec<(&str, String)>> = vec![
        vec![("HUAWEICLOUD_SDK_METADATA_ENDPOINT", base.clone())],
        vec![("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed.clone())],
        oidc(ID_TOKEN),
        oidc(&format!("{ID_TOKEN}-but-wrong")),
        vec![
            ("HUAWEICLOUD_SDK_IDP_ID", DEMO_IDP_ID.to_owned()),
            ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", good.clone()),
        ],
        vec![
            ("HUAWEICLOUD_SDK_IDP_ID", DEMO_IDP_ID.to_owned()),
            ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", wrong.clone()),
        ],
        vec![
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed.clone()),
            (
                "HC_CONTAINER_CREDENTIALS_FULL_URI",
                identity.pod_identity_uri(),
            ),
            ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", pod.clone()),
        ],
        vec![
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed.clone()),
            (
                "HC_CONTAINER_CREDENTIALS_FULL_URI",
                identity.pod_identity_uri(),
            ),
            ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", wrong.clone()),
        ],
    ];
    let mut shown = Vec::new();
    for extra in setups {
        let mut vars: Vec<(&str, String)> = common.to_vec();
        vars.extend(extra);
        let env = Environment::from_vars(vars);
        shown.push(format!("{env:?}"));
        let client = Client::builder()
            .region("cn-north-4")
            .endpoint(mrs.base_url())
            .environment(env)
            .build()
            .unwrap();
        match client.is_synchronizing(DEMO_CLUSTER_ID).await {
            Ok(value) => shown.push(value.to_string()),
            Err(err) => {
                shown.push(format!("{err} / {err:?}"));
                let mut source = std::error::Error::source(&err);
                while let Some(inner) = source {
                    shown.push(format!("{inner} / {inner:?}"));
                    source = inner.source();
                }
            }
        }
        shown.push(format!("{client:?}"));
        if let Some(cache) = client.inner().credentials() {
            shown.push(format!("{cache:?}"));
            if let Some(provided) = cache.cached() {
                shown.push(format!("{provided:?} {}", provided.source));
            }
        }
    }
    shown.push(format!("{identity:?} {key_ring:?}"));
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        shown
            .iter()
            .any(|t| t.contains("Access") || t.contains("TMPAK")),
        "no source succeeded: {shown:?}"
    );
    let mut secrets = vec![
        ID_TOKEN.to_owned(),
        POD_TOKEN.to_owned(),
        "metadata-session-".to_owned(),
        "loopback-unscoped-token-".to_owned(),
    ];
    for issued in key_ring.keys() {
        secrets.push(issued.key.sk.clone());
        secrets.push(issued.security_token.clone());
    }
    assert!(secrets.len() > 6, "no temporary keys were handed out");
    assert_no_signature(&logs);
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret in the logs:\n{logs}"
        );
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "a secret shown: {text}");
        }
    }
}
