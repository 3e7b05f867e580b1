//! The standalone binary: first line on stdout, one request, flags, SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{PROJECT, sdk_date, sign};

struct Running {
    child: Child,
    base_url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync-server"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the server binary");
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    let first = first.trim_end().to_owned();
    let base_url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first}");
    let port: u16 = base_url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    Running { child, base_url }
}

#[tokio::test]
async fn first_line_then_a_signed_request_then_sigterm() {
    let mut server = spawn(&[
        "--ak",
        "BINAK",
        "--sk",
        "BINSK",
        "--cluster",
        "bin-cluster",
        "--sync-duration",
        "200ms",
    ]);
    let http = common::http_client();
    let host = server.base_url.trim_start_matches("http://").to_owned();
    let path = format!("/v2/{PROJECT}/clusters/bin-cluster/iam-sync");
    let date = sdk_date(std::time::SystemTime::now());
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Host".to_string(), host.clone()),
        ("X-Sdk-Date".to_string(), date.clone()),
    ];
    let authz = sign("BINAK", "BINSK", "GET", &path, &headers, b"");
    let r = http
        .get(format!("{}{path}", server.base_url))
        .header("Content-Type", "application/json")
        .header("Host", host)
        .header("X-Sdk-Date", date)
        .header("Authorization", authz)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"].len(), 32);
    assert_eq!(r.text().await.unwrap(), r#"{"is_synchronizing":false}"#);
    // The demo cluster is not known when --cluster is given.
    let r = http
        .get(format!(
            "{}/v2/{PROJECT}/clusters/cid-1/iam-sync",
            server.base_url
        ))
        .header("X-Auth-Token", mrs_iam_sync_server::DEMO_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // SIGTERM stops it cleanly.
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    if killed.is_ok_and(|s| s.success()) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[tokio::test]
async fn fault_flag_and_token_flag() {
    let server = spawn(&[
        "--token",
        "t1",
        "--token",
        "t2",
        "--fault",
        "503:2:cid-1",
        "--quiet",
    ]);
    let http = common::http_client();
    let get = |token: &'static str, cluster: &'static str| {
        let req = http
            .get(format!(
                "{}/v2/{PROJECT}/clusters/{cluster}/iam-sync",
                server.base_url
            ))
            .header("X-Auth-Token", token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("t1", "demo-cluster").await, 200);
    assert_eq!(get("t2", "cid-1").await, 503);
    assert_eq!(get("t1", "cid-1").await, 503);
    assert_eq!(get("t1", "cid-1").await, 200);
    // The demo token is replaced by --token.
    assert_eq!(get(mrs_iam_sync_server::DEMO_TOKEN, "cid-1").await, 401);
}

#[test]
fn bad_flags_fail() {
    for args in [
        &["--fault", "404"][..],
        &["--ak", "x"],
        &["--sync-duration", "soon"],
        &["--listen", "nowhere"],
        &["--rate-limit", "0"],
        &["--rate-limit", "lots"],
        &["--rate-limit", "100", "--rate-burst", "0.5"],
        &["--rate-burst", "10"],
        &["--latency", "soon"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync-server"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
