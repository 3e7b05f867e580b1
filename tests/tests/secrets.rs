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
            .retry(RetryPolicy {
                max_attempts: 2,
                ..RetryPolicy::default()
            })
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
    assert!(
        logs.contains("attempt answered"),
        "tracing captured nothing:\n{logs}"
    );
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
