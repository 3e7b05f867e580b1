//! No keys anywhere: `status` works when only the metadata service, only pod identity or
//! only OIDC is reachable, with the project id looked up at IAM; and `credentials` tells
//! the truth in each case without showing a secret.

mod common;

use common::{Cli, TestServer, closed_port_url};
use mrs_iam_sync_server::identity::{
    DEMO_ID_TOKEN, DEMO_OIDC_AGENCY_URN, DEMO_OIDC_PROVIDER_URN, DEMO_POD_TOKEN, IdentityConfig,
    IdentityServer,
};
use mrs_iam_sync_server::{Config, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, KeyRing};

struct Setup {
    mrs: TestServer,
    identity: IdentityServer,
    dir: tempfile::TempDir,
}

fn setup(configure: impl FnOnce(&mut IdentityConfig)) -> Setup {
    let key_ring = KeyRing::default();
    let mrs = TestServer::with(Config {
        key_ring: key_ring.clone(),
        sync_duration: common::SYNC,
        ..Config::default()
    });
    let mut config = IdentityConfig {
        key_ring,
        ..IdentityConfig::default()
    };
    configure(&mut config);
    let identity = mrs.identity(config);
    Setup {
        mrs,
        identity,
        dir: tempfile::tempdir().unwrap(),
    }
}

/// The three production setups of the issue, each with nothing else reachable.
fn only(source: &str, s: &Setup) -> Cli {
    let cli = Cli::new()
        .args(["--region", "cn-north-4", "--endpoint"])
        .arg(s.mrs.server().base_url())
        .env("HUAWEICLOUD_SDK_IAM_ENDPOINT", s.identity.base_url());
    match source {
        "metadata" => cli.env("HUAWEICLOUD_SDK_METADATA_ENDPOINT", s.identity.base_url()),
        "pod-identity" => {
            let token = s.dir.path().join("pod-token");
            std::fs::write(&token, DEMO_POD_TOKEN).unwrap();
            cli.env(
                "HC_CONTAINER_CREDENTIALS_FULL_URI",
                s.identity.pod_identity_uri(),
            )
            .env("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", token)
        }
        "oidc-sts" => {
            let token = s.dir.path().join("id-token");
            std::fs::write(&token, DEMO_ID_TOKEN).unwrap();
            cli.env("HUAWEICLOUD_OIDC_PROVIDER_URN", DEMO_OIDC_PROVIDER_URN)
                .env("HUAWEICLOUD_OIDC_AGENCY_URN", DEMO_OIDC_AGENCY_URN)
                .env("HUAWEICLOUD_OIDC_TOKEN_FILE", token)
                .env("HUAWEICLOUD_SDK_STS_ENDPOINT", s.identity.base_url())
        }
        other => panic!("unknown source {other}"),
    }
}

#[test]
fn status_and_credentials_with_only_one_source_each() {
    for source in ["metadata", "pod-identity", "oidc-sts"] {
        let s = setup(|_| {});
        let status = only(source, &s)
            .args(["status", "--cluster-id", DEMO_CLUSTER_ID])
            .run()
            .expect_code(0);
        assert!(
            status.stdout.contains(DEMO_CLUSTER_ID),
            "{source}: {status:#?}"
        );

        let run = only(source, &s)
            .args(["credentials", "--json"])
            .run()
            .expect_code(0);
        let lines = run.json_lines();
        let answer = &lines[0];
        assert_eq!(answer["source"], source, "{run:#?}");
        assert!(
            answer["access_key_id"]
                .as_str()
                .unwrap()
                .starts_with("TMPAK"),
            "{run:#?}"
        );
        assert_eq!(answer["temporary"], true);
        assert_eq!(answer["project_id"], DEMO_PROJECT_ID);
        assert_eq!(answer["project_id_from"], "discovered");
        assert!(
            answer["expires_at"].as_str().unwrap().ends_with('Z'),
            "{run:#?}"
        );

        let text = only(source, &s).arg("credentials").run().expect_code(0);
        assert!(text.stdout.contains("(looked up at IAM)"), "{text:#?}");
        assert!(text.stdout.contains("access key id:  TMPAK"), "{text:#?}");

        // No secret of what the stand-ins handed out shows up anywhere.
        for issued in s.identity.key_ring().keys() {
            for run in [&status, &run, &text] {
                for secret in [&issued.key.sk, &issued.security_token] {
                    assert!(!run.stdout.contains(secret.as_str()), "{run:#?}");
                    assert!(!run.stderr.contains(secret.as_str()), "{run:#?}");
                }
            }
        }
        for run in [&status, &run, &text] {
            assert!(!run.stdout.contains(DEMO_ID_TOKEN) && !run.stdout.contains(DEMO_POD_TOKEN));
        }
    }
}

#[test]
fn credentials_with_static_keys_and_a_configured_project() {
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_AK", "AKSTATIC")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
        .args(["--region", "cn-north-4", "credentials", "--json"])
        .run()
        .expect_code(0);
    let answer = &run.json_lines()[0];
    assert_eq!(answer["source"], "environment");
    assert_eq!(answer["access_key_id"], "AKSTATIC");
    assert_eq!(answer["temporary"], false);
    assert_eq!(answer["project_id_from"], "configured");
    assert_eq!(answer["expires_at"], serde_json::Value::Null);
}

#[test]
fn no_source_at_all_lists_what_was_tried() {
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed_port_url())
        .args(["--region", "cn-north-4", "credentials"])
        .run()
        .expect_code(2);
    let line = run.error_line();
    assert!(
        line.starts_with("error: no credentials found; tried, in order: 1. OIDC STS"),
        "{line}"
    );
    assert!(
        line.contains("4. ECS/BMS metadata: the metadata service at http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.contains("is unreachable"), "{line}");
}
