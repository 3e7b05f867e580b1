//! Exit codes and the one-line error format.

mod common;

use common::{Cli, TestServer, redact};
use mrs_iam_sync_server::{DEMO_PROJECT_ID, DEMO_TOKEN, Fault, FaultKind};

#[test]
fn help_documents_the_exit_codes() {
    let run = Cli::new().arg("--help").run().expect_code(0);
    assert!(
        run.stdout.contains("Exit codes:\n    0  success"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("\n  130  interrupted by Ctrl-C"),
        "{run:#?}"
    );
    let run = Cli::new().args(["status", "--help"]).run().expect_code(0);
    assert!(run.stdout.contains("3  timed out waiting"), "{run:#?}");
}

#[test]
fn bad_flags_exit_2() {
    Cli::new().arg("--no-such-flag").run().expect_code(2);
    Cli::new().arg("sync").run().expect_code(2);
    Cli::new()
        .args(["sync", "--all", "--user", "u"])
        .run()
        .expect_code(2);
    Cli::new().args(["cancel"]).run().expect_code(2);
    let sk = Cli::new().args(["users", "--sk", "x"]).run().expect_code(2);
    assert!(sk.stderr.contains("unexpected argument '--sk'"), "{sk:#?}");
}

#[test]
fn every_signing_algorithm_is_accepted_by_the_gateway() {
    let server = TestServer::start();
    for algorithm in ["hmac-sha256", "hmac-sm3", "ecdsa-p256-sha256", "sm2-sm3"] {
        let run = server
            .cli()
            .args([
                "synced",
                "--cluster-id",
                "cid-1",
                "--signing-algorithm",
                algorithm,
            ])
            .run();
        run.expect_code(0);
    }
    let mut names: Vec<String> = server
        .server()
        .requests()
        .iter()
        .filter_map(|r| {
            r.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, v)| v.split(' ').next().map(str::to_owned))
        })
        .collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SM3",
            "SDK-ECDSA-P256-SHA256",
            "SDK-SM2-SM3"
        ]
    );
    // A token ignores the setting.
    server
        .cli()
        .args([
            "synced",
            "--cluster-id",
            "cid-1",
            "--signing-algorithm",
            "sm2-sm3",
        ])
        .args(["--token", DEMO_TOKEN])
        .run()
        .expect_code(0);
}

#[test]
fn an_unknown_signing_algorithm_is_a_usage_error() {
    let run = Cli::new()
        .args(["synced", "--signing-algorithm", "hmac-md5"])
        .run()
        .expect_code(2);
    assert!(
        run.stderr.contains(
            "unknown signing algorithm \"hmac-md5\": expected one of hmac-sha256, hmac-sm3, ecdsa-p256-sha256, sm2-sm3"
        ),
        "{run:#?}"
    );
}

#[test]
fn an_invalid_id_exits_2_without_a_request() {
    let server = TestServer::start();
    for command in ["users", "synced", "wait"] {
        let run = server
            .cli()
            .args([command, "--cluster-id", "../etc"])
            .run()
            .expect_code(2);
        assert!(
            run.error_line()
                .starts_with("error: invalid cluster_id: \"../etc\""),
            "{run:#?}"
        );
    }
    let run = server
        .cli()
        .args(["cancel", "--cluster-id", "a b", "--user", "u"])
        .run()
        .expect_code(2);
    assert!(
        run.error_line().starts_with("error: invalid cluster_id"),
        "{run:#?}"
    );
    let run = server
        .cli()
        .args([
            "users",
            "--cluster-id",
            "cid-1",
            "--project-id",
            "not-valid!",
        ])
        .run()
        .expect_code(2);
    assert!(
        run.error_line().starts_with("error: invalid project_id"),
        "{run:#?}"
    );
    assert_eq!(server.server().request_count(), 0);
}

#[test]
fn single_cluster_commands_take_one_cluster() {
    let server = TestServer::start();
    let none = server.cli().arg("users").run().expect_code(2);
    insta::assert_snapshot!(none.error_line(), @"error: --cluster-id is required");
    let two = server
        .cli()
        .args([
            "users",
            "--cluster-id",
            "cid-1",
            "--cluster-id",
            "demo-cluster",
        ])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(two.error_line(), @"error: this command takes one --cluster-id (only `status` takes several)");
}

#[test]
fn no_credentials_exit_2() {
    let server = TestServer::start();
    let run = server
        .cli()
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(run.error_line(), @"error: no credentials found; tried, in order: 1. OIDC STS: HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN are not set; 2. environment: neither HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK nor HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE are set; 3. profile file: /nonexistent-home-of-the-cli-tests/.huaweicloud/credentials does not exist; 4. ECS/BMS metadata: the metadata service at http://127.0.0.1:[port] is unreachable: cannot connect: Connection refused (os error 111); 5. CCE pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE are not set; configure one of them (see the README's Credentials section), or pass credentials explicitly");
    assert_eq!(run.stdout, "");

    let half = server
        .cli()
        .env_remove("HUAWEICLOUD_SDK_SK")
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(half.error_line(), @"error: HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not (environment)");
    assert_eq!(server.server().request_count(), 0);
}

#[test]
fn no_region_or_project_exit_2() {
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_AK", "AK")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(run.error_line(), @"error: no region: pass --region (e.g. cn-north-4) or --endpoint, or set HUAWEICLOUD_SDK_REGION");

    // An endpoint without a region: no project can be looked up at IAM.
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_AK", "AK")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .args([
            "users",
            "--cluster-id",
            "cid-1",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(run.error_line(), @"error: no project id: set HUAWEICLOUD_SDK_PROJECT_ID, `project_id` in the profile file, or call .project_id(..) on the client builder (without a region it cannot be looked up at IAM: pass a region too)");

    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_REGION", "xx-nowhere-1")
        .env("HUAWEICLOUD_SDK_AK", "AK")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(2);
    assert!(run.error_line().contains("xx-nowhere-1"), "{run:#?}");
}

#[test]
fn service_errors_are_one_line_with_status_code_and_request_id() {
    let server = TestServer::start();
    // Three attempts, three 503s: the client's retries give up.
    server.server().inject(
        Fault::new(FaultKind::Status503)
            .times(3)
            .for_cluster("cid-1"),
    );
    let run = server
        .cli()
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!(redact(&run.stderr), @"error: 503 MRS.0503: Service temporarily unavailable, please retry later. (request id [request-id])");
    assert_eq!(run.stdout, "");

    let run = server
        .cli()
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .args(["synced", "--cluster-id", "cid-1"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!(run.error_line(), @"error: 401 APIGW.0301: Incorrect IAM authentication information: verify aksk signature fail (request id [request-id])");
}

#[test]
fn an_html_error_page_stays_on_one_line() {
    let server = TestServer::start();
    server
        .server()
        .inject(Fault::new(FaultKind::HtmlErrorPage).times(3));
    let run = server
        .cli()
        .args(["synced", "--cluster-id", "cid-1"])
        .run()
        .expect_code(1);
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(run.stderr.starts_with("error: 502 "), "{run:#?}");
}

#[test]
fn transport_errors_exit_1() {
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_AK", "AK")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
        .args([
            "users",
            "--cluster-id",
            "cid-1",
            "--endpoint",
            "http://127.0.0.1:1",
        ])
        .run()
        .expect_code(1);
    assert!(
        run.error_line().starts_with("error: could not connect"),
        "{run:#?}"
    );
}

#[test]
fn an_iam_token_works_from_the_flag_or_the_environment() {
    let server = TestServer::start();
    let by_env = server
        .cli()
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .env("HUAWEICLOUD_SDK_AUTH_TOKEN", DEMO_TOKEN)
        .args(["synced", "--cluster-id", "cid-1"])
        .run()
        .expect_code(0);
    assert_eq!(by_env.stdout, "cid-1: synchronized no\n");
    let by_flag = server
        .cli()
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .args(["synced", "--cluster-id", "cid-1", "--token", DEMO_TOKEN])
        .args(["--project-id", DEMO_PROJECT_ID])
        .run()
        .expect_code(0);
    assert_eq!(by_flag.stdout, "cid-1: synchronized no\n");
    let requests = server.server().requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.header("x-auth-token") == Some(DEMO_TOKEN))
    );
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
}
