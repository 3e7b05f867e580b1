//! The request log on stderr at each level (-v, -vv, MRS_IAM_SYNC_LOG),
//! and never a secret in it: no secret key, token, signature or proxy
//! password.

mod common;

use common::{Run, TestServer};
use mrs_iam_sync_server::{DEMO_CLUSTER_ID, DEMO_SK, DEMO_TOKEN, Fault, FaultKind};

/// A proxy URL with a password, in the environment of every run: the log
/// must not show it (loopback calls bypass it through NO_PROXY).
const PROXY_PASSWORD: &str = "proxy-pass-Wq7Zk2";

/// Runs `status` on the demo cluster (first answered 503, then retried),
/// with `args` before the subcommand and `log` as MRS_IAM_SYNC_LOG.
fn status(server: &TestServer, args: &[&str], log: Option<&str>) -> Run {
    server.server().inject(Fault::new(FaultKind::Status503));
    let mut cli = server
        .cli()
        .env(
            "HTTPS_PROXY",
            format!("http://operator:{PROXY_PASSWORD}@127.0.0.1:9"),
        )
        .env(
            "HTTP_PROXY",
            format!("http://operator:{PROXY_PASSWORD}@127.0.0.1:9"),
        )
        .env("NO_PROXY", "127.0.0.1")
        .args(args)
        .args(["status", "--cluster-id", DEMO_CLUSTER_ID]);
    if let Some(log) = log {
        cli = cli.env("MRS_IAM_SYNC_LOG", log);
    }
    let run = cli.run().expect_code(0);
    assert_no_secret(&run.stderr);
    run
}

/// No secret key, token, proxy password or signature value.
fn assert_no_secret(log: &str) {
    for secret in [DEMO_SK, DEMO_TOKEN, PROXY_PASSWORD, "Signature="] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
    // A signature is 64 hex digits (HMAC-SHA256, SM3); request ids are 32.
    let longest_hex = log
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_hex < 64,
        "a signature-like value in the log:\n{log}"
    );
}

/// The log lines saying `message`.
fn lines<'a>(log: &'a str, message: &str) -> Vec<&'a str> {
    log.lines().filter(|line| line.contains(message)).collect()
}

#[test]
fn without_v_nothing_is_logged() {
    let server = TestServer::start();
    let run = status(&server, &[], None);
    assert_eq!(run.stderr, "");
}

#[test]
fn v_logs_one_line_per_attempt() {
    let server = TestServer::start();
    let run = status(&server, &["-v"], None);
    let attempts = lines(&run.stderr, "attempt answered");
    assert_eq!(attempts.len(), 2, "{}", run.stderr);
    let url = format!(
        "url={}/v2/{}/clusters/{DEMO_CLUSTER_ID}/iam-sync ",
        server.server().base_url(),
        mrs_iam_sync_server::DEMO_PROJECT_ID
    );
    for (attempt, (line, (status, decision))) in attempts
        .iter()
        .zip([(503, "decision=retry in "), (200, "decision=final")])
        .enumerate()
    {
        for field in [
            " DEBUG ",
            "method=GET ",
            &url,
            &format!("status={status} "),
            "bytes=",
            "latency_ms=",
            "request_id=\"",
            &format!("attempt={} ", attempt + 1),
            decision,
        ] {
            assert!(line.contains(field), "no {field:?} in {line}");
        }
    }
    // -v stays at one line per attempt: no TRACE detail.
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
}

#[test]
fn vv_adds_the_credential_source_the_signed_headers_and_the_limiter() {
    let server = TestServer::start();
    let run = status(&server, &["-vv"], None);
    let log = &run.stderr;
    assert_eq!(lines(log, "attempt answered").len(), 2, "{log}");
    let authorized = lines(log, "request authorized");
    assert_eq!(authorized.len(), 2, "{log}");
    for field in [
        "source=\"environment\"",
        "credentials=\"permanent AK/SK\"",
        "algorithm=hmac-sha256",
        "signed_headers=\"accept;content-type;host;user-agent;x-project-id;x-sdk-date\"",
    ] {
        assert!(authorized[0].contains(field), "no {field:?} in {log}");
    }
    let limiter = lines(log, "rate limiter");
    assert_eq!(limiter.len(), 2, "{log}");
    assert!(
        limiter[0].contains("waited_ms=") && limiter[0].contains("retry_tokens="),
        "{log}"
    );

    // An IAM token: named, never shown.
    let run = status(&server, &["-vv", "--token", DEMO_TOKEN], None);
    assert!(
        run.stderr
            .contains("credentials=\"IAM token (X-Auth-Token)\""),
        "{}",
        run.stderr
    );
}

#[test]
fn the_environment_filter_replaces_v() {
    let server = TestServer::start();
    // Only the attempts, even with -vv.
    let run = status(&server, &["-vv"], Some("mrs_iam_sync::request=debug"));
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
    assert_eq!(lines(&run.stderr, "attempt answered").len(), 2);

    // Everything of every crate, at the most verbose level: still no secret.
    let run = status(&server, &[], Some("trace"));
    assert!(
        lines(&run.stderr, "request authorized").len() == 2,
        "{}",
        run.stderr
    );

    // A filter that does not parse: a usage error naming the variable.
    let run = server
        .cli()
        .env("MRS_IAM_SYNC_LOG", "mrs_iam_sync=loud")
        .args(["status", "--cluster-id", DEMO_CLUSTER_ID])
        .run()
        .expect_code(2);
    assert!(
        run.error_line()
            .starts_with("error: MRS_IAM_SYNC_LOG is not a filter"),
        "{run:#?}"
    );
}

#[test]
fn a_proxy_password_never_shows_through_a_real_proxy() {
    let server = TestServer::start();
    let proxy = server.block_on(mrs_iam_sync_tests::proxy::TestProxy::authenticating(
        "operator",
        PROXY_PASSWORD,
    ));
    let through = proxy.url_with("operator", PROXY_PASSWORD);
    for (verbose, log) in [("-vv", None), ("-v", Some("trace"))] {
        let mut cli = server.cli().args([verbose, "--proxy", &through]).args([
            "status",
            "--cluster-id",
            DEMO_CLUSTER_ID,
        ]);
        if let Some(log) = log {
            cli = cli.env("MRS_IAM_SYNC_LOG", log);
        }
        let run = cli.run().expect_code(0);
        assert_eq!(
            lines(&run.stderr, "attempt answered").len(),
            1,
            "{}",
            run.stderr
        );
        assert_no_secret(&run.stderr);
    }
    let seen = proxy.seen();
    assert!(
        seen.len() == 2 && seen.iter().all(|request| request.allowed),
        "{seen:?}"
    );
}
