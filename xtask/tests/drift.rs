//! Drift: a change of the spec reaches the client and the loopback server
//! through `cargo xtask generate` alone, with no hand edit.
//!
//! The spec is tightened as a maintainer would: the cancel lists' `maxItems`
//! from 1000 to 500 and the `cluster_id` rule from 64 to 36 characters.
//!
//! - `the_rules_follow_a_tightened_spec` (quick): the regenerated rules
//!   and path-parameter modules carry the new numbers and say them in their
//!   rule texts.
//! - `client_and_server_follow_a_tightened_spec` (ignored: a desk check,
//!   `cargo test --workspace --test drift -- --ignored`): in a temporary copy
//!   of the workspace, regenerate, build, and show that the CLI refuses 501
//!   names and a 37-character id before sending anything (exit 2, naming 500
//!   and 36), and that the loopback server answers 400 `12000002` to both.
//!   About 45 s once the dependencies of a `cargo build -p mrs-iam-sync-cli
//!   -p mrs-iam-sync-server` exist in the target folder. It is not in
//!   `.ci/run`: on a clean clone those dependencies differ in features from
//!   the test build's (the ring/rustls chain, tokio, …) and are built once
//!   more, about 200 s of CPU, which would take CI too close to its
//!   30-minute bound. The copy shares the target folder; the next `cargo
//!   build` or `cargo test` re-links the real binaries in `target/debug`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use xtask::codegen::generate::{self, Mode};
use xtask::{codegen::spec, paths, workspace_root};

/// The workspace this test belongs to.
fn root() -> PathBuf {
    workspace_root().expect("the workspace root")
}

/// The project's spec, tightened: `maxItems` 500, `cluster_id` 1 to 36.
fn tightened_spec() -> String {
    let text = std::fs::read_to_string(root().join(paths::SPEC)).unwrap();
    assert!(
        text.contains("maxItems: 1000"),
        "the spec changed: update this test"
    );
    let text = text.replace("maxItems: 1000", "maxItems: 500");
    let start = text.find("    ClusterId:\n").expect("a ClusterId schema");
    let end = start
        + text[start..]
            .find("    example:")
            .unwrap_or(text.len() - start);
    let block = text[start..end]
        .replace("maxLength: 64", "maxLength: 36")
        .replace("{1,64}", "{1,36}");
    assert_ne!(
        block,
        text[start..end],
        "the ClusterId rule changed: update this test"
    );
    format!("{}{block}{}", &text[..start], &text[end..])
}

#[test]
fn the_rules_follow_a_tightened_spec() {
    let spec = spec::parse(&tightened_spec(), "tightened.yaml").unwrap();
    let rules = generate::render_rules(&spec).unwrap();
    let params = generate::render_params(&spec).unwrap();
    assert!(
        params.contains("must be 1 to 36 ASCII letters, digits, '_' or '-'"),
        "{params}"
    );
    assert!(params.contains("max_length: Some(36usize)"), "{params}");
    assert!(rules.contains("max_items: Some(500usize)"), "{rules}");
    assert!(
        rules.contains("at most 500 items, each a non-empty string"),
        "{rules}"
    );
    assert!(!rules.contains("1000"), "{rules}");
    // And the project's own spec gives the rules that are checked in.
    let own = spec::load(&root().join(paths::SPEC), paths::SPEC).unwrap();
    let checked_in = std::fs::read_to_string(root().join(paths::RULES)).unwrap();
    assert_eq!(generate::render_rules(&own).unwrap(), checked_in);
    let checked_in = std::fs::read_to_string(root().join(paths::PARAMS)).unwrap();
    assert_eq!(generate::render_params(&own).unwrap(), checked_in);
}

/// The shared target folder: dependencies are not built again for the copy.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Sends one raw HTTP/1.1 request with the demo token; the status and body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: mrs-demo-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
#[ignore = "a desk check: builds a copy of the workspace (minutes); see the module docs"]
fn client_and_server_follow_a_tightened_spec() {
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path();
    xtask::copy_checkout(&root(), copied).unwrap();
    std::fs::write(copied.join(paths::SPEC), tightened_spec()).unwrap();
    // What `cargo xtask generate` does, on the copy.
    generate::run(copied, Mode::Write).unwrap();

    let target = target_dir();
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--offline", "--quiet", "--bins"])
        .args([
            "--package",
            "mrs-iam-sync-cli",
            "--package",
            "mrs-iam-sync-server",
        ])
        .current_dir(copied)
        .env("CARGO_TARGET_DIR", &target);
    xtask::without_test_cargo_env(&mut build);
    let built = build.status().unwrap();
    assert!(built.success(), "the tightened copy does not build");
    let bin = |name: &str| target.join("debug").join(name);

    // The server, built from the tightened copy.
    let mut server = Command::new(bin("mrs-iam-sync-server"))
        .args(["--listen", "127.0.0.1:0", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .expect("the server says where it listens")
        .to_owned();
    let cluster = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";
    let project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let long_id = "c".repeat(37);
    let names: Vec<String> = (0..501).map(|i| format!("\"u{i}\"")).collect();
    let answers = [
        http(
            &addr,
            "GET",
            &format!("/v2/{project}/clusters/{long_id}/iam-sync"),
            "",
        ),
        http(
            &addr,
            "DELETE",
            &format!("/v2/{project}/clusters/{cluster}/iam-sync-user"),
            &format!("{{\"user_names\":[{}]}}", names.join(",")),
        ),
    ];
    let _ = server.kill();
    let _ = server.wait();
    for (status, body) in &answers {
        assert_eq!(*status, 400, "{body}");
        assert!(body.contains("\"error_code\":\"12000002\""), "{body}");
    }
    assert!(answers[0].1.contains("longer than 36"), "{}", answers[0].1);
    assert!(answers[1].1.contains("at most 500"), "{}", answers[1].1);

    // The CLI, built from the same copy, pointed at a port nothing listens
    // on: a request sent would fail with exit 1, not 2.
    let cli = |args: &[&str]| {
        Command::new(bin("mrs-iam-sync"))
            .args(["--endpoint", "http://127.0.0.1:9", "--cluster-id"])
            .args(args)
            .env_clear()
            .env("HUAWEICLOUD_SDK_AK", "AK")
            .env("HUAWEICLOUD_SDK_SK", "SK")
            .env("HUAWEICLOUD_SDK_PROJECT_ID", project)
            .output()
            .unwrap()
    };
    let too_long = cli(&[&long_id, "synced"]);
    let stderr = String::from_utf8_lossy(&too_long.stderr);
    assert_eq!(too_long.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("longer than 36") && stderr.contains("1 to 36"),
        "{stderr}"
    );
    let mut args = vec![cluster, "cancel"];
    let users: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    for user in &users {
        args.extend(["--user", user]);
    }
    let too_many = cli(&args);
    let stderr = String::from_utf8_lossy(&too_many.stderr);
    assert_eq!(too_many.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("has 501 items; at most 500 are allowed"),
        "{stderr}"
    );
}
