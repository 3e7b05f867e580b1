//! The network flags end to end: the built binary against a forward proxy,
//! HTTPS fronts with a CA made at test time (one demanding a client
//! certificate), refused endpoints and regions files, all on loopback.

mod common;

use common::{Cli, TestServer, closed_port_url};
use mrs_iam_sync_server::{DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK};
use mrs_iam_sync_tests::proxy::TestProxy;
use mrs_iam_sync_tests::tls::{TestCa, TlsFront};

/// The binary with the demo keys and project, and no endpoint yet.
fn cli() -> Cli {
    Cli::new()
        .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
}

fn status() -> [&'static str; 3] {
    ["status", "--cluster-id", DEMO_CLUSTER_ID]
}

#[test]
fn proxy_flag_with_credentials_and_the_refusal_in_one_line() {
    let server = TestServer::start();
    let proxy = server.block_on(TestProxy::authenticating("svc", "pa:ss@word"));
    server
        .cli()
        .args(["--proxy", &proxy.url_with("svc", "pa:ss@word")])
        .args(status())
        .run()
        .expect_code(0);
    assert!(proxy.seen()[0].allowed);

    let run = server
        .cli()
        .args(["--proxy", &proxy.url_with("svc", "wrong-secret-key")])
        .args(status())
        .run()
        .expect_code(1);
    let line = run.stderr.trim_end();
    assert!(
        line.starts_with(&format!(
            "error: the proxy http://svc:***@{} refused the credentials (407",
            &proxy.url()["http://".len()..]
        )),
        "{line}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    // The proxy from the environment, and --no-proxy.
    server
        .cli()
        .env("HTTP_PROXY", proxy.url_with("svc", "pa:ss@word"))
        .args(status())
        .run()
        .expect_code(0);
    server
        .cli()
        .env("HTTP_PROXY", proxy.url_with("svc", "wrong-secret-key"))
        .arg("--no-proxy")
        .args(status())
        .run()
        .expect_code(0);
    assert_eq!(proxy.seen().len(), 3);
}

#[test]
fn ca_bundle_client_certificate_and_insecure() {
    let server = TestServer::start();
    let ca = TestCa::new("CLI test CA");
    let addr = server.server().local_addr();
    let front = server.block_on(TlsFront::start(ca.server_config(false), addr));
    let mtls = server.block_on(TlsFront::start(ca.server_config(true), addr));
    let bundle = ca.bundle_file();
    let client = ca.client_files("cli");

    cli()
        .args(["--endpoint", &front.base_url(), "--ca-bundle"])
        .arg(&bundle)
        .args(status())
        .run()
        .expect_code(0);
    // Without the bundle: the endpoint and the certificate problem, exit 1.
    let run = cli()
        .args(["--endpoint", &front.base_url()])
        .args(status())
        .run()
        .expect_code(1);
    let line = run.stderr.trim_end();
    assert!(
        line.contains(&front.base_url()) && line.contains("UnknownIssuer"),
        "{line}"
    );
    // Mutual TLS.
    cli()
        .args(["--endpoint", &mtls.base_url(), "--ca-bundle"])
        .arg(&bundle)
        .arg("--client-cert")
        .arg(&client.cert)
        .arg("--client-key")
        .arg(&client.key)
        .args(status())
        .run()
        .expect_code(0);
    // --insecure: works, and says so once.
    let run = cli()
        .args(["--endpoint", &front.base_url(), "--insecure"])
        .args(status())
        .run()
        .expect_code(0);
    assert_eq!(
        run.stderr.matches("warning: --insecure").count(),
        1,
        "{run:#?}"
    );
    assert_eq!(front.handshakes(), 2);
    assert_eq!(mtls.handshakes(), 1);
}

#[test]
fn an_unusable_file_is_exit_2_naming_it_and_nothing_is_sent() {
    let server = TestServer::start();
    let ca = TestCa::new("CLI test CA");
    let client = ca.client_files("cli");
    let other = ca.client_files("other");
    let missing = ca.dir().join("missing.pem");
    let cases: Vec<(Vec<std::ffi::OsString>, String)> = vec![
        (
            vec!["--ca-bundle".into(), missing.clone().into()],
            format!("the CA bundle {} does not exist", missing.display()),
        ),
        (
            vec![
                "--client-cert".into(),
                client.cert.clone().into(),
                "--client-key".into(),
                other.key.clone().into(),
            ],
            format!("the client key {} cannot be used with", other.key.display()),
        ),
    ];
    for (flags, want) in cases {
        let run = server.cli().args(flags).args(status()).run().expect_code(2);
        assert!(run.error_line().contains(&want), "{run:#?}");
    }
    assert_eq!(server.server().request_count(), 0);
}

#[test]
fn endpoint_lists_fail_over_past_a_refused_endpoint() {
    let server = TestServer::start();
    let good = server.server().base_url();
    let refused = closed_port_url();
    cli()
        .args(["--endpoint", &format!("{refused},{good}")])
        .args(status())
        .run()
        .expect_code(0);
    cli()
        .args(["--endpoint", &refused, "--endpoint", &good])
        .args(status())
        .run()
        .expect_code(0);
    let run = cli()
        .args(["--endpoint", &refused, "--endpoint", &closed_port_url()])
        .args(status())
        .run()
        .expect_code(1);
    assert!(
        run.error_line()
            .starts_with("error: none of the 2 endpoints could be reached: "),
        "{run:#?}"
    );
    assert_eq!(server.server().request_count(), 2);
}

#[test]
fn the_regions_file_and_its_lookup_order() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regions.yaml");
    let closed = closed_port_url();
    std::fs::write(
        &file,
        format!(
            "mrs:\n  - id: xx-lab-1\n    endpoints: [{closed}]\n    endpoint: {}\n",
            server.server().base_url()
        ),
    )
    .unwrap();
    // The file's endpoints, failing over from the first to the second.
    cli()
        .env("HUAWEICLOUD_SDK_REGIONS_FILE", &file)
        .args(["--region", "xx-lab-1"])
        .args(status())
        .run()
        .expect_code(0);
    // The variable wins over the file.
    cli()
        .env("HUAWEICLOUD_SDK_REGIONS_FILE", &file)
        .env("HUAWEICLOUD_SDK_REGION_MRS_XX_LAB_1", closed_port_url())
        .args(["--region", "xx-lab-1"])
        .args(status())
        .run()
        .expect_code(1);
    // A broken file: exit 2, the file and the line.
    std::fs::write(&file, "mrs:\n  - id: xx-lab-1\n    endpoint: [oops\n").unwrap();
    let run = cli()
        .env("HUAWEICLOUD_SDK_REGIONS_FILE", &file)
        .args(["--region", "xx-lab-1"])
        .args(status())
        .run()
        .expect_code(2);
    let want = format!(
        "the regions file {}, line 4: not valid YAML",
        file.display()
    );
    assert!(run.stderr.contains(&want), "{run:#?}");
    assert_eq!(server.server().request_count(), 1);
}
