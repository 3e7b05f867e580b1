//! `status` end to end: one cluster, several, many at once, from a file.

mod common;

use std::time::Duration;

use common::{Cli, TestServer, json_settings, redact, scratch_file};
use mrs_iam_sync_server::Config;

#[test]
fn one_cluster_prints_a_table() {
    let server = TestServer::start();
    let run = server
        .cli()
        .args(["status", "--cluster-id", "cid-1"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(run.stdout, @r"
    CLUSTER ID  SYNCHRONIZING
    cid-1       no
    ");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_running_sync_reads_yes() {
    // Long enough to be still running when the next process asks.
    let server = TestServer::with(Config {
        sync_duration: Duration::from_secs(30),
        ..Config::default()
    });
    server
        .cli()
        .args(["sync", "--cluster-id", "cid-1", "--all"])
        .run()
        .expect_code(0);
    let run = server
        .cli()
        .args(["status", "--cluster-id", "cid-1", "--json"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(run.stdout, @r#"{"cluster_id":"cid-1","is_synchronizing":true,"error":null}"#);
}

#[test]
fn json_reports_each_cluster_and_invalid_ids_are_not_sent() {
    let server = TestServer::start();
    let run = server
        .cli()
        .args(["status", "--json"])
        .args(["--cluster-id", "cid-1", "--cluster-id", "no-such-cluster"])
        .args(["--cluster-id", "not/valid", "--cluster-id", "demo-cluster"])
        .run()
        .expect_code(2);
    json_settings().bind(|| insta::assert_json_snapshot!(run.json_lines()));
    // The fields come in a fixed order on the wire.
    insta::assert_snapshot!(
        run.stdout.lines().next().unwrap(),
        @r#"{"cluster_id":"cid-1","is_synchronizing":false,"error":null}"#
    );
    assert_eq!(
        server.server().request_count(),
        3,
        "the invalid id is never sent"
    );
    insta::assert_snapshot!(
        run.error_line(),
        @"error: 2 of 4 clusters failed; the first: 400 12000003: The cluster does not exist. cluster_id: no-such-cluster (request id [request-id])"
    );
}

#[test]
fn the_table_shows_errors_in_place() {
    let server = TestServer::start();
    let run = server
        .cli()
        .args(["status", "--cluster-id", "cid-1", "--cluster-id", "gone"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!(redact(&run.stdout), @r"
    CLUSTER ID  SYNCHRONIZING
    cid-1       no
    gone        error: 400 12000003: The cluster does not exist. cluster_id: gone (request id [request-id])
    ");
}

#[test]
fn a_service_error_on_one_cluster_is_one_line_and_exit_1() {
    let server = TestServer::start();
    let run = server
        .cli()
        .args(["status", "--cluster-id", "gone"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!(
        run.error_line(),
        @"error: 400 12000003: The cluster does not exist. cluster_id: gone (request id [request-id])"
    );
}

#[test]
fn two_hundred_clusters_from_a_file_at_concurrency_16_keep_their_order() {
    let ids: Vec<String> = (0..200).map(|i| format!("cluster-{i:03}")).collect();
    let server = TestServer::with(Config {
        clusters: ids.clone(),
        ..Config::default()
    });
    let mut listed = ids.clone();
    listed[137] = "cluster 137".into(); // invalid: a space
    let file = format!(
        "# 200 clusters\n\n{}\n",
        listed
            .iter()
            .enumerate()
            .map(|(i, id)| if i % 50 == 0 {
                format!("{id}  # every fiftieth")
            } else {
                id.clone()
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
    let path = scratch_file("200-clusters.txt", &file);
    let run = server
        .cli()
        .args(["status", "--json", "--concurrency", "16", "--clusters-file"])
        .arg(&path)
        .run()
        .expect_code(2);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 200);
    for (line, id) in lines.iter().zip(&listed) {
        assert_eq!(line["cluster_id"], id.as_str(), "input order is kept");
        if id == "cluster 137" {
            assert_eq!(line["is_synchronizing"], serde_json::Value::Null);
            assert_eq!(line["error"]["status"], serde_json::Value::Null);
            assert!(
                line["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("invalid cluster_id")
            );
        } else {
            assert_eq!(line["is_synchronizing"], false, "{line}");
            assert_eq!(line["error"], serde_json::Value::Null);
        }
    }
    assert_eq!(server.server().request_count(), 199);
    assert!(
        run.error_line()
            .starts_with("error: 1 of 200 clusters failed; the first: invalid cluster_id")
    );
}

#[test]
fn ids_come_from_flags_then_the_file_or_stdin() {
    let server = TestServer::start();
    let path = scratch_file("two-clusters.txt", "demo-cluster\n# cid-1\n");
    let run = server
        .cli()
        .args([
            "status",
            "--json",
            "--cluster-id",
            "cid-1",
            "--clusters-file",
        ])
        .arg(&path)
        .run()
        .expect_code(0);
    let ids: Vec<_> = run
        .json_lines()
        .iter()
        .map(|l| l["cluster_id"].clone())
        .collect();
    assert_eq!(ids, ["cid-1", "demo-cluster"]);

    let from_stdin = server
        .cli()
        .args(["status", "--json", "--clusters-file", "-"])
        .stdin("# from a pipe\ndemo-cluster\n\ncid-1\n")
        .run()
        .expect_code(0);
    let ids: Vec<_> = from_stdin
        .json_lines()
        .iter()
        .map(|l| l["cluster_id"].clone())
        .collect();
    assert_eq!(ids, ["demo-cluster", "cid-1"]);
    server.server().clear_requests();

    let missing = server
        .cli()
        .args(["status", "--clusters-file", "/nonexistent/clusters.txt"])
        .run()
        .expect_code(2);
    assert!(
        missing
            .error_line()
            .starts_with("error: cannot read --clusters-file /nonexistent/clusters.txt")
    );

    let none = server.cli().arg("status").run().expect_code(2);
    insta::assert_snapshot!(none.error_line(), @"error: no cluster: pass --cluster-id (repeatable) or --clusters-file");
    assert_eq!(server.server().request_count(), 0);
}

#[test]
fn concurrency_must_be_positive() {
    let run = Cli::new()
        .args(["status", "--cluster-id", "cid-1", "--concurrency", "0"])
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("--concurrency"), "{run:#?}");
}
